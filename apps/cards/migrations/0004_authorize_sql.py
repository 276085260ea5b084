"""The card authorization's two database calls (apps/cards/services/authorize.py).

An authorization is decided by Python (the card's checks, the CVV2 and PIN, the controls,
the fraud engine, the money gate's rules) between two calls, each one round trip:

- athena_card_auth_load(): locks the card by its PAN hash (every request of a card is
  decided one after the other), finds a replay (same card, MTI, DE 11, DE 37, terminal),
  and otherwise reads the money gate (`athena_money_gate`: locks the account, then its
  debits of the day and the month) and, after both locks, the card's spending of the day
  and the account's open holds of the day, and the fraud engine's reading of the card
  (athena_card_fraud_stats: history per window, velocity counts, known country and device,
  the last card-present purchase). A VOLATILE function takes a fresh snapshot per query, so
  the sums see every authorization that held the locks before us.
- athena_card_auth_record(): the decision's row, and for an approval the hold
  (`athena_hold_place` of the accounts app, which owns holds): not enough available turns
  the approval into 51, an account no longer active into 62, and the row says so. The
  row's id is drawn first, so the hold names it and the row is written once. An approval
  the fraud engine doubted opens its review (the compliance queue's item) in the same call,
  with its first history row, as django-simple-history would write it.

Lock order: card, then account (the gate, then the hold), as the ORM version took them.
"""

from django.db import migrations

FRAUD_STATS = r"""
CREATE OR REPLACE FUNCTION athena_card_fraud_stats(
    p_card bigint,
    p_now timestamptz,
    p_history_days integer[],
    p_vel_minutes integer[],
    p_vel_declined boolean[],
    p_country text,
    p_device text,
    p_travel_hours integer,
    OUT hist_n bigint[],
    OUT hist_med double precision[],
    OUT hist_p95 double precision[],
    OUT hist_log_mean double precision[],
    OUT hist_log_std double precision[],
    OUT velocity bigint[],
    OUT known_country boolean,
    OUT known_device boolean,
    OUT last_country text,
    OUT last_at timestamptz
)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_days integer;
    v_n bigint;
    v_pct double precision[];
    v_mean double precision;
    v_std double precision;
BEGIN
    hist_n := '{}'; hist_med := '{}'; hist_p95 := '{}'; hist_log_mean := '{}';
    hist_log_std := '{}';
    -- The card's history per window: its approved, captured or expired purchases, except
    -- those sent to review that neither the customer nor an officer cleared.
    FOREACH v_days IN ARRAY p_history_days LOOP
        -- Both percentiles from one sort.
        SELECT count(*),
               percentile_cont(ARRAY[0.5, 0.95]::double precision[])
                   WITHIN GROUP (ORDER BY a.amount),
               avg(ln(a.amount)),
               stddev_pop(ln(a.amount))
          INTO v_n, v_pct, v_mean, v_std
          FROM cards_authorization AS a
          LEFT JOIN cards_fraudreview AS r ON r.authorization_id = a.id
         WHERE a.card_id = p_card AND a.created_at >= p_now - make_interval(days => v_days)
           AND a.reversal_of_id IS NULL AND a.mti NOT LIKE '04%'
           AND a.state IN ('approved', 'captured', 'expired')
           AND (r.id IS NULL OR a.customer_confirmed OR r.state = 'legitimate');
        hist_n := hist_n || v_n;
        hist_med := hist_med || v_pct[1];
        hist_p95 := hist_p95 || v_pct[2];
        hist_log_mean := hist_log_mean || v_mean;
        hist_log_std := hist_log_std || v_std;
    END LOOP;
    -- Velocity: requests (declined too, or not) per window.
    SELECT coalesce(array_agg(v.n ORDER BY w.ord), '{}') INTO velocity
      FROM unnest(p_vel_minutes, p_vel_declined) WITH ORDINALITY AS w(minutes, declined, ord)
      CROSS JOIN LATERAL (
          SELECT count(*) AS n FROM cards_authorization AS a
           WHERE a.card_id = p_card
             AND a.created_at >= p_now - make_interval(mins => w.minutes)
             AND a.reversal_of_id IS NULL AND a.mti NOT LIKE '04%'
             AND (w.declined OR a.state <> 'declined')) AS v;
    IF p_country <> '' THEN
        known_country := EXISTS (SELECT 1 FROM cards_cardknownattribute AS k
                                  WHERE k.card_id = p_card AND k.kind = 'country'
                                    AND k.value = p_country);
    END IF;
    IF p_device <> '' THEN
        known_device := EXISTS (SELECT 1 FROM cards_cardknownattribute AS k
                                 WHERE k.card_id = p_card AND k.kind = 'device'
                                   AND k.value = p_device);
    END IF;
    -- Impossible travel: the last card-present purchase within the window.
    IF p_travel_hours > 0 THEN
        SELECT p.country, p.created_at INTO last_country, last_at
          FROM cards_authorization AS p
         WHERE p.card_id = p_card AND p.card_present AND p.reversal_of_id IS NULL
           AND p.mti NOT LIKE '04%' AND p.state IN ('approved', 'captured', 'expired')
           AND p.created_at >= p_now - make_interval(hours => p_travel_hours)
           AND p.created_at <= p_now
         ORDER BY p.created_at DESC
         LIMIT 1;
    END IF;
END;
$$;
"""

LOAD = r"""
CREATE OR REPLACE FUNCTION athena_card_auth_load(
    p_pan_hash text,
    p_mti text,
    p_stan text,
    p_rrn text,
    p_terminal text,
    p_day timestamptz,
    p_month timestamptz,
    p_kinds text[],
    p_now timestamptz,
    p_history_days integer[],
    p_vel_minutes integer[],
    p_vel_declined boolean[],
    p_country text,
    p_device text,
    p_travel_hours integer,
    OUT r_card bigint,
    OUT r_state text,
    OUT r_expiry text,
    OUT r_account bigint,
    OUT r_customer bigint,
    OUT r_bin text,
    OUT r_last4 text,
    OUT r_pin_hash text,
    OUT r_pin_attempts integer,
    OUT r_per_purchase_limit bigint,
    OUT r_daily_limit bigint,
    OUT r_blocked_mcc_groups jsonb,
    OUT r_online boolean,
    OUT r_contactless boolean,
    OUT r_abroad boolean,
    OUT r_replay bigint,
    OUT r_replay_code text,
    OUT r_replay_auth_code text,
    OUT r_card_spent_today bigint,
    OUT r_account_holds_today bigint,
    OUT r_account_state text,
    OUT r_customer_state text,
    OUT r_kyc_level integer,
    OUT r_sent_today bigint,
    OUT r_sent_month bigint,
    OUT r_hist_n bigint[],
    OUT r_hist_med double precision[],
    OUT r_hist_p95 double precision[],
    OUT r_hist_log_mean double precision[],
    OUT r_hist_log_std double precision[],
    OUT r_velocity bigint[],
    OUT r_known_country boolean,
    OUT r_known_device boolean,
    OUT r_last_country text,
    OUT r_last_at timestamptz
)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    SELECT c.id, c.state, c.expiry, c.account_id, c.customer_id, c.bin, c.last4, c.pin_hash,
           c.pin_attempts, c.per_purchase_limit, c.daily_limit, c.blocked_mcc_groups,
           c.online_enabled, c.contactless_enabled, c.abroad_enabled
      INTO r_card, r_state, r_expiry, r_account, r_customer, r_bin, r_last4, r_pin_hash,
           r_pin_attempts, r_per_purchase_limit, r_daily_limit, r_blocked_mcc_groups,
           r_online, r_contactless, r_abroad
      FROM cards_card AS c
     WHERE c.pan_hash = p_pan_hash
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;  -- r_card NULL: not our card
    END IF;
    SELECT a.id, a.response_code, a.auth_code
      INTO r_replay, r_replay_code, r_replay_auth_code
      FROM cards_authorization AS a
     WHERE a.card_id = r_card AND a.mti = p_mti AND a.stan = p_stan AND a.rrn = p_rrn
       AND a.terminal_id = p_terminal;
    IF FOUND THEN
        RETURN;
    END IF;
    SELECT g.account_state, g.customer_state, g.kyc_level, g.sent_today, g.sent_month
      INTO r_account_state, r_customer_state, r_kyc_level, r_sent_today, r_sent_month
      FROM athena_money_gate(r_account, p_kinds, p_day, p_month) AS g;
    SELECT coalesce(sum(a.amount), 0)::bigint INTO r_card_spent_today
      FROM cards_authorization AS a
     WHERE a.card_id = r_card AND a.state IN ('approved', 'captured')
       AND a.created_at >= p_day AND a.reversal_of_id IS NULL;
    SELECT coalesce(sum(a.amount), 0)::bigint INTO r_account_holds_today
      FROM cards_authorization AS a
      JOIN cards_card AS c ON c.id = a.card_id
     WHERE c.account_id = r_account AND a.state = 'approved'
       AND a.created_at >= p_day AND a.reversal_of_id IS NULL;
    -- The fraud engine's reading of the card (only for a card that can buy, and only when
    -- the engine could say what it needs: p_history_days NULL means it could not).
    IF r_state = 'active' AND p_history_days IS NOT NULL THEN
        SELECT f.hist_n, f.hist_med, f.hist_p95, f.hist_log_mean, f.hist_log_std, f.velocity,
               f.known_country, f.known_device, f.last_country, f.last_at
          INTO r_hist_n, r_hist_med, r_hist_p95, r_hist_log_mean, r_hist_log_std, r_velocity,
               r_known_country, r_known_device, r_last_country, r_last_at
          FROM athena_card_fraud_stats(r_card, p_now, p_history_days, p_vel_minutes,
                                       p_vel_declined, p_country, p_device,
                                       p_travel_hours) AS f;
    END IF;
END;
$$;
"""

RECORD = r"""
CREATE OR REPLACE FUNCTION athena_card_auth_record(
    p_card bigint,
    p_account bigint,
    p_code text,
    p_auth_code text,
    p_channel text,
    p_mti text,
    p_stan text,
    p_rrn text,
    p_terminal text,
    p_merchant_id text,
    p_merchant_name text,
    p_mcc text,
    p_amount bigint,
    p_currency text,
    p_country text,
    p_entry_mode text,
    p_card_present boolean,
    p_contactless boolean,
    p_device text,
    p_fraud_score double precision,
    p_fraud_reasons jsonb,
    p_message jsonb,
    p_now timestamptz,
    p_hold_reason text,
    p_hold_expires timestamptz,
    p_review_due timestamptz,
    OUT r_id bigint,
    OUT r_code text,
    OUT r_auth_code text,
    OUT r_hold bigint
)
LANGUAGE plpgsql AS $$
DECLARE
    v_refusal text;
    v_review bigint;
BEGIN
    r_id := nextval(pg_get_serial_sequence('cards_authorization', 'id'));
    r_code := p_code;
    r_auth_code := p_auth_code;
    IF p_code = '00' THEN
        SELECT h.hold_id, h.refusal INTO r_hold, v_refusal
          FROM athena_hold_place(p_account, p_amount, p_hold_reason, p_hold_expires,
                                 'card_authorization', r_id::text, p_now, NULL) AS h;
        IF v_refusal IS NOT NULL THEN
            -- 51 insufficient funds; 62 restricted (the account is no longer active)
            r_code := CASE WHEN v_refusal = 'insufficient_funds' THEN '51' ELSE '62' END;
            r_auth_code := '';
        END IF;
    END IF;
    INSERT INTO cards_authorization (
        id, created_at, updated_at, card_id, channel, mti, stan, rrn, terminal_id,
        merchant_id, merchant_name, mcc, amount, currency, country, entry_mode, card_present,
        contactless, device_id, response_code, auth_code, state, hold_id, fraud_score,
        fraud_reasons, customer_confirmed, reversal_of_id, message)
    VALUES (
        r_id, p_now, p_now, p_card, p_channel, p_mti, p_stan, p_rrn, p_terminal,
        p_merchant_id, p_merchant_name, p_mcc, p_amount, p_currency, p_country, p_entry_mode,
        p_card_present, p_contactless, p_device, r_code, r_auth_code,
        CASE WHEN r_code = '00' THEN 'approved' ELSE 'declined' END, r_hold, p_fraud_score,
        p_fraud_reasons, false, NULL, p_message);
    IF r_code = '00' AND p_review_due IS NOT NULL THEN
        INSERT INTO cards_fraudreview (created_at, updated_at, authorization_id, state, due_at)
        VALUES (p_now, p_now, r_id, 'open', p_review_due)
        RETURNING id INTO v_review;
        INSERT INTO cards_historicalfraudreview (id, created_at, updated_at, authorization_id,
                                                 state, due_at, closed_at, closed_by_id,
                                                 history_date, history_change_reason,
                                                 history_type, history_user_id)
        VALUES (v_review, p_now, p_now, r_id, 'open', p_review_due, NULL, NULL, p_now, NULL,
                '+', NULL);
    END IF;
END;
$$;
"""

REVERSE = """
DROP FUNCTION IF EXISTS athena_card_auth_load(text, text, text, text, text, timestamptz,
    timestamptz, text[], timestamptz, integer[], integer[], boolean[], text, text, integer);
DROP FUNCTION IF EXISTS athena_card_fraud_stats(bigint, timestamptz, integer[], integer[],
    boolean[], text, text, integer);
DROP FUNCTION IF EXISTS athena_card_auth_record(bigint, bigint, text, text, text, text, text,
    text, text, text, text, text, bigint, text, text, text, boolean, boolean, text,
    double precision, jsonb, jsonb, timestamptz, text, timestamptz, timestamptz);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cards", "0003_fraud"),
        ("accounts", "0009_hold_place_sql"),
    ]

    operations = [migrations.RunSQL([FRAUD_STATS, LOAD, RECORD], REVERSE)]
