"""The ledger's invariants and its posting function, in PostgreSQL.

- athena_post_entry(): the only writer of postings and balances (called by
  apps/accounts/ledger.py, whose docstring explains the design). One statement does the
  whole movement, so the rows it locks are held for one round trip plus the commit.
- athena_fold_shards(): moves an account's shard amounts into its row (under the row lock);
  debits and holds call it so the row alone carries the balance they check.
- Balanced entries: a deferred constraint trigger checks, at commit, that each new entry's
  postings sum to zero and number two or more; a statement-level trigger refuses, at once,
  any INSERT of postings that leaves an entry unbalanced (so postings cannot be slipped
  into an old entry either). Both run once per entry, not once per posting.
- Postings and entries are immutable; accounts cannot be deleted (postings reference them).
- The CHECK constraint on accounts (migration 0003) refuses a customer balance below its
  overdraft (holds included), raw SQL included.
- athena_checkpoint_balances(): advances the statement watermark and writes balance
  checkpoints (see statements.py).

Error codes raised by the function (class P0, "PL/pgSQL raise"), mapped to domain errors in
ledger.py: P0A01 malformed entry, P0A02 insufficient funds, P0A04 unknown account,
P0A09 account not in a state that allows the movement.
"""

from django.db import migrations

FOLD = r"""
CREATE OR REPLACE FUNCTION athena_fold_shards(p_account bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- Row first, then its shards in id order: the one order in which every writer takes
    -- an account's rows (debits fold the same way; a credit takes a single shard only).
    PERFORM 1 FROM accounts_account WHERE id = p_account FOR NO KEY UPDATE;
    -- RETURNING gives the new value (0), so the amounts come from the locked old rows;
    -- exactly what was zeroed is added, so a credit committing meanwhile is either folded
    -- (we waited for its shard) or left in its shard for the next fold.
    WITH moved AS (
        UPDATE accounts_balanceshard s SET amount = 0
          FROM (SELECT id, amount FROM accounts_balanceshard
                 WHERE account_id = p_account AND amount <> 0
                 ORDER BY id FOR UPDATE) AS old
         WHERE s.id = old.id
        RETURNING old.amount
    )
    UPDATE accounts_account
       SET balance = balance + (SELECT sum(amount) FROM moved)
     WHERE id = p_account AND EXISTS (SELECT 1 FROM moved);
END;
$$;
"""

POST_ENTRY = r"""
CREATE OR REPLACE FUNCTION athena_post_entry(
    p_kind text,
    p_description text,
    p_reference_type text,
    p_reference_id text,
    p_created_by bigint,
    p_reverses bigint,
    p_metadata jsonb,
    p_accounts bigint[],
    p_amounts bigint[],
    p_shards integer DEFAULT 16
) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamptz := now();
    v_entry bigint;
    v_legs integer := coalesce(array_length(p_accounts, 1), 0);
    v_distinct integer;
    v_zero integer;
    v_sum numeric;
    v_leg record;
    v_customers bigint[] := '{}';
BEGIN
    -- Take a transaction id before any posting id is drawn from its sequence: the statement
    -- watermark relies on "every id handed out belongs to a transaction with an xid".
    PERFORM pg_current_xact_id();

    SELECT count(DISTINCT t.a), count(*) FILTER (WHERE t.m IS NULL OR t.m = 0), sum(t.m)
      INTO v_distinct, v_zero, v_sum
      FROM unnest(p_accounts, p_amounts) AS t(a, m);
    IF v_legs < 2 OR v_legs <> coalesce(array_length(p_amounts, 1), 0) THEN
        RAISE EXCEPTION 'an entry needs two or more legs, one amount per account'
            USING ERRCODE = 'P0A01';
    ELSIF v_distinct <> v_legs THEN
        RAISE EXCEPTION 'an account appears twice in one entry' USING ERRCODE = 'P0A01';
    ELSIF v_zero > 0 THEN
        RAISE EXCEPTION 'every leg needs a nonzero amount' USING ERRCODE = 'P0A01';
    ELSIF v_sum <> 0 THEN
        RAISE EXCEPTION 'the legs of an entry must sum to zero' USING ERRCODE = 'P0A01';
    END IF;

    -- Legs in account id order: the fixed lock order that rules out deadlocks.
    FOR v_leg IN
        SELECT t.a AS account_id, t.m AS amount, acc.kind, acc.state
          FROM unnest(p_accounts, p_amounts) AS t(a, m)
          LEFT JOIN accounts_account AS acc ON acc.id = t.a
         ORDER BY t.a
    LOOP
        IF v_leg.kind IS NULL THEN
            RAISE EXCEPTION 'account % does not exist', v_leg.account_id
                USING ERRCODE = 'P0A04';
        END IF;

        IF v_leg.kind = 'customer' AND v_leg.amount < 0 THEN
            -- A customer debit: lock the row, then fold the shards into it, and one
            -- conditional UPDATE is both the check and the move. When the check fails the
            -- function raises, which undoes the fold too. Row first, shards second: the
            -- order athena_fold_shards uses too.
            PERFORM 1 FROM accounts_account WHERE id = v_leg.account_id FOR NO KEY UPDATE;
            WITH moved AS (
                UPDATE accounts_balanceshard s SET amount = 0
                  FROM (SELECT id, amount FROM accounts_balanceshard
                         WHERE account_id = v_leg.account_id AND amount <> 0
                         ORDER BY id FOR UPDATE) AS old
                 WHERE s.id = old.id
                RETURNING old.amount
            ), folded AS (
                SELECT coalesce(sum(amount), 0) AS total FROM moved
            )
            UPDATE accounts_account AS acc
               SET balance = acc.balance + folded.total + v_leg.amount
              FROM folded
             WHERE acc.id = v_leg.account_id AND acc.state = 'active'
               AND acc.balance + folded.total - acc.held + v_leg.amount
                   >= -acc.overdraft_limit;
            IF NOT FOUND THEN
                IF v_leg.state = 'active' THEN
                    RAISE EXCEPTION 'insufficient funds in account %', v_leg.account_id
                        USING ERRCODE = 'P0A02';
                END IF;
                RAISE EXCEPTION 'account % is %', v_leg.account_id,
                    replace(v_leg.state, '_', ' ') USING ERRCODE = 'P0A09';
            END IF;
        ELSE
            -- A credit, or any movement of an internal account (which has no floor): add
            -- to a random shard; the account row itself is not locked.
            IF v_leg.state = 'closed' OR (v_leg.kind = 'customer' AND v_leg.state = 'blocked')
            THEN
                RAISE EXCEPTION 'account % is %', v_leg.account_id, v_leg.state
                    USING ERRCODE = 'P0A09';
            END IF;
            INSERT INTO accounts_balanceshard AS s (account_id, shard, amount)
            VALUES (v_leg.account_id, floor(random() * p_shards)::integer, v_leg.amount)
            ON CONFLICT (account_id, shard)
            DO UPDATE SET amount = s.amount + EXCLUDED.amount;
        END IF;
        IF v_leg.kind = 'customer' THEN
            v_customers := v_customers || v_leg.account_id;
        END IF;
    END LOOP;

    INSERT INTO accounts_journalentry
        (kind, description, reference_type, reference_id, reverses_id, metadata, created_at,
         created_by_id)
    VALUES (p_kind, coalesce(p_description, ''), coalesce(p_reference_type, ''),
            coalesce(p_reference_id, ''), p_reverses, coalesce(p_metadata, '{}'::jsonb), v_now,
            p_created_by)
    RETURNING id INTO v_entry;

    INSERT INTO accounts_posting (entry_id, account_id, amount, kind, created_at)
    SELECT v_entry, t.a, t.m, p_kind, v_now
      FROM unnest(p_accounts, p_amounts) AS t(a, m);

    IF array_length(v_customers, 1) > 0 THEN
        INSERT INTO core_outboxmessage
            (topic, payload, created_at, available_at, attempts, last_error)
        VALUES ('ledger.balance_changed',
                jsonb_build_object('entry_id', v_entry, 'kind', p_kind,
                                   'accounts', to_jsonb(v_customers)),
                v_now, v_now, 0, '');
    END IF;
    RETURN v_entry;
END;
$$;
"""

BALANCED = r"""
CREATE OR REPLACE FUNCTION athena_check_entry_complete() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_sum numeric;
    v_count integer;
BEGIN
    SELECT coalesce(sum(amount), 0), count(*) INTO v_sum, v_count
      FROM accounts_posting WHERE entry_id = NEW.id;
    IF v_sum <> 0 OR v_count < 2 THEN
        RAISE EXCEPTION 'journal entry % is unbalanced: % posting(s) summing to %',
            NEW.id, v_count, v_sum USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER accounts_journalentry_balanced
AFTER INSERT ON accounts_journalentry
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION athena_check_entry_complete();

CREATE OR REPLACE FUNCTION athena_check_postings_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_entry bigint;
    v_sum numeric;
BEGIN
    SELECT p.entry_id, sum(p.amount) INTO v_entry, v_sum
      FROM accounts_posting p
     WHERE p.entry_id IN (SELECT DISTINCT entry_id FROM new_postings)
     GROUP BY p.entry_id
    HAVING sum(p.amount) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % is unbalanced: its postings sum to %', v_entry, v_sum
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER accounts_posting_balanced
AFTER INSERT ON accounts_posting
REFERENCING NEW TABLE AS new_postings
FOR EACH STATEMENT EXECUTE FUNCTION athena_check_postings_balanced();

CREATE TRIGGER accounts_posting_immutable
BEFORE UPDATE OR DELETE ON accounts_posting
FOR EACH ROW EXECUTE FUNCTION athena_forbid_mutation();

CREATE TRIGGER accounts_journalentry_immutable
BEFORE UPDATE OR DELETE ON accounts_journalentry
FOR EACH ROW EXECUTE FUNCTION athena_forbid_mutation();

CREATE TRIGGER accounts_account_no_delete
BEFORE DELETE ON accounts_account
FOR EACH ROW EXECUTE FUNCTION athena_forbid_mutation();
"""

CHECKPOINT = r"""
CREATE OR REPLACE FUNCTION athena_checkpoint_balances() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_mark accounts_statementwatermark%ROWTYPE;
    v_last bigint;
BEGIN
    INSERT INTO accounts_statementwatermark (id, final_upto)
    VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
    SELECT * INTO v_mark FROM accounts_statementwatermark WHERE id = 1 FOR UPDATE;

    -- Promote the pending mark once every transaction that was running when it was taken
    -- has ended: then no posting at or below it can still appear.
    IF v_mark.pending_upto IS NOT NULL
       AND v_mark.pending_upto > v_mark.final_upto
       AND pg_snapshot_xmin(pg_current_snapshot())::text::bigint >= v_mark.pending_xmax THEN
        INSERT INTO accounts_balancecheckpoint (account_id, upto_posting_id, balance)
        SELECT p.account_id, max(p.id), coalesce(prev.balance, 0) + sum(p.amount)
          FROM accounts_posting p
          LEFT JOIN LATERAL (
                SELECT c.balance FROM accounts_balancecheckpoint c
                 WHERE c.account_id = p.account_id
                 ORDER BY c.upto_posting_id DESC LIMIT 1) prev ON true
         WHERE p.id > v_mark.final_upto AND p.id <= v_mark.pending_upto
         GROUP BY p.account_id, prev.balance;
        v_mark.final_upto := v_mark.pending_upto;
    END IF;

    SELECT last_value INTO v_last FROM accounts_posting_id_seq;
    UPDATE accounts_statementwatermark
       SET final_upto = v_mark.final_upto,
           pending_upto = v_last,
           pending_xmax = pg_snapshot_xmax(pg_current_snapshot())::text::bigint
     WHERE id = 1;
    RETURN v_mark.final_upto;
END;
$$;
"""

REVERSE = """
DROP TRIGGER IF EXISTS accounts_account_no_delete ON accounts_account;
DROP TRIGGER IF EXISTS accounts_journalentry_immutable ON accounts_journalentry;
DROP TRIGGER IF EXISTS accounts_posting_immutable ON accounts_posting;
DROP TRIGGER IF EXISTS accounts_posting_balanced ON accounts_posting;
DROP TRIGGER IF EXISTS accounts_journalentry_balanced ON accounts_journalentry;
DROP FUNCTION IF EXISTS athena_check_postings_balanced();
DROP FUNCTION IF EXISTS athena_check_entry_complete();
DROP FUNCTION IF EXISTS athena_checkpoint_balances();
DROP FUNCTION IF EXISTS athena_post_entry(
    text, text, text, text, bigint, bigint, jsonb, bigint[], bigint[], integer);
DROP FUNCTION IF EXISTS athena_fold_shards(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_ledger"),
        ("core", "0002_append_only_audit"),
    ]

    operations = [
        migrations.RunSQL(FOLD + POST_ENTRY + BALANCED + CHECKPOINT, REVERSE),
    ]
