"""athena_money_gate(): the money gate's one round trip (see apps/accounts/money_gate.py).

It locks the account row first and sums what the account already sent in a second query.
The order matters: in READ COMMITTED a single statement reads one snapshot taken before it
waited for the lock, so a payment that committed while we waited would not be counted and
two payments could both pass the same remaining limit. A VOLATILE function takes a fresh
snapshot for each query it runs, so the sums, read after the lock, see every payment that
held it before us; and the whole check is still one call from Python.
"""

from django.db import migrations

GATE = r"""
CREATE OR REPLACE FUNCTION athena_money_gate(
    p_account bigint,
    p_kinds text[],
    p_day timestamptz,
    p_month timestamptz,
    OUT account_state text,
    OUT customer_state text,
    OUT kyc_level integer,
    OUT sent_today bigint,
    OUT sent_month bigint
)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    SELECT a.state, c.state, c.kyc_level
      INTO account_state, customer_state, kyc_level
      FROM accounts_account AS a
      LEFT JOIN accounts_customer AS c ON c.id = a.customer_id
     WHERE a.id = p_account
       FOR NO KEY UPDATE OF a;
    IF NOT FOUND THEN
        RETURN;  -- account_state NULL: no such account
    END IF;
    SELECT coalesce(sum(-amount) FILTER (WHERE created_at >= p_day), 0)::bigint,
           coalesce(sum(-amount), 0)::bigint
      INTO sent_today, sent_month
      FROM accounts_posting
     WHERE account_id = p_account AND amount < 0 AND kind = ANY(p_kinds)
       AND created_at >= p_month;
END;
$$;
"""

REVERSE = "DROP FUNCTION IF EXISTS athena_money_gate(bigint, text[], timestamptz, timestamptz);"


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_internal_accounts")]

    operations = [migrations.RunSQL(GATE, REVERSE)]
