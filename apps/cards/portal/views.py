"""Portal pages of cards: my cards, issue a virtual or physical card, a card's page (activate
a physical card that arrived, block and unblock, report it lost or stolen, which ends it and
issues a replacement), the virtual card's data after a fresh second factor, the card's
controls, its PIN, and its purchases with "it was me" on those the fraud engine flagged.

Thin views: forms parse, services write (apps.cards.services), selectors read
(apps.cards.portal.selectors). A service's DomainError lands on the form field it names, in
the customer's language; nothing a customer can send answers 500, and another customer's
card does not exist (404).

Revealing a virtual card's PAN, expiry and CVV2 asks a second factor used at most
CARDS_REVEAL_MFA_SECONDS before, through allauth.mfa's reauthentication (a password is not a
second factor): the reveal's POST is suspended (allauth keeps it in the session), the
customer types an authenticator code or uses a passkey, and allauth replays the POST, which
answers the card's data at once. Nothing of it is stored (not in the session, the messages,
a cache or a log line: the audit event names the card by BIN + last four) and the answer
says no-store, so neither the browser nor a proxy keeps a copy.
"""

from __future__ import annotations

import time
import uuid

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.internal.flows.reauthentication import suspend_request
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.accounts import services as account_services
from apps.accounts.models import Customer
from apps.cards import services
from apps.cards.models import Authorization, Card
from apps.cards.portal import selectors
from apps.cards.portal.forms import (
    ControlsForm,
    IssueForm,
    PinForm,
    ReportForm,
    domain_error_message,
)
from apps.cards.portal.labels import (
    MCC_GROUP_LABELS,
    card_state_label,
    expiry_display,
    mcc_label,
    purchase_state_label,
    response_text,
)
from apps.core.errors import DomainError
from apps.core.portal import not_found_is_404
from apps.core.timezones import brasilia_now

PAGE_SIZE = 25


def _customer(request: HttpRequest) -> Customer | None:
    return selectors.customer_of_user(user=request.user)


def _customer_or_404(request: HttpRequest) -> Customer:
    customer = _customer(request)
    if customer is None:
        raise Http404("Not a customer.")
    return customer


def _card(request: HttpRequest, card_id: uuid.UUID) -> tuple[Customer, Card]:
    customer = _customer_or_404(request)
    return customer, selectors.card_of(customer=customer, public_id=card_id)


def _locked(customer: Customer) -> bool:
    return customer.kyc_level < account_services.money_gate.level_required("cards")


def _row(card: Card) -> dict:
    return {
        "card": card,
        "expiry": expiry_display(card.expiry),
        "state_label": card_state_label(card.state),
        "blocked_groups": [str(MCC_GROUP_LABELS.get(g, g)) for g in card.blocked_mcc_groups],
    }


def _detail(card: Card):
    return redirect("portal:cards:detail", card_id=card.public_id)


# --- My cards and a new one --------------------------------------------------------------


@login_required
@require_safe
def card_list(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    if customer is None:
        messages.info(request, _("You need an open account to have a card."))
        return redirect("portal:home")
    rows = [_row(card) for card in selectors.cards_of(customer=customer)]
    context = {"rows": rows, "locked": _locked(customer)}
    return render(request, "portal/cards/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def issue(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    form = IssueForm(data=request.POST if request.method == "POST" else None, user=request.user)
    if customer is None or not form.fields["account"].queryset.exists():
        messages.info(request, _("You need an open account to have a card."))
        return redirect("portal:home")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                issued = services.card_issue(
                    customer=customer,
                    account_id=form.cleaned_data["account"].pk,
                    kind=form.cleaned_data["kind"],
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_domain_error(exc)
                status = 422
            else:
                card = issued.card
                if card.kind == Card.Kind.VIRTUAL:
                    messages.success(
                        request,
                        _("Your virtual card %(card)s is ready to use.")
                        % {"card": card.masked_pan},
                    )
                else:
                    messages.success(
                        request,
                        _(
                            "Your physical card %(card)s is on its way. Activate it here when "
                            "it arrives."
                        )
                        % {"card": card.masked_pan},
                    )
                return _detail(card)
    context = {"form": form, "locked": _locked(customer)}
    return render(request, "portal/cards/issue.html", context, status=status)


# --- A card's page and its life ----------------------------------------------------------


@login_required
@require_safe
@not_found_is_404
def detail(request: HttpRequest, card_id: uuid.UUID) -> HttpResponse:
    _customer_obj, card = _card(request, card_id)
    context = {
        **_row(card),
        "replacement": selectors.replacement_of(card),
        "mfa_enabled": is_mfa_enabled(request.user),
    }
    return render(request, "portal/cards/detail.html", context)


def _state_change(request: HttpRequest, card_id: uuid.UUID, perform, done: str) -> HttpResponse:
    customer, card = _card(request, card_id)
    try:
        perform(customer=customer, card_id=card.pk, actor=request.user)
    except DomainError as exc:
        messages.error(request, domain_error_message(exc))
    else:
        messages.success(request, done)
    return _detail(card)


@login_required
@require_POST
@not_found_is_404
def activate(request: HttpRequest, card_id: uuid.UUID) -> HttpResponse:
    return _state_change(
        request, card_id, services.card_activate, _("Card activated: you can use it now.")
    )


@login_required
@require_POST
@not_found_is_404
def block(request: HttpRequest, card_id: uuid.UUID) -> HttpResponse:
    return _state_change(
        request,
        card_id,
        services.card_block,
        _("Card blocked: every purchase is refused until you unblock it."),
    )


@login_required
@require_POST
@not_found_is_404
def unblock(request: HttpRequest, card_id: uuid.UUID) -> HttpResponse:
    return _state_change(request, card_id, services.card_unblock, _("Card unblocked."))


@login_required
@require_http_methods(["GET", "POST"])
@not_found_is_404
def report(request: HttpRequest, card_id: uuid.UUID) -> HttpResponse:
    """Lost or stolen: the card ends for good and a replacement is issued at once."""
    customer, card = _card(request, card_id)
    form = ReportForm(data=request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                replacement = services.card_report(
                    customer=customer,
                    card_id=card.pk,
                    stolen=form.cleaned_data["what"] == "stolen",
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_domain_error(exc)
                status = 422
            else:
                messages.success(
                    request,
                    _(
                        "Card %(old)s ended for good. Your new card is %(new)s, with the same "
                        "controls."
                    )
                    % {"old": card.masked_pan, "new": replacement.card.masked_pan},
                )
                return _detail(replacement.card)
    context = {**_row(card), "form": form}
    return render(request, "portal/cards/report.html", context, status=status)


# --- The virtual card's data, after a fresh second factor --------------------------------


def fresh_second_factor(request: HttpRequest) -> bool:
    """A second factor (TOTP, recovery code, passkey) was used to reauthenticate within
    CARDS_REVEAL_MFA_SECONDS: allauth records each authentication step in the session."""
    records = get_authentication_records(request, request.user)
    newest = [
        record["at"]
        for record in records
        if record.get("method") == "mfa" and record.get("reauthenticated")
    ]
    return bool(newest) and time.time() - max(newest) < settings.CARDS_REVEAL_MFA_SECONDS


def _mfa_reauthenticate_url(request: HttpRequest) -> str:
    """allauth.mfa's reauthentication page: the authenticator code (or the passkey one when
    the customer has passkeys only), never the password's."""
    methods = get_account_adapter(request).get_reauthentication_methods(request.user)
    for method in methods:
        if method["id"].startswith("mfa_"):
            return method["url"]
    return reverse("mfa_reauthenticate")


def _no_store(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    response["Pragma"] = "no-cache"
    response["Expires"] = "0"
    return response


@login_required
@require_POST
@not_found_is_404
def reveal(request: HttpRequest, card_id: uuid.UUID) -> HttpResponse:
    customer, card = _card(request, card_id)
    if card.kind != Card.Kind.VIRTUAL:
        messages.error(request, _("Only a virtual card's data can be shown here."))
        return _detail(card)
    if not is_mfa_enabled(request.user):
        response = render(request, "portal/cards/reveal_needs_mfa.html", _row(card), status=403)
        return _no_store(response)
    if not fresh_second_factor(request):
        # allauth keeps this POST, asks the second factor, then replays it here.
        return _no_store(suspend_request(request, _mfa_reauthenticate_url(request)))
    try:
        revealed = services.card_reveal(customer=customer, card_id=card.pk)
    except DomainError as exc:
        messages.error(request, domain_error_message(exc))
        return _detail(card)
    pan = revealed.pan
    context = {
        **_row(card),
        "pan_groups": [pan[i : i + 4] for i in range(0, len(pan), 4)],
        "cvv2": revealed.cvv2,
        "seconds": settings.CARDS_REVEAL_MFA_SECONDS,
    }
    return _no_store(render(request, "portal/cards/reveal.html", context))


# --- Controls and PIN --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@not_found_is_404
def controls(request: HttpRequest, card_id: uuid.UUID) -> HttpResponse:
    customer, card = _card(request, card_id)
    if card.state not in Card.LIVE_STATES:
        messages.error(request, _("This card has ended."))
        return _detail(card)
    if request.method == "GET":
        form = ControlsForm(initial=ControlsForm.initial_of(card))
        return render(request, "portal/cards/controls.html", {**_row(card), "form": form})
    form = ControlsForm(data=request.POST)
    status = 400
    if form.is_valid():
        try:
            services.card_controls_update(
                customer=customer, card_id=card.pk, actor=request.user, **form.controls()
            )
        except DomainError as exc:
            form.add_domain_error(exc)
            status = 422
        else:
            messages.success(request, _("The card's controls were saved."))
            return _detail(card)
    return render(
        request, "portal/cards/controls.html", {**_row(card), "form": form}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
@not_found_is_404
def pin(request: HttpRequest, card_id: uuid.UUID) -> HttpResponse:
    customer, card = _card(request, card_id)
    if card.state not in Card.LIVE_STATES:
        messages.error(request, _("This card has ended."))
        return _detail(card)
    form = PinForm(data=request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.card_pin_set(
                    customer=customer,
                    card_id=card.pk,
                    pin=form.cleaned_data["pin"],
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_domain_error(exc)
                status = 422
            else:
                messages.success(request, _("The card's PIN was changed."))
                return _detail(card)
    response = render(request, "portal/cards/pin.html", {**_row(card), "form": form}, status=status)
    return _no_store(response)


# --- Purchases ---------------------------------------------------------------------------


def _purchase(authorization: Authorization) -> dict:
    local = brasilia_now(authorization.created_at)
    flagged = selectors.is_flagged(authorization)
    return {
        "authorization": authorization,
        "date": local.strftime("%d/%m/%Y"),
        "time": local.strftime("%H:%M"),
        "iso_time": local.isoformat(),
        "mcc_label": mcc_label(authorization.mcc),
        "response": response_text(authorization.response_code),
        "state_label": purchase_state_label(authorization.state),
        "approved": authorization.response_code == "00",
        "flagged": flagged,
        "can_confirm": flagged and not authorization.customer_confirmed,
    }


@login_required
@require_safe
@not_found_is_404
def transactions(request: HttpRequest, card_id: uuid.UUID) -> HttpResponse:
    _customer_obj, card = _card(request, card_id)
    page = Paginator(selectors.authorizations_of(card=card), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [_purchase(a) for a in page.object_list]
    context = {**_row(card), "page": page, "rows": rows}
    return render(request, "portal/cards/transactions.html", context)


@login_required
@require_POST
@not_found_is_404
def it_was_me(request: HttpRequest, card_id: uuid.UUID, authorization_id: int) -> HttpResponse:
    """The customer confirms a purchase the fraud engine flagged: it feeds the rules."""
    from apps.cards.fraud.feedback import authorization_confirm

    customer, card = _card(request, card_id)
    if not selectors.authorizations_of(card=card).filter(pk=authorization_id).exists():
        raise Http404("No such purchase on this card.")
    try:
        authorization_confirm(customer=customer, authorization_id=authorization_id)
    except DomainError as exc:
        messages.error(request, domain_error_message(exc))
    else:
        messages.success(request, _("Thank you: we noted that this purchase was yours."))
    return redirect("portal:cards:transactions", card_id=card.public_id)
