"""athena_post_credits(): many entries that debit no customer, posted set-based in one call.

A settlement file (a CNAB return: thousands of boletos paid) credits customers out of an
internal account. Posted one `athena_post_entry` call each, every entry costs a plan, a loop
and a shard upsert; here the whole batch is a handful of statements: the same checks
(balanced entries of two or more legs, one amount per account, nonzero legs, existing
accounts, no credit to a closed account or a blocked customer account), the same rows
(entries, postings, one "ledger.balance_changed" outbox message per entry with a customer),
and the same triggers (the statement-level balance check on postings, the deferred check of
each entry at commit). Credits go to shards as ever, summed per account first, so the batch
touches one shard row per account. A leg that debits a customer account is refused: a debit
must lock and check its account, which only athena_post_entry does.

Entry ids are drawn from the entries' sequence after the transaction id is taken, as
athena_post_entry does (the statement watermark relies on it), and returned in input order.
"""

from django.db import migrations

POST_CREDITS = r"""
CREATE OR REPLACE FUNCTION athena_post_credits(
    p_kinds text[],
    p_descriptions text[],
    p_reference_types text[],
    p_reference_ids text[],
    p_metadata jsonb,
    p_created_by bigint,
    p_leg_entries integer[],
    p_leg_accounts bigint[],
    p_leg_amounts bigint[],
    p_shards integer DEFAULT 16
) RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamptz := now();
    v_n integer := coalesce(array_length(p_kinds, 1), 0);
    v_ids bigint[];
    v_bad record;
BEGIN
    IF v_n = 0 THEN
        RETURN '{}';
    END IF;
    PERFORM pg_current_xact_id();
    IF coalesce(array_length(p_descriptions, 1), 0) <> v_n
       OR coalesce(array_length(p_reference_types, 1), 0) <> v_n
       OR coalesce(array_length(p_reference_ids, 1), 0) <> v_n
       OR jsonb_typeof(p_metadata) IS DISTINCT FROM 'array'
       OR jsonb_array_length(p_metadata) <> v_n
       OR array_length(p_leg_accounts, 1) IS DISTINCT FROM array_length(p_leg_entries, 1)
       OR array_length(p_leg_amounts, 1) IS DISTINCT FROM array_length(p_leg_entries, 1)
    THEN
        RAISE EXCEPTION 'one value per entry and one account and amount per leg'
            USING ERRCODE = 'P0A01';
    END IF;

    -- With the range check below, n distinct entry numbers means every entry has legs.
    IF (SELECT count(DISTINCT e) FROM unnest(p_leg_entries) AS e) <> v_n THEN
        RAISE EXCEPTION 'an entry needs two or more legs' USING ERRCODE = 'P0A01';
    END IF;
    SELECT e, count(*) AS legs, count(DISTINCT a) AS accounts,
           count(*) FILTER (WHERE m IS NULL OR m = 0) AS zero, sum(m) AS total
      INTO v_bad
      FROM unnest(p_leg_entries, p_leg_accounts, p_leg_amounts) AS l(e, a, m) GROUP BY e
    HAVING count(*) < 2 OR count(DISTINCT a) <> count(*)
        OR count(*) FILTER (WHERE m IS NULL OR m = 0) > 0 OR sum(m) <> 0
        OR e < 1 OR e > v_n
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION
            'entry % is malformed: two or more distinct nonzero legs summing to zero',
            v_bad.e USING ERRCODE = 'P0A01';
    END IF;
    SELECT l.a, acc.kind, acc.state, l.m INTO v_bad
      FROM unnest(p_leg_entries, p_leg_accounts, p_leg_amounts) AS l(e, a, m)
      LEFT JOIN accounts_account acc ON acc.id = l.a
     WHERE acc.id IS NULL OR (acc.kind = 'customer' AND l.m < 0) OR acc.state = 'closed'
        OR (acc.kind = 'customer' AND acc.state = 'blocked')
     LIMIT 1;
    IF FOUND THEN
        IF v_bad.kind IS NULL THEN
            RAISE EXCEPTION 'account % does not exist', v_bad.a USING ERRCODE = 'P0A04';
        ELSIF v_bad.kind = 'customer' AND v_bad.m < 0 THEN
            RAISE EXCEPTION 'account % would be debited: post debits with athena_post_entry',
                v_bad.a USING ERRCODE = 'P0A01';
        END IF;
        RAISE EXCEPTION 'account % is %', v_bad.a, v_bad.state USING ERRCODE = 'P0A09';
    END IF;

    v_ids := ARRAY(
        SELECT nextval(pg_get_serial_sequence('accounts_journalentry', 'id'))
          FROM generate_series(1, v_n) ORDER BY 1
    );
    INSERT INTO accounts_journalentry
        (id, kind, description, reference_type, reference_id, reverses_id, metadata,
         created_at, created_by_id)
    SELECT v_ids[e.n], e.kind, coalesce(e.description, ''), coalesce(e.rtype, ''),
           coalesce(e.rid, ''), NULL, coalesce(p_metadata -> (e.n::integer - 1), '{}'::jsonb),
           v_now,
           p_created_by
      FROM unnest(p_kinds, p_descriptions, p_reference_types, p_reference_ids)
           WITH ORDINALITY AS e(kind, description, rtype, rid, n);

    INSERT INTO accounts_posting (entry_id, account_id, amount, kind, created_at)
    SELECT v_ids[l.e], l.a, l.m, p_kinds[l.e], v_now
      FROM unnest(p_leg_entries, p_leg_accounts, p_leg_amounts) AS l(e, a, m) ORDER BY l.e, l.a;

    -- One shard row per account for the whole batch (a random one, as a single credit takes).
    INSERT INTO accounts_balanceshard AS s (account_id, shard, amount)
    SELECT l.a, floor(random() * p_shards)::integer, sum(l.m)
      FROM unnest(p_leg_entries, p_leg_accounts, p_leg_amounts) AS l(e, a, m) GROUP BY l.a HAVING sum(l.m) <> 0
    ON CONFLICT (account_id, shard) DO UPDATE SET amount = s.amount + EXCLUDED.amount;

    INSERT INTO core_outboxmessage
        (topic, payload, created_at, available_at, attempts, last_error)
    SELECT 'ledger.balance_changed',
           jsonb_build_object('entry_id', v_ids[l.e], 'kind', p_kinds[l.e],
                              'accounts', jsonb_agg(l.a ORDER BY l.a)),
           v_now, v_now, 0, ''
      FROM unnest(p_leg_entries, p_leg_accounts, p_leg_amounts) AS l(e, a, m)
      JOIN accounts_account acc ON acc.id = l.a
     WHERE acc.kind = 'customer'
     GROUP BY l.e ORDER BY l.e;

    RETURN v_ids;
END;
$$;
"""

REVERSE = """
DROP FUNCTION IF EXISTS athena_post_credits(
    text[], text[], text[], text[], jsonb, bigint, integer[], bigint[], bigint[], integer);
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_money_gate_sql")]

    operations = [migrations.RunSQL(POST_CREDITS, REVERSE)]
