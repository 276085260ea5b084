"""The issuer's decision: one response code per case, holds on approval, replays and
reversals once (the channels, ISO 8583 and HTTP, are tested with their own suites)."""

from __future__ import annotations

import dataclasses

import pytest

from apps.cards import services
from apps.cards.models import Authorization
from tests.factories.ledger import balance_of
from tests.support.cards import cardholder, purchase

pytestmark = pytest.mark.django_db


def test_an_approval_holds_the_money_and_a_replay_holds_nothing_more():
    account, issued = cardholder(100_000)
    request = purchase(issued, 12_345)
    result = services.authorize(request)
    assert result.response_code == "00" and len(result.auth_code) == 6
    assert balance_of(account.pk) == (100_000, 100_000 - 12_345)
    again = services.authorize(request)
    assert again.replayed and again.auth_code == result.auth_code
    assert balance_of(account.pk) == (100_000, 100_000 - 12_345)
    assert Authorization.objects.count() == 1


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("insufficient", "51"),
        ("expired", "54"),
        ("wrong_expiry", "14"),
        ("unknown", "14"),
        ("blocked", "62"),
        ("per_purchase", "61"),
        ("mcc", "57"),
        ("abroad", "57"),
        ("wrong_cvv2", "N7"),
        ("wrong_pin", "55"),
        ("kyc0", "57"),
    ],
)
def test_each_refusal_has_its_code_and_holds_nothing(case, code):
    account, issued = cardholder(100_000)
    card = issued.card
    if case == "kyc0":  # the level went down after the card was issued (a KYC review)
        type(account.customer).objects.filter(pk=account.customer_id).update(kyc_level=0)
    request = purchase(issued, 10_000)
    if case == "insufficient":
        request = purchase(issued, 100_001)
    elif case == "expired":
        type(card).objects.filter(pk=card.pk).update(expiry="2001")
        request = purchase(issued, 10_000, expiry="2001")
    elif case == "wrong_expiry":
        request = purchase(issued, 10_000, expiry="9912")
    elif case == "unknown":
        request = dataclasses.replace(request, pan="5067270000000000")
    elif case == "blocked":
        services.card_block(customer=None, card_id=card.pk)
    elif case == "per_purchase":
        services.card_controls_update(customer=None, card_id=card.pk, per_purchase_limit=5_000)
    elif case == "mcc":
        services.card_controls_update(
            customer=None, card_id=card.pk, blocked_mcc_groups=["gambling"]
        )
        request = purchase(issued, 10_000, mcc="7995")
    elif case == "abroad":
        request = purchase(issued, 10_000, country="840")
    elif case == "wrong_cvv2":
        wrong = f"{(int(issued.cvv2) + 1) % 1000:03d}"
        request = purchase(issued, 10_000, card_present=False, entry_mode="010", cvv2=wrong)
    elif case == "wrong_pin":
        services.card_pin_set(customer=None, card_id=card.pk, pin="4826")
        request = purchase(issued, 10_000, pin="4827")
    result = services.authorize(request)
    assert result.response_code == code
    assert not result.auth_code
    assert balance_of(account.pk) == (100_000, 100_000)


def test_right_cvv2_and_pin_approve():
    account, issued = cardholder(100_000)
    services.card_pin_set(customer=None, card_id=issued.card.pk, pin="4826")
    online = purchase(issued, 1_000, card_present=False, entry_mode="010", cvv2=issued.cvv2)
    assert services.authorize(online).response_code == "00"
    assert services.authorize(purchase(issued, 1_000, pin="4826")).response_code == "00"


def test_a_reversal_releases_once():
    account, issued = cardholder(100_000)
    original = purchase(issued, 30_000)
    assert services.authorize(original).approved
    reversal = purchase(
        issued, 30_000, mti="0400", original_mti="0100", original_stan=original.stan
    )
    assert services.authorization_reverse(reversal).response_code == "00"
    assert balance_of(account.pk) == (100_000, 100_000)
    assert services.authorization_reverse(reversal).response_code == "00"
    assert balance_of(account.pk) == (100_000, 100_000)
    assert Authorization.objects.get(stan=original.stan, mti="0100").state == "reversed"


def test_lost_card_ends_and_a_replacement_works():
    account, issued = cardholder(100_000)
    replacement = services.card_report(customer=None, card_id=issued.card.pk, stolen=False)
    assert services.authorize(purchase(issued, 1_000)).response_code == "14"
    assert replacement.pan != issued.pan
    assert services.authorize(purchase(replacement, 1_000)).response_code == "00"


def test_a_financial_request_is_captured_at_once():
    account, issued = cardholder(100_000)
    result = services.authorize(purchase(issued, 2_500, mti="0200"))
    assert result.approved
    assert balance_of(account.pk) == (97_500, 97_500)
