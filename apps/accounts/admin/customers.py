"""The customers console: people and companies, their accounts inline, onboarding actions."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from apps.accounts import services
from apps.accounts.models import Account, Customer
from apps.core.admin_states import state_change
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    NoAddDeleteMixin,
    ReasonActionsMixin,
    transition_action,
)
from apps.core.documents import mask_tax_id, normalize_tax_id
from apps.core.money import format_brl

from ._common import FULL_TAX_ID_PERMISSION, _account_link

# --- Customers -----------------------------------------------------------------------------


class AccountInline(admin.TabularInline):
    """The customer's accounts with their balances; read-only (accounts move by services)."""

    model = Account
    fk_name = "customer"
    fields = ("account_link", "kind", "state", "balance_display", "held_display", "available")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        return super().get_queryset(request).with_balances().order_by("pk")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("account"))
    def account_link(self, obj: Account) -> str:
        return _account_link(obj.pk, f"{obj.branch}/{obj.number}")

    @admin.display(description=_("balance"))
    def balance_display(self, obj: Account) -> str:
        return format_brl(obj.total_balance)

    @admin.display(description=_("held"))
    def held_display(self, obj: Account) -> str:
        return format_brl(obj.held)

    @admin.display(description=_("available"))
    def available(self, obj: Account) -> str:
        return format_brl(obj.available_balance)


def _format_tax_id(value: str) -> str:
    """12345678909 -> 123.456.789-09; 12ABC34501DE35 -> 12.ABC.345/01DE-35."""
    n = normalize_tax_id(value)
    if len(n) == 11:
        return f"{n[:3]}.{n[3:6]}.{n[6:9]}-{n[9:]}"
    if len(n) == 14:
        return f"{n[:2]}.{n[2:5]}.{n[5:8]}/{n[8:12]}-{n[12:]}"
    return n


class _MaskedTaxIdHistory(HistoricalRecordContextHelper):
    """History deltas with the CPF/CNPJ masked, for users who may not see it in full."""

    def prepare_delta_change_value(self, change, value):
        if change.field == "tax_id":
            return mask_tax_id(value or "")
        return super().prepare_delta_change_value(change, value)


@admin.register(Customer)
class CustomerAdmin(ReasonActionsMixin, HistoryViewOnlyMixin, NoAddDeleteMixin, SimpleHistoryAdmin):
    list_display = ("full_name", "kind", "masked_tax_id", "kyc_level", "state", "created_at")
    list_filter = ("kind", "state", "kyc_level")
    search_fields = ("full_name",)
    search_help_text = _("Name, or the exact CPF/CNPJ (with or without punctuation).")
    ordering = ("-created_at",)
    show_full_result_count = False
    inlines = (AccountInline,)
    history_list_display = ("state", "state_reason")
    actions = (
        "activate",
        "open_account",
        transition_action("block", _("Block")),
        transition_action("unblock", _("Unblock")),
        transition_action("close", _("Close")),
    )

    # The tax id is never a form field: only one of the two display methods below is shown.
    _READONLY = (
        "kind",
        "kyc_level",
        "state",
        "state_reason",
        "user",
        "created_at",
        "updated_at",
    )

    def _tax_id_field(self, request: HttpRequest) -> str:
        return "full_tax_id" if request.user.has_perm(FULL_TAX_ID_PERMISSION) else "masked_tax_id"

    def get_fields(self, request: HttpRequest, obj=None):
        return (
            "full_name",
            "kind",
            self._tax_id_field(request),
            "kyc_level",
            "state",
            "state_reason",
            "user",
            "created_at",
            "updated_at",
        )

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return (*self._READONLY, self._tax_id_field(request))

    @admin.display(description=_("CPF/CNPJ"))
    def masked_tax_id(self, obj: Customer) -> str:
        return mask_tax_id(obj.tax_id)

    @admin.display(description=_("CPF/CNPJ"))
    def full_tax_id(self, obj: Customer) -> str:
        return _format_tax_id(obj.tax_id)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        """Name (icontains) or, the column being encrypted, the exact CPF/CNPJ by its hash."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if len(normalize_tax_id(search_term)) in (11, 14):
            results |= queryset.filter(tax_id_hash=services.tax_id_lookup_hash(search_term))
        return results, may_have_duplicates

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record):
        if request.user.has_perm(FULL_TAX_ID_PERMISSION):
            return super().get_historical_record_context_helper(request, historical_record)
        return _MaskedTaxIdHistory(self.model, historical_record)

    @state_change("activate")
    @admin.action(description=_("Activate"), permissions=("change",))
    def activate(self, request: HttpRequest, queryset: QuerySet):
        """Activate a pending customer; it gets its first payment account if it has none."""

        def perform(customer: Customer, reason: str) -> str:
            done = services.customer_activate(
                customer_id=customer.pk, actor=request.user, reason=reason
            )
            return gettext("%(action)s done; now %(state)s.") % {
                "action": gettext("Activate"),
                "state": done.get_state_display(),
            }

        return self.run_with_reason(request, queryset, title=gettext("Activate"), perform=perform)

    @admin.action(description=_("Open a payment account"), permissions=("change",))
    def open_account(self, request: HttpRequest, queryset: QuerySet):
        """A further payment account for an active customer (no second operator needed:
        an empty account moves no money). Logged with the reason, like every action."""

        def perform(customer: Customer, reason: str) -> str:
            account = services.account_open_for_customer(
                customer_id=customer.pk, actor=request.user
            )
            return gettext("Account %(branch)s/%(number)s opened.") % {
                "branch": account.branch,
                "number": account.number,
            }

        return self.run_with_reason(
            request, queryset, title=gettext("Open a payment account"), perform=perform
        )

    def save_model(self, request: HttpRequest, obj: Customer, form, change: bool) -> None:
        """Write only what the form changed: never the tax id, never the state."""
        obj._history_user = request.user
        obj.save(update_fields=[*form.changed_data, "updated_at"])
