"""Portal pages of the accounts domain: the dashboard and the book transfer."""

from __future__ import annotations

import hashlib
import json
import time
import uuid

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from apps.core.documents import mask_tax_id
from apps.core.errors import DomainError
from apps.core.forms import ConfirmationForm
from apps.core.models import IdempotencyRecord
from apps.core.pending import SessionPending

from . import dashboard, selectors, services
from .forms import BookTransferForm

# Pending transfers live in the session between the form and the confirmation, keyed by a
# one-time token; a few at most (several tabs), each for a limited time.
PENDING = SessionPending("portal_pending_transfers")


@login_required
@require_safe
def home(request):
    user = request.user
    customer = getattr(user, "customer", None)
    context = {
        "customer": customer,
        "display_name": customer.full_name if customer else user.get_full_name(),
        "masked_tax_id": mask_tax_id(customer.tax_id) if customer else "",
        "mfa_enabled": is_mfa_enabled(user),
        "accounts": dashboard.dashboard_accounts(user=user) if customer else [],
        "movements": dashboard.recent_movements(user=user) if customer else [],
        "in_compliance_review": (
            customer is not None
            and customer.state == customer.State.PENDING
            and "screening_review" in selectors.onboarding_pending_reasons(customer=customer)
        ),
    }
    return render(request, "portal/home.html", context)


@login_required
@require_safe
def dashboard_accounts(request):
    """The balance cards (htmx refresh after the live connection was lost for a while)."""
    context = {"accounts": dashboard.dashboard_accounts(user=request.user)}
    return render(request, "portal/partials/dashboard_accounts.html", context)


@login_required
@require_safe
def dashboard_activity(request):
    """The recent activity list (htmx refresh when money moves)."""
    context = {"movements": dashboard.recent_movements(user=request.user)}
    return render(request, "portal/partials/dashboard_activity.html", context)


def user_display(user) -> str:
    """How allauth names a user on pages and in emails (ACCOUNT_USER_DISPLAY)."""
    return user.get_full_name()


# --- Book transfer: form -> confirmation -> receipt -------------------------------------

# Domain errors of the ledger, in the customer's language; any other code shows the
# service's own message.
_DOMAIN_ERROR_MESSAGES = {
    "insufficient_funds": gettext_lazy("Insufficient available balance for this transfer."),
    "account_unavailable": gettext_lazy(
        "One of the accounts does not allow this movement right now. Contact support if "
        "this persists."
    ),
    "account_not_found": gettext_lazy("There is no Athena Pay account with this number."),
}


def _domain_error_message(exc: DomainError) -> str:
    message = _DOMAIN_ERROR_MESSAGES.get(exc.code)
    return str(message) if message is not None else exc.message


def _transfer_form(request: HttpRequest, *args, **kwargs) -> BookTransferForm:
    return BookTransferForm(*args, user=request.user, **kwargs)


def _render_transfer_form(request: HttpRequest, form: BookTransferForm, status: int = 200):
    return render(request, "portal/transfer.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def transfer(request: HttpRequest) -> HttpResponse:
    """Step 1: the form. A valid POST parks the transfer in the session and moves on to the
    confirmation page; nothing is paid here."""
    if request.method == "POST":
        form = _transfer_form(request, data=request.POST)
        if not form.is_valid():
            return _render_transfer_form(request, form, status=400)
        try:  # what the confirmation would refuse, said now, on the amount (moves nothing)
            services.debit_precheck(
                account=form.cleaned_data["source"],
                product="book",
                amount_cents=form.cleaned_data["amount"],
            )
        except DomainError as exc:
            form.add_check_error(exc)
            return _render_transfer_form(request, form, status=422)
        token = str(uuid.uuid4())
        pending = PENDING.all(request)
        pending[token] = {**form.pending_transfer(), "created": time.time()}
        PENDING.save(request, pending)
        return redirect("portal:transfer_confirm", token=token)

    initial = {}
    edit = PENDING.all(request).get(request.GET.get("edit", ""))
    if edit is not None:  # "Back" from the confirmation: the form as it was typed
        initial = dict(edit["form"])
    elif request.GET.get("source", "").isdigit():
        initial["source"] = int(request.GET["source"])
    form = _transfer_form(request, initial=initial)
    if not form.fields["source"].queryset.exists():
        messages.info(request, _("You need an open account to make transfers."))
        return redirect("portal:home")
    return _render_transfer_form(request, form)


def _transfer_fingerprint(pending: dict) -> str:
    fields = ("source_id", "destination_id", "amount", "description")
    canonical = json.dumps({k: pending[k] for k in fields}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _transfer_execute(*, user, token: str, pending: dict) -> None:
    """Pay a confirmed transfer exactly once per confirmation token.

    The token is an idempotency key stored with the core kernel's `IdempotencyRecord`
    (unique on scope + key), in the same transaction as the ledger entry. A second POST of
    the same confirmation, even one racing the first from another tab or a double click
    that the session could not stop (both requests loaded the session before either saved
    it), blocks on the unique index until the first commits, then finds the record and pays
    nothing. If the transfer is refused the transaction rolls back with the record, and the
    customer may try again. `book_transfer` cannot carry the token on the entry itself (it
    sets its own reference), hence the record.

    Raises DomainError when the ledger refuses the movement.
    """
    scope = dashboard.TRANSFER_SCOPE.format(user_id=user.pk)
    key = dashboard.TRANSFER_KEY.format(token=token)
    with transaction.atomic():
        record, created = IdempotencyRecord.objects.get_or_create(
            scope=scope,
            key=key,
            defaults={"fingerprint": _transfer_fingerprint(pending), "status_code": 0},
        )
        if not created:
            return  # already paid by an earlier confirmation of this token
        entry_id = services.transfer_send(
            source_id=pending["source_id"],
            destination_id=pending["destination_id"],
            amount_cents=pending["amount"],
            description=pending["description"],
            created_by_id=user.pk,
        )
        record.status_code = 201
        record.response_body = {
            "entry_id": entry_id,
            **{
                k: pending[k]
                for k in (
                    "amount",
                    "description",
                    "payee",
                    "source_branch",
                    "source_number",
                    "destination_branch",
                    "destination_number",
                )
            },
        }
        record.save(update_fields=["status_code", "response_body"])


def _shown_transfer(pending: dict) -> dict:
    """What the confirmation shows, and signs: the POST pays only these values."""
    fields = ("amount", "payee", "source_number", "destination_branch", "destination_number")
    return {name: pending[name] for name in (*fields, "description")}


@login_required
@require_http_methods(["GET", "POST"])
def transfer_confirm(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    """Step 2: show the payee (masked) and the amount as text; POST pays them, once."""
    token = str(token)
    if dashboard.transfer_receipt(user=request.user, token=token) is not None:
        return redirect("portal:transfer_receipt", token=token)
    pending_all = PENDING.all(request)
    pending = pending_all.get(token)
    if pending is None:
        messages.warning(request, _("This transfer expired or was already handled. Start again."))
        return redirect("portal:transfer")
    form = ConfirmationForm(
        data=request.POST if request.method == "POST" else None,
        token=token,
        values=_shown_transfer(pending),
    )
    context = {"token": token, "t": pending, "form": form}
    if request.method == "GET":
        return render(request, "portal/transfer_confirm.html", context)
    if not form.is_valid():  # altered: nothing is paid, the page asks again
        return render(request, "portal/transfer_confirm.html", context, status=400)

    try:
        _transfer_execute(user=request.user, token=token, pending=pending)
    except DomainError as exc:
        # Back to the form as typed, with the ledger's answer on it.
        form = _transfer_form(request, data=pending["form"])
        form.is_valid()
        form.add_error(None, _domain_error_message(exc))
        return _render_transfer_form(request, form, status=422)
    finally:
        pending_all.pop(token, None)
        PENDING.save(request, pending_all)
    return redirect("portal:transfer_receipt", token=token)


@login_required
@require_safe
def transfer_receipt(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    receipt = dashboard.transfer_receipt(user=request.user, token=str(token))
    if receipt is None:
        raise Http404("No such transfer.")
    return render(request, "portal/transfer_receipt.html", {"receipt": receipt})
