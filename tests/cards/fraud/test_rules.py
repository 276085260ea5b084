"""The rules as pure functions: each fires with its parameters and leaves a reason made of
codes and numbers; parameters are validated per kind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from apps.cards.fraud import countries, rules
from apps.cards.fraud.rules import Context

NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)


def ctx(**fields) -> Context:
    values = {
        "now": NOW,
        "amount_cents": 5_000,
        "mcc": "5411",
        "card_present": True,
        "country": "076",
        "device_id": "",
        "hour_local": 12.0,
        "history_count": 20,
        "history_median": 5_000.0,
        "history_p95": 9_000.0,
        **fields,
    }
    return Context(**values)


def rule(code: str, **params) -> list[dict]:
    base = next(r for r in rules.DEFAULT_RULES if r["code"] == code)
    merged = {**base["params"], **params}
    return [{**base, "enabled": True, "params": rules.validate_params(base["kind"], merged)}]


def test_nothing_fires_on_an_ordinary_purchase():
    everything = [
        {**r, "enabled": True, "params": rules.validate_params(r["kind"], r["params"])}
        for r in rules.DEFAULT_RULES
    ]
    assert rules.evaluate(ctx(), everything, anomaly=0.5) == (0.0, [])


def test_velocity_counts_the_request_itself():
    chosen = rule("velocity_10m", max_count=3)
    assert rules.evaluate(ctx(velocity={(10, True): 2}), chosen)[1] == []
    score, reasons = rules.evaluate(ctx(velocity={(10, True): 3}), chosen)
    assert score == 0.6
    assert reasons == [
        {
            "code": "velocity",
            "rule": "velocity_10m",
            "points": 0.6,
            "params": {"count": 4, "max_count": 3, "minutes": 10},
        }
    ]


def test_amount_against_the_history_with_a_minimum_history():
    chosen = rule("amount_history", multiplier=3.0, statistic="median", min_history=5)
    big = ctx(amount_cents=20_000, history_median=5_000.0)
    score, reasons = rules.evaluate(big, chosen)
    assert score == 0.45
    assert reasons[0]["params"] == {
        "amount": 20_000,
        "statistic": "median",
        "reference": 5_000,
        "multiplier": 3.0,
        "days": 90,
    }
    assert rules.evaluate(ctx(amount_cents=14_000), chosen)[1] == []  # under 3 x median
    assert rules.evaluate(ctx(amount_cents=20_000, history_count=4), chosen)[1] == []
    # the p95 variant judges against the card's 95th percentile
    p95 = rule("amount_history", statistic="p95", multiplier=2.0)
    assert rules.evaluate(ctx(amount_cents=20_000, history_p95=9_000.0), p95)[1]
    assert not rules.evaluate(ctx(amount_cents=20_000, history_p95=11_000.0), p95)[1]


def test_mcc_risk_weighs_each_mcc():
    chosen = rule("mcc_risk", mccs={"7995": 1.0, "5816": 0.5})
    assert rules.evaluate(ctx(mcc="7995"), chosen)[0] == 0.5
    score, reasons = rules.evaluate(ctx(mcc="5816"), chosen)
    assert score == 0.25 and reasons[0]["params"] == {"mcc": "5816", "mcc_weight": 0.5}
    assert rules.evaluate(ctx(mcc="5411"), chosen)[1] == []


def test_card_not_present_from_a_new_device_or_country():
    device = rule("cnp_new_device")
    online = {"card_present": False, "device_id": "phone-2"}
    assert rules.evaluate(ctx(**online, device_known=False), device)[1][0]["code"] == (
        "cnp_new_device"
    )
    assert rules.evaluate(ctx(**online, device_known=True), device)[1] == []
    assert rules.evaluate(ctx(device_known=False), device)[1] == []  # card present
    assert rules.evaluate(ctx(**online, device_known=False, history_count=1), device)[1] == []
    country = rule("cnp_new_country")
    _, reasons = rules.evaluate(ctx(**online, country="840", country_known=False), country)
    assert reasons[0]["params"] == {"country": "840"}
    assert rules.evaluate(ctx(**online, country="840", country_known=True), country)[1] == []


def test_impossible_travel_by_country_centres():
    chosen = rule("impossible_travel")
    one_hour_ago = NOW - dt.timedelta(hours=1)
    score, reasons = rules.evaluate(
        ctx(country="840", last_present_country="076", last_present_at=one_hour_ago), chosen
    )
    assert score == 0.7
    assert reasons[0]["params"]["from_country"] == "076"
    assert reasons[0]["params"]["distance_km"] > 6000
    # a day later the same trip is possible; a neighbour is never too far (the slack)
    assert not rules.evaluate(
        ctx(
            country="840", last_present_country="076", last_present_at=NOW - dt.timedelta(hours=20)
        ),
        chosen,
    )[1]
    assert not rules.evaluate(
        ctx(country="600", last_present_country="076", last_present_at=one_hour_ago), chosen
    )[1]
    # unknown country: no guess
    assert not rules.evaluate(
        ctx(country="999", last_present_country="076", last_present_at=one_hour_ago), chosen
    )[1]


def test_anomaly_model_rule_scales_above_its_floor():
    chosen = rule("anomaly_model", floor=0.9)
    assert rules.evaluate(ctx(), chosen, anomaly=0.85)[1] == []
    score, reasons = rules.evaluate(ctx(), chosen, anomaly=0.95)
    assert score == pytest.approx(0.2, abs=1e-3)
    assert reasons[0]["params"] == {"anomaly": 0.95, "floor": 0.9}


def test_rules_combine_as_a_noisy_or():
    chosen = rule("cnp_new_device") + rule("cnp_new_country")
    score, reasons = rules.evaluate(
        ctx(
            card_present=False,
            device_id="x",
            device_known=False,
            country="840",
            country_known=False,
        ),
        chosen,
    )
    assert score == pytest.approx(1 - 0.65 * 0.55, abs=1e-4)
    assert [r["code"] for r in reasons] == ["cnp_new_country", "cnp_new_device"]


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("velocity", {"max_count": 0, "minutes": 10, "include_declined": True}, "max_count"),
        ("velocity", {"max_count": 5, "minutes": 10}, "include_declined"),
        ("velocity", {"max_count": 5, "minutes": 10, "include_declined": 1}, "include_declined"),
        ("mcc_risk", {"mccs": {"79": 1.0}}, "79"),
        ("mcc_risk", {"mccs": {"7995": 2}}, "7995"),
        ("amount_history", {"multiplier": 3, "statistic": "mean", "days": 90, "min_history": 5,
                            "min_amount_cents": 0}, "statistic"),
        ("impossible_travel", {"max_speed_kmh": 900, "distance_slack_km": 0, "hours": 24,
                               "extra": 1}, "extra"),
    ],
)  # fmt: skip
def test_parameters_are_validated_per_kind(kind, params, message):
    with pytest.raises(ValidationError) as err:
        rules.validate_params(kind, params)
    assert message in " ".join(err.value.messages)


def test_reasons_render_in_the_readers_language():
    reason = {
        "code": "velocity",
        "rule": "velocity_10m",
        "points": 0.6,
        "params": {"count": 6, "max_count": 5, "minutes": 10},
    }
    with translation.override("en"):
        assert rules.render_reason(reason) == "6 authorizations in 10 minutes (limit 5) [+0.6]"
    unknown = {"code": "something_new", "params": {}}
    assert rules.render_reason(unknown).startswith("something_new")
    assert rules.render_reason("legacy_code") == "legacy_code"


def test_country_codes_and_distances():
    assert countries.normalize("BR") == countries.normalize("BRA") == "076"
    assert countries.normalize("76") == "076"
    assert countries.normalize("") == "076"
    assert countries.distance_km("BRA", "076") == 0.0
    assert 7000 < countries.distance_km("076", "PT") < 8000
    assert countries.distance_km("076", "XYZ") is None
