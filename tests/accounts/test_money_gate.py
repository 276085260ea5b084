"""The money gate (apps.accounts.money_gate): one policy for every product's debits."""

from __future__ import annotations

import ast
import threading
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from apps.accounts import ledger_lines, limits, money_gate, services
from apps.accounts.ledger import AccountUnavailable, Leg, post_entry
from apps.accounts.models import JournalEntry
from apps.core.fsm import apply_transition
from tests.factories.ledger import balance_of, funded_account
from tests.factories.users import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_messages():
    # These tests read the messages' English wording (the portal's second language); the
    # pt-BR catalog is checked by tests/core/test_untranslated.py.
    with translation.override("en"):
        yield


APPS = Path(settings.BASE_DIR) / "apps"
# Services that post an entry of the kind they are given (`kind=` at their call sites).
POSTING_CALLS = {"post_entry", "deposit", "hold_capture"}


def posting_kinds_in_code() -> set[str]:
    """Every literal `kind=` passed to a posting service anywhere under apps/."""
    kinds = set()
    for path in APPS.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name not in POSTING_CALLS:
                continue
            for keyword in node.keywords:
                if keyword.arg == "kind" and isinstance(keyword.value, ast.Constant):
                    kinds.add(keyword.value.value)
    return kinds


def all_kinds() -> set[str]:
    """Posted in code, named for customers, or rendered: every kind the system knows."""
    return posting_kinds_in_code() | set(ledger_lines.KIND_LABELS) | ledger_lines.registered_kinds()


def customer_initiated_kinds() -> list[str]:
    return sorted({kind for p in money_gate.PRODUCTS.values() for kind in p.kinds})


def at_level(account, level: int):
    account.customer.kyc_level = level
    account.customer.save(update_fields=["kyc_level"])
    return account


def debit(account, kind: str, amount: int) -> None:
    other = services.internal_account_id("reserves_bacen")
    post_entry(kind=kind, legs=[Leg(account.pk, -amount), Leg(other, amount)])


# --- Which kinds the gate counts ---------------------------------------------------------


def test_the_code_posts_the_kinds_this_test_expects():
    found = posting_kinds_in_code()
    assert {"book_transfer", "pix_out", "pix_internal", "pix_refund", "reversal"} <= found


def test_every_posting_kind_is_either_a_product_debit_or_outside_the_gate_for_a_reason():
    gated = set(customer_initiated_kinds())
    outside = set(money_gate.OUTSIDE_THE_GATE)
    assert not gated & outside
    unclassified = sorted(all_kinds() - gated - outside)
    assert not unclassified, (
        f"posting kinds in no product family: {unclassified}. Add each to the product it "
        "debits through in money_gate.PRODUCTS, or to OUTSIDE_THE_GATE with the reason."
    )


def test_the_product_table_has_every_product_and_the_future_kinds():
    assert set(money_gate.PRODUCTS) == {"pix", "book", "ted", "boleto", "cards", "loans"}
    assert {"ted_out", "boleto_payment", "card_purchase", "loan_installment"} <= set(
        customer_initiated_kinds()
    )


@pytest.mark.parametrize("kind", customer_initiated_kinds())
def test_each_customer_initiated_kind_is_refused_over_its_limit(kind):
    product = money_gate.product_of_kind(kind)
    level = money_gate.FEATURE_LEVELS.get(product, 0)
    daily = money_gate.KYC_LIMITS[level].daily
    account = at_level(funded_account(daily + 1_000), level)
    debit(account, kind, daily - 100)

    money_gate.check(account=account, product=product, amount_cents=100)
    with pytest.raises(money_gate.LimitExceeded) as refused:
        money_gate.check(account=account, product=product, amount_cents=101)
    name = money_gate.PRODUCTS[product].name
    assert f"Daily {name} limit of" in refused.value.message
    assert "R$ 1,00 left today" in refused.value.message
    assert refused.value.status_code == 422


def test_limits_check_is_the_gate():
    assert limits.check is money_gate.check
    assert limits.KYC_LIMITS is money_gate.KYC_LIMITS


def test_unknown_products_are_a_programming_error():
    with pytest.raises(ValueError):
        money_gate.check(account=funded_account(), product="crypto", amount_cents=1)


# --- Feature levels and state ------------------------------------------------------------


@pytest.mark.parametrize(("product", "needed"), [("ted", 1), ("cards", 1), ("loans", 2)])
def test_feature_levels(product, needed):
    account = at_level(funded_account(), needed - 1)
    with translation.override("en"), pytest.raises(money_gate.FeatureLocked) as locked:
        money_gate.check(account=account, product=product, amount_cents=1)
    assert locked.value.status_code == 403
    assert f"level {needed}" in locked.value.message
    money_gate.check(account=at_level(account, needed), product=product, amount_cents=1)


def test_pix_book_and_boleto_are_open_from_level_zero():
    account = at_level(funded_account(), 0)
    for product in ("pix", "book", "boleto"):
        money_gate.check(account=account, product=product, amount_cents=1)


@pytest.mark.parametrize("transition", ["block", "close"])
def test_a_blocked_or_closed_customer_may_not_debit(transition):
    account = funded_account(1_000)
    apply_transition(account.customer, transition, by="test", reason="test")
    with pytest.raises(AccountUnavailable):
        money_gate.check(account=account, product="pix", amount_cents=1)


def test_a_pending_customer_may_not_debit():
    customer = CustomerFactory()
    account = services.account_open(customer=customer)
    assert customer.state == customer.State.PENDING
    with translation.override("en"), pytest.raises(AccountUnavailable, match="pending"):
        money_gate.check(account=account, product="book", amount_cents=1)


def test_an_account_blocked_for_debit_may_not_debit():
    account = funded_account(1_000)
    apply_transition(account, "block_debit", by="test", reason="test")
    with pytest.raises(AccountUnavailable):
        money_gate.check(account=account, product="book", amount_cents=1)


# --- Book transfers pass the gate ---------------------------------------------------------


def api_transfer(customer, source, destination, amount: str):
    client = APIClient()
    client.force_authenticate(customer.user)
    body = {"source_account": source.pk, "destination_account": destination.pk, "amount": amount}
    return client.post(
        "/api/v1/transfers", body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex
    )


def test_a_level_zero_book_transfer_over_the_daily_limit_is_refused_by_the_api():
    source = at_level(funded_account(100_000), 0)
    destination = funded_account()
    assert api_transfer(source.customer, source, destination, "300.00").status_code == 201

    response = api_transfer(source.customer, source, destination, "200.01")

    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith("limit_exceeded")
    assert "transferência de R$ 500,00 do nível 0 de KYC excedido" in body["detail"]
    assert "restam R$ 200,00 hoje" in body["detail"]
    assert "nível 1 de KYC" in body["detail"]  # how to raise it
    assert balance_of(source.pk) == (70_000, 70_000)
    assert balance_of(destination.pk) == (30_000, 30_000)
    assert JournalEntry.objects.filter(kind="book_transfer").count() == 1


def test_a_level_zero_book_transfer_over_the_limit_is_refused_on_the_portal_form():
    source = at_level(funded_account(100_000), 0)
    destination = funded_account()
    client = Client()
    client.force_login(source.customer.user)
    form = {
        "source": source.pk,
        "destination_branch": "0001",
        "destination_number": destination.number,
        "amount": "500,01",
        "description": "",
    }

    response = client.post(reverse("portal:transfer"), form)  # the first step refuses it

    assert response.status_code == 422
    error = response.context["form"].errors["amount"][0]
    # The limit, what is left today and the next level's limit, as Brazilians write money.
    assert "R$ 500,00" in error and "R$ 5.000,00" in error
    assert 'id="id_amount_error"' in response.content.decode()
    assert client.session.get("portal_pending_transfers", {}) == {}
    assert balance_of(source.pk) == (100_000, 100_000)
    assert not JournalEntry.objects.filter(kind="book_transfer").exists()


def test_a_level_one_customer_may_send_what_level_zero_may_not():
    source = at_level(funded_account(100_000), 1)
    response = api_transfer(source.customer, source, funded_account(), "500.01")
    assert response.status_code == 201, response.json()


@pytest.mark.django_db(transaction=True)
def test_concurrent_transfers_cannot_both_pass_the_same_remaining_limit():
    source = at_level(funded_account(100_000), 0)
    destination = funded_account()
    barrier = threading.Barrier(6)
    codes = []

    def fire():
        try:
            barrier.wait()
            codes.append(api_transfer(source.customer, source, destination, "300.00").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=fire) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [201, 422, 422, 422, 422, 422]  # R$ 500,00 a day: one R$ 300,00
    assert balance_of(source.pk) == (70_000, 70_000)
    assert JournalEntry.objects.filter(kind="book_transfer").count() == 1
