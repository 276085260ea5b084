"""The Pix console of transfers, refunds (devoluções) and night limits: send to the SPI again
(SENT ones), cancel scheduled Pix."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.core.admin_masking import (
    FullTaxIdSwapMixin,
    mask_tax_ids_in_text,
)
from apps.core.admin_states import state_change
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyMixin,
    ReasonActionsMixin,
    admin_link,
    html_table,
    transitions_table,
)
from apps.core.documents import mask_tax_id
from apps.core.money import format_brl
from apps.pix import participants
from apps.pix.adapters import dict as dict_api
from apps.pix.admin_helpers import (
    _BR,
    _bank,
    _entry_link,
    _full_tax_id,
    _masked_tax_id,
    _owner_type,
    _xml_display,
)
from apps.pix.models import (
    PixLimitSettings,
    PixRefund,
    PixTransfer,
)


@admin.register(PixTransfer)
class PixTransferAdmin(
    FullTaxIdSwapMixin,
    ReasonActionsMixin,
    HistoryViewOnlyMixin,
    ReadOnlyMixin,
    SimpleHistoryAdmin,
):
    list_display = (
        "e2e_id",
        "direction",
        "state",
        "amount_display",
        "counterparty",
        "created_at",
    )
    list_display_links = ("e2e_id",)
    list_filter = ("state", "direction", "internal", "initiation", "created_at")
    search_fields = ("end_to_end_id",)  # see get_search_results: exact id only
    search_help_text = _("Exact endToEndId (E...) or txid.")
    ordering = ("-created_at", "-pk")
    date_hierarchy = "created_at"
    show_full_result_count = False
    history_list_display = ("state",)
    fields = (
        "end_to_end_id",
        "direction",
        "state",
        "reject_reason",
        "amount_display",
        "account_link",
        "internal",
        "counterparty_name",
        "counterparty_tax_id_masked",
        "counterparty_bank",
        "counterparty_branch",
        "counterparty_account_number",
        "counterparty_account_type",
        "counterparty_key_shown",
        "description",
        "initiation",
        "tx_id",
        "charge_link",
        "scheduled_for",
        "settled_at",
        "ledger_entries",
        "refunds_display",
        "med_display",
        "transitions_display",
        "pacs008_display",
        "pacs002_display",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    full_tax_id_swaps = {
        "counterparty_tax_id_masked": "counterparty_tax_id_full",
        "counterparty_key_shown": "counterparty_key",
        "pacs008_display": "pacs008_full",
        "pacs002_display": "pacs002_full",
    }
    actions = ("retry_send", "cancel_scheduled")

    pacs008_display = _xml_display("pacs008", _("pacs.008 (credit transfer)"), full=False)
    pacs008_full = _xml_display("pacs008", _("pacs.008 (credit transfer)"), full=True)
    pacs002_display = _xml_display("pacs002", _("pacs.002 (SPI answer)"), full=False)
    pacs002_full = _xml_display("pacs002", _("pacs.002 (SPI answer)"), full=True)

    def get_fields(self, request: HttpRequest, obj=None):
        fields = super().get_fields(request, obj)
        if not request.user.has_perm("pix.view_infractionreport"):
            fields = tuple(f for f in fields if f != "med_display")
        return fields

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        # Exact matches on one column each: an OR with the unindexed txid would scan every
        # transfer even for an endToEndId.
        term = search_term.strip()
        if not term:
            return queryset, False
        from apps.pix.codecs import e2e

        if e2e.is_valid_end_to_end_id(term, kind="E"):
            return queryset.filter(end_to_end_id=term), False
        return queryset.filter(tx_id=term), False

    @admin.display(description=_("endToEndId"), ordering="end_to_end_id")
    def e2e_id(self, obj: PixTransfer) -> str:
        return obj.end_to_end_id or gettext("(scheduled #%(id)s)") % {"id": obj.pk}

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: PixTransfer) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("counterparty"))
    def counterparty(self, obj: PixTransfer) -> str:
        name = dict_api.mask_owner_name(_owner_type(obj.counterparty_tax_id), obj.counterparty_name)
        parts = [name or "-"]
        if obj.counterparty_tax_id:
            parts.append(f"({mask_tax_id(obj.counterparty_tax_id)})")
        parts.append(f"- {participants.name_of(obj.counterparty_ispb)}")
        return " ".join(parts)

    @admin.display(description=_("counterparty CPF/CNPJ"))
    def counterparty_tax_id_masked(self, obj: PixTransfer) -> str:
        return _masked_tax_id(obj.counterparty_tax_id)

    @admin.display(description=_("counterparty CPF/CNPJ"))
    def counterparty_tax_id_full(self, obj: PixTransfer) -> str:
        return _full_tax_id(obj.counterparty_tax_id)

    @admin.display(description=_("counterparty key"))
    def counterparty_key_shown(self, obj: PixTransfer) -> str:
        return mask_tax_ids_in_text(obj.counterparty_key) or "-"

    @admin.display(description=_("counterparty institution"))
    def counterparty_bank(self, obj: PixTransfer) -> str:
        return _bank(obj.counterparty_ispb)

    @admin.display(description=_("account"))
    def account_link(self, obj: PixTransfer) -> str:
        account = obj.account
        return admin_link(account, f"{account.branch}/{account.number}")

    @admin.display(description=_("charge"))
    def charge_link(self, obj: PixTransfer) -> str:
        return admin_link(obj.charge) if obj.charge_id else "-"

    @admin.display(description=_("ledger entries"))
    def ledger_entries(self, obj: PixTransfer) -> str:
        legs = (
            (_("debit"), obj.debit_entry_id),
            (_("credit"), obj.credit_entry_id),
            (_("money returned"), obj.return_entry_id),
        )
        rows = [(label, _entry_link(entry_id)) for label, entry_id in legs if entry_id]
        return html_table((_("movement"), _("journal entry")), rows) if rows else "-"

    @admin.display(description=_("refunds"))
    def refunds_display(self, obj: PixTransfer) -> str:
        refunds = list(obj.refunds.order_by("pk")) if obj.pk else []
        if not refunds:
            return "-"
        return format_html_join(
            _BR,
            "{}",
            (
                (admin_link(r, f"{r.return_id} {format_brl(r.amount)} ({r.get_state_display()})"),)
                for r in refunds
            ),
        )

    @admin.display(description=_("MED"))
    def med_display(self, obj: PixTransfer) -> str:
        links = [
            admin_link(report, f"{report.get_role_display()}: {report.get_state_display()}")
            for report in obj.infraction_reports.order_by("pk")
        ] + [
            admin_link(
                block,
                gettext("cautionary block %(amount)s: %(state)s")
                % {"amount": format_brl(block.amount), "state": block.get_state_display()},
            )
            for block in obj.cautionary_blocks.order_by("pk")
        ]
        if not links:
            return "-"
        return format_html_join(_BR, "{}", ((link,) for link in links))

    @admin.display(description=_("state transitions"))
    def transitions_display(self, obj: PixTransfer) -> str:
        return transitions_table(obj)

    # --- actions --------------------------------------------------------------------------

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("pix.change_pixtransfer")

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("pix.change_pixtransfer")

    @admin.action(
        description=_("Send to the SPI again (sent, still unanswered)"), permissions=("resend",)
    )
    def retry_send(self, request: HttpRequest, queryset: QuerySet[PixTransfer]) -> None:
        from apps.pix.transfers.services.send import pix_submit

        for transfer in queryset.order_by("pk"):
            if transfer.state != PixTransfer.State.SENT:
                self.message_user(
                    request,
                    gettext(
                        "%(transfer)s: only a Pix sent to the SPI and still unanswered can "
                        "be sent again."
                    )
                    % {"transfer": transfer},
                    messages.ERROR,
                )
                continue
            # pix_submit settles what the SPI answers, and after a DUPL (an earlier answer
            # was lost) asks the SPI's status query: money the SPI moved is never given back.
            done = pix_submit(transfer.pk)
            if done.state == PixTransfer.State.SENT:
                outcome = gettext("no final answer from the SPI; it stays sent, to be retried.")
                level = messages.WARNING
            else:
                outcome = gettext("now %(state)s.") % {"state": done.get_state_display()}
                level = messages.SUCCESS
            self.log_change(request, transfer, f"retry_send: {outcome}")
            self.message_user(request, f"{transfer.end_to_end_id}: {outcome}", level)

    @state_change("cancel", amount=lambda transfer: transfer.amount)
    @admin.action(description=_("Cancel scheduled Pix"), permissions=("cancel",))
    def cancel_scheduled(self, request: HttpRequest, queryset: QuerySet[PixTransfer]):
        from apps.pix.transfers.services.send import pix_cancel_scheduled

        def perform(transfer: PixTransfer, reason: str) -> str:
            done = pix_cancel_scheduled(
                transfer_id=transfer.pk, account=transfer.account, actor=request.user
            )
            return gettext("now %(state)s.") % {"state": done.get_state_display()}

        return self.run_with_reason(
            request,
            queryset.select_related("account"),
            title=_("Cancel scheduled Pix"),
            perform=perform,
            describe=lambda t: (
                f"#{t.pk} {format_brl(t.amount)} - {t.get_state_display()}"
                + (f" ({t.scheduled_for:%d/%m/%Y})" if t.scheduled_for else "")
            ),
            notice=_("Only scheduled Pix can be cancelled; the customer is not debited."),
        )


@admin.register(PixRefund)
class PixRefundAdmin(FullTaxIdSwapMixin, HistoryViewOnlyMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = (
        "return_id",
        "refund_id",
        "transfer_link",
        "amount_display",
        "reason_code",
        "state",
        "created_at",
    )
    list_display_links = ("return_id",)
    list_filter = ("state", "reason_code", "created_at")
    list_select_related = ("transfer",)
    search_fields = ("return_id",)  # see get_search_results: exact ids only
    search_help_text = _("Exact returnId (D...), the Pix's endToEndId (E...) or the refund id.")
    ordering = ("-created_at", "-pk")
    show_full_result_count = False
    history_list_display = ("state",)
    fields = (
        "return_id",
        "refund_id",
        "transfer_link",
        "amount_display",
        "reason_code",
        "description",
        "state",
        "reject_reason",
        "returned_at",
        "ledger_entries",
        "transitions_display",
        "pacs004_display",
        "pacs002_display",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    full_tax_id_swaps = {"pacs004_display": "pacs004_full", "pacs002_display": "pacs002_full"}

    pacs004_display = _xml_display("pacs004", _("pacs.004 (return)"), full=False)
    pacs004_full = _xml_display("pacs004", _("pacs.004 (return)"), full=True)
    pacs002_display = _xml_display("pacs002", _("pacs.002 (SPI answer)"), full=False)
    pacs002_full = _xml_display("pacs002", _("pacs.002 (SPI answer)"), full=True)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        if not term:
            return queryset, False
        from apps.pix.codecs import e2e

        if e2e.is_valid_end_to_end_id(term, kind="D"):
            return queryset.filter(return_id=term), False
        if e2e.is_valid_end_to_end_id(term, kind="E"):
            return queryset.filter(transfer__end_to_end_id=term), False
        return queryset.filter(refund_id=term), False

    @admin.display(description=_("Pix"), ordering="transfer__end_to_end_id")
    def transfer_link(self, obj: PixRefund) -> str:
        return admin_link(obj.transfer, obj.transfer.end_to_end_id)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: PixRefund) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("ledger entries"))
    def ledger_entries(self, obj: PixRefund) -> str:
        legs = ((_("debit"), obj.debit_entry_id), (_("money returned"), obj.return_entry_id))
        rows = [(label, _entry_link(entry_id)) for label, entry_id in legs if entry_id]
        return html_table((_("movement"), _("journal entry")), rows) if rows else "-"

    @admin.display(description=_("state transitions"))
    def transitions_display(self, obj: PixRefund) -> str:
        return transitions_table(obj)


@admin.register(PixLimitSettings)
class PixLimitSettingsAdmin(HistoryViewOnlyMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = (
        "account_link",
        "night_starts_at_hour",
        "night_limit_display",
        "pending_display",
        "pending_effective_at",
        "updated_at",
    )
    list_display_links = ("account_link",)
    list_filter = ("night_starts_at_hour",)
    list_select_related = ("account",)
    search_fields = ("=account__number",)
    ordering = ("-updated_at", "-pk")
    history_list_display = ("night_starts_at_hour", "night_limit", "pending_night_limit")
    fields = (
        "account_link",
        "night_starts_at_hour",
        "night_limit_display",
        "pending_display",
        "pending_effective_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=_("account"))
    def account_link(self, obj: PixLimitSettings) -> str:
        return admin_link(obj.account, f"{obj.account.branch}/{obj.account.number}")

    @admin.display(description=_("night limit"), ordering="night_limit")
    def night_limit_display(self, obj: PixLimitSettings) -> str:
        return format_brl(obj.night_limit)

    @admin.display(description=_("pending night limit"))
    def pending_display(self, obj: PixLimitSettings) -> str:
        return "-" if obj.pending_night_limit is None else format_brl(obj.pending_night_limit)
