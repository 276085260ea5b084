"""Portal pages of boletos: pay (code -> confirmation -> receipt), DDA, my payments,
issue, and the boletos I issued (detail, PDF, cancel).

Thin views: forms parse (the codec checks every digit of a pasted code), services write
(apps.boleto.payments.services, apps.boleto.issuing.services), selectors read
(apps.boleto.selectors). A service's DomainError lands on the form in the customer's
language; nothing a customer can send answers 500, and another customer's boleto or
payment does not exist (404).

Paying copies the Pix send's shape (apps.pix.portal.views): the form parks the payment in
the session under a one-time token, the confirmation shows what CIP says the boleto asks
today, and only the confirmation's POST pays, once per token (an `IdempotencyRecord`
written in the same transaction as the payment).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.accounts import selectors as account_selectors
from apps.accounts import services as account_services
from apps.accounts.models import Customer
from apps.boleto import selectors
from apps.boleto.codecs.codes import CodeError, format_linha, linha_from_barcode
from apps.boleto.issuing import pdf
from apps.boleto.issuing import services as issuing
from apps.boleto.issuing.services import BoletoRequest
from apps.boleto.models import Boleto, BoletoPayment
from apps.boleto.payments import services as payments
from apps.boleto.portal.forms import (
    MESSAGES,
    IssuedFilterForm,
    IssueForm,
    PayForm,
    domain_error_message,
)
from apps.core.errors import DomainError
from apps.core.forms import ConfirmationForm
from apps.core.models import IdempotencyRecord
from apps.core.money import format_brl
from apps.core.pending import SessionPending
from apps.core.portal import not_found_is_404
from apps.core.timezones import brasilia_today

PENDING = SessionPending("portal_pending_boletos")
PAGE_SIZE = 20
PAY_SCOPE = "portal:boleto_pay:{user_id}"
PAY_KEY = "confirm:{token}"


def _customer(request: HttpRequest) -> Customer | None:
    return account_selectors.customer_of_user(user=request.user)


def _customer_or_404(request: HttpRequest) -> Customer:
    customer = _customer(request)
    if customer is None:
        raise Http404("Not a customer.")
    return customer


def _no_account(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("You need an open account to use boletos."))
    return redirect("portal:home")


# --- Pay: code -> confirmation -> receipt ----------------------------------------------


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _quote_dict(quote: payments.BoletoQuote) -> dict:
    """The quote as the session can hold it (JSON), with the beneficiary's document masked:
    the page shows only the masked one, and boleto_pay asks CIP again anyway."""
    return {
        "kind": quote.kind,
        "day": _iso(quote.day),
        "amount": quote.amount,
        "beneficiary_name": quote.beneficiary_name,
        "masked_document": quote.masked_beneficiary_tax_id,
        "bank_code": quote.decoded.bank_code or "",
        "face_amount": quote.face_amount,
        "due_date": _iso(quote.due_date),
        "last_payable_date": _iso(quote.last_payable_date),
        "discount": quote.breakdown.get("discount", 0) + quote.breakdown.get("rebate", 0),
        "fine": quote.breakdown.get("fine", 0),
        "interest": quote.breakdown.get("interest", 0),
        "days_late": quote.breakdown.get("days_late", 0),
        "linha": format_linha(quote.decoded.linha),
    }


def _quote_view(quote: dict) -> dict:
    """The stored quote with its dates as dates again, for the template's date filter."""
    shown = dict(quote)
    for name in ("day", "due_date", "last_payable_date"):
        shown[name] = dt.date.fromisoformat(quote[name]) if quote.get(name) else None
    return shown


def _render_pay(request: HttpRequest, form: PayForm, status: int = 200) -> HttpResponse:
    return render(request, "portal/boleto/pay.html", {"form": form}, status=status)


def _amount_to_pay(form: PayForm, quote: payments.BoletoQuote) -> int | None:
    """The amount the confirmation will show, fixed: what the boleto asks on the day, or
    the one typed when it lets the payer choose; None (with the form error) otherwise."""
    typed = form.cleaned_data["amount"]
    if quote.amount == 0:
        if typed is None:
            form.add_error("amount", MESSAGES["amount_choose"])
        return typed
    if typed is not None and typed != quote.amount:
        form.add_error(
            "amount",
            str(MESSAGES["amount_fixed"])
            % {"amount": format_brl(quote.amount), "date": quote.day.strftime("%d/%m/%Y")},
        )
        return None
    return quote.amount


def _first_step_checks(form: PayForm, quote: payments.BoletoQuote, amount: int) -> bool:
    """What the confirmation would refuse, said on the form now (nothing moves): a
    schedule's day; a payment now must pass the money gate (limits, the KYC level) and
    fit the available balance. A schedule is judged on its day. True when it can go on."""
    data = form.cleaned_data
    try:
        if data["scheduled_for"] is not None:
            payments.boleto_schedule_check(
                quote=quote, scheduled_for=data["scheduled_for"], today=form.today
            )
        else:
            account_services.debit_precheck(
                account=data["account"], product="boleto", amount_cents=amount
            )
    except DomainError as exc:
        if exc.field == "scheduled_for":
            form.add_domain_error(exc)
        else:
            form.add_check_error(exc)
        return False
    return True


def _start_payment(request: HttpRequest, form: PayForm) -> HttpResponse:
    """A valid code: ask CIP what it asks on the day, check what the confirmation would
    refuse, and park it for the confirmation."""
    data = form.cleaned_data
    scheduled_for = data["scheduled_for"]
    try:
        quote = payments.boleto_quote(code=data["code"], day=scheduled_for or form.today)
    except DomainError as exc:
        form.add_domain_error(exc, field="code")
        return _render_pay(request, form, status=422)
    amount = _amount_to_pay(form, quote)
    if amount is None or not _first_step_checks(form, quote, amount):
        form.focus_first_error()
        return _render_pay(request, form, status=422)
    token = str(uuid.uuid4())
    pending = PENDING.all(request)
    pending[token] = {
        "account_id": data["account"].pk,
        "account_number": data["account"].number,
        "code": data["code"],
        "amount": amount,
        "editable": quote.amount == 0,
        "scheduled_for": _iso(scheduled_for),
        "quote": _quote_dict(quote),
        "form": {
            name: str(form.data.get(name, ""))[:80]
            for name in ("account", "code", "amount", "scheduled_for")
        },
        "created": time.time(),
    }
    PENDING.save(request, pending)
    return redirect("portal:boleto:pay_confirm", token=token)


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest) -> HttpResponse:
    """Step 1: the code (barcode or linha, as pasted), the account, the amount when the
    payer chooses it and the day. A valid POST asks CIP about the boleto, checks the
    balance and limits, and moves on to the confirmation; no money moves."""
    if request.method == "POST":
        form = PayForm(data=request.POST, user=request.user, today=brasilia_today())
        if not form.is_valid():
            return _render_pay(request, form, status=400)
        return _start_payment(request, form)
    initial: dict = {}
    edit = PENDING.all(request).get(request.GET.get("edit", ""))
    if edit is not None:  # "Back" from the confirmation: the form as it was typed
        initial = dict(edit["form"])
    elif request.GET.get("code"):
        initial["code"] = request.GET["code"][:80]
    form = PayForm(initial=initial, user=request.user, today=brasilia_today())
    if not form.fields["account"].queryset.exists():
        return _no_account(request)
    return _render_pay(request, form)


def _record_key(user, token: str) -> tuple[str, str]:
    return PAY_SCOPE.format(user_id=user.pk), PAY_KEY.format(token=token)


def _paid_by_token(request: HttpRequest, token: str) -> BoletoPayment | None:
    scope, key = _record_key(request.user, token)
    record = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
    customer = _customer(request)
    if record is None or customer is None or not isinstance(record.response_body, dict):
        return None
    public_id = record.response_body.get("payment")
    return selectors.payments_of(customer=customer).filter(public_id=public_id).first()


def _fingerprint(pending: dict, amount_cents: int | None, scheduled_for) -> str:
    canonical = {
        "account_id": pending["account_id"],
        "code": pending["code"],
        "amount": amount_cents,
        "scheduled_for": _iso(scheduled_for),
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def _pay_execute(
    *, request: HttpRequest, token: str, pending: dict, amount_cents: int | None, scheduled_for
) -> None:
    """Pay a confirmed boleto exactly once per confirmation token.

    The token is an idempotency key written in the same transaction as the payment: a
    second POST of the same confirmation (a reload, a double click, another tab) waits on
    the unique index until the first commits, finds the record and pays nothing. A refusal
    rolls both back, so the customer may try again. Raises DomainError when refused."""
    customer = _customer_or_404(request)
    scope, key = _record_key(request.user, token)
    with transaction.atomic():
        record, created = IdempotencyRecord.objects.get_or_create(
            scope=scope,
            key=key,
            defaults={
                "fingerprint": _fingerprint(pending, amount_cents, scheduled_for),
                "status_code": 0,
            },
        )
        if not created:
            return
        payment = payments.boleto_pay(
            customer=customer,
            account_id=pending["account_id"],
            code=pending["code"],
            amount_cents=amount_cents,
            scheduled_for=scheduled_for,
            actor=request.user,
        )
        record.status_code = 201
        record.response_body = {"payment": str(payment.public_id)}
        record.save(update_fields=["status_code", "response_body"])


def _render_confirm(request, token: str, pending: dict, form, status: int = 200):
    scheduled = pending["scheduled_for"]
    context = {
        "token": token,
        "p": pending,
        "quote": _quote_view(pending["quote"]),
        "scheduled_for": dt.date.fromisoformat(scheduled) if scheduled else None,
        "form": form,
    }
    return render(request, "portal/boleto/pay_confirm.html", context, status=status)


def _shown_payment(pending: dict) -> dict:
    """What the confirmation shows, and signs: the POST pays only these values."""
    quote = pending["quote"]
    return {
        "amount": pending["amount"],
        "day": quote["day"],
        "scheduled_for": pending["scheduled_for"],
        "beneficiary": quote["beneficiary_name"],
        "document": quote["masked_document"],
        "linha": quote["linha"],
        "account": pending["account_number"],
    }


def _requote_today(pending: dict, today: dt.date, form: ConfirmationForm) -> bool:
    """A payment now, confirmed on another day than the one quoted (a page left open over
    midnight): ask CIP again for today. True when the customer must look again (the amount
    moved, or CIP refused); the form says why and shows the new values."""
    try:
        quote = payments.boleto_quote(code=pending["code"], day=today)
    except DomainError as exc:
        form.add_domain_error(exc)
        return True
    moved = not pending["editable"] and quote.amount != pending["amount"]
    pending["quote"] = _quote_dict(quote)
    if not pending["editable"]:
        pending["amount"] = quote.amount
    form.show(_shown_payment(pending))
    if moved:
        form.add_error(
            None,
            _("On %(date)s this boleto asks %(amount)s. Check the amount and confirm again.")
            % {"date": today.strftime("%d/%m/%Y"), "amount": format_brl(quote.amount)},
        )
        form.focus_first_error()
    return moved


@login_required
@require_http_methods(["GET", "POST"])
def pay_confirm(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    """Step 2: who gets the money, what the boleto asks and the day, all as fixed text
    (chosen in step 1); the POST pays (or schedules) exactly those, once."""
    token = str(token)
    if _paid_by_token(request, token) is not None:
        return redirect("portal:boleto:pay_receipt", token=token)
    pending_all = PENDING.all(request)
    pending = pending_all.get(token)
    if pending is None or "amount" not in pending:
        messages.warning(request, _("This payment expired or was already handled. Start again."))
        return redirect("portal:boleto:pay")
    form = ConfirmationForm(
        data=request.POST if request.method == "POST" else None,
        token=token,
        values=_shown_payment(pending),
    )
    if request.method == "GET":
        return _render_confirm(request, token, pending, form)
    if not form.is_valid():  # altered: nothing is paid, the page asks again
        return _render_confirm(request, token, pending, form, status=400)
    scheduled_for = (
        dt.date.fromisoformat(pending["scheduled_for"]) if pending["scheduled_for"] else None
    )
    today = brasilia_today()
    if scheduled_for is None and pending["quote"]["day"] != today.isoformat():
        moved = _requote_today(pending, today, form)
        PENDING.save(request, pending_all)
        if moved:
            return _render_confirm(request, token, pending, form, status=422)
    try:
        _pay_execute(
            request=request,
            token=token,
            pending=pending,
            amount_cents=pending["amount"],
            scheduled_for=scheduled_for,
        )
    except DomainError as exc:
        # The pending payment stays: the customer may go back and change it.
        form.add_error(None, domain_error_message(exc))
        form.focus_first_error()
        return _render_confirm(request, token, pending, form, status=422)
    pending_all.pop(token, None)
    PENDING.save(request, pending_all)
    return redirect("portal:boleto:pay_receipt", token=token)


def _render_payment(request: HttpRequest, payment: BoletoPayment, *, receipt: bool):
    context = {"payment": payment, "linha": _linha_of(payment.barcode), "receipt": receipt}
    return render(request, "portal/boleto/payment_detail.html", context)


def _linha_of(barcode: str) -> str:
    try:
        return format_linha(linha_from_barcode(barcode))
    except CodeError:  # a stored barcode was checked when paid: this is belt and braces
        return barcode


@login_required
@require_safe
def pay_receipt(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    payment = _paid_by_token(request, str(token))
    if payment is None:
        raise Http404("No such payment.")
    return _render_payment(request, payment, receipt=True)


# --- DDA -------------------------------------------------------------------------------


@login_required
@require_safe
def dda(request: HttpRequest) -> HttpResponse:
    """The open boletos registered at CIP against the customer's CPF/CNPJ, any bank."""
    customer = _customer(request)
    accounts = list(account_selectors.accounts_of_user(user=request.user))
    if customer is None or not accounts:
        return _no_account(request)
    rows = [
        {"title": title, "linha": _linha_of(title.barcode), "dom_id": f"dda-linha-{number}"}
        for number, title in enumerate(selectors.dda_of(customer=customer), start=1)
    ]
    context = {"rows": rows, "accounts": accounts}
    return render(request, "portal/boleto/dda.html", context)


# --- My payments -----------------------------------------------------------------------


@login_required
@require_safe
def payments_list(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    if customer is None:
        return _no_account(request)
    page = Paginator(
        selectors.payments_of(customer=customer).select_related("account"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(request, "portal/boleto/payments.html", {"page": page})


@login_required
@require_safe
@not_found_is_404
def payment_detail(request: HttpRequest, payment_id: uuid.UUID) -> HttpResponse:
    payment = selectors.payment_of(customer=_customer_or_404(request), public_id=payment_id)
    return _render_payment(request, payment, receipt=False)


@login_required
@require_POST
@not_found_is_404
def payment_cancel(request: HttpRequest, payment_id: uuid.UUID) -> HttpResponse:
    """Cancel a scheduled payment (nothing was debited yet)."""
    customer = _customer_or_404(request)
    payment = selectors.payment_of(customer=customer, public_id=payment_id)
    try:
        payments.boleto_payment_cancel(customer=customer, payment_id=payment.pk, actor=request.user)
    except DomainError as exc:
        messages.error(request, domain_error_message(exc))
    else:
        messages.success(request, _("The scheduled payment was cancelled."))
    return redirect("portal:boleto:payments")


# --- Issue -----------------------------------------------------------------------------


def _render_issue(request: HttpRequest, form: IssueForm, status: int = 200) -> HttpResponse:
    return render(request, "portal/boleto/issue.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def issue(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    if request.method == "GET":
        form = IssueForm(user=request.user)
        if customer is None or not form.fields["account"].queryset.exists():
            return _no_account(request)
        return _render_issue(request, form)
    if customer is None:
        return _no_account(request)
    form = IssueForm(data=request.POST, user=request.user)
    if not form.is_valid():
        return _render_issue(request, form, status=400)
    data = form.cleaned_data
    boleto_request = BoletoRequest(
        amount_cents=data["amount"],
        due_date=data["due_date"],
        payer_name=data["payer_name"],
        payer_tax_id=data["payer_tax_id"],
        fine_percent=data["fine_percent"],
        interest_monthly_percent=data["interest_monthly_percent"],
        discount_cents=data["discount"],
        discount_until=data["discount_until"] if data["discount"] else None,
        valid_days_after_due=data["valid_days_after_due"],
        seu_numero=data["seu_numero"],
        description=data["description"],
        hybrid=data["hybrid"],
    )
    try:
        boleto = issuing.boleto_issue(
            customer=customer,
            account_id=data["account"].pk,
            request=boleto_request,
            actor=request.user,
        )
    except DomainError as exc:
        form.add_domain_error(exc)
        return _render_issue(request, form, status=422)
    messages.success(request, _("Boleto issued and registered."))
    return redirect("portal:boleto:issued_detail", boleto_id=boleto.public_id)


# --- Issued boletos --------------------------------------------------------------------


@login_required
@require_safe
def issued(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    if customer is None:
        return _no_account(request)
    filters = IssuedFilterForm(data=request.GET or None)
    rows = selectors.boletos_of(customer=customer)
    if filters.is_bound and filters.is_valid():
        data = filters.cleaned_data
        if data["state"]:
            rows = rows.filter(state=data["state"])
        if data["due_from"]:
            rows = rows.filter(due_date__gte=data["due_from"])
        if data["due_to"]:
            rows = rows.filter(due_date__lte=data["due_to"])
        if data["q"]:
            rows = rows.filter(Q(payer_name__icontains=data["q"]) | Q(seu_numero=data["q"]))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"page": page, "filters": filters, "query": query.urlencode()}
    return render(request, "portal/boleto/issued.html", context)


def _pix_code(boleto: Boleto) -> str | None:
    """A hybrid boleto's Pix Copia e Cola, while it can still be paid (to copy and share)."""
    if not boleto.pix_charge_id or boleto.state != Boleto.State.REGISTERED:
        return None
    from apps.pix.charges import services as pix_charges

    return pix_charges.charge_brcode_of(charge_id=boleto.pix_charge_id)


@login_required
@require_safe
@not_found_is_404
def issued_detail(request: HttpRequest, boleto_id: uuid.UUID) -> HttpResponse:
    boleto = selectors.boleto_of(customer=_customer_or_404(request), public_id=boleto_id)
    context = {
        "boleto": boleto,
        "linha": format_linha(boleto.linha),
        "can_cancel": boleto.state == Boleto.State.REGISTERED,
        "pix_code": _pix_code(boleto),
    }
    return render(request, "portal/boleto/issued_detail.html", context)


@login_required
@require_safe
@not_found_is_404
def issued_pdf(request: HttpRequest, boleto_id: uuid.UUID) -> HttpResponse:
    boleto = selectors.boleto_of(customer=_customer_or_404(request), public_id=boleto_id)
    response = HttpResponse(pdf.boleto_pdf(boleto), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="boleto-{boleto.nosso_numero}.pdf"'
    return response


@login_required
@require_POST
@not_found_is_404
def issued_cancel(request: HttpRequest, boleto_id: uuid.UUID) -> HttpResponse:
    customer = _customer_or_404(request)
    boleto = selectors.boleto_of(customer=customer, public_id=boleto_id)
    try:
        issuing.boleto_cancel(customer=customer, boleto_id=boleto.pk, actor=request.user)
    except DomainError as exc:
        messages.error(request, domain_error_message(exc))
    else:
        messages.success(request, _("The boleto was cancelled."))
    return redirect(reverse("portal:boleto:issued_detail", kwargs={"boleto_id": boleto.public_id}))
