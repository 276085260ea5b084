"""The portal's first-step check and its fixed confirmations (issue #16, item 4), and that the
portal names no product a customer cannot use (the KYC page, the statement's type filter,
the menu, the loans page).

`services.debit_precheck` is the first step of every money form: the money gate and the
ledger's floor, the same code the confirmation's transaction asks, with nothing written.
"""

from __future__ import annotations

import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from apps.accounts import services
from apps.accounts.errors import AccountUnavailable, FeatureLocked, InsufficientFunds
from apps.accounts.models import Hold, JournalEntry, Posting
from apps.accounts.money_gate import LimitExceeded
from apps.core.errors import ValidationFailed
from apps.core.forms import CONFIRMATION_SALT
from apps.core.fsm import apply_transition
from tests.factories.customers import company, person
from tests.factories.ledger import balance_of, funded_account
from tests.support.portal_confirm import shown_of

pytestmark = pytest.mark.django_db

TRANSFER = reverse("portal:transfer")


@pytest.fixture(autouse=True)
def _no_outbox_kick(settings):
    settings.OUTBOX_KICK_ON_COMMIT = False


def at_level(account, level: int):
    account.customer.kyc_level = level
    account.customer.save(update_fields=["kyc_level"])
    return account


def written() -> tuple[int, int, int]:
    return JournalEntry.objects.count(), Posting.objects.count(), Hold.objects.count()


def signed_in(account) -> Client:
    client = Client()
    client.force_login(account.customer.user)
    return client


# --- The check -------------------------------------------------------------------------


def test_the_precheck_passes_what_the_ledger_and_the_gate_would_and_writes_nothing():
    account = funded_account(10_000, overdraft_limit=2_000)
    services.hold_place(account_id=account.pk, amount_cents=3_000, reason="card")
    before = written()

    services.debit_precheck(account=account, product="book", amount_cents=9_000)  # 7.000 + 2.000
    with pytest.raises(InsufficientFunds) as refused:
        services.debit_precheck(account=account, product="book", amount_cents=9_001)

    assert refused.value.field == "amount"
    assert "R$ 90,00" in refused.value.message  # balance - holds + overdraft
    assert written() == before


def test_the_precheck_counts_a_fee_with_the_amount():
    account = at_level(funded_account(10_000), 1)  # TED from level 1
    with pytest.raises(InsufficientFunds) as refused:
        services.debit_precheck(account=account, product="ted", amount_cents=9_600, fee_cents=500)
    assert "R$ 5,00" in refused.value.message and "R$ 101,00" in refused.value.message
    assert "R$ 100,00" in refused.value.message


def test_the_precheck_asks_the_money_gate():
    account = at_level(funded_account(100_000), 0)
    with pytest.raises(LimitExceeded) as refused:
        services.debit_precheck(account=account, product="pix", amount_cents=50_001)
    assert refused.value.field == "amount" and "R$ 500,00" in refused.value.message
    with pytest.raises(FeatureLocked):
        services.debit_precheck(account=account, product="ted", amount_cents=100)
    apply_transition(account, "block_debit", reason="court order")
    with pytest.raises(AccountUnavailable):
        services.debit_precheck(account=account, product="book", amount_cents=100)


@pytest.mark.parametrize("amount", [0, -1, True, "10"])
def test_the_precheck_refuses_what_is_no_amount(amount):
    with pytest.raises(ValidationFailed):
        services.debit_precheck(account=funded_account(100), product="book", amount_cents=amount)


# --- The book transfer -------------------------------------------------------------------


def transfer_data(source, destination, amount: str) -> dict:
    return {
        "source": source.pk,
        "destination_branch": "0001",
        "destination_number": destination.number,
        "amount": amount,
        "description": "",
    }


def test_a_transfer_above_the_daily_limit_is_refused_on_the_first_step():
    maria = at_level(funded_account(100_000, customer=person("Maria Souza Lima")), 0)
    joao = funded_account(0, customer=person("João Pereira Santos"))
    client = signed_in(maria)
    services.transfer_send(source_id=maria.pk, destination_id=joao.pk, amount_cents=30_000)
    before = written()

    response = client.post(TRANSFER, transfer_data(maria, joao, "200,01"))

    assert response.status_code == 422
    error = response.context["form"].errors["amount"][0]
    assert "R$ 500,00" in error and "R$ 200,00" in error  # the limit and what is left today
    assert written() == before
    assert client.session.get("portal_pending_transfers", {}) == {}


def test_the_transfer_confirmation_is_fixed_text_and_refuses_tampering():
    maria = funded_account(10_000, customer=person("Maria Souza Lima"))
    joao = funded_account(0, customer=person("João Pereira Santos"))
    client = signed_in(maria)
    url = client.post(TRANSFER, transfer_data(maria, joao, "12,34")).url
    html = client.get(url).content.decode()
    form = re.search(rf'<form[^>]*action="{url}".*?</form>', html, re.S).group(0)
    assert re.findall(r'<input[^>]*name="([^"]+)"', form) == ["csrfmiddlewaretoken", "shown"]
    shown = shown_of(html)
    data = signing.loads(shown, salt=CONFIRMATION_SALT)
    data["values"]["amount"] = 1
    forged = signing.dumps(data, salt=CONFIRMATION_SALT, key="not-the-server-secret")

    for attempt in ({}, {"shown": forged}, {"shown": shown[:-3] + "abc"}):
        response = client.post(url, attempt)
        assert response.status_code == 400
        assert 'role="alert"' in response.content.decode()
        assert JournalEntry.objects.filter(kind="book_transfer").count() == 0

    assert client.post(url, {"shown": shown}).status_code == 302
    assert balance_of(joao.pk) == (1_234, 1_234)


# --- What the portal names to whom ------------------------------------------------------


def test_the_kyc_page_names_loans_to_a_person_but_never_to_a_company():
    maria = funded_account(0, customer=person("Maria Souza Lima"))
    padaria = funded_account(0, customer=company("Padaria Tres Irmaos Ltda"))
    for account in (maria, padaria):
        at_level(account, 2)

    person_page = signed_in(maria).get(reverse("portal:kyc:home"))
    company_page = signed_in(padaria).get(reverse("portal:kyc:home"))

    person_unlocked = person_page.context["summary"].features
    assert person_unlocked == ("cards", "loans", "ted")
    assert company_page.context["summary"].features == ("cards", "ted")
    steps = {step.level: step.names for step in company_page.context["summary"].steps}
    assert 2 not in steps  # level 2 unlocks nothing a company can use
    html = company_page.content.decode()
    unlocked = re.search(r'data-testid="kyc-unlocked">([^<]*)<', html).group(1)
    assert "TED" in unlocked and "loans" not in unlocked and "empréstimos" not in unlocked


def test_a_company_has_no_loans_link_and_its_loans_page_says_why_without_an_apply_button():
    padaria = at_level(funded_account(0, customer=company("Padaria Tres Irmaos Ltda")), 3)
    maria = at_level(funded_account(0, customer=person("Maria Souza Lima")), 0)
    loans = reverse("portal:loans:home")

    home = signed_in(padaria).get(reverse("portal:home")).content.decode()
    assert f'href="{loans}"' not in home
    assert f'href="{loans}"' in signed_in(maria).get(reverse("portal:home")).content.decode()

    page = signed_in(padaria).get(loans)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="loans-locked"' in html and 'data-testid="apply"' not in html
    assert reverse("portal:kyc:home") not in re.search(
        r'data-testid="loans-locked".*?</div>', html, re.S
    ).group(0)  # no verification unlocks loans for a company
    # A person below level 2 is told to verify, with the link.
    locked = signed_in(maria).get(loans).content.decode()
    assert reverse("portal:kyc:home") in re.search(
        r'data-testid="loans-locked".*?</div>', locked, re.S
    ).group(0)


def kind_options(client: Client, account) -> set[str]:
    html = client.get(reverse("portal:statement", args=[account.pk])).content.decode()
    select = re.search(r'<select name="kind".*?</select>', html, re.S).group(0)
    return set(re.findall(r'<option value="([^"]+)"', select))


def test_the_statement_filter_names_only_kinds_of_products_the_customer_can_use():
    maria = at_level(funded_account(0, customer=person("Maria Souza Lima")), 0)
    padaria = at_level(funded_account(0, customer=company("Padaria Tres Irmaos Ltda")), 3)
    helena = at_level(funded_account(0, customer=person("Helena Costa Prado")), 2)

    level_zero = kind_options(signed_in(maria), maria)
    assert {"pix_out", "pix_in", "book_transfer", "boleto_payment", "ted_in"} <= level_zero
    assert not level_zero & {"ted_out", "card_purchase", "loan_installment", "loan_disbursement"}
    company_kinds = kind_options(signed_in(padaria), padaria)
    assert {"ted_out", "card_purchase"} <= company_kinds
    assert not company_kinds & {"loan_installment", "loan_disbursement", "loan_collection"}
    assert {"ted_out", "card_purchase", "loan_installment"} <= kind_options(
        signed_in(helena), helena
    )
    # A kind it does not offer is not a filter for that customer.
    response = signed_in(maria).get(
        reverse("portal:statement", args=[maria.pk]), {"kind": "loan_installment"}
    )
    assert response.status_code == 400
