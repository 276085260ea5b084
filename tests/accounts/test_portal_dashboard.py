"""Portal dashboard (balances, recent activity) and the two-step book transfer."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from apps.accounts import services
from apps.accounts.dashboard import mask_person_name
from apps.accounts.forms import parse_portal_amount
from apps.accounts.models import JournalEntry
from apps.core.fsm import apply_transition
from tests.factories.ledger import balance_of, funded_account
from tests.factories.users import CustomerFactory, UserFactory
from tests.support.portal_confirm import confirm, shown_of

pytestmark = pytest.mark.django_db

HOME = reverse("portal:home")
TRANSFER = reverse("portal:transfer")


@pytest.fixture(autouse=True)
def _no_outbox_kick(settings):
    settings.OUTBOX_KICK_ON_COMMIT = False


@pytest.fixture
def maria(db):
    customer = CustomerFactory(full_name="Maria Souza Santos", user__full_name="Maria Souza Santos")
    return funded_account(10_000, customer=customer)


@pytest.fixture
def joao(db):
    customer = CustomerFactory(full_name="João Pereira Lima", user__full_name="João Pereira Lima")
    return funded_account(0, customer=customer)


def signed_in(client: Client, account) -> Client:
    client.force_login(account.customer.user)
    return client


def transfer_data(source, destination, amount="12,34", **extra) -> dict:
    data = {
        "source": source.pk,
        "destination_branch": "0001",
        "destination_number": destination.number,
        "amount": amount,
        "description": "",
    }
    return {**data, **extra}


def book_transfers() -> int:
    return JournalEntry.objects.filter(kind="book_transfer").count()


# --- Dashboard ------------------------------------------------------------------------


def test_dashboard_shows_each_account_with_formatted_balances(client, maria):
    services.deposit(account_id=maria.pk, amount_cents=113_456, description="salário")
    services.hold_place(account_id=maria.pk, amount_cents=2_000, reason="card authorization")
    second = funded_account(5, customer=maria.customer)
    signed_in(client, maria)

    html = client.get(HOME).content.decode()

    assert f"Agência 0001 · Conta {maria.number}" in html
    assert f"Agência 0001 · Conta {second.number}" in html
    assert re.search(rf'data-balance-for="{maria.pk}" data-cents="123456">R\$ 1\.234,56<', html)
    assert re.search(rf'data-available-for="{maria.pk}" data-cents="121456">R\$ 1\.214,56<', html)
    assert re.search(rf'data-balance-for="{second.pk}" data-cents="5">R\$ 0,05<', html)
    assert f'href="{reverse("portal:statement", args=[maria.pk])}"' in html
    assert f'href="{TRANSFER}?source={maria.pk}"' in html
    assert 'data-balance-socket="/ws/balances/"' in html
    assert 'src="/static/js/portal.js"' in html


def test_recent_activity_lists_the_last_ten_movements_newest_first(client, maria, joao):
    for n in range(1, 12):
        services.deposit(account_id=maria.pk, amount_cents=n * 100, description=f"depósito {n}")
    services.book_transfer(
        source_id=maria.pk, destination_id=joao.pk, amount_cents=250, description="aluguel"
    )
    signed_in(client, maria)

    html = client.get(reverse("portal:dashboard_activity")).content.decode()

    items = re.findall(r'<li data-posting-id="(\d+)">(.*?)</li>', html, re.S)
    assert len(items) == 10
    ids = [int(i) for i, _ in items]
    assert ids == sorted(ids, reverse=True)
    # Rendered in the reader's language; the customer's note beside it; a deposit's stored
    # description (the back office's) is never shown.
    assert "Transferência enviada" in items[0][1] and "aluguel" in items[0][1]
    assert "-R$ 2,50" in items[0][1]
    assert "Depósito" in items[1][1] and "+R$ 11,00" in items[1][1]
    assert "+R$ 3,00" in items[-1][1]
    assert "+R$ 2,00" not in html and "R$ 100,00" not in html  # older: not listed
    assert "depósito" not in html and "funding" not in html
    # The home page embeds the same list.
    assert "+R$ 11,00" in client.get(HOME).content.decode()


def test_another_customers_accounts_and_movements_are_never_shown(client, maria, joao):
    services.deposit(account_id=joao.pk, amount_cents=777_777, description="segredo do João")
    signed_in(client, maria)

    for url in (HOME, reverse("portal:dashboard_activity"), reverse("portal:dashboard_accounts")):
        html = client.get(url).content.decode()
        assert joao.number not in html
        assert "segredo do João" not in html
        assert "7.777,77" not in html
        assert f'data-balance-for="{joao.pk}"' not in html


def test_a_customer_without_accounts_gets_a_friendly_note(client):
    customer = CustomerFactory()
    client.force_login(customer.user)

    html = client.get(HOME).content.decode()

    assert "Você ainda não tem uma conta de pagamento." in html
    assert "portal.js" not in html
    response = client.get(TRANSFER)
    assert response.status_code == 302 and response.url == HOME


def test_staff_see_a_link_to_the_admin(client):
    staff = UserFactory(is_staff=True, full_name="Operadora Ana")
    client.force_login(staff)

    html = client.get(HOME).content.decode()

    assert f'href="{reverse("admin:index")}"' in html
    assert "Não há cadastro de cliente vinculado a este acesso." in html


def test_partials_require_sign_in(client):
    for name in ("portal:dashboard_activity", "portal:dashboard_accounts", "portal:transfer"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response.url


# --- Amounts and names --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1.234,56", 123_456),
        ("1234,56", 123_456),
        ("1234.56", 123_456),
        ("12.5", 1_250),
        ("12,5", 1_250),
        ("12", 1_200),
        (" R$ 12,34 ", 1_234),
        ("1.234", 123_400),  # pt-BR thousands, not 1.234 reais with three decimals
        ("12.345.678,90", 1_234_567_890),
        ("0,01", 1),
    ],
)
def test_portal_amounts_parse_to_centavos(text, cents):
    assert parse_portal_amount(text) == cents


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "0",
        "0,00",
        "-5",
        "12,345",
        "1,234.56",
        "1.23.4",
        "1.2345,00",
        "1e3",
        "١٢",
        "12 34",
    ],
)
def test_bad_amounts_are_refused(text):
    from django import forms

    with pytest.raises(forms.ValidationError):
        parse_portal_amount(text)


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Maria Souza Santos", "Maria S***"),
        ("Maria da Silva", "Maria S***"),
        ("joão pereira", "joão P***"),
        ("Cher", "Cher"),
    ],
)
def test_payee_names_are_masked(name, masked):
    assert mask_person_name(name) == masked


# --- Book transfer ------------------------------------------------------------------


def test_transfer_is_two_steps_and_pays_on_confirm(client, maria, joao):
    signed_in(client, maria)
    page = client.get(f"{TRANSFER}?source={maria.pk}").content.decode()
    assert 'name="destination_number"' in page
    assert "R$ 100,00" in page  # available balance in the source choice

    response = client.post(TRANSFER, transfer_data(maria, joao, "12,34", description="almoço"))

    assert response.status_code == 302
    confirm_url = response.url
    assert re.fullmatch(r"/transfer/[0-9a-f-]{36}/confirm/", confirm_url)
    page = client.get(confirm_url).content.decode()
    assert "João L***" in page
    assert "Pereira" not in page and "Lima" not in page
    assert "R$ 12,34" in page
    assert "almoço" in page
    assert balance_of(maria.pk) == (10_000, 10_000)  # nothing moved yet
    assert book_transfers() == 0

    response = client.post(confirm_url, {"shown": shown_of(page)})

    assert response.status_code == 302
    assert re.fullmatch(r"/transfer/[0-9a-f-]{36}/receipt/", response.url)
    assert balance_of(maria.pk) == (8_766, 8_766)
    assert balance_of(joao.pk) == (1_234, 1_234)
    entry = JournalEntry.objects.get(kind="book_transfer")
    assert entry.description == "almoço"
    assert entry.created_by_id == maria.customer.user_id
    receipt = client.get(response.url).content.decode()
    assert "Transferência realizada" in receipt
    assert "R$ 12,34" in receipt and "João L***" in receipt
    assert f'data-testid="entry-id">{entry.pk}<' in receipt
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}", receipt)
    # The dashboard shows the new balance and the movement.
    home = client.get(HOME).content.decode()
    assert "R$ 87,66" in home and "-R$ 12,34" in home


def test_back_from_the_confirmation_refills_the_form(client, maria, joao):
    services.deposit(account_id=maria.pk, amount_cents=100_000, description="salário")
    maria.customer.kyc_level = 1  # above level 0's R$ 500,00 a day
    maria.customer.save(update_fields=["kyc_level"])
    signed_in(client, maria)
    confirm_url = client.post(TRANSFER, transfer_data(maria, joao, "1.000,5")).url
    token = confirm_url.split("/")[2]

    page = client.get(confirm_url).content.decode()
    assert f'href="{TRANSFER}?edit={token}"' in page
    form = client.get(f"{TRANSFER}?edit={token}").content.decode()

    assert 'value="1.000,5"' in form
    assert f'value="{joao.number}"' in form


def test_a_double_confirm_pays_once(client, maria, joao):
    signed_in(client, maria)
    confirm_url = client.post(TRANSFER, transfer_data(maria, joao, "10")).url
    shown = shown_of(client.get(confirm_url).content.decode())

    first = client.post(confirm_url, {"shown": shown})
    second = client.post(confirm_url, {"shown": shown})

    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert book_transfers() == 1
    assert balance_of(maria.pk) == (9_000, 9_000)
    assert balance_of(joao.pk) == (1_000, 1_000)


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirms_of_one_transfer_pay_once(settings):
    """Two tabs (one session) confirm at the same moment: the session alone cannot tell,
    both requests read the pending transfer before either writes the session back."""
    settings.OUTBOX_KICK_ON_COMMIT = False
    payer = funded_account(10_000)
    payee = funded_account(0)
    first = Client()
    first.force_login(payer.customer.user)
    confirm_url = first.post(TRANSFER, transfer_data(payer, payee, "25,00")).url
    shown = shown_of(first.get(confirm_url).content.decode())
    second = Client()
    second.cookies = first.cookies
    barrier = threading.Barrier(2)
    statuses = []

    def confirm(client: Client) -> None:
        try:
            barrier.wait()
            statuses.append(client.post(confirm_url, {"shown": shown}).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert statuses == [302, 302]
    assert book_transfers() == 1
    assert balance_of(payer.pk) == (7_500, 7_500)
    assert balance_of(payee.pk) == (2_500, 2_500)


@pytest.mark.parametrize("amount", ["abc", "0", "-5", "1,234.56", "12,345", "١٢", ""])
def test_bad_amounts_are_form_errors_and_nothing_moves(client, maria, joao, amount):
    signed_in(client, maria)

    response = client.post(TRANSFER, transfer_data(maria, joao, amount))

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_amount_error"' in html
    assert book_transfers() == 0
    assert balance_of(maria.pk) == (10_000, 10_000)
    assert client.session.get("portal_pending_transfers", {}) == {}


def test_unknown_destination_and_same_account_are_form_errors(client, maria, joao):
    signed_in(client, maria)

    html = client.post(TRANSFER, transfer_data(maria, joao, destination_number="999999999"))
    assert "Não existe conta Athena Pay com este número." in html.content.decode()

    html = client.post(TRANSFER, transfer_data(maria, maria)).content.decode()
    assert "Escolha uma conta diferente da conta de origem." in html

    html = client.post(TRANSFER, transfer_data(maria, joao, destination_branch="0002"))
    assert "A Athena Pay tem uma única agência: 0001." in html.content.decode()

    # Another customer's account is not a valid source.
    response = client.post(TRANSFER, transfer_data(joao, maria))
    assert response.status_code == 400
    assert 'id="id_source_error"' in response.content.decode()
    assert book_transfers() == 0


def test_insufficient_funds_are_refused_on_the_first_step_with_nothing_moved(client, maria, joao):
    signed_in(client, maria)

    response = client.post(TRANSFER, transfer_data(maria, joao, "100,01"))

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "R$ 100,00" in errors["amount"][0]  # the amount available, as Brazilians write it
    html = response.content.decode()
    assert 'id="id_amount_error"' in html
    assert 'value="100,01"' in html  # the form as typed, ready to fix
    assert book_transfers() == 0
    assert balance_of(maria.pk) == (10_000, 10_000)
    assert client.session.get("portal_pending_transfers", {}) == {}


def test_funds_gone_between_the_steps_are_refused_by_the_confirmation(client, maria, joao):
    """The first step checks; the confirmation checks again, under the account's lock."""
    signed_in(client, maria)
    confirm_url = client.post(TRANSFER, transfer_data(maria, joao, "80")).url
    services.transfer_send(source_id=maria.pk, destination_id=joao.pk, amount_cents=5_000)

    response = confirm(client, confirm_url)

    assert response.status_code == 422
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Saldo disponível insuficiente para esta transferência." in html
    assert book_transfers() == 1
    assert balance_of(maria.pk) == (5_000, 5_000)
    # The refused confirmation is spent: a replay starts over instead of paying.
    assert client.post(confirm_url).url == TRANSFER


def test_a_blocked_account_is_a_form_error(client, maria, joao):
    signed_in(client, maria)
    confirm_url = client.post(TRANSFER, transfer_data(maria, joao, "1")).url
    apply_transition(maria, "block_debit", reason="court order")

    response = confirm(client, confirm_url)

    assert response.status_code == 422
    assert "não permite esta movimentação" in response.content.decode()
    assert book_transfers() == 0


def test_receipts_and_confirmations_belong_to_their_user(client, maria, joao):
    signed_in(client, maria)
    confirm_url = client.post(TRANSFER, transfer_data(maria, joao, "5")).url
    receipt_url = confirm(client, confirm_url).url

    other = Client()
    other.force_login(joao.customer.user)
    assert other.get(receipt_url).status_code == 404
    response = other.post(confirm_url)  # not in Joao's session, not Joao's record
    assert response.status_code == 302 and response.url == TRANSFER
    assert book_transfers() == 1


def test_the_pages_speak_english_too(client, maria, joao):
    client.cookies["django_language"] = "en"
    signed_in(client, maria)

    assert "Your balances" in client.get(HOME).content.decode()
    html = client.post(TRANSFER, transfer_data(maria, joao, "500")).content.decode()
    assert "Insufficient available balance: you have R$ 100,00 available." in html
