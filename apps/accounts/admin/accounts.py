"""Payment and internal ledger accounts: read-only balances, state actions."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.accounts import services
from apps.accounts.models import Account
from apps.core.admin_states import state_change
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    NoAddDeleteMixin,
    ReasonActionsMixin,
    admin_link,
    locked_transition,
)
from apps.core.errors import Conflict
from apps.core.money import format_brl

# --- Accounts ------------------------------------------------------------------------------


def _account_transition_action(name: str, description: str):
    def action(modeladmin, request: HttpRequest, queryset: QuerySet):
        def perform(account: Account, reason: str) -> str:
            if account.kind == Account.Kind.INTERNAL:
                # Blocking the reserves account would stop every Pix: not a console click.
                raise Conflict(_("Internal ledger accounts are not changed from the admin."))
            if name == "close":
                done = services.account_close(
                    account_id=account.pk, actor=request.user, reason=reason
                )
            else:
                done = locked_transition(Account, account.pk, name, by=request.user, reason=reason)
            return gettext("%(action)s done; now %(state)s.") % {
                "action": description,
                "state": done.get_state_display(),
            }

        return modeladmin.run_with_reason(
            request, queryset, title=str(description), perform=perform
        )

    action.__name__ = name
    state_change(
        name,
        available=lambda account: account.kind != Account.Kind.INTERNAL,
        unavailable=_("Internal ledger accounts are not changed from the admin."),
    )(action)
    return admin.action(description=description, permissions=("change",))(action)


@admin.register(Account)
class AccountAdmin(ReasonActionsMixin, HistoryViewOnlyMixin, NoAddDeleteMixin, SimpleHistoryAdmin):
    # Trimmed to fit 1280 px with the money columns in sight (#16): the owner and the kind
    # are on the account's page and in the filters; a number or a ledger code, never both.
    list_display = (
        "name",
        "number_or_code",
        "state",
        "balance_display",
        "held_display",
        "available",
    )
    list_filter = ("kind", "state")
    search_fields = ("=number", "=code", "name", "customer__full_name")
    list_select_related = ("customer",)
    ordering = ("-created_at",)
    show_full_result_count = False
    history_list_display = ("state", "state_reason")
    fields = (
        "kind",
        "code",
        "owner",
        "name",
        "branch",
        "number",
        "balance_display",
        "held_display",
        "available",
        "overdraft_display",
        "state",
        "state_reason",
        "postings_link",
        "holds_link",
        "created_at",
        "updated_at",
    )
    # Everything but the display name; the balance fields are never editable.
    readonly_fields = tuple(f for f in fields if f != "name")
    actions = (
        _account_transition_action("block_debit", _("Block debits")),
        _account_transition_action("block", _("Block")),
        _account_transition_action("unblock", _("Unblock")),
        _account_transition_action("close", _("Close (zero balance, no holds)")),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        return (
            super()
            .get_queryset(request)
            .with_balances()
            .annotate(balance_total=F("balance") + F("shard_total"))
        )

    @admin.display(description=_("owner"), ordering="customer__full_name")
    def owner(self, obj: Account) -> str:
        if obj.customer_id is None:
            return _("(internal)")
        return admin_link(obj.customer)

    @admin.display(description=_("branch/number"), ordering="number")
    def branch_number(self, obj: Account) -> str:
        return f"{obj.branch}/{obj.number}" if obj.number else "-"

    @admin.display(description=_("branch/number or code"), ordering="number")
    def number_or_code(self, obj: Account) -> str:
        if obj.number:
            return f"{obj.branch}/{obj.number}"
        return obj.code or "-"

    @admin.display(description=_("balance"), ordering="balance_total")
    def balance_display(self, obj: Account) -> str:
        return format_brl(obj.total_balance)

    @admin.display(description=_("held"), ordering="held")
    def held_display(self, obj: Account) -> str:
        return format_brl(obj.held)

    @admin.display(description=_("available"))
    def available(self, obj: Account) -> str:
        return format_brl(obj.available_balance)

    @admin.display(description=_("overdraft limit"))
    def overdraft_display(self, obj: Account) -> str:
        return format_brl(obj.overdraft_limit)

    @admin.display(description=_("postings"))
    def postings_link(self, obj: Account) -> str:
        url = reverse("admin:accounts_posting_changelist")
        return format_html('<a href="{}?account={}">{}</a>', url, obj.pk, _("Postings"))

    @admin.display(description=_("holds"))
    def holds_link(self, obj: Account) -> str:
        url = reverse("admin:accounts_hold_changelist")
        return format_html('<a href="{}?account__id__exact={}">{}</a>', url, obj.pk, _("Holds"))

    def save_model(self, request: HttpRequest, obj: Account, form, change: bool) -> None:
        """Write only what the form changed: a whole-row save would put back a stale
        balance that the ledger moved meanwhile."""
        obj._history_user = request.user
        obj.save(update_fields=[*form.changed_data, "updated_at"])
