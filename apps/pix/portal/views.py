"""Portal pages of Pix: home, send (form -> confirmation -> receipt), receive, keys, limits,
history with refunds and the cancelling of scheduled Pix.

Thin views: forms parse, services write (apps.pix.keys.services, the transfer services,
the night limit), selectors read (apps.pix.portal.selectors). A service's DomainError lands
on the form, in the customer's language; nothing a customer can send answers 500.

Sending copies the book transfer's shape (apps.accounts.views): the form parks the payment
in the session under a one-time token, the confirmation page shows the payee as the
directory describes it, and only the confirmation's POST moves money, once per token (an
`IdempotencyRecord` written in the same transaction as the Pix).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import asdict
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.accounts import selectors as account_selectors
from apps.accounts import services as account_services
from apps.core.errors import DomainError
from apps.core.forms import ConfirmationForm
from apps.core.models import IdempotencyRecord
from apps.core.money import format_brl
from apps.core.pending import SessionPending
from apps.core.portal import not_found_is_404
from apps.core.transactions import kept_writes
from apps.pix.codecs.brcode import BRCodeError
from apps.pix.codecs.keys import infer_key_type, mask_key
from apps.pix.codecs.qr import qr_data_uri
from apps.pix.keys import services
from apps.pix.keys.selectors import key_of_user, keys_of_user
from apps.pix.models import PixKey, PixTransfer
from apps.pix.portal import selectors
from apps.pix.portal.forms import (
    MESSAGES,
    KeyCodeForm,
    KeyRegisterForm,
    NightLimitForm,
    ReceiveForm,
    RefundForm,
    SendForm,
    brcode_error_message,
    domain_error_message,
    pt_br_amount,
)
from apps.pix.transfers import limits as pix_limits
from apps.pix.transfers.services import payees as pix_payees
from apps.pix.transfers.services import refunds
from apps.pix.transfers.services import send as transfers

# Pending Pix live in the session between the form and the confirmation, keyed by a
# one-time token: a few at most (several tabs), each for a limited time.
PENDING = SessionPending("portal_pending_pix")
HISTORY_PAGE_SIZE = 20


def _no_account(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("You need an open account to use Pix."))
    return redirect("portal:home")


# --- Home ------------------------------------------------------------------------------


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "accounts": list(account_selectors.accounts_of_user(user=user)),
        "rows": selectors.pix_rows(selectors.recent_transfers(user=user), user=user),
        "keys_count": selectors.active_keys_of_user(user=user).count(),
    }
    return render(request, "portal/pix/home.html", context)


# --- Send: form -> confirmation -> receipt ---------------------------------------------


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _preview_dict(preview) -> dict:
    """The payee preview as the session can hold it (JSON), with the key masked for show.
    The full name and key are not kept: the page shows only masked ones, and pix_send
    resolves the payee again from the key or code."""
    data = {name: _jsonable(value) for name, value in asdict(preview).items() if name != "name"}
    key = data.get("key") or ""
    try:
        data["masked_key"] = mask_key(infer_key_type(key), key) if key else ""
    except DomainError:
        data["masked_key"] = "***"
    data.pop("key", None)
    return data


def _render_send(request: HttpRequest, form: SendForm, status: int = 200) -> HttpResponse:
    return render(request, "portal/pix/send.html", {"form": form}, status=status)


_PAYMENT_FIELD = {SendForm.KEY: "key", SendForm.CODE: "brcode", SendForm.QR: "qr_image"}


def _send_form(request: HttpRequest, **kwargs) -> SendForm:
    return SendForm(user=request.user, today=timezone.localdate(), **kwargs)


def _amount_to_send(form: SendForm, preview) -> int | None:
    """The amount the confirmation will show, fixed: the one typed, else the code's; None
    (with the form error) when neither says it."""
    typed = form.cleaned_data["amount"]
    amount = typed if typed is not None else preview.amount_cents
    if amount is None:
        form.add_error("amount", MESSAGES["amount_required"])
        form.focus_first_error()
    return amount


def _first_step_checks(form: SendForm, preview, amount: int) -> bool:
    """What the confirmation would refuse, said on the form now (nothing moves): a
    dynamic code cannot be scheduled; a Pix now must pass the money gate (limits, the
    night window, the KYC level) and fit the available balance. A scheduled Pix is judged
    on its day. True when the form can go on."""
    data = form.cleaned_data
    if data["scheduled_for"] is not None:
        if preview.initiation == PixTransfer.Initiation.QRDN:
            form.add_error(
                "scheduled_for", _("A dynamic QR code is paid at once; it cannot be scheduled.")
            )
            form.focus_first_error()
            return False
        return True
    try:
        account_services.debit_precheck(account=data["source"], product="pix", amount_cents=amount)
    except DomainError as exc:
        form.add_check_error(exc)
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def send(request: HttpRequest) -> HttpResponse:
    """Step 1: to whom (key, Pix Copia e Cola or a QR image), how much and when. A valid
    POST looks the payee up in the directory, checks what the confirmation would refuse
    (balance, limits, night window) and moves on to the confirmation; no money moves."""
    if request.method == "POST":
        form = _send_form(request, data=request.POST, files=request.FILES)
        if not form.is_valid():
            return _render_send(request, form, status=400)
        data, payment = form.cleaned_data, form.payment
        try:
            preview = pix_payees.payee_preview(
                account=data["source"],
                key=payment.get("key"),
                brcode=payment.get("brcode"),
                amount_cents=data["amount"],
            )
        except DomainError as exc:
            field = "amount" if exc.field == "amount" else _PAYMENT_FIELD[data["method"]]
            form.add_domain_error(exc, field=field)
            return _render_send(request, form, status=422)
        amount = _amount_to_send(form, preview)
        if amount is None or not _first_step_checks(form, preview, amount):
            return _render_send(request, form, status=422)
        typed = form.typed()
        if data["method"] == SendForm.QR:
            # "Back" refills the form with the code read from the image: no re-upload.
            typed.update(method=SendForm.CODE, brcode=payment["brcode"])
        token = str(uuid.uuid4())
        pending = PENDING.all(request)
        scheduled_for = data["scheduled_for"]
        pending[token] = {
            "account_id": data["source"].pk,
            "account_number": data["source"].number,
            "method": data["method"],
            "key": payment.get("key", ""),
            "brcode": payment.get("brcode", ""),
            "amount": amount,
            "scheduled_for": scheduled_for.isoformat() if scheduled_for else "",
            "description": data["description"],
            "preview": _preview_dict(preview),
            "form": typed,
            "created": time.time(),
        }
        PENDING.save(request, pending)
        return redirect("portal:pix:send_confirm", token=token)

    initial: dict = {}
    edit = PENDING.all(request).get(request.GET.get("edit", ""))
    if edit is not None:  # "Back" from the confirmation: the form as it was typed
        initial = dict(edit["form"])
    else:
        if request.GET.get("source", "").isdigit():
            initial["source"] = int(request.GET["source"])
        if request.GET.get("method") in _PAYMENT_FIELD:
            initial["method"] = request.GET["method"]
    form = _send_form(request, initial=initial)
    if not form.fields["source"].queryset.exists():
        return _no_account(request)
    return _render_send(request, form)


def _send_fingerprint(pending: dict, amount_cents: int, scheduled_for) -> str:
    fields = ("account_id", "method", "key", "brcode", "description")
    canonical = {k: pending[k] for k in fields}
    canonical.update(amount=amount_cents, scheduled_for=str(scheduled_for or ""))
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def _send_execute(*, user, token: str, pending: dict, amount_cents: int, scheduled_for) -> int:
    """Send a confirmed Pix exactly once per confirmation token; returns its id.

    The token is an idempotency key (`IdempotencyRecord`, unique on scope + key) written in
    the same transaction as the Pix: a second POST of the same confirmation (a reload, a
    double click, another tab) waits on the unique index until the first commits, finds
    the record and sends nothing. A refusal rolls both back, so the customer may try again.
    An outbound Pix reaches the SPI only after this transaction commits (pix_send defers
    it), so the debit is always committed first.

    Raises DomainError when a service refuses."""
    scope, key = selectors.pix_send_record_key(user=user, token=token)
    account = account_selectors.account_of_user(user=user, account_id=pending["account_id"])
    if pending["method"] == SendForm.KEY:
        payee = {"key": pending["key"]}
    else:  # a pasted code or one read from an image: the code says who and how much
        payee = {"brcode": pending["brcode"]}
    with kept_writes(), transaction.atomic():  # a refusal's evidence outlives the rollback
        record, created = IdempotencyRecord.objects.get_or_create(
            scope=scope,
            key=key,
            defaults={
                "fingerprint": _send_fingerprint(pending, amount_cents, scheduled_for),
                "status_code": 0,
            },
        )
        if not created:
            return (record.response_body or {}).get("transfer_id")
        transfer = transfers.pix_send(
            account=account,
            amount_cents=amount_cents,
            description=pending["description"],
            scheduled_for=scheduled_for,
            actor=user,
            **payee,
        )
        record.status_code = 201
        record.response_body = {"transfer_id": transfer.pk}
        record.save(update_fields=["status_code", "response_body"])
    return transfer.pk


def _render_confirm(request, token: str, pending: dict, form, status: int = 200):
    context = {
        "token": token,
        "p": pending,
        "preview": pending["preview"],
        "form": form,
        "scheduled_for": _scheduled_day(pending),
    }
    return render(request, "portal/pix/send_confirm.html", context, status=status)


def _scheduled_day(pending: dict) -> date | None:
    day = pending.get("scheduled_for") or ""
    return date.fromisoformat(day) if day else None


def _shown_pix(pending: dict) -> dict:
    """What the confirmation shows, and signs: the POST pays only these values."""
    preview = pending["preview"]
    return {
        "amount": pending["amount"],
        "scheduled_for": pending.get("scheduled_for") or "",
        "payee": preview.get("masked_name"),
        "document": preview.get("masked_tax_id"),
        "key": preview.get("masked_key"),
        "account": pending["account_number"],
        "description": pending["description"] or preview.get("description") or "",
    }


@login_required
@require_http_methods(["GET", "POST"])
def send_confirm(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    """Step 2: the payee as the directory has it (masked), the amount and the day, all as
    fixed text (chosen in step 1); the POST sends exactly those, once."""
    token = str(token)
    if selectors.sent_transfer_by_token(user=request.user, token=token) is not None:
        return redirect("portal:pix:send_receipt", token=token)
    pending_all = PENDING.all(request)
    pending = pending_all.get(token)
    if pending is None or "scheduled_for" not in pending:
        messages.warning(request, _("This Pix expired or was already handled. Start again."))
        return redirect("portal:pix:send")
    form = ConfirmationForm(
        data=request.POST if request.method == "POST" else None,
        token=token,
        values=_shown_pix(pending),
    )
    if request.method == "GET":
        return _render_confirm(request, token, pending, form)
    if not form.is_valid():  # altered: nothing is sent, the page asks again
        return _render_confirm(request, token, pending, form, status=400)
    try:
        _send_execute(
            user=request.user,
            token=token,
            pending=pending,
            amount_cents=pending["amount"],
            scheduled_for=_scheduled_day(pending),
        )
    except DomainError as exc:
        # The pending Pix stays: the customer may go back and change it.
        form.add_error(None, domain_error_message(exc))
        form.focus_first_error()
        return _render_confirm(request, token, pending, form, status=422)
    pending_all.pop(token, None)
    PENDING.save(request, pending_all)
    return redirect("portal:pix:send_receipt", token=token)


@login_required
@require_safe
def send_receipt(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    transfer = selectors.sent_transfer_by_token(user=request.user, token=str(token))
    if transfer is None:
        raise Http404("No such Pix.")
    row = selectors.pix_rows([transfer], user=request.user)[0]
    in_flight = transfer.state in (PixTransfer.State.CREATED, PixTransfer.State.SENT)
    context = {"row": row, "t": transfer, "in_flight": in_flight}
    if request.headers.get("HX-Request") == "true":
        return render(request, "portal/pix/partials/receipt_status.html", context)
    return render(request, "portal/pix/send_receipt.html", context)


# --- Receive ---------------------------------------------------------------------------


@login_required
@require_safe
def receive(request: HttpRequest) -> HttpResponse:
    """A static BR Code for one of the customer's keys: read with GET, nothing stored."""
    keys = selectors.active_keys_of_user(user=request.user)
    bound = "key" in request.GET
    form = ReceiveForm(data=request.GET if bound else None, keys=keys)
    result, status = None, 200
    if bound and form.is_valid():
        data = form.cleaned_data
        try:
            code = selectors.static_code(
                pix_key=data["key"], amount_cents=data["amount"], description=data["description"]
            )
            result = {
                "brcode": code,
                "qr": qr_data_uri(code),
                "amount": data["amount"],
                "description": data["description"],
                "key": mask_key(data["key"].key_type, data["key"].key),
            }
        except BRCodeError as error:
            field = error.rule if error.rule in ("amount", "description") else "key"
            form.add_error(field, brcode_error_message(error))
            form.focus_first_error()
            status = 400
    elif bound:
        status = 400
    context = {"form": form, "result": result, "has_keys": keys.exists()}
    return render(request, "portal/pix/receive.html", context, status=status)


# --- Keys ------------------------------------------------------------------------------


def _keys_page(
    request: HttpRequest,
    *,
    form=None,
    code_form=None,
    code_key_id=None,
    revealed_id=None,
    status=200,
):
    user = request.user
    customer = getattr(user, "customer", None)
    accounts = account_selectors.accounts_of_user(user=user)
    if customer is None or not accounts.exists():
        return _no_account(request)
    keys = list(keys_of_user(user=user))
    rows = []
    for pix_key in keys:
        pending = pix_key.state == PixKey.State.PENDING_OWNERSHIP
        this_form = None
        if pending:
            if code_form is not None and code_key_id == pix_key.pk:
                this_form = code_form
            else:
                this_form = KeyCodeForm(prefix=f"code-{pix_key.pk}")
        rows.append(
            {
                "key": pix_key,
                "masked": mask_key(pix_key.key_type, pix_key.key) or _("(being generated)"),
                "code_form": this_form,
                # The customer's own key in full, only when they asked to see it.
                "revealed": bool(pix_key.key) and pix_key.pk == revealed_id,
                "dom_id": f"pix-key-{pix_key.pk}",
            }
        )
    form = form or KeyRegisterForm(customer=customer, accounts=accounts)
    context = {
        "rows": rows,
        "form": form,
        "max_keys": services.max_keys_for(customer),
        "accounts": list(accounts),
    }
    response = render(request, "portal/pix/keys.html", context, status=status)
    if revealed_id is not None:
        response["Cache-Control"] = "private, no-store"  # a full key: never kept by caches
    return response


@login_required
@require_http_methods(["GET", "POST"])
def keys(request: HttpRequest) -> HttpResponse:
    """The customer's keys, masked, with the register form and the code step."""
    customer = getattr(request.user, "customer", None)
    if request.method == "GET" or customer is None:
        return _keys_page(request)
    accounts = account_selectors.accounts_of_user(user=request.user)
    form = KeyRegisterForm(data=request.POST, customer=customer, accounts=accounts)
    if not form.is_valid():
        return _keys_page(request, form=form, status=400)
    data = form.cleaned_data
    try:
        pix_key = services.key_register(
            account=data["account"],
            key_type=data["key_type"],
            key=data["key_value"],
            actor=request.user,
        )
    except DomainError as exc:
        form.add_domain_error(exc)
        return _keys_page(request, form=form, status=422)
    masked = mask_key(pix_key.key_type, pix_key.key)
    if pix_key.state == PixKey.State.PENDING_OWNERSHIP:
        messages.info(
            request,
            _("We sent a 6-digit code to %(key)s. Enter it below to finish the registration.")
            % {"key": masked},
        )
    else:
        messages.success(request, _("Pix key registered: %(key)s.") % {"key": masked})
    return redirect("portal:pix:keys")


@login_required
@require_POST
@not_found_is_404
def key_reveal(request: HttpRequest, key_id: int) -> HttpResponse:
    """The keys page with one of the customer's own keys in full, to read or copy it (a
    random key cannot be typed from memory). Keys stay masked everywhere else; a POST, so
    that no link, prefetch or history entry shows a key by itself."""
    pix_key = key_of_user(user=request.user, key_id=key_id)
    return _keys_page(request, revealed_id=pix_key.pk)


# Refusals after which the code form has nothing more to offer: the key changed state.
_CODE_FINAL = {"key_ownership_claim_available", "key_portability_available", "code_attempts"}


@login_required
@require_POST
@not_found_is_404
def key_code(request: HttpRequest, key_id: int) -> HttpResponse:
    pix_key = key_of_user(user=request.user, key_id=key_id)
    form = KeyCodeForm(data=request.POST, prefix=f"code-{pix_key.pk}")
    if not form.is_valid():
        return _keys_page(request, code_form=form, code_key_id=pix_key.pk, status=400)
    try:
        services.key_confirm_ownership(
            pix_key=pix_key, code=form.cleaned_data["code"], actor=request.user
        )
    except DomainError as exc:
        if exc.code in _CODE_FINAL:
            messages.warning(request, domain_error_message(exc))
            return redirect("portal:pix:keys")
        form.add_domain_error(exc, field="code")
        return _keys_page(request, code_form=form, code_key_id=pix_key.pk, status=422)
    messages.success(
        request,
        _("Pix key registered: %(key)s.") % {"key": mask_key(pix_key.key_type, pix_key.key)},
    )
    return redirect("portal:pix:keys")


@login_required
@require_POST
@not_found_is_404
def key_resend(request: HttpRequest, key_id: int) -> HttpResponse:
    pix_key = key_of_user(user=request.user, key_id=key_id)
    try:
        services.key_resend_code(pix_key=pix_key, actor=request.user)
    except DomainError as exc:
        messages.error(request, domain_error_message(exc))
    else:
        messages.info(
            request,
            _("A new code was sent to %(key)s.") % {"key": mask_key(pix_key.key_type, pix_key.key)},
        )
    return redirect("portal:pix:keys")


@login_required
@require_http_methods(["GET", "POST"])
@not_found_is_404
def key_delete(request: HttpRequest, key_id: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes (or abandons a registration)."""
    pix_key = key_of_user(user=request.user, key_id=key_id)
    masked = mask_key(pix_key.key_type, pix_key.key)
    if pix_key.state not in PixKey.SLOT_STATES:
        raise Http404("No such key.")
    if request.method == "GET":
        context = {"key": pix_key, "masked": masked}
        return render(request, "portal/pix/key_delete.html", context)
    try:
        services.key_delete(pix_key=pix_key, actor=request.user, reason="deleted in the portal")
    except DomainError as exc:
        messages.error(request, domain_error_message(exc))
    else:
        messages.success(request, _("Pix key deleted: %(key)s.") % {"key": masked or "—"})
    return redirect("portal:pix:keys")


# --- Limits ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@not_found_is_404
def limits(request: HttpRequest) -> HttpResponse:
    """The night limit and window in force, a pending raise, and the form to change them."""
    chosen = request.POST.get("account") or request.GET.get("account")
    account = selectors.account_of_user_or_first(user=request.user, account_id=chosen)
    if account is None:
        return _no_account(request)
    night = pix_limits.night_limit_of(account)
    initial = {"limit": pt_br_amount(night.limit_cents), "starts_at_hour": night.starts_at_hour}
    form = NightLimitForm(data=request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                pix_limits.night_limit_change(
                    account=account,
                    limit_cents=form.cleaned_data["limit"],
                    starts_at_hour=form.cleaned_data["starts_at_hour"],
                    actor=request.user,
                )
            except pix_limits.NightLimitNotApplicable as exc:  # a company: no form to show
                messages.error(request, domain_error_message(exc))
                return redirect(f"{reverse('portal:pix:limits')}?account={account.pk}")
            except DomainError as exc:
                form.add_domain_error(exc)
                status = 422
            else:
                _limit_changed_message(request, pix_limits.night_limit_of(account))
                return redirect(f"{reverse('portal:pix:limits')}?account={account.pk}")
    context = {
        "account": account,
        "accounts": list(account_selectors.accounts_of_user(user=request.user)),
        "night": night,
        "form": form,
        "is_company": account.customer.kind == account.customer.Kind.COMPANY,
    }
    return render(request, "portal/pix/limits.html", context, status=status)


def _limit_changed_message(request: HttpRequest, night) -> None:
    if night.pending_limit_cents is not None and night.pending_effective_at is not None:
        when = timezone.localtime(night.pending_effective_at)
        messages.info(
            request,
            _(
                "Your new night limit of %(amount)s takes effect on %(date)s at %(time)s. "
                "Until then the current limit applies."
            )
            % {
                "amount": format_brl(night.pending_limit_cents),
                "date": when.strftime("%d/%m/%Y"),
                "time": when.strftime("%H:%M"),
            },
        )
    else:
        messages.success(request, _("Your Pix limits were updated."))


# --- History, refunds, scheduled Pix ---------------------------------------------------


@login_required
@require_safe
def history(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.transfers_of_user(user=request.user), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "rows": selectors.pix_rows(page.object_list, user=request.user)}
    return render(request, "portal/pix/history.html", context)


def _render_detail(request, transfer: PixTransfer, refund_form=None, status: int = 200):
    summary = selectors.refund_summary(transfer=transfer)
    row = selectors.pix_rows([transfer], user=request.user)[0]
    if refund_form is None and row.can_refund and summary.left_cents > 0:
        refund_form = RefundForm(
            left_cents=summary.left_cents,
            initial={"refund_id": uuid.uuid4().hex, "amount": pt_br_amount(summary.left_cents)},
        )
    context = {"row": row, "t": transfer, "summary": summary, "refund_form": refund_form}
    return render(request, "portal/pix/detail.html", context, status=status)


@login_required
@require_safe
@not_found_is_404
def detail(request: HttpRequest, transfer_id: int) -> HttpResponse:
    transfer = selectors.transfer_of_user(user=request.user, transfer_id=transfer_id)
    return _render_detail(request, transfer)


@login_required
@require_POST
@not_found_is_404
def refund(request: HttpRequest, transfer_id: int) -> HttpResponse:
    """A devolução of a Pix received, in whole or in part, never beyond what is left."""
    transfer = selectors.transfer_of_user(user=request.user, transfer_id=transfer_id)
    if not selectors.pix_rows([transfer], user=request.user)[0].can_refund:
        messages.error(request, _("Only a Pix you received can be refunded."))
        return redirect("portal:pix:detail", transfer_id=transfer.pk)
    summary = selectors.refund_summary(transfer=transfer)
    form = RefundForm(data=request.POST, left_cents=summary.left_cents)
    if not form.is_valid():
        return _render_detail(request, transfer, form, status=400)
    data = form.cleaned_data
    try:
        done = refunds.refund_request(
            transfer=transfer,
            refund_id=data["refund_id"],
            amount_cents=data["amount"],
            description=data["description"],
            actor=request.user,
        )
    except DomainError as exc:
        form.add_domain_error(exc)
        return _render_detail(request, transfer, form, status=422)
    messages.success(
        request,
        _("Refund of %(amount)s requested: %(state)s.")
        % {"amount": format_brl(done.amount), "state": done.get_state_display()},
    )
    return redirect("portal:pix:detail", transfer_id=transfer.pk)


@login_required
@require_POST
@not_found_is_404
def cancel(request: HttpRequest, transfer_id: int) -> HttpResponse:
    """Cancel a scheduled Pix (nothing was debited yet)."""
    transfer = selectors.transfer_of_user(user=request.user, transfer_id=transfer_id)
    # Only the payer cancels: the account must be the customer's own (else NotFound, 404).
    account = account_selectors.account_of_user(user=request.user, account_id=transfer.account_id)
    try:
        transfers.pix_cancel_scheduled(transfer_id=transfer.pk, account=account, actor=request.user)
    except DomainError as exc:
        messages.error(request, domain_error_message(exc))
    else:
        messages.success(request, _("The scheduled Pix was cancelled."))
    return redirect("portal:pix:history")
