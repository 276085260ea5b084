"""The Pix console of charges (cob/cobv), payload locations and API Pix webhooks (whose
secrets are never shown)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.core.admin_masking import (
    FullTaxIdSwapMixin,
    mask_tax_ids_in_data,
    mask_tax_ids_in_text,
)
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyAdmin,
    ReadOnlyMixin,
    admin_link,
    pretty_json,
    transitions_table,
)
from apps.core.money import format_brl
from apps.pix import participants
from apps.pix.adapters import dict as dict_api
from apps.pix.admin_helpers import (
    _masked,
    _owner_type,
)
from apps.pix.models import (
    PixCharge,
    PixLocation,
    PixTransfer,
    PixWebhook,
)


class ChargePaymentInline(admin.TabularInline):
    """The Pix that paid the charge; read-only."""

    model = PixTransfer
    fk_name = "charge"
    verbose_name = _("payment")
    verbose_name_plural = _("payments")
    fields = ("transfer_link", "amount_display", "state", "payer", "settled_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("endToEndId"))
    def transfer_link(self, obj: PixTransfer) -> str:
        return admin_link(obj, obj.end_to_end_id)

    @admin.display(description=_("amount"))
    def amount_display(self, obj: PixTransfer) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("payer"))
    def payer(self, obj: PixTransfer) -> str:
        name = dict_api.mask_owner_name(_owner_type(obj.counterparty_tax_id), obj.counterparty_name)
        return f"{name} - {participants.name_of(obj.counterparty_ispb)}"


def _debtor_data(obj: PixCharge) -> dict | None:
    from apps.pix.charges.payloads import debtor_of

    # Historical versions do not keep the debtor (excluded from history).
    return debtor_of(obj) if getattr(obj, "debtor", "") else None


@admin.register(PixCharge)
class PixChargeAdmin(FullTaxIdSwapMixin, HistoryViewOnlyMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = (
        "txid",
        "kind",
        "status",
        "amount_display",
        "customer_link",
        "due_date",
        "created_at",
    )
    list_display_links = ("txid",)
    list_filter = ("status", "kind", "created_at")
    list_select_related = ("customer",)
    search_fields = ("txid",)  # see get_search_results: exact txid
    search_help_text = _("Exact txid.")
    ordering = ("-created_at", "-pk")
    show_full_result_count = False
    history_list_display = ("status",)
    inlines = (ChargePaymentInline,)
    fields = (
        "kind",
        "txid",
        "status",
        "revision",
        "customer_link",
        "account_link",
        "key_shown",
        "amount_display",
        "amount_editable",
        "expires_in_seconds",
        "due_date",
        "valid_days_after_due",
        "value_terms_display",
        "debtor_masked",
        "payer_request",
        "additional_info_display",
        "location_link",
        "concluded_at",
        "removed_reason",
        "transitions_display",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    full_tax_id_swaps = {"key_shown": "key", "debtor_masked": "debtor_full"}

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        return (queryset.filter(txid=term) if term else queryset), False

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: PixCharge) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("customer"))
    def customer_link(self, obj: PixCharge) -> str:
        return admin_link(obj.customer)

    @admin.display(description=_("account"))
    def account_link(self, obj: PixCharge) -> str:
        return admin_link(obj.account, f"{obj.account.branch}/{obj.account.number}")

    @admin.display(description=_("key"))
    def key_shown(self, obj: PixCharge) -> str:
        return mask_tax_ids_in_text(obj.key)

    @admin.display(description=_("value terms"))
    def value_terms_display(self, obj: PixCharge) -> str:
        return pretty_json(obj.value_terms) if obj.value_terms else "-"

    @admin.display(description=_("debtor (devedor)"))
    def debtor_masked(self, obj: PixCharge) -> str:
        data = _debtor_data(obj)
        return "-" if data is None else pretty_json(mask_tax_ids_in_data(data))

    @admin.display(description=_("debtor (devedor)"))
    def debtor_full(self, obj: PixCharge) -> str:
        data = _debtor_data(obj)
        return "-" if data is None else pretty_json(data)

    @admin.display(description=_("infoAdicionais"))
    def additional_info_display(self, obj: PixCharge) -> str:
        return pretty_json(obj.additional_info) if obj.additional_info else "-"

    @admin.display(description=_("location"))
    def location_link(self, obj: PixCharge) -> str:
        return admin_link(obj.location) if obj.location_id else "-"

    @admin.display(description=_("state transitions"))
    def transitions_display(self, obj: PixCharge) -> str:
        return transitions_table(obj)


@admin.register(PixLocation)
class PixLocationAdmin(ReadOnlyAdmin):
    list_display = ("id", "charge_type", "customer_link", "charge_link", "created_at")
    list_filter = ("charge_type", "created_at")
    list_select_related = ("customer", "charge")
    search_fields = ("uuid",)  # see get_search_results: id or uuid, exact
    search_help_text = _("Exact location id or uuid.")
    ordering = ("-created_at", "-pk")
    fields = ("id", "uuid", "url", "charge_type", "customer_link", "charge_link", "created_at")
    readonly_fields = fields

    @admin.display(description=_("location (as in the BR Code)"))
    def url(self, obj: PixLocation) -> str:
        from apps.pix.charges.payloads import location_url

        return location_url(obj)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        import uuid

        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit():
            return queryset.filter(pk=int(term)), False
        try:
            return queryset.filter(uuid=uuid.UUID(term)), False
        except ValueError:
            return queryset.none(), False

    @admin.display(description=_("customer"))
    def customer_link(self, obj: PixLocation) -> str:
        return admin_link(obj.customer)

    @admin.display(description=_("charge"))
    def charge_link(self, obj: PixLocation) -> str:
        charge = PixCharge.objects.filter(location_id=obj.pk).first()
        return admin_link(charge) if charge else "-"


@admin.register(PixWebhook)
class PixWebhookAdmin(FullTaxIdSwapMixin, ReadOnlyAdmin):
    """The integrator's URL per key. The HMAC secret is never shown (not even to admins)."""

    list_display = ("url", "key_shown", "customer_link", "created_at")
    list_select_related = ("pix_key", "customer")
    search_fields = ("url",)
    ordering = ("-created_at", "-pk")
    fields = ("url", "key_link", "key_shown", "customer_link", "created_at", "updated_at")
    readonly_fields = fields
    full_tax_id_swaps = {"key_shown": "key_full"}

    @admin.display(description=_("key"))
    def key_shown(self, obj: PixWebhook) -> str:
        return _masked(obj.pix_key.key_type, obj.pix_key.key)

    @admin.display(description=_("key"))
    def key_full(self, obj: PixWebhook) -> str:
        return obj.pix_key.key

    @admin.display(description=_("Pix key"))
    def key_link(self, obj: PixWebhook) -> str:
        return admin_link(obj.pix_key)

    @admin.display(description=_("customer"))
    def customer_link(self, obj: PixWebhook) -> str:
        return admin_link(obj.customer)
