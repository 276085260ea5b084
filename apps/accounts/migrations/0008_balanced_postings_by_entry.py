"""The statement-level balance check on postings looks each new entry up by its index.

Migration 0004's check joined the statement's new postings to `accounts_posting` with an
IN (subquery): over a transition table the planner has no statistics for, a batch of
thousands of entries (athena_post_credits, migration 0007) got a hash join scanning every
posting ever written. The check is the same (every entry a statement touched sums to
zero, old entries included, so postings cannot be slipped into one); it now sums each
touched entry through the entry_id index, which costs the same for one entry and grows
with the batch, not with the ledger.
"""

from django.db import migrations

CHECK = r"""
CREATE OR REPLACE FUNCTION athena_check_postings_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_entry bigint;
    v_sum numeric;
BEGIN
    SELECT n.entry_id, t.total INTO v_entry, v_sum
      FROM (SELECT DISTINCT entry_id FROM new_postings) AS n
      CROSS JOIN LATERAL (
            SELECT sum(p.amount) AS total FROM accounts_posting p WHERE p.entry_id = n.entry_id
      ) AS t
     WHERE t.total <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % is unbalanced: its postings sum to %', v_entry, v_sum
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
"""

PREVIOUS = r"""
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
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_post_credits_sql")]

    operations = [migrations.RunSQL(CHECK, PREVIOUS)]
