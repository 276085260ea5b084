"""The cards console: cards (masked, with their transitions and history) and the
authorizations asked of us as the issuer (read-only, with the ISO fields as received, PAN
masked, and the fraud engine's score and reasons).

A PAN is never shown here, to anyone: a card is its BIN + last four (`masked_pan`) and its
token; `pan_encrypted`, `pan_hash` and `pin_hash` are not fields of any page (nor of the
history, which does not track them). Authorization messages are stored masked; they are
masked again on the way out, should a PAN ever slip through. A card's state changes only
through the services (block, unblock, cancel, lost, stolen, activate), as admin actions that
ask for a reason, run per card and are logged (hence audited).

The fraud engine's and the clearing's consoles live in their own modules
(apps/cards/fraud/admin.py, apps/cards/clearing/admin.py): imported at the bottom so that
admin autodiscovery (which imports `apps.cards.admin` only) registers them.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.cards import services
from apps.cards.models import Authorization, Card
from apps.cards.portal.labels import mcc_label, response_text
from apps.cards.services.card_secrets import mask
from apps.core.admin_states import state_change
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyAdmin,
    ReadOnlyMixin,
    ReasonActionsMixin,
    admin_link,
    brl_or_dash,
    pretty_json,
    transitions_table,
)

_PAN_LIKE = re.compile(r"(?<!\d)\d{13,19}(?!\d)")


def mask_pans(value: Any) -> Any:
    """Any run of 13 to 19 digits (a PAN's length) in a message, masked to BIN + last four;
    shorter numbers (STAN, RRN, amounts of 12 digits) stay as they are."""
    if isinstance(value, str):
        return _PAN_LIKE.sub(lambda m: mask(m.group(0)), value)
    if isinstance(value, dict):
        return {k: mask_pans(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_pans(v) for v in value]
    return value


# --- Cards ----------------------------------------------------------------------------------


class AuthorizationInline(admin.TabularInline):
    model = Authorization
    fk_name = "card"
    fields = ("created_at", "mti", "merchant_name", "mcc", "amount_display", "response_code")
    readonly_fields = fields
    ordering = ("-created_at", "-pk")
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).order_by("-created_at", "-pk")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("amount"))
    def amount_display(self, obj: Authorization) -> str:
        return brl_or_dash(obj.amount)


@admin.register(Card)
class CardAdmin(ReasonActionsMixin, HistoryViewOnlyMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = (
        "masked_pan",
        "kind",
        "state",
        "customer_link",
        "account_display",
        "expiry",
        "created_at",
    )
    list_filter = ("state", "kind", "created_at")
    list_select_related = ("customer", "account")
    search_fields = ("=last4", "=token", "=bin")
    search_help_text = _("Exact last four digits, token or BIN (never a whole card number).")
    ordering = ("-created_at", "-pk")
    date_hierarchy = "created_at"
    show_full_result_count = False
    history_list_display = ("state", "state_reason")
    inlines = (AuthorizationInline,)
    fields = (
        "public_id",
        "masked_pan",
        "token",
        "kind",
        "state",
        "state_reason",
        "holder_name",
        "expiry",
        "customer_link",
        "account_link",
        "per_purchase_limit_display",
        "daily_limit_display",
        "blocked_mcc_groups",
        "online_enabled",
        "contactless_enabled",
        "abroad_enabled",
        "pin_set",
        "pin_attempts",
        "replaces_link",
        "replaced_by_link",
        "activated_at",
        "transitions_display",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = (
        "block_cards",
        "unblock_cards",
        "cancel_cards",
        "report_lost",
        "report_stolen",
        "activate_cards",
    )

    @admin.display(description=_("card"), ordering="last4")
    def masked_pan(self, obj: Card) -> str:
        return obj.masked_pan

    @admin.display(description=_("customer"))
    def customer_link(self, obj: Card) -> str:
        return admin_link(obj.customer, obj.customer.full_name)

    @admin.display(description=_("account"), ordering="account")
    def account_display(self, obj: Card) -> str:
        return f"{obj.account.branch}/{obj.account.number}"

    @admin.display(description=_("account"))
    def account_link(self, obj: Card) -> str:
        return admin_link(obj.account, f"{obj.account.branch}/{obj.account.number}")

    @admin.display(description=_("per-purchase limit"))
    def per_purchase_limit_display(self, obj: Card) -> str:
        return brl_or_dash(obj.per_purchase_limit)

    @admin.display(description=_("daily limit"))
    def daily_limit_display(self, obj: Card) -> str:
        return brl_or_dash(obj.daily_limit)

    @admin.display(description=_("PIN set"), boolean=True)
    def pin_set(self, obj: Card) -> bool:
        return bool(obj.pin_hash)

    @admin.display(description=_("replaces"))
    def replaces_link(self, obj: Card) -> str:
        return admin_link(obj.replaces, obj.replaces.masked_pan) if obj.replaces_id else "-"

    @admin.display(description=_("replaced by"))
    def replaced_by_link(self, obj: Card) -> str:
        replacement = Card.objects.filter(replaces=obj).first() if obj.pk else None
        return admin_link(replacement, replacement.masked_pan) if replacement else "-"

    @admin.display(description=_("transitions"))
    def transitions_display(self, obj: Card) -> str:
        return transitions_table(obj) if obj.pk else "-"

    # --- State changes through the services, with a reason -----------------------------

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("cards.change_card")

    def _run(self, request, queryset, title, call) -> Any:
        def perform(card: Card, reason: str) -> str:
            done = call(card, reason)
            return gettext("now %(state)s.") % {"state": done.get_state_display()}

        return self.run_with_reason(
            request,
            queryset,
            title=str(title),
            perform=perform,
            describe=lambda c: f"{c.masked_pan} - {c.get_state_display()} - {c.customer.full_name}",
        )

    @state_change("block")
    @admin.action(description=_("Block the cards"), permissions=("manage",))
    def block_cards(self, request: HttpRequest, queryset: QuerySet[Card]):
        return self._run(
            request,
            queryset,
            _("Block the cards"),
            lambda card, reason: services.card_block(
                customer=None, card_id=card.pk, actor=request.user, reason=reason
            ),
        )

    @state_change("unblock")
    @admin.action(description=_("Unblock the cards"), permissions=("manage",))
    def unblock_cards(self, request: HttpRequest, queryset: QuerySet[Card]):
        return self._run(
            request,
            queryset,
            _("Unblock the cards"),
            lambda card, reason: services.card_unblock(
                customer=None, card_id=card.pk, actor=request.user
            ),
        )

    @state_change("cancel", summary=_("The card stops working for good; this is final."))
    @admin.action(description=_("Cancel the cards (for good)"), permissions=("manage",))
    def cancel_cards(self, request: HttpRequest, queryset: QuerySet[Card]):
        return self._run(
            request,
            queryset,
            _("Cancel the cards (for good)"),
            lambda card, reason: services.card_cancel(
                customer=None, card_id=card.pk, actor=request.user, reason=reason
            ),
        )

    def _report(self, request, queryset, *, stolen: bool):
        title = (
            _("Report stolen (issue replacements)")
            if stolen
            else _("Report lost (issue replacements)")
        )

        def call(card: Card, reason: str) -> Card:
            replacement = services.card_report(
                customer=None, card_id=card.pk, stolen=stolen, actor=request.user
            )
            card.refresh_from_db()
            self.message_user(
                request,
                gettext("%(card)s: replaced by %(new)s.")
                % {"card": card.masked_pan, "new": replacement.card.masked_pan},
            )
            return card

        return self._run(request, queryset, title, call)

    @state_change("report_lost", summary=_("The card stops working; a replacement is issued."))
    @admin.action(description=_("Report lost (issue replacements)"), permissions=("manage",))
    def report_lost(self, request: HttpRequest, queryset: QuerySet[Card]):
        return self._report(request, queryset, stolen=False)

    @state_change("report_stolen", summary=_("The card stops working; a replacement is issued."))
    @admin.action(description=_("Report stolen (issue replacements)"), permissions=("manage",))
    def report_stolen(self, request: HttpRequest, queryset: QuerySet[Card]):
        return self._report(request, queryset, stolen=True)

    @state_change("activate")
    @admin.action(description=_("Activate the cards (physical, arrived)"), permissions=("manage",))
    def activate_cards(self, request: HttpRequest, queryset: QuerySet[Card]):
        return self._run(
            request,
            queryset,
            _("Activate the cards (physical, arrived)"),
            lambda card, reason: services.card_activate(
                customer=None, card_id=card.pk, actor=request.user
            ),
        )


# --- Authorizations -------------------------------------------------------------------------


@admin.register(Authorization)
class AuthorizationAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "mti",
        "card_display",
        "merchant_name",
        "mcc",
        "amount_display",
        "response_code",
        "state",
        "fraud_score",
        "customer_confirmed",
    )
    list_filter = ("state", "response_code", "channel", "mti", "customer_confirmed", "created_at")
    list_select_related = ("card",)
    search_fields = ("=rrn", "=stan", "=auth_code", "=terminal_id", "=card__last4")
    search_help_text = _("Exact RRN (DE 37), STAN (DE 11), approval code, terminal or last four.")
    ordering = ("-created_at", "-pk")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "card_link",
        "channel",
        "mti",
        "stan",
        "rrn",
        "terminal_id",
        "merchant_id",
        "merchant_name",
        "mcc_display",
        "amount_display",
        "currency",
        "country",
        "entry_mode",
        "card_present",
        "contactless",
        "device_id",
        "response_display",
        "auth_code",
        "state",
        "hold_id",
        "reversal_link",
        "fraud_score",
        "fraud_reasons_display",
        "customer_confirmed",
        "message_display",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=_("card"), ordering="card__last4")
    def card_display(self, obj: Authorization) -> str:
        return obj.card.masked_pan if obj.card_id else "-"

    @admin.display(description=_("card"))
    def card_link(self, obj: Authorization) -> str:
        return admin_link(obj.card, obj.card.masked_pan) if obj.card_id else "-"

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: Authorization) -> str:
        return brl_or_dash(obj.amount)

    @admin.display(description="MCC")
    def mcc_display(self, obj: Authorization) -> str:
        return f"{obj.mcc} - {mcc_label(obj.mcc)}" if obj.mcc else "-"

    @admin.display(description=_("response (DE 39)"))
    def response_display(self, obj: Authorization) -> str:
        return f"{obj.response_code} - {response_text(obj.response_code)}"

    @admin.display(description=_("reversal of"))
    def reversal_link(self, obj: Authorization) -> str:
        return admin_link(obj.reversal_of) if obj.reversal_of_id else "-"

    @admin.display(description=_("fraud reasons"))
    def fraud_reasons_display(self, obj: Authorization) -> str:
        if not obj.fraud_reasons:
            return "-"
        from apps.cards.fraud.rules import render_reason

        # Rendered in the reader's language from their codes and parameters (never stored prose).
        return format_html_join(
            "", "<div>{}</div>", ((render_reason(reason),) for reason in obj.fraud_reasons)
        )

    @admin.display(description=_("ISO message as received (PAN masked)"))
    def message_display(self, obj: Authorization) -> str:
        return pretty_json(mask_pans(obj.message)) if obj.message else "-"


# --- The fraud engine's and the clearing's consoles ------------------------------------------

for _module in ("apps.cards.fraud.admin", "apps.cards.clearing.admin"):
    try:
        _found = importlib.util.find_spec(_module) is not None
    except ModuleNotFoundError:
        _found = False
    if _found:
        importlib.import_module(_module)
