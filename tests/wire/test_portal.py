"""The customer portal's TED pages (Django test client, real database and services; the STR
and the other banks are the project's simulator).

The clock is frozen (time-machine) inside the TED window (06:30-17:00 Brasilia, B3 business
days) or outside it. Every refusal a customer can cause is a form error on the field it is
about (400/422) with nothing changed, never a 500; another customer's TED or favourite does
not exist (404). Pages are read in pt-BR (the default language) unless a test asks for
English.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from django.test import Client, TestCase
from django.urls import reverse
from pypdf import PdfReader

from apps.core.documents import mask_tax_id
from apps.core.timezones import BRASILIA
from apps.wire import services
from apps.wire.models import Wire, WireFavourite
from apps.wire.services import favourites
from tests.factories.ledger import balance_of
from tests.factories.users import UserFactory
from tests.support.portal_confirm import confirm, shown_of
from tests.support.wires import IN_WINDOW, NUBANK_ISPB, payee, send, ted_sender

pytestmark = pytest.mark.django_db

SEND = reverse("portal:ted:send")
LIST = reverse("portal:ted:list")
FAVOURITES = reverse("portal:ted:favourites")
BANKS = reverse("portal:ted:banks")
FEE = 500
FRIDAY_AFTER_CUTOFF = dt.datetime(2026, 12, 11, 17, 30, tzinfo=BRASILIA)


def signed_in(account, language: str | None = None) -> Client:
    client = Client()
    client.force_login(account.customer.user)
    if language:
        client.cookies["django_language"] = language
    return client


def form_data(account, to: dict, amount: str = "250,00", **extra) -> dict:
    data = {
        "account": account.pk,
        "bank": to["bank"],
        "branch": to["branch"],
        "account_number": to["account_number"],
        "account_type": "CC",
        "holder_name": to["holder_name"],
        "holder_tax_id": to["holder_tax_id"],
        "amount": amount,
        "note": "",
        "scheduled_for": "",
    }
    data.update(extra)
    return data


def confirm_url(response) -> str:
    if response.status_code != 302:
        pytest.fail(f"{response.status_code}: {errors_of(response)}")
    url = response["Location"]
    assert re.fullmatch(r"/ted/send/[0-9a-f-]{36}/confirm/", url), url
    return url


def errors_of(response) -> str:
    html = response.content.decode()
    match = re.search(r'<div class="alert alert--error form-errors".*?</div>', html, re.S)
    assert match, "no form errors on the page"
    return match.group(0)


def test_a_ted_inside_the_window_goes_now_through_the_two_steps_and_once_only():
    with time_machine.travel(IN_WINDOW, tick=False):
        maria = ted_sender(500_000)
        to = payee()
        client = signed_in(maria)
        page = client.get(SEND)
        assert page.status_code == 200
        assert 'id="ted-banks"' in page.content.decode()

        url = confirm_url(client.post(SEND, form_data(maria, to, "1.234,56", note="aluguel")))
        review = client.get(url)
        html = review.content.decode()
        assert review.status_code == 200
        assert 'data-testid="bank">260 - ' in html
        assert f'data-testid="holder">{to["holder_name"]}<' in html
        assert mask_tax_id(to["holder_tax_id"]) in html
        assert to["holder_tax_id"] not in html
        assert 'data-testid="amount"><strong>R$ 1.234,56</strong>' in html
        assert 'data-testid="fee">R$ 5,00<' in html
        assert 'data-testid="total"><strong>R$ 1.239,56</strong>' in html
        assert 'data-testid="when">agora<' in html
        assert 'name="amount"' not in html  # the amount cannot change here
        assert balance_of(maria.pk) == (500_000, 500_000)  # nothing moved yet
        assert not Wire.objects.exists()

        with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
            done = client.post(url, {"shown": shown_of(html)})
        assert len(callbacks) == 1  # the STR is called after the confirmation commits
        assert done.status_code == 302
        wire = Wire.objects.get()
        assert done["Location"] == reverse("portal:ted:detail", args=[wire.public_id])
        assert wire.state == Wire.State.SETTLED
        assert wire.amount == 123_456 and wire.fee == FEE and wire.note == "aluguel"
        left = 500_000 - 123_456 - FEE
        assert balance_of(maria.pk) == (left, left)
        detail = client.get(done["Location"]).content.decode()
        assert "pix-state--settled" in detail
        assert wire.control_number in detail and wire.str_control_number in detail
        assert mask_tax_id(to["holder_tax_id"]) in detail
        assert to["holder_tax_id"] not in detail

        # Reposting the same confirmation sends nothing more.
        again = client.post(url, {"shown": shown_of(html)})
        assert again.status_code == 302 and again["Location"] == done["Location"]
        assert Wire.objects.count() == 1

        listed = client.get(LIST).content.decode()
        assert f"ted-row-{wire.public_id}" in listed

        receipt = client.get(reverse("portal:ted:receipt_pdf", args=[wire.public_id]))
        assert receipt.status_code == 200
        assert receipt["Content-Type"] == "application/pdf"
        assert receipt.content.startswith(b"%PDF-")
        text = PdfReader(io.BytesIO(receipt.content)).pages[0].extract_text()
        assert wire.control_number in text and wire.str_control_number in text
        assert to["holder_tax_id"] not in text


def test_the_balance_drops_by_the_amount_and_the_fee_once():
    with time_machine.travel(IN_WINDOW, tick=False):
        maria = ted_sender(100_000)
        client = signed_in(maria)
        url = confirm_url(client.post(SEND, form_data(maria, payee(), "250,00")))
        confirm(client, url)
        assert balance_of(maria.pk) == (100_000 - 25_000 - FEE, 100_000 - 25_000 - FEE)


@pytest.mark.parametrize("typed", [NUBANK_ISPB, "260 - NU PAGAMENTOS - IP", "260", "nu pagamentos"])
def test_the_bank_is_found_by_code_ispb_list_label_or_name(typed):
    with time_machine.travel(IN_WINDOW, tick=False):
        maria = ted_sender(100_000)
        client = signed_in(maria)
        url = confirm_url(client.post(SEND, form_data(maria, payee(), bank=typed)))
        assert 'data-testid="bank">260 - NU PAGAMENTOS' in client.get(url).content.decode()


def test_the_bank_look_up_lists_matching_str_banks():
    maria = ted_sender(0)
    client = signed_in(maria)
    html = (
        client.get(BANKS, {"bank": "nubank"}).content.decode()
        + client.get(BANKS, {"bank": "260"}).content.decode()
    )
    assert '<option value="260 - NU PAGAMENTOS - IP">' in html
    assert "ISPB 18236120" in html
    assert client.get(BANKS, {"bank": "zzzz-no-such-bank"}).content.decode().strip() == ""


def test_on_friday_after_the_cutoff_the_confirmation_says_monday_0630_and_it_can_be_cancelled():
    with time_machine.travel(FRIDAY_AFTER_CUTOFF, tick=False):
        maria = ted_sender(100_000)
        client = signed_in(maria)
        url = confirm_url(client.post(SEND, form_data(maria, payee(), "300,00")))
        html = client.get(url).content.decode()
        assert 'data-testid="when">agendada para 14/12/2026 às 06:30 (horário de Brasília)<' in html
        done = confirm(client, url)
        wire = Wire.objects.get()
        assert wire.state == Wire.State.SCHEDULED
        assert wire.scheduled_for == dt.datetime(2026, 12, 14, 6, 30, tzinfo=BRASILIA)
        assert balance_of(maria.pk) == (100_000, 100_000)  # a schedule holds no money
        detail = client.get(done["Location"]).content.decode()
        assert "14/12/2026 06:30" in detail

        listed = client.get(LIST).content.decode()
        cancel = reverse("portal:ted:cancel", args=[wire.public_id])
        assert f'action="{cancel}"' in listed
        response = client.post(cancel)
        assert response.status_code == 302 and response["Location"] == LIST
        wire.refresh_from_db()
        assert wire.state == Wire.State.CANCELLED
        assert f'action="{cancel}"' not in client.get(LIST).content.decode()
        # A second cancel is refused with a message, not a 500.
        assert client.post(cancel).status_code == 302
        assert balance_of(maria.pk) == (100_000, 100_000)


def test_a_chosen_day_is_shown_and_scheduled_for_its_opening():
    with time_machine.travel(IN_WINDOW, tick=False):
        maria = ted_sender(100_000)
        client = signed_in(maria)
        data = form_data(maria, payee(), scheduled_for="2026-12-04")
        html = client.get(confirm_url(client.post(SEND, data))).content.decode()
        assert "agendada para 04/12/2026 às 06:30 (horário de Brasília)" in html


def test_when_the_window_closes_between_the_steps_the_customer_is_told_and_confirms_again():
    closing = dt.datetime(2026, 12, 2, 16, 59, tzinfo=BRASILIA)
    with time_machine.travel(closing, tick=False):
        maria = ted_sender(100_000)
        client = signed_in(maria)
        url = confirm_url(client.post(SEND, form_data(maria, payee())))
        page = client.get(url).content.decode()
        assert 'data-testid="when">agora<' in page
    with time_machine.travel(closing + dt.timedelta(minutes=2), tick=False):
        moved = client.post(url, {"shown": shown_of(page)})
        assert moved.status_code == 422
        assert "03/12/2026 às 06:30" in errors_of(moved)
        assert not Wire.objects.exists()
        # The page shows the new moment and confirms that one.
        with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
            done = client.post(url, {"shown": shown_of(moved.content.decode())})
        assert not callbacks  # a scheduled TED calls nobody until its moment
        assert done.status_code == 302
        assert Wire.objects.get().state == Wire.State.SCHEDULED


def test_a_favourite_is_saved_on_confirmation_used_to_fill_the_form_and_deleted():
    with time_machine.travel(IN_WINDOW, tick=False):
        maria = ted_sender(100_000)
        to = payee()
        client = signed_in(maria)
        url = confirm_url(client.post(SEND, form_data(maria, to)))
        confirm(client, url, {"save_favourite": "on", "nickname": "Aluguel"})
        favourite = WireFavourite.objects.get()
        assert favourite.customer == maria.customer and favourite.nickname == "Aluguel"
        assert favourite.bank_ispb == NUBANK_ISPB and favourite.holder_tax_id == to["holder_tax_id"]

        page = client.get(FAVOURITES).content.decode()
        assert f'data-testid="favourite-{favourite.pk}"' in page
        assert mask_tax_id(to["holder_tax_id"]) in page and to["holder_tax_id"] not in page

        # "Use" fills the send form; saving the same destination again updates it.
        filled = client.get(SEND, {"favourite": favourite.pk}).content.decode()
        assert f'value="{to["account_number"]}"' in filled
        assert 'value="260 - NU PAGAMENTOS - IP"' in filled
        url = confirm_url(client.post(SEND, form_data(maria, to, "10,00")))
        confirm(client, url, {"save_favourite": "on", "nickname": "Casa"})
        assert WireFavourite.objects.get().nickname == "Casa"

        # Another customer cannot delete it; the owner can.
        other = signed_in(ted_sender(0, name="Ana Paula Ferreira"))
        delete = reverse("portal:ted:favourite_delete", args=[favourite.pk])
        assert other.post(delete).status_code == 404
        assert (
            other.get(SEND, {"favourite": favourite.pk})
            .content.decode()
            .count(to["account_number"])
            == 0
        )
        assert client.post(delete).status_code == 302
        assert not WireFavourite.objects.exists()


def test_the_favourite_service_is_idempotent_on_the_destination():
    maria = ted_sender(0)
    to = payee()
    fields = {
        "customer": maria.customer,
        "bank_ispb": NUBANK_ISPB,
        "branch": "1",
        "account_number": to["account_number"],
        "account_type": "CC",
        "holder_name": to["holder_name"],
        "holder_tax_id": to["holder_tax_id"],
    }
    first = favourites.favourite_save(nickname="Joao", **fields)
    second = favourites.favourite_save(nickname="Joao 2", **fields)
    assert first.pk == second.pk and WireFavourite.objects.count() == 1
    assert WireFavourite.objects.get().branch == "0001"
    favourites.favourite_delete(customer=maria.customer, favourite_id=first.pk)
    assert not WireFavourite.objects.exists()


def test_another_customers_ted_does_not_exist():
    with time_machine.travel(FRIDAY_AFTER_CUTOFF, tick=False):
        maria = ted_sender(100_000)
        wire = send(
            customer=maria.customer,
            account_id=maria.pk,
            amount_cents=10_000,
            **payee(),
        )
        assert wire.state == Wire.State.SCHEDULED
        ana = signed_in(ted_sender(0, name="Ana Paula Ferreira"))
        for name in ("detail", "receipt_pdf"):
            assert ana.get(reverse(f"portal:ted:{name}", args=[wire.public_id])).status_code == 404
        assert ana.post(reverse("portal:ted:cancel", args=[wire.public_id])).status_code == 404
        wire.refresh_from_db()
        assert wire.state == Wire.State.SCHEDULED
        assert f"ted-row-{wire.public_id}" not in ana.get(LIST).content.decode()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"holder_tax_id": "111.111.111-11"}, "holder_tax_id", "CPF ou CNPJ válido"),
        ({"bank": "999"}, "bank", "Banco não encontrado"),
        ({"bank": "332"}, "bank", "Athena Pay"),
        ({"amount": "abc"}, "amount", "1.234,56"),
        ({"amount": "0"}, "amount", "maior que zero"),
        ({"branch": "12345"}, "branch", "4 dígitos"),
        ({"scheduled_for": "2026-11-30"}, "scheduled_for", "passado"),
        ({"scheduled_for": "2026-12-05"}, "scheduled_for", "dia útil"),  # a Saturday
        ({"amount": "2.000,00"}, "amount", "R$ 1.000,00"),  # what is available, named
    ],
)
def test_bad_input_is_an_error_on_its_field_and_changes_nothing(change, field, message):
    with time_machine.travel(IN_WINDOW, tick=False):
        maria = ted_sender(100_000)
        client = signed_in(maria)
        response = client.post(SEND, form_data(maria, payee(), **change))
        assert response.status_code in (400, 422)
        errors = errors_of(response)
        assert f'href="#id_{field}"' in errors
        assert message in errors
        assert not Wire.objects.exists()
        assert balance_of(maria.pk) == (100_000, 100_000)


def test_a_ted_above_the_daily_limit_is_refused_on_the_first_step_naming_the_limit():
    """The first step asks the money gate the confirmation asks (level 1: R$ 5.000,00 a day),
    with nothing written; a scheduled TED is judged when it goes."""
    with time_machine.travel(IN_WINDOW, tick=False):
        maria = ted_sender(1_000_000, level=1)
        client = signed_in(maria)
        response = client.post(SEND, form_data(maria, payee(), "5.000,01"))
        assert response.status_code == 422
        errors = errors_of(response)
        assert 'href="#id_amount"' in errors and "R$ 5.000,00" in errors
        assert not client.session.get("portal_pending_teds")
        assert not Wire.objects.exists()
        assert balance_of(maria.pk) == (1_000_000, 1_000_000)
        assert confirm_url(client.post(SEND, form_data(maria, payee(), "4.995,00")))


def test_errors_read_in_english_when_the_customer_chose_it():
    with time_machine.travel(IN_WINDOW, tick=False):
        maria = ted_sender(100_000)
        client = signed_in(maria, "en")
        response = client.post(SEND, form_data(maria, payee(), holder_tax_id="123"))
        assert "Enter a valid CPF or CNPJ." in errors_of(response)
        url = confirm_url(client.post(SEND, form_data(maria, payee())))
        assert 'data-testid="when">now<' in client.get(url).content.decode()


def test_a_customer_below_kyc_level_1_is_told_and_cannot_send():
    with time_machine.travel(IN_WINDOW, tick=False):
        maria = ted_sender(100_000, level=0)
        client = signed_in(maria)
        assert 'data-testid="ted-locked"' in client.get(SEND).content.decode()
        response = client.post(SEND, form_data(maria, payee()))
        assert response.status_code == 422
        assert "nível" in errors_of(response)
        assert not Wire.objects.exists()


def test_a_returned_ted_shows_its_reason():
    with time_machine.travel(IN_WINDOW, tick=False):
        maria = ted_sender(100_000)
        client = signed_in(maria)
        url = confirm_url(client.post(SEND, form_data(maria, payee(state="closed"))))
        with TestCase.captureOnCommitCallbacks(execute=True):
            confirm(client, url)
        assert services.wires_inbox_run() == 1
        wire = Wire.objects.get()
        assert wire.state == Wire.State.RETURNED
        listed = client.get(LIST).content.decode()
        assert "conta de destino encerrada" in listed
        detail = client.get(reverse("portal:ted:detail", args=[wire.public_id])).content.decode()
        assert "conta de destino encerrada" in detail


def test_the_ted_entry_is_in_the_navigation_for_customers_only():
    maria = ted_sender(0)
    assert 'href="/ted/"' in signed_in(maria).get(reverse("portal:home")).content.decode()
    staff = Client()
    staff.force_login(UserFactory(is_staff=True))
    page = staff.get(reverse("portal:home"))
    assert 'href="/ted/"' not in page.content.decode()
    assert staff.get(SEND).status_code == 302  # not a customer: back home with a message
