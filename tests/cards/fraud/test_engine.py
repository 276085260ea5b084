"""The engine inside authorize(): each rule fires on real authorizations with its
parameters and reasons, staff's edits change decisions, a high score answers 59 without a
hold, a middle one approves and opens a compliance-queue item, and "it was me" stops the
repeat alert."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from apps.cards import services
from apps.cards.fraud import FraudDecision, engine, feedback, rules
from apps.cards.fraud.models import CardKnownAttribute, FraudReview, FraudRule
from apps.cards.models import Authorization, Card
from apps.core.errors import NotFound
from apps.monitoring.selectors import compliance_queue
from tests.factories.ledger import balance_of
from tests.support.cards import cardholder, purchase

pytestmark = pytest.mark.django_db


def set_params(code: str, **params) -> None:
    rule = FraudRule.objects.get(code=code)
    rule.params = {**rule.params, **params}
    rule.full_clean()
    rule.save()


def set_weight(code: str, weight: float) -> None:
    FraudRule.objects.filter(code=code).update(weight=weight)


def online(issued, amount: int, device: str = "phone-1", **fields):
    return purchase(
        issued, amount, card_present=False, entry_mode="010", device_id=device, **fields
    )


def row(result) -> Authorization:
    return Authorization.objects.get(pk=result.authorization_id)


def codes(result) -> list[str]:
    return [r["code"] for r in row(result).fraud_reasons]


def test_velocity_fires_with_its_parameters_and_a_middle_score_opens_a_review(only_rules):
    only_rules("velocity_10m")
    set_params("velocity_10m", max_count=3)
    account, issued = cardholder(100_000)
    for _ in range(3):
        assert services.authorize(purchase(issued, 1_000)).response_code == "00"
    fourth = services.authorize(purchase(issued, 1_000))
    assert fourth.response_code == "00"  # 0.6: review, approved
    auth = row(fourth)
    assert auth.fraud_score == 0.6
    assert auth.fraud_reasons == [
        {
            "code": "velocity",
            "rule": "velocity_10m",
            "points": 0.6,
            "params": {"count": 4, "max_count": 3, "minutes": 10},
        }
    ]
    review = FraudReview.objects.get(authorization=auth)
    assert review.state == FraudReview.State.OPEN
    assert balance_of(account.pk) == (100_000, 100_000 - 4_000)  # the hold is placed
    items = compliance_queue(types=["card_fraud"])
    assert [(i.type, i.pk, i.risk) for i in items] == [("card_fraud", review.pk, 60)]
    assert issued.pan not in items[0].title and issued.card.last4 in items[0].title


def test_a_high_score_declines_59_without_a_hold(only_rules):
    only_rules("velocity_10m")
    set_params("velocity_10m", max_count=2)
    set_weight("velocity_10m", 0.9)
    account, issued = cardholder(100_000)
    for _ in range(2):
        services.authorize(purchase(issued, 1_000))
    third = services.authorize(purchase(issued, 1_000))
    assert third.response_code == "59" and not third.auth_code
    auth = row(third)
    assert auth.state == Authorization.State.DECLINED and auth.hold_id is None
    assert auth.fraud_score == 0.9 and codes(third) == ["velocity"]
    assert balance_of(account.pk) == (100_000, 100_000 - 2_000)
    assert not FraudReview.objects.filter(authorization=auth).exists()


def test_amount_history_and_staff_editing_the_rule_changes_the_decision(only_rules, admin_client):
    only_rules("amount_history")
    _, issued = cardholder(500_000)
    for _ in range(5):
        services.authorize(purchase(issued, 5_000))
    big = services.authorize(purchase(issued, 50_000))
    assert codes(big) == ["amount_history"]
    assert row(big).fraud_reasons[0]["params"] == {
        "amount": 50_000,
        "statistic": "p95",
        "reference": 5_000,
        "multiplier": 4.0,
        "days": 90,
    }
    # Staff raise the multiplier in the admin: the same purchase no longer fires.
    rule = FraudRule.objects.get(code="amount_history")
    url = reverse("admin:cards_fraudrule_change", args=[rule.pk])
    form = {
        "enabled": "on",
        "weight": "0.45",
        "params": '{"multiplier": 20, "statistic": "p95", "days": 90, "min_history": 5,'
        ' "min_amount_cents": 20000}',
    }
    assert admin_client.post(url, form).status_code == 302
    rule.refresh_from_db()
    assert rule.params["multiplier"] == 20.0
    assert rule.history.count() >= 1
    again = services.authorize(purchase(issued, 50_000))
    assert codes(again) == [] and row(again).fraud_score == 0.0
    # weight 0.9 with a low multiplier declines (the history now has the two R$ 500,00:
    # approved without doubt, they joined it)
    response = admin_client.post(
        url, {**form, "weight": "0.9", "params": form["params"].replace("20", "2", 1)}
    )
    assert response.status_code == 302
    assert services.authorize(purchase(issued, 200_000)).response_code == "59"


def test_the_admin_refuses_bad_parameters(admin_client):
    rule = FraudRule.objects.get(code="velocity_10m")
    url = reverse("admin:cards_fraudrule_change", args=[rule.pk])
    response = admin_client.post(
        url, {"enabled": "on", "weight": "0.6", "params": '{"max_count": -1, "minutes": 10}'}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "max_count" in body and "include_declined" in body
    rule.refresh_from_db()
    assert rule.params["max_count"] == 5
    response = admin_client.post(url, {"enabled": "on", "weight": "1.5", "params": "{}"})
    assert response.status_code == 200


def test_mcc_risk(only_rules):
    only_rules("mcc_risk")
    _, issued = cardholder(100_000)
    result = services.authorize(purchase(issued, 2_000, mcc="7995"))
    assert row(result).fraud_reasons[0]["params"] == {"mcc": "7995", "mcc_weight": 1.0}
    assert row(result).fraud_score == 0.5  # weight 0.5 x 1.0: review
    assert FraudReview.objects.count() == 1
    set_params("mcc_risk", mccs={"7995": 0.2})
    assert row(services.authorize(purchase(issued, 2_000, mcc="7995"))).fraud_score == 0.1


def test_card_not_present_new_device_and_new_country(only_rules):
    only_rules("cnp_new_device", "cnp_new_country")
    _, issued = cardholder(100_000)
    Card.objects.filter(pk=issued.card.pk).update(abroad_enabled=True)
    for _ in range(3):
        assert codes(services.authorize(online(issued, 1_000, "phone-1"))) in (
            [],
            ["cnp_new_device"],
        )
    assert codes(services.authorize(online(issued, 1_000, "phone-1"))) == []
    assert codes(services.authorize(online(issued, 1_000, "phone-2"))) == ["cnp_new_device"]
    abroad = services.authorize(online(issued, 1_000, "phone-1", country="840"))
    assert codes(abroad) == ["cnp_new_country"]
    assert row(abroad).fraud_reasons[0]["params"] == {"country": "840"}
    # card present in a new country: not this rule's business
    assert codes(services.authorize(purchase(issued, 1_000, country="826"))) == []


def test_impossible_travel(only_rules):
    only_rules("impossible_travel")
    _, issued = cardholder(100_000)
    Card.objects.filter(pk=issued.card.pk).update(abroad_enabled=True)
    home = services.authorize(purchase(issued, 1_000))
    Authorization.objects.filter(pk=home.authorization_id).update(
        created_at=timezone.now() - dt.timedelta(hours=2)
    )
    far = services.authorize(purchase(issued, 1_000, country="USA"))
    assert codes(far) == ["impossible_travel"]
    params = row(far).fraud_reasons[0]["params"]
    assert params["from_country"] == "076" and params["country"] == "840"
    assert 1.9 < params["hours"] < 2.1
    # online purchases do not travel
    assert codes(services.authorize(online(issued, 1_000, country="250"))) == []


def test_it_was_me_stops_the_repeat_alert(only_rules):
    only_rules("cnp_new_device", "cnp_new_country", "amount_history")
    set_weight("cnp_new_country", 0.3)  # all three: 1 - 0.65 x 0.7 x 0.55 = 0.75, a review
    account, issued = cardholder(500_000)
    Card.objects.filter(pk=issued.card.pk).update(abroad_enabled=True)
    for _ in range(5):
        services.authorize(online(issued, 5_000, "phone-1"))
    odd = services.authorize(online(issued, 60_000, "laptop-9", country="PT"))
    assert odd.response_code == "00"
    assert sorted(codes(odd)) == ["amount_history", "cnp_new_country", "cnp_new_device"]
    review = FraudReview.objects.get(authorization_id=odd.authorization_id)
    # someone else's customer cannot confirm it
    other, _ = cardholder(1_000, name="Joao Pereira")
    with pytest.raises(NotFound):
        feedback.authorization_confirm(
            customer=other.customer, authorization_id=odd.authorization_id
        )
    feedback.authorization_confirm(customer=account.customer, authorization_id=odd.authorization_id)
    feedback.authorization_confirm(customer=account.customer, authorization_id=odd.authorization_id)
    review.refresh_from_db()
    assert review.state == FraudReview.State.CONFIRMED and review.closed_at
    assert row(odd).customer_confirmed
    assert set(
        CardKnownAttribute.objects.filter(card=issued.card).values_list("kind", "value", "source")
    ) >= {("device", "laptop-9", "confirmed"), ("country", "620", "confirmed")}
    assert compliance_queue(types=["card_fraud"]) == []
    repeat = services.authorize(online(issued, 60_000, "laptop-9", country="PT"))
    assert repeat.response_code == "00" and codes(repeat) == []
    assert FraudReview.objects.count() == 1


def test_an_officer_closes_a_review_as_fraud_and_the_card_is_blocked(only_rules, admin_user):
    only_rules("mcc_risk")
    _, issued = cardholder(100_000)
    result = services.authorize(purchase(issued, 2_000, mcc="6051"))
    review = FraudReview.objects.get(authorization_id=result.authorization_id)
    feedback.review_close(review_id=review.pk, actor=admin_user, fraud=True, reason="chargeback")
    review.refresh_from_db()
    assert review.state == FraudReview.State.FRAUD and review.closed_by == admin_user
    assert Card.objects.get(pk=issued.card.pk).state == Card.State.BLOCKED
    with pytest.raises(feedback.ReviewClosed):
        feedback.review_close(review_id=review.pk, actor=admin_user, fraud=False)


def test_the_consoles_show_the_card_masked(only_rules, admin_client):
    only_rules("mcc_risk")
    _, issued = cardholder(100_000)
    result = services.authorize(purchase(issued, 2_000, mcc="7995"))
    review = FraudReview.objects.get(authorization_id=result.authorization_id)
    pages = [
        reverse("admin:cards_fraudrule_changelist"),
        reverse("admin:cards_frauddecisionrecord_changelist"),
        reverse("admin:cards_frauddecisionrecord_change", args=[result.authorization_id]),
        reverse("admin:cards_fraudreview_changelist"),
        reverse("admin:cards_fraudreview_change", args=[review.pk]),
        "/admin/monitoring/alert/queue/",
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert issued.pan not in body
    with translation.override("en"):
        expected = rules.render_reason(row(result).fraud_reasons[0])
    body = admin_client.get(pages[2], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert issued.card.masked_pan in body
    assert "7995" in body and (expected in body or "[+0.5]" in body)


def test_the_engine_reads_little(only_rules):
    _, issued = cardholder(100_000)
    card = Card.objects.get(pk=issued.card.pk)
    for request in (purchase(issued, 1_000), online(issued, 1_000, country="840")):
        with CaptureQueriesContext(connection) as queries:
            decision = engine.evaluate(card=card, request=request, now=timezone.now())
        assert isinstance(decision, FraudDecision)
        assert len(queries) <= 5, [q["sql"] for q in queries]


def test_a_broken_rule_fails_open_and_says_so(only_rules):
    only_rules("velocity_10m")
    FraudRule.objects.filter(code="velocity_10m").update(params={"minutes": "x"})
    _, issued = cardholder(100_000)
    result = services.authorize(purchase(issued, 1_000))
    assert result.response_code == "00" and codes(result) == ["engine_error"]


def test_the_authorization_reads_the_card_as_the_engine_alone_does():
    """The fraud stats read inside the authorization's first call (athena_card_auth_load)
    are the engine's own reading (athena_card_fraud_stats), for every rule's window."""
    import importlib

    authorize_module = importlib.import_module("apps.cards.services.authorize")
    _, issued = cardholder(500_000)
    for amount in (1_000, 2_500, 4_000, 800, 12_000):
        assert services.authorize(purchase(issued, amount)).response_code == "00"
    now = timezone.now()
    asked = (purchase(issued, 5_000), online(issued, 5_000, device="tablet-9", country="840"))
    for request in asked:
        plan = engine.plan(request)
        with transaction.atomic():
            loaded = authorize_module._load(request, now, plan)
            transaction.set_rollback(True)
        inside = plan.query.read(loaded.fraud_stats)
        alone = engine.read_stats(issued.card.pk, plan.query, now)
        assert inside == alone
        assert alone[f"n_{engine.MODEL_HISTORY_DAYS}"] >= 5
