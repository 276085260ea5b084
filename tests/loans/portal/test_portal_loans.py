"""The customer portal's loan pages (Django test client, real database and services).

A brand-new customer at KYC level 2 (an approved verification with a birth date) and a
funded account simulates, applies, contracts, pays an installment and pays the loan off.
The applicant is a strong one (60 years old, 12 years in the job, own home, R$ 25.000 a
month): an account opened today costs 45 points (apps.loans.scoring.overlay), so the term is
short (6 months) to stay clear of the policy's cut-offs. The
clock is frozen (time-machine) on a Wednesday; every date is computed from the frozen day.
Every refusal a customer can cause is a form error or a message, never a 500; another
customer's loan does not exist (404). Pages are read in English (the msgids) unless a test
says otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Account, Customer
from apps.core.money import format_brl
from apps.core.timezones import BRASILIA
from apps.kyc.models import KycRequest
from apps.loans.models import Loan, LoanPayment
from apps.loans.portal.views import refusal_text
from apps.loans.pricing.dates import add_months, first_due_date
from apps.loans.scoring import policy
from apps.privacy.models import DataSubjectRequest
from tests.factories.customers import person
from tests.factories.ledger import balance_of, funded_account

pytestmark = pytest.mark.django_db

HOME = reverse("portal:loans:home")
SIMULATE = reverse("portal:loans:simulate")
APPLY = reverse("portal:loans:apply")
MODEL = reverse("portal:loans:model")
FROZEN = dt.datetime(2026, 12, 9, 10, 0, tzinfo=BRASILIA)  # a Wednesday, 10:00
TODAY = FROZEN.date()
BIRTH = dt.date(1966, 5, 1)


def applicant(
    balance_cents: int = 3_000_000,
    *,
    level: int = 2,
    name: str = "Maria Souza Lima",
    birth_date: dt.date | None = BIRTH,
) -> Account:
    """A customer at KYC `level` whose approved verification declared a birth date, with
    one funded account."""
    customer = person(name)
    Customer.objects.filter(pk=customer.pk).update(kyc_level=level)
    if level and birth_date:
        KycRequest.objects.create(
            customer=customer,
            target_level=level,
            declared_name=name,
            birth_date=birth_date,
            state=KycRequest.State.APPROVED,
            decided_at=timezone.now(),
        )
    account = funded_account(balance_cents, customer=Customer.objects.get(pk=customer.pk))
    return Account.objects.select_related("customer").get(pk=account.pk)


def signed_in(account: Account, language: str | None = "en") -> Client:
    client = Client()
    client.force_login(account.customer.user)
    if language:
        client.cookies["django_language"] = language
    return client


def apply_data(account: Account, **extra) -> dict:
    data = {
        "account": account.pk,
        "amount": "5.000,00",
        "installments": "6",
        "system": "PRICE",
        "due_day": "10",
        "purpose": "electronics",
        "declared_income": "25.000,00",
        "employment_years": "12",
        "housing": "own",
    }
    data.update(extra)
    return data


def errors_of(response) -> str:
    html = response.content.decode()
    match = re.search(r'<div class="alert alert--error form-errors".*?</div>', html, re.S)
    assert match, f"no form errors on the page ({response.status_code})"
    return match.group(0)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def detail_url(loan: Loan, name: str = "detail") -> str:
    return reverse(f"portal:loans:{name}", args=[loan.public_id])


def quote(page: str, action: str) -> str:
    match = re.search(
        rf'action="/loans/[0-9a-f-]+/{action}/">\s*<input type="hidden" name="csrfmiddlewaretoken"'
        rf'[^>]*>\s*<input type="hidden" name="quote" value="([^"]*)"',
        page,
    )
    assert match, f"no {action} form on the page"
    return match.group(1)


@pytest.fixture
def frozen():
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


def test_simulate_shows_the_schedule_iof_cet_and_a_prefilled_apply_link(frozen):
    maria = applicant()
    client = signed_in(maria)
    page = client.get(SIMULATE)
    assert page.status_code == 200
    assert 'data-testid="simulation"' not in page.content.decode()

    response = client.get(
        SIMULATE, {"amount": "5.000,00", "installments": "12", "system": "SAC", "due_day": "10"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    simulation = response.context["simulation"]
    first_due = first_due_date(TODAY, 10)
    rows = simulation["rows"]
    assert [row["due_date"] for row in rows] == [add_months(first_due, k) for k in range(12)]
    assert all(row["amortization_cents"] == rows[0]["amortization_cents"] for row in rows[:-1])
    assert rows[-1]["balance_cents"] == 0
    assert simulation["released_cents"] == 500_000 - simulation["iof_cents"] > 0
    assert simulation["rate"] == policy.REFERENCE_RATE
    assert f">{first_due:%d/%m/%Y}<" in html
    assert format_brl(simulation["iof_cents"]) in html
    assert format_brl(simulation["released_cents"]) in html
    assert "% a year" in html and "% a month" in html
    assert "The final rate depends on the analysis" in html
    assert f"{APPLY}?amount=5000%2C00&amp;installments=12&amp;system=SAC&amp;due_day=10" in html

    # The link fills in the application.
    apply_page = client.get(APPLY, {"amount": "5000,00", "installments": "12", "system": "SAC"})
    form = apply_page.context["form"]
    assert form["amount"].value() == "5000,00" and form["system"].value() == "SAC"
    assert not Loan.objects.exists()


def test_simulate_refuses_bad_terms_as_form_errors():
    maria = applicant()
    client = signed_in(maria)
    response = client.get(
        SIMULATE, {"amount": "abc", "installments": "0", "system": "PRICE", "due_day": "31"}
    )
    assert response.status_code == 400
    errors = errors_of(response)
    assert "Enter an amount such as" in errors
    assert "greater than or equal to 3" in errors
    assert "less than or equal to 28" in errors
    assert response.context["simulation"] is None


def test_apply_contract_pay_and_payoff(frozen):
    maria = applicant(3_000_000)
    client = signed_in(maria)
    assert client.get(HOME).status_code == 200

    response = client.post(APPLY, apply_data(maria))
    loan = Loan.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(loan)
    assert loan.state == Loan.State.APPROVED, (loan.refusal, loan.score, loan.reasons)
    assert loan.created_by == maria.customer.user

    page = client.get(detail_url(loan))
    html = page.content.decode()
    view = page.context["view"]
    assert view.reasons and len(view.reasons) <= 3
    assert "Why this decision" in html
    for reason in view.reasons:
        assert reason.replace("'", "&#x27;") in html
    assert f'data-testid="score">{loan.score}<' in html
    assert f">{loan.model_version}</a>" in html and f'href="{MODEL}"' in html
    assert 'data-testid="offer-schedule"' in html
    assert "I have read and accept the CCB" in html
    assert format_brl(loan.released_cents) in html
    assert 'href="/loans/' in client.get(HOME).content.decode()

    # The CCB of the offer: a PDF, for its owner only.
    ccb = client.get(detail_url(loan, "ccb"))
    assert ccb.status_code == 200 and ccb["Content-Type"] == "application/pdf"
    assert ccb.content.startswith(b"%PDF")

    # Contracting asks for the CCB's acceptance.
    refused = client.post(detail_url(loan, "contract"), {}, follow=True)
    assert "Read and accept the CCB" in " ".join(messages_of(refused))
    loan.refresh_from_db()
    assert loan.state == Loan.State.APPROVED
    assert balance_of(maria.pk) == (3_000_000, 3_000_000)

    done = client.post(detail_url(loan, "contract"), {"accept_ccb": "on"}, follow=True)
    loan.refresh_from_db()
    assert loan.state == Loan.State.ACTIVE
    assert loan.contract_number
    assert balance_of(maria.pk)[0] == 3_000_000 + loan.released_cents
    assert format_brl(loan.released_cents) in " ".join(messages_of(done))
    html = done.content.decode()
    assert 'data-testid="schedule"' in html
    assert html.count('data-testid="status-') == 6
    assert "Pay installment (" in html and "Pay off (" in html

    # Pay the next installment (early, so discounted): the page's quote is what is paid.
    view = done.context["view"]
    after_contract = balance_of(maria.pk)[0]
    paid = client.post(detail_url(loan, "pay"), {"quote": quote(html, "pay")}, follow=True)
    payment = LoanPayment.objects.get(kind=LoanPayment.Kind.PAYMENT)
    assert payment.amount_cents == view.next_payment_cents
    assert payment.installments == [1]
    assert balance_of(maria.pk)[0] == after_contract - payment.amount_cents
    assert f"Payment of {format_brl(payment.amount_cents)} made." in messages_of(paid)
    assert 'data-testid="status-1">paid<' in paid.content.decode()

    # A stale quote (the same page posted twice) pays nothing.
    again = client.post(detail_url(loan, "pay"), {"quote": quote(html, "pay")}, follow=True)
    assert "The amounts changed" in " ".join(messages_of(again))
    assert LoanPayment.objects.filter(kind=LoanPayment.Kind.PAYMENT).count() == 1

    # Prepay the last two.
    html = again.content.decode()
    prepaid = client.post(
        detail_url(loan, "prepay"),
        {"installments": "2", "quote": quote(html, "prepay")},
        follow=True,
    )
    prepayment = LoanPayment.objects.get(kind=LoanPayment.Kind.PREPAYMENT)
    assert sorted(prepayment.installments) == [5, 6]
    assert 'data-testid="status-6">paid<' in prepaid.content.decode()

    # Pay off the rest: the loan ends and the page shows no payment buttons.
    html = prepaid.content.decode()
    payoff_cents = prepaid.context["view"].payoff_cents
    before = balance_of(maria.pk)[0]
    ended = client.post(detail_url(loan, "payoff"), {"quote": quote(html, "payoff")}, follow=True)
    loan.refresh_from_db()
    assert loan.state == Loan.State.PAID_OFF
    assert balance_of(maria.pk)[0] == before - payoff_cents
    html = ended.content.decode()
    assert f"Payment of {format_brl(payoff_cents)} made." in messages_of(ended)
    assert 'data-testid="payments"' not in html
    assert html.count(">paid</span>") == 6


def test_an_overdue_installment_shows_its_late_charges_as_the_calculator_gives_them(frozen):
    maria = applicant(3_000_000)
    client = signed_in(maria)
    client.post(APPLY, apply_data(maria))
    loan = Loan.objects.get()
    client.post(detail_url(loan, "contract"), {"accept_ccb": "on"})
    loan.refresh_from_db()
    installment = loan.installments.get(number=1)

    frozen.move_to(dt.datetime.combine(loan.first_due_date, dt.time(10), tzinfo=BRASILIA))
    frozen.shift(dt.timedelta(days=10))
    client = signed_in(maria)  # a month later: the session of the contract day expired
    page = client.get(detail_url(loan))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="status-1">overdue 10 days<' in html
    charges = client.post(
        "/api/v1/loans/late-charges",
        {
            "amount": f"{installment.amount_cents / 100:.2f}",
            "monthly_rate": str(loan.monthly_rate),
            "days_late": 10,
        },
        content_type="application/json",
    ).json()
    for testid, key in (
        ("late-interest-1", "interest"),
        ("fine-1", "fine"),
        ("default-interest-1", "default_interest"),
        ("late-total-1", "total"),
    ):
        cents = int(Decimal(charges[key]) * 100)
        assert f'data-testid="{testid}">{format_brl(cents)}<' in html
    # Paying settles the overdue installment with its charges.
    total = installment.amount_cents + int(Decimal(charges["total"]) * 100)
    paid = client.post(detail_url(loan, "pay"), follow=True)
    assert f"Payment of {format_brl(total)} made." in messages_of(paid)


def test_a_rejection_shows_the_limit_and_the_review_request(frozen):
    maria = applicant(3_000_000)
    client = signed_in(maria)
    client.post(APPLY, apply_data(maria, amount="90.000,00", declared_income="3.000,00"))
    loan = Loan.objects.get()
    assert loan.state == Loan.State.REJECTED
    html = client.get(detail_url(loan)).content.decode()
    assert "Why this decision" in html
    assert "Ask a person to review this decision" in html
    if loan.limit_cents:
        assert f"We can offer up to {format_brl(loan.limit_cents)}" in html
    assert refusal_text(loan.refusal) and refusal_text(loan.refusal) in html
    assert client.get(detail_url(loan, "ccb")).status_code == 404
    # A service's refusal is a message, never a 500.
    refused = client.post(detail_url(loan, "contract"), {"accept_ccb": "on"}, follow=True)
    assert refused.status_code == 200
    assert "Only an approved loan can be contracted." in messages_of(refused)
    refused = client.post(detail_url(loan, "pay"), follow=True)
    assert "This loan is not running." in messages_of(refused)
    asked = client.post(detail_url(loan, "review"), follow=True)
    request = DataSubjectRequest.objects.get()
    assert request.kind == DataSubjectRequest.Kind.AUTOMATED_DECISION_REVIEW
    assert request.decision_ref == f"loans:{loan.public_id}"
    assert any("Request received" in m for m in messages_of(asked))
    assert 'data-testid="review"' in asked.content.decode()


def test_another_customers_loan_does_not_exist(frozen):
    maria = applicant(3_000_000)
    signed_in(maria).post(APPLY, apply_data(maria))
    loan = Loan.objects.get()
    joao = signed_in(applicant(100_000, name="Joao Carlos Pereira"))
    for name in ("detail", "ccb"):
        assert joao.get(detail_url(loan, name)).status_code == 404
    for name in ("contract", "cancel", "pay", "prepay", "payoff", "review"):
        assert joao.post(detail_url(loan, name), {"accept_ccb": "on"}).status_code == 404
    assert joao.get("/loans/00000000-0000-0000-0000-000000000000/").status_code == 404
    loan.refresh_from_db()
    assert loan.state == Loan.State.APPROVED
    # The owner may cancel it.
    maria_client = signed_in(maria)
    cancelled = maria_client.post(detail_url(loan, "cancel"), follow=True)
    loan.refresh_from_db()
    assert loan.state == Loan.State.CANCELLED
    assert "The application was cancelled." in messages_of(cancelled)


def test_a_customer_below_kyc_level_2_is_told_why(frozen):
    maria = applicant(3_000_000, level=0)
    client = signed_in(maria)
    page = client.get(APPLY).content.decode()
    assert 'data-testid="loans-locked"' in page and 'href="/verification/"' in page
    response = client.post(APPLY, apply_data(maria))
    assert response.status_code == 422
    assert "level 2" in errors_of(response)
    assert not Loan.objects.exists()
    # In pt-BR as well, without a 500.
    response = signed_in(maria, language=None).post(APPLY, apply_data(maria))
    assert response.status_code == 422
    assert "nível 2" in errors_of(response)
    assert not Loan.objects.exists()


def test_a_verification_without_a_birth_date_is_told_to_update_it(frozen):
    maria = applicant(3_000_000, birth_date=None)
    response = signed_in(maria).post(APPLY, apply_data(maria))
    assert response.status_code == 422
    assert "Your verification has no birth date" in errors_of(response)
    assert not Loan.objects.exists()


def test_bad_input_is_a_form_error_and_nothing_is_created(frozen):
    maria = applicant()
    client = signed_in(maria)
    response = client.post(APPLY, apply_data(maria, amount="abc", installments="0"))
    assert response.status_code == 400
    errors = errors_of(response)
    assert "Enter an amount such as" in errors
    assert "greater than or equal to 3" in errors
    response = client.post(APPLY, apply_data(maria, amount="100,00"))
    assert response.status_code == 400
    assert "Loans go from R$ 500,00 to R$ 100.000,00." in errors_of(response)
    assert not Loan.objects.exists()


def test_the_model_card_shows_the_metrics_and_the_right_to_a_review():
    maria = applicant()
    response = signed_in(maria).get(MODEL)
    assert response.status_code == 200
    html = response.content.decode()
    test = response.context["test"]
    for key in ("auc", "ks", "gini", "brier"):
        assert f'data-testid="{key}">{test[key]}<' in html
    assert 'data-testid="calibration"' in html
    assert "LGPD (art. 20)" in html
    assert f'data-testid="model-version">{response.context["card"]["version"]}<' in html


def test_the_loans_entry_is_in_the_navigation_for_customers():
    maria = applicant()
    assert 'href="/loans/"' in signed_in(maria).get(reverse("portal:home")).content.decode()
