"""Portal pages of TED: send (form -> confirmation -> the TED's page), my TEDs (cancel a
scheduled one), a TED's page and its receipt PDF, favourite destinations, and the bank
look-up the send form's bank field asks as the customer types (htmx; without JavaScript a
typed code or ISPB works the same).

Thin views: forms parse, services write (apps.wire.services), selectors read
(apps.wire.selectors). A service's DomainError lands on the form field it names, in the
customer's language; nothing a customer can send answers 500, and another customer's TED or
favourite does not exist (404).

Sending copies the boleto payment's shape (apps.boleto.portal.views): the form asks
`wire_quote` (which moves no money), parks the order in the session under a one-time token,
and the confirmation shows everything read-only with the fee, the total and when the TED
goes ("now", or the moment of the next window); only the confirmation's POST sends, once
per token (an `IdempotencyRecord` written in the same transaction as the wire).
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
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.accounts import selectors as account_selectors
from apps.accounts import services as account_services
from apps.accounts.models import Customer
from apps.core.documents import mask_tax_id
from apps.core.errors import DomainError
from apps.core.models import IdempotencyRecord
from apps.core.pending import SessionPending
from apps.core.portal import not_found_is_404
from apps.core.timezones import brasilia_now, brasilia_today
from apps.wire import pdf, selectors, services
from apps.wire.ledger_lines import reason_text
from apps.wire.models import AccountType, Wire
from apps.wire.portal.forms import ConfirmForm, SendForm, bank_label, domain_error_message
from apps.wire.services import favourites

PENDING = SessionPending("portal_pending_teds")
PAGE_SIZE = 20
SEND_SCOPE = "portal:ted_send:{user_id}"
SEND_KEY = "confirm:{token}"
BANK_OPTIONS = 20


def _customer(request: HttpRequest) -> Customer | None:
    return account_selectors.customer_of_user(user=request.user)


def _customer_or_404(request: HttpRequest) -> Customer:
    customer = _customer(request)
    if customer is None:
        raise Http404("Not a customer.")
    return customer


def _no_account(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("You need an open account to send a TED."))
    return redirect("portal:home")


def _locked(customer: Customer) -> bool:
    return customer.kyc_level < account_services.money_gate.level_required("ted")


# --- The bank look-up ------------------------------------------------------------------


@login_required
@require_safe
def banks(request: HttpRequest) -> HttpResponse:
    """The <option>s of the bank field's list for what was typed (an htmx partial)."""
    term = request.GET.get("bank", "")[:60]
    found = selectors.banks_search(term, limit=BANK_OPTIONS, str_only=True)
    options = [{"value": bank_label(b), "bank": b} for b in found]
    return render(request, "portal/ted/_bank_options.html", {"options": options})


# --- Send: form -> confirmation -> the TED's page --------------------------------------


def _when(goes_at: dt.datetime) -> dict:
    local = brasilia_now(goes_at)
    return {"date": local.strftime("%d/%m/%Y"), "time": local.strftime("%H:%M")}


def _shown(quote: services.WireQuote) -> dict:
    """What the confirmation shows (JSON for the session): the document masked."""
    return {
        "source_account": quote.account.number,
        "bank_ispb": quote.bank.ispb,
        "bank_compe": quote.bank.compe,
        "bank_name": quote.bank.name,
        "branch": quote.branch,
        "account_number": quote.account_number,
        "account_type": quote.account_type,
        "holder_name": quote.holder_name,
        "holder_tax_id_masked": mask_tax_id(quote.holder_tax_id),
        "amount": quote.amount,
        "fee": quote.fee,
        "total": quote.total,
        "note": quote.note,
        "scheduled": quote.scheduled,
        "goes_at": quote.goes_at.isoformat(),
        "when": _when(quote.goes_at) if quote.scheduled else None,
    }


def _render_send(request: HttpRequest, form: SendForm, status: int = 200) -> HttpResponse:
    customer = _customer(request)
    typed = form["bank"].value() or ""
    options = [
        {"value": bank_label(b), "bank": b}
        for b in selectors.banks_search(
            typed if form.bank is None else "", limit=BANK_OPTIONS, str_only=True
        )
    ]
    context = {
        "form": form,
        "bank_options": options,
        "favourites": list(selectors.favourites_of(customer=customer)[:20]) if customer else [],
        "locked": customer is not None and _locked(customer),
    }
    return render(request, "portal/ted/send.html", context, status=status)


def _send_form(request: HttpRequest, **kwargs) -> SendForm:
    return SendForm(
        user=request.user,
        today=brasilia_today(),
        bank_search_url=reverse("portal:ted:banks"),
        **kwargs,
    )


def _initial_from_favourite(customer: Customer, favourite_id: str) -> dict:
    favourite = (
        selectors.favourites_of(customer=customer).filter(pk=favourite_id).first()
        if favourite_id.isdigit()
        else None
    )
    if favourite is None:
        return {}
    bank = selectors.bank_by_code(favourite.bank_ispb)
    return {
        "bank": bank_label(bank) if bank else favourite.bank_ispb,
        "branch": favourite.branch,
        "account_number": favourite.account_number,
        "account_type": favourite.account_type,
        "holder_name": favourite.holder_name,
        "holder_tax_id": favourite.holder_tax_id,
    }


def _order(data: dict) -> dict:
    """The keyword arguments of wire_quote / wire_send, as the session can hold them."""
    return {
        "account_id": data["account"].pk,
        "bank": data["bank"],
        "branch": data["branch"],
        "account_number": data["account_number"],
        "account_type": data["account_type"],
        "holder_name": data["holder_name"],
        "holder_tax_id": data["holder_tax_id"],
        "amount_cents": data["amount"],
        "note": data["note"],
        "scheduled_for": data["scheduled_for"].isoformat() if data["scheduled_for"] else "",
    }


def _service_order(order: dict) -> dict:
    day = order["scheduled_for"]
    return {**order, "scheduled_for": dt.date.fromisoformat(day) if day else None}


@login_required
@require_http_methods(["GET", "POST"])
def send(request: HttpRequest) -> HttpResponse:
    """Step 1: the order. A valid POST asks `wire_quote` (which moves no money) and moves on
    to the confirmation."""
    customer = _customer(request)
    if request.method == "POST":
        form = _send_form(request, data=request.POST)
        if customer is None:
            return _no_account(request)
        if not form.is_valid():
            return _render_send(request, form, status=400)
        order = _order(form.cleaned_data)
        try:
            quote = services.wire_quote(customer=customer, **_service_order(order))
            if not quote.scheduled:
                # What the confirmation's gate would refuse (limits, the KYC level), said
                # now on the amount; a scheduled TED is judged when it goes. Moves nothing.
                account_services.debit_precheck(
                    account=quote.account,
                    product="ted",
                    amount_cents=quote.amount,
                    fee_cents=quote.fee,
                )
        except DomainError as exc:
            if exc.field == "amount":
                form.add_check_error(exc)
            else:
                form.add_domain_error(exc)
            return _render_send(request, form, status=422)
        token = str(uuid.uuid4())
        pending = PENDING.all(request)
        pending[token] = {
            "order": order,
            "shown": _shown(quote),
            "form": {name: str(request.POST.get(name, ""))[:200] for name in form.fields},
            "created": time.time(),
        }
        PENDING.save(request, pending)
        return redirect("portal:ted:confirm", token=token)
    initial: dict = {}
    edit = PENDING.all(request).get(request.GET.get("edit", ""))
    if edit is not None:  # "Back" from the confirmation: the form as it was typed
        initial = dict(edit["form"])
    elif customer is not None and request.GET.get("favourite"):
        initial = _initial_from_favourite(customer, request.GET["favourite"][:20])
    form = _send_form(request, initial=initial)
    if customer is None or not form.fields["account"].queryset.exists():
        return _no_account(request)
    return _render_send(request, form)


def _record_key(user, token: str) -> tuple[str, str]:
    return SEND_SCOPE.format(user_id=user.pk), SEND_KEY.format(token=token)


def _sent_by_token(request: HttpRequest, token: str) -> Wire | None:
    scope, key = _record_key(request.user, token)
    record = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
    customer = _customer(request)
    if record is None or customer is None or not isinstance(record.response_body, dict):
        return None
    public_id = record.response_body.get("wire")
    return selectors.wires_of(customer=customer).filter(public_id=public_id).first()


def _fingerprint(order: dict) -> str:
    return hashlib.sha256(json.dumps(order, sort_keys=True).encode()).hexdigest()


def _send_execute(*, request: HttpRequest, token: str, order: dict) -> Wire | None:
    """Send a confirmed TED exactly once per confirmation token (the token is an
    idempotency key written in the same transaction as the wire: a second POST of the same
    confirmation waits on the unique index, finds the record and sends nothing). A refusal
    rolls both back, so the customer may try again. Raises DomainError when refused."""
    customer = _customer_or_404(request)
    scope, key = _record_key(request.user, token)
    with transaction.atomic():
        record, created = IdempotencyRecord.objects.get_or_create(
            scope=scope,
            key=key,
            defaults={"fingerprint": _fingerprint(order), "status_code": 0},
        )
        if not created:
            return None
        wire = services.wire_send(customer=customer, actor=request.user, **_service_order(order))
        record.status_code = 201
        record.response_body = {"wire": str(wire.public_id)}
        record.save(update_fields=["status_code", "response_body"])
    return wire


def _signed(shown: dict) -> dict:
    """What the confirmation signs: all it shows, the moment as shown ("now" has no time:
    a TED that goes now is quoted again at the POST, with the moment of that POST)."""
    return {name: value for name, value in shown.items() if name != "goes_at"}


def _render_confirm(request, token: str, pending: dict, form, status: int = 200):
    shown = pending["shown"]
    context = {
        "token": token,
        "shown": shown,
        "account_type": AccountType(shown["account_type"]).label,
        "form": form,
    }
    return render(request, "portal/ted/confirm.html", context, status=status)


def _moment_moved(pending: dict, quote: services.WireQuote, form: ConfirmForm) -> bool:
    """The window closed (or opened) between the two steps: show the new moment and ask
    again. True when the customer must look again."""
    shown = pending["shown"]
    same = shown["scheduled"] == quote.scheduled and (
        not quote.scheduled or shown["goes_at"] == quote.goes_at.isoformat()
    )
    pending["shown"] = _shown(quote)
    form.show(_signed(pending["shown"]))  # the page shows these now: the next POST confirms them
    if same:
        return False
    if quote.scheduled:
        when = _when(quote.goes_at)
        form.add_error(
            None,
            _(
                "The TED window closed: this TED will be scheduled for %(date)s at %(time)s "
                "(Brasília time). Check and confirm again."
            )
            % when,
        )
    else:
        form.add_error(
            None, _("The TED window is open: this TED goes now. Check and confirm again.")
        )
    form.focus_first_error()
    return True


def _save_favourite(request: HttpRequest, customer: Customer, order: dict, nickname: str) -> None:
    try:
        favourites.favourite_save(
            customer=customer,
            nickname=nickname,
            bank_ispb=order["bank"],
            branch=order["branch"],
            account_number=order["account_number"],
            account_type=order["account_type"],
            holder_name=order["holder_name"],
            holder_tax_id=order["holder_tax_id"],
        )
    except DomainError as exc:
        messages.warning(
            request,
            _("The favourite was not saved: %(reason)s") % {"reason": domain_error_message(exc)},
        )
    else:
        messages.info(request, _("Destination saved in your favourites."))


@login_required
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    """Step 2: everything read-only (the amount included), the fee, the total and when it
    goes; the POST sends (or schedules) it, once."""
    token = str(token)
    done = _sent_by_token(request, token)
    if done is not None:
        return redirect("portal:ted:detail", wire_id=done.public_id)
    pending_all = PENDING.all(request)
    pending = pending_all.get(token)
    if pending is None:
        messages.warning(request, _("This TED expired or was already handled. Start again."))
        return redirect("portal:ted:send")
    form = ConfirmForm(
        data=request.POST if request.method == "POST" else None,
        token=token,
        values=_signed(pending["shown"]),
    )
    if request.method == "GET":
        return _render_confirm(request, token, pending, form)
    if not form.is_valid():
        return _render_confirm(request, token, pending, form, status=400)
    customer = _customer_or_404(request)
    order = pending["order"]
    try:
        quote = services.wire_quote(customer=customer, **_service_order(order))
    except DomainError as exc:
        form.add_domain_error(exc)
        return _render_confirm(request, token, pending, form, status=422)
    if _moment_moved(pending, quote, form):
        PENDING.save(request, pending_all)
        return _render_confirm(request, token, pending, form, status=422)
    try:
        wire = _send_execute(request=request, token=token, order=order)
    except DomainError as exc:
        # The pending TED stays: the customer may go back and change it.
        form.add_domain_error(exc)
        return _render_confirm(request, token, pending, form, status=422)
    if wire is None:  # a concurrent POST of the same confirmation sent it
        done = _sent_by_token(request, token)
        return (
            redirect("portal:ted:detail", wire_id=done.public_id)
            if done
            else redirect("portal:ted:list")
        )
    pending_all.pop(token, None)
    PENDING.save(request, pending_all)
    if form.cleaned_data["save_favourite"]:
        _save_favourite(request, customer, order, form.cleaned_data["nickname"])
    if wire.state == Wire.State.SCHEDULED:
        messages.success(request, _("TED scheduled."))
    elif wire.state in (Wire.State.SENT, Wire.State.SETTLED):
        messages.success(request, _("TED sent."))
    return redirect("portal:ted:detail", wire_id=wire.public_id)


# --- My TEDs ---------------------------------------------------------------------------


def _row(wire: Wire) -> dict:
    return {
        "wire": wire,
        "holder_tax_id_masked": mask_tax_id(wire.holder_tax_id),
        "return_reason": reason_text(wire.return_code) if wire.state == Wire.State.RETURNED else "",
    }


@login_required
@require_safe
def wire_list(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    if customer is None:
        return _no_account(request)
    page = Paginator(selectors.wires_of(customer=customer), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [_row(wire) for wire in page.object_list]
    return render(request, "portal/ted/list.html", {"page": page, "rows": rows})


@login_required
@require_safe
@not_found_is_404
def detail(request: HttpRequest, wire_id: uuid.UUID) -> HttpResponse:
    wire = selectors.wire_of(customer=_customer_or_404(request), public_id=wire_id)
    return render(request, "portal/ted/detail.html", _row(wire))


@login_required
@require_safe
@not_found_is_404
def receipt_pdf(request: HttpRequest, wire_id: uuid.UUID) -> HttpResponse:
    wire = selectors.wire_of(customer=_customer_or_404(request), public_id=wire_id)
    response = HttpResponse(pdf.wire_receipt_pdf(wire), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="ted-{wire.control_number}.pdf"'
    return response


@login_required
@require_POST
@not_found_is_404
def cancel(request: HttpRequest, wire_id: uuid.UUID) -> HttpResponse:
    """Cancel a scheduled TED (nothing was debited yet)."""
    customer = _customer_or_404(request)
    wire = selectors.wire_of(customer=customer, public_id=wire_id)
    try:
        services.wire_cancel(customer=customer, wire_id=wire.pk, actor=request.user)
    except DomainError as exc:
        messages.error(request, domain_error_message(exc))
    else:
        messages.success(request, _("The scheduled TED was cancelled."))
    return redirect("portal:ted:list")


# --- Favourites ------------------------------------------------------------------------


@login_required
@require_safe
def favourite_list(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    if customer is None:
        return _no_account(request)
    rows = []
    for favourite in selectors.favourites_of(customer=customer):
        bank = selectors.bank_by_code(favourite.bank_ispb)
        rows.append(
            {
                "favourite": favourite,
                "bank": bank_label(bank) if bank else favourite.bank_ispb,
                "holder_tax_id_masked": mask_tax_id(favourite.holder_tax_id),
            }
        )
    return render(request, "portal/ted/favourites.html", {"rows": rows})


@login_required
@require_POST
@not_found_is_404
def favourite_delete(request: HttpRequest, favourite_id: int) -> HttpResponse:
    favourites.favourite_delete(customer=_customer_or_404(request), favourite_id=favourite_id)
    messages.success(request, _("The favourite was deleted."))
    return redirect("portal:ted:favourites")
