"""athena_hold_place(): a hold in one call (apps/accounts/services.py, `hold_place`).

Folds the account's shards into its row (locking it), raises `held` only when the available
balance covers the amount (the check and the move in one conditional UPDATE, as a debit
does), and inserts the hold with its first history row (what django-simple-history writes
for a created hold: history_type '+'). A refusal changes nothing and raises nothing: the
caller reads `refusal` ('unknown_account', 'account_unavailable', 'insufficient_funds'),
so a caller inside a bigger statement (the card authorization of the cards app) can record
its decline without a savepoint.

`p_now` is the caller's clock (timezone.now(): frozen in tests), not the transaction's.
"""

from django.db import migrations

HOLD_PLACE = r"""
CREATE OR REPLACE FUNCTION athena_hold_place(
    p_account bigint,
    p_amount bigint,
    p_reason text,
    p_expires timestamptz,
    p_reference_type text,
    p_reference_id text,
    p_now timestamptz,
    p_user bigint,
    OUT hold_id bigint,
    OUT refusal text
)
LANGUAGE plpgsql AS $$
DECLARE
    v_kind text;
    v_state text;
BEGIN
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'hold amount must be greater than zero' USING ERRCODE = 'P0A01';
    END IF;
    PERFORM athena_fold_shards(p_account);
    UPDATE accounts_account SET held = held + p_amount
     WHERE id = p_account AND kind = 'customer' AND state = 'active'
       AND balance - held - p_amount >= -overdraft_limit;
    IF NOT FOUND THEN
        SELECT kind, state INTO v_kind, v_state FROM accounts_account WHERE id = p_account;
        refusal := CASE
            WHEN v_kind IS NULL OR v_kind <> 'customer' THEN 'unknown_account'
            WHEN v_state <> 'active' THEN 'account_unavailable'
            ELSE 'insufficient_funds' END;
        RETURN;
    END IF;
    INSERT INTO accounts_hold (created_at, updated_at, account_id, amount, captured_amount,
                               reason, reference_type, reference_id, expires_at, state)
    VALUES (p_now, p_now, p_account, p_amount, 0, left(p_reason, 200), p_reference_type,
            left(p_reference_id, 64), p_expires, 'active')
    RETURNING id INTO hold_id;
    INSERT INTO accounts_historicalhold (id, created_at, updated_at, account_id, amount,
                                         captured_amount, reason, reference_type,
                                         reference_id, expires_at, state, capture_entry_id,
                                         history_date, history_change_reason, history_type,
                                         history_user_id)
    VALUES (hold_id, p_now, p_now, p_account, p_amount, 0, left(p_reason, 200),
            p_reference_type, left(p_reference_id, 64), p_expires, 'active', NULL,
            p_now, NULL, '+', p_user);
END;
$$;
"""

REVERSE = (
    "DROP FUNCTION IF EXISTS athena_hold_place(bigint, bigint, text, timestamptz, text, text, "
    "timestamptz, bigint);"
)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_balanced_postings_by_entry")]

    operations = [migrations.RunSQL(HOLD_PLACE, REVERSE)]
