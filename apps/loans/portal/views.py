"""Portal pages of loans: my loans, the simulation at the reference rate, the application,
a loan's page (the decision and its reasons, the offer to contract or cancel, the schedule
with what each installment asks today, and the payments), the CCB PDF and the credit
model's card.

Thin views: forms parse, services write (apps.loans.services), selectors read
(apps.loans.selectors). A service's DomainError lands on the form field it names, or in a
message, in the customer's language; nothing a customer can send answers 500, and another
customer's loan does not exist (404).

A payment button carries the quote the page showed (`quote`): the loan's row is locked, the
quote is computed again and compared before the service runs, so a double click or a page
left open since yesterday does not pay something the customer did not see.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Min, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.accounts import selectors as account_selectors
from apps.accounts.models import Customer
from apps.core.errors import DomainError
from apps.core.money import cents_to_str, format_brl
from apps.core.timezones import brasilia_today
from apps.privacy import selectors as privacy_selectors
from apps.privacy import services as privacy_services
from apps.privacy.models import DataSubjectRequest

from .. import pdf, selectors, services
from ..models import Loan
from ..pricing.dates import first_due_date
from ..registrations import REF_PREFIX
from ..scoring import policy
from ..services.contracts import schedule_of
from .forms import ApplyForm, SimulateForm

TERMS = ("amount", "installments", "system", "due_day")
PRICED = (
    Loan.State.APPROVED,
    Loan.State.CONTRACTED,
    Loan.State.DISBURSED,
    *Loan.LIVE,
    Loan.State.PAID_OFF,
)


def reference_rate() -> Decimal:
    """The policy's reference rate (percent a month, its dearest band): what a simulation
    prices at, the final rate depending on the analysis."""
    return policy.REFERENCE_RATE


# The policy's refusals (Decision.refusal), as the portal says them.
REFUSAL_TEXT = {
    policy.NO_INCOME: gettext_lazy("We cannot lend without a declared monthly income."),
    policy.SCORE_TOO_LOW: gettext_lazy("The score is below the lowest band we lend to today."),
    policy.ABOVE_LIMIT: gettext_lazy("The amount asked for is above what we can lend you now."),
}


def refusal_text(code: str) -> str:
    """The policy's refusal in the reader's language ("" for a code it does not know)."""
    text = REFUSAL_TEXT.get(code)
    return str(text) if text is not None else ""


def _customer(request: HttpRequest) -> Customer | None:
    return account_selectors.customer_of_user(user=request.user)


def _customer_or_404(request: HttpRequest) -> Customer:
    customer = _customer(request)
    if customer is None:
        raise Http404("Not a customer.")
    return customer


def _loan_or_404(customer: Customer, public_id: uuid.UUID) -> Loan:
    loan = selectors.loans_of_customer(customer=customer).filter(public_id=public_id).first()
    if loan is None:
        raise Http404("Loan not found.")
    return loan


def _no_account(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("You need an open account to apply for a loan."))
    return redirect("portal:home")


def _locked_message(customer: Customer) -> str:
    """Why the customer may not apply (the KYC level in the money gate's own words, or the
    product's condition: loans are for natural persons), or ""."""
    return account_selectors.product_refusal(customer=customer, product="loans") or ""


def _locked_by_level(customer: Customer) -> bool:
    """Whether verifying the identity would unlock loans (else the page links no KYC)."""
    return not account_selectors.has_feature(customer, "loans")


def _cents(value: Decimal) -> int:
    return int(value * 100)


def _detail(loan: Loan) -> HttpResponse:
    return redirect("portal:loans:detail", public_id=loan.public_id)


# --- My loans ------------------------------------------------------------------------------


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    if customer is None:
        return _no_account(request)
    loans = selectors.loans_of_customer(customer=customer).annotate(
        next_due=Min("installments__due_date", filter=Q(installments__paid_at__isnull=True))
    )
    context = {
        "loans": loans,
        "locked_message": _locked_message(customer),
        "locked_by_level": _locked_by_level(customer),
    }
    return render(request, "portal/loans/home.html", context)


# --- Simulate ------------------------------------------------------------------------------


def _simulation(data: dict) -> dict:
    """The simulation of `data`'s terms released today at the reference rate, in centavos
    for the page. Raises DomainError when the calculator refuses the terms."""
    release = brasilia_today()
    rate = reference_rate()
    simulation = selectors.loan_simulation(
        principal=Decimal(data["amount"]) / 100,
        monthly_rate=rate,
        installments=data["installments"],
        system=data["system"],
        release_date=release,
        first_due_date=first_due_date(release, data["due_day"]),
        fees=Decimal("0"),
    )
    return {
        "rate": rate,
        "principal_cents": data["amount"],
        "rows": [
            {
                "number": row.number,
                "due_date": row.due_date,
                "amount_cents": _cents(row.amount),
                "interest_cents": _cents(row.interest),
                "amortization_cents": _cents(row.amortization),
                "balance_cents": _cents(row.balance),
            }
            for row in simulation.installments
        ],
        "total_interest_cents": _cents(simulation.total_interest),
        "iof_cents": _cents(simulation.iof),
        "released_cents": _cents(simulation.released_amount),
        "cet_annual_percent": simulation.cet_annual_percent,
        "total_paid_cents": sum(_cents(row.amount) for row in simulation.installments),
    }


@login_required
@require_safe
def simulate(request: HttpRequest) -> HttpResponse:
    bound = any(name in request.GET for name in TERMS)
    form = SimulateForm(data=request.GET if bound else None)
    simulation = None
    apply_query = ""
    if bound and form.is_valid():
        try:
            simulation = _simulation(form.cleaned_data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            data = form.cleaned_data
            apply_query = urlencode(
                {
                    "amount": cents_to_str(data["amount"]).replace(".", ","),
                    "installments": data["installments"],
                    "system": data["system"],
                    "due_day": data["due_day"],
                }
            )
    context = {
        "form": form,
        "simulation": simulation,
        "apply_query": apply_query,
        "reference_rate": reference_rate(),
    }
    return render(
        request, "portal/loans/simulate.html", context, status=400 if form.errors else 200
    )


# --- Apply ---------------------------------------------------------------------------------


def _render_apply(request, customer: Customer, form: ApplyForm, status: int = 200):
    open_application = (
        selectors.loans_of_customer(customer=customer)
        .filter(state__in=Loan.OPEN_APPLICATION)
        .first()
    )
    context = {
        "form": form,
        "locked_message": _locked_message(customer),
        "locked_by_level": _locked_by_level(customer),
        "open_application": open_application,
    }
    return render(request, "portal/loans/apply.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    """The application: the decision (and, when approved, the offer) comes back at once on
    the loan's page. Nothing moves money until the customer contracts the offer."""
    customer = _customer(request)
    if customer is None:
        return _no_account(request)
    if request.method == "GET":
        initial = {name: request.GET[name][:24] for name in TERMS if name in request.GET}
        form = ApplyForm(initial=initial, user=request.user)
        if not form.fields["account"].queryset.exists():
            return _no_account(request)
        return _render_apply(request, customer, form)
    form = ApplyForm(data=request.POST, user=request.user)
    if not form.is_valid():
        return _render_apply(request, customer, form, status=400)
    data = form.cleaned_data
    try:
        loan = services.loan_apply(
            customer=customer,
            account_id=data["account"].pk,
            amount=cents_to_str(data["amount"]),
            installments=data["installments"],
            system=data["system"],
            purpose=data["purpose"],
            declared_income=cents_to_str(data["declared_income"]),
            employment_years=data["employment_years"],
            housing=data["housing"],
            due_day=data["due_day"],
            actor=request.user,
        )
    except DomainError as exc:
        form.add_domain_error(exc)
        return _render_apply(request, customer, form, status=422)
    if loan.state == Loan.State.APPROVED:
        messages.success(request, _("Your loan was approved. Check the offer below."))
    else:
        messages.info(request, _("Your application was not approved. See why below."))
    return _detail(loan)


# --- A loan's page -------------------------------------------------------------------------


def _quotes(view: selectors.LoanView) -> dict[str, str]:
    """What each payment button was shown for (see the module)."""
    first_open = next((row.number for row in view.installments if row.status != "paid"), 0)
    return {
        "pay": f"{first_open}:{view.next_payment_cents}",
        "prepay": f"{view.open_future}",
        "payoff": f"{view.payoff_cents}",
    }


def _review(request: HttpRequest, loan: Loan) -> DataSubjectRequest | None:
    ref = f"{REF_PREFIX}{loan.public_id}"
    return privacy_selectors.requests_of_user(user=request.user).filter(decision_ref=ref).first()


@login_required
@require_safe
def detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    loan = _loan_or_404(_customer_or_404(request), public_id)
    view = selectors.loan_view(loan=loan, today=brasilia_today())
    offer = None
    if loan.state == Loan.State.APPROVED:
        offer = schedule_of(loan)
    context = {
        "loan": loan,
        "view": view,
        "offer": offer,
        "priced": loan.state in PRICED,
        "live": loan.is_live,
        "schedule": [
            {
                **asdict(row),
                "late_total_cents": row.late_interest_cents
                + row.fine_cents
                + row.default_interest_cents,
            }
            for row in view.installments
        ],
        "refusal": refusal_text(loan.refusal) if loan.refusal else "",
        "review": _review(request, loan) if loan.score is not None else None,
        "quotes": _quotes(view),
    }
    return render(request, "portal/loans/detail.html", context)


@login_required
@require_safe
def ccb(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The CCB of a priced loan (the offer's before it is contracted), for its owner only."""
    loan = _loan_or_404(_customer_or_404(request), public_id)
    if loan.state not in PRICED or loan.principal_cents is None:
        raise Http404("No CCB for this loan.")
    response = HttpResponse(pdf.ccb_pdf(loan), content_type="application/pdf")
    name = loan.contract_number or f"oferta-{loan.public_id}"
    response["Content-Disposition"] = f'inline; filename="ccb-{name}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def _act(request: HttpRequest, public_id: uuid.UUID, action) -> HttpResponse:
    """Run `action(customer, loan)` -> the success message; a DomainError is the message."""
    customer = _customer_or_404(request)
    loan = _loan_or_404(customer, public_id)
    try:
        message = action(customer, loan)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if message:
            messages.success(request, message)
    return _detail(loan)


class _StaleQuote(DomainError):
    code = "stale_quote"


def _paid(request: HttpRequest, kind: str, customer: Customer, loan: Loan, pay):
    """Lock the loan, check the quote the page showed is still today's, and pay."""
    shown = request.POST.get("quote", "")[:40]
    with transaction.atomic():
        locked = Loan.objects.select_for_update(of=("self",)).get(pk=loan.pk)
        current = _quotes(selectors.loan_view(loan=locked, today=brasilia_today()))[kind]
        if shown and shown != current:
            raise _StaleQuote(
                _("The amounts changed since the page was shown: check them and try again.")
            )
        return pay()


@login_required
@require_POST
def contract(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    def action(customer: Customer, loan: Loan) -> str:
        if request.POST.get("accept_ccb") != "on":
            raise DomainError(_("Read and accept the CCB to contract the loan."))
        loan = services.loan_contract(customer=customer, loan_id=loan.public_id, actor=request.user)
        return _("Loan contracted: %(amount)s was credited to your account.") % {
            "amount": format_brl(loan.released_cents or 0)
        }

    return _act(request, public_id, action)


@login_required
@require_POST
def cancel(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    def action(customer: Customer, loan: Loan) -> str:
        services.loan_cancel(customer=customer, loan_id=loan.public_id, actor=request.user)
        return _("The application was cancelled.")

    return _act(request, public_id, action)


def _payment_view(kind: str, call):
    """A POST view paying with `call(request, customer, loan)` after the quote check."""

    @login_required
    @require_POST
    def view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
        def action(customer: Customer, loan: Loan) -> str:
            payment = _paid(request, kind, customer, loan, lambda: call(request, customer, loan))
            return _("Payment of %(amount)s made.") % {"amount": format_brl(payment.amount_cents)}

        return _act(request, public_id, action)

    view.__name__ = kind
    return view


pay = _payment_view(
    "pay",
    lambda request, customer, loan: services.loan_pay_installment(
        customer=customer, loan_id=loan.public_id, actor=request.user
    ),
)
prepay = _payment_view(
    "prepay",
    lambda request, customer, loan: services.loan_prepay(
        customer=customer,
        loan_id=loan.public_id,
        installments=request.POST.get("installments", "").strip()[:4],
        actor=request.user,
    ),
)
payoff = _payment_view(
    "payoff",
    lambda request, customer, loan: services.loan_payoff(
        customer=customer, loan_id=loan.public_id, actor=request.user
    ),
)


@login_required
@require_POST
def review(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """LGPD art. 20: ask a person to review the automated rejection (apps.privacy)."""

    def action(customer: Customer, loan: Loan) -> str:
        req = privacy_services.privacy_request_create(
            customer=customer,
            kind=DataSubjectRequest.Kind.AUTOMATED_DECISION_REVIEW,
            details=request.POST.get("details", "")[:2000],
            decision_ref=f"{REF_PREFIX}{loan.public_id}",
            actor=request.user,
        )
        return _("Request received. We answer by %(due)s.") % {
            "due": timezone.localtime(req.due_at).strftime("%d/%m/%Y")
        }

    return _act(request, public_id, action)


# --- The credit model ----------------------------------------------------------------------


def _decimal(text) -> Decimal | str:
    """A metric of the model file ("0.7312") as a Decimal, so the page localizes it."""
    try:
        return Decimal(str(text))
    except ArithmeticError:
        return str(text)


def _percent(text) -> Decimal | str:
    value = _decimal(text)
    return (value * 100).quantize(Decimal("0.1")) if isinstance(value, Decimal) else value


def _metrics(sample: dict) -> dict:
    return {key: _decimal(sample[key]) for key in ("auc", "ks", "gini", "brier") if key in sample}


@login_required
@require_safe
def model(request: HttpRequest) -> HttpResponse:
    card = selectors.model_card()
    metrics = card.get("metrics") or {}
    test = metrics.get("test") or {}
    calibration = [
        {
            "band": row.get("band", ""),
            "predicted": _percent(row.get("predicted_pd", "")),
            "observed": _percent(row.get("observed_default_rate", "")),
            "count": row.get("count", ""),
        }
        for row in test.get("calibration") or []
    ]
    context = {
        "card": card,
        "dataset": card.get("dataset") or {},
        "test": _metrics(test),
        "train": _metrics(metrics.get("train") or {}),
        "calibration": calibration,
    }
    return render(request, "portal/loans/model.html", context)
