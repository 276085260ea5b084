"""The clearing console: the network's files (with their first error when rejected), what
each line did and the entries it posted, the operators' queue of mismatches (settle with the
customer, or close, each with a reason), and the day's net settlements. Rows come from the
services; nothing is added, changed or deleted here. Cards show as BIN + last four: the
files carry no PAN."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.cards.clearing import services
from apps.cards.clearing.models import (
    ClearingException,
    ClearingFile,
    ClearingLine,
    ClearingSettlement,
)
from apps.core.admin_states import state_change
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyAdmin,
    ReasonActionsMixin,
    StateFirstOrdering,
    admin_link,
    entry_link,
    html_table,
    preformatted,
    transitions_table,
)
from apps.core.money import format_brl


def _entries(entry_ids) -> str:
    if not entry_ids:
        return "-"
    return format_html_join(" ", "{}", ((entry_link(entry_id),) for entry_id in entry_ids))


@admin.register(ClearingFile)
class ClearingFileAdmin(StateFirstOrdering, ReadOnlyAdmin):
    first_states = (ClearingFile.State.REJECTED, ClearingFile.State.RECEIVED)
    list_display = (
        "name",
        "state",
        "business_day",
        "file_sequence",
        "line_count",
        "net_display",
        "error_line",
        "error_field",
        "created_at",
    )
    list_filter = ("state", "business_day")
    search_fields = ("=name", "=digest")
    fields = (
        "name",
        "digest",
        "state",
        "network",
        "business_day",
        "file_sequence",
        "line_count",
        "net_display",
        "totals_display",
        "error_line",
        "error_field",
        "error_message",
        "processed_at",
        "created_at",
        "content_display",
    )
    readonly_fields = fields

    @admin.display(description=_("net (we owe)"), ordering="net")
    def net_display(self, obj: ClearingFile) -> str:
        return format_brl(obj.net)

    @admin.display(description=_("totals"))
    def totals_display(self, obj: ClearingFile) -> str:
        if not obj.totals:
            return "-"
        rows = []
        for key, value in sorted(obj.totals.items()):
            if isinstance(value, dict):
                value = ", ".join(f"{k}: {v}" for k, v in value.items())
            elif key in ("debits", "credits", "net", "queued_amount"):
                value = format_brl(value)
            rows.append((key, value))
        return html_table((_("total"), _("value")), rows)

    @admin.display(description=_("content"))
    def content_display(self, obj: ClearingFile) -> str:
        return preformatted(obj.content)


@admin.register(ClearingLine)
class ClearingLineAdmin(ReadOnlyAdmin):
    list_display = (
        "file",
        "line_number",
        "transaction_code",
        "arn",
        "masked_card",
        "merchant_name",
        "amount_display",
        "outcome",
        "created_at",
    )
    list_filter = ("outcome", "transaction_code")
    search_fields = ("=arn", "=original_arn", "=rrn", "=auth_code")
    list_select_related = ("file",)
    ordering = ("-created_at", "-pk")
    fields = (
        "file_link",
        "line_number",
        "transaction_code",
        "arn",
        "original_arn",
        "masked_card",
        "auth_code",
        "rrn",
        "authorization_link",
        "transaction_date",
        "merchant_name",
        "mcc",
        "amount_display",
        "outcome",
        "detail",
        "entries_display",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: ClearingLine) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("file"))
    def file_link(self, obj: ClearingLine) -> str:
        return admin_link(obj.file)

    @admin.display(description=_("authorization"))
    def authorization_link(self, obj: ClearingLine) -> str:
        return admin_link(obj.authorization)

    @admin.display(description=_("entries"))
    def entries_display(self, obj: ClearingLine) -> str:
        return _entries(obj.entry_ids)


@admin.register(ClearingException)
class ClearingExceptionAdmin(
    HistoryViewOnlyMixin, ReasonActionsMixin, StateFirstOrdering, ReadOnlyAdmin
):
    first_states = (ClearingException.State.OPEN,)
    list_display = ("__str__", "reason", "state", "amount_display", "line", "created_at")
    list_filter = ("state", "reason")
    list_select_related = ("line", "line__file")
    actions = ("charge_customer", "close_exception")
    fields = (
        "reason",
        "state",
        "amount_display",
        "account_id",
        "detail",
        "line_link",
        "settlement_link",
        "suspense_entry",
        "resolution_entry",
        "resolution",
        "resolved_by",
        "resolved_at",
        "transitions",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=_("amount (customer owes)"), ordering="amount")
    def amount_display(self, obj: ClearingException) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("line"))
    def line_link(self, obj: ClearingException) -> str:
        return admin_link(obj.line)

    @admin.display(description=_("settlement"))
    def settlement_link(self, obj: ClearingException) -> str:
        return admin_link(obj.settlement)

    @admin.display(description=_("suspense entry"))
    def suspense_entry(self, obj: ClearingException) -> str:
        return entry_link(obj.suspense_entry_id)

    @admin.display(description=_("resolution entry"))
    def resolution_entry(self, obj: ClearingException) -> str:
        return entry_link(obj.resolution_entry_id)

    @admin.display(description=_("transitions"))
    def transitions(self, obj: ClearingException) -> str:
        return transitions_table(obj)

    def has_resolve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("cards.change_clearingexception")

    @state_change(
        "charge",
        amount=lambda exception: exception.amount,
        summary=_(
            "A positive amount is debited from the customer's account, a negative one "
            "credited to it, against the suspense account."
        ),
    )
    @admin.action(description=_("Settle with the customer"), permissions=("resolve",))
    def charge_customer(self, request: HttpRequest, queryset: QuerySet[ClearingException]):
        def perform(exception: ClearingException, reason: str) -> str:
            done = services.exception_charge(
                exception_id=exception.pk, actor=request.user, reason=reason
            )
            return gettext("settled with the customer (entry #%(entry)s).") % {
                "entry": done.resolution_entry_id
            }

        return self.run_with_reason(
            request,
            queryset,
            title=_("Settle with the customer"),
            perform=perform,
            describe=lambda e: f"{e} - {format_brl(e.amount)}",
            notice=_(
                "A positive amount is debited from the customer's account, a negative one "
                "credited to it, against the suspense account."
            ),
        )

    @state_change(
        "close",
        amount=lambda exception: exception.amount,
        summary=_("The amount stays in suspense (a chargeback, or a loss written off)."),
    )
    @admin.action(description=_("Close without the customer"), permissions=("resolve",))
    def close_exception(self, request: HttpRequest, queryset: QuerySet[ClearingException]):
        def perform(exception: ClearingException, reason: str) -> str:
            services.exception_close(exception_id=exception.pk, actor=request.user, reason=reason)
            return gettext("closed; the amount stays in suspense.")

        return self.run_with_reason(
            request,
            queryset,
            title=_("Close without the customer"),
            perform=perform,
            describe=lambda e: f"{e} - {format_brl(e.amount)}",
            notice=_("A chargeback raised with the network, or a loss written off."),
        )


@admin.register(ClearingSettlement)
class ClearingSettlementAdmin(ReadOnlyAdmin):
    list_display = (
        "business_day",
        "network_net_display",
        "files_net_display",
        "difference_display",
        "file_count",
        "created_at",
    )
    ordering = ("-business_day",)
    fields = (
        "business_day",
        "network_net_display",
        "files_net_display",
        "difference_display",
        "file_count",
        "entry",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=_("network's net (we owe)"), ordering="network_net")
    def network_net_display(self, obj: ClearingSettlement) -> str:
        return format_brl(obj.network_net)

    @admin.display(description=_("files' net (we owe)"))
    def files_net_display(self, obj: ClearingSettlement) -> str:
        return format_brl(obj.files_net)

    @admin.display(description=_("difference"))
    def difference_display(self, obj: ClearingSettlement) -> str:
        return format_brl(obj.difference)

    @admin.display(description=_("entry"))
    def entry(self, obj: ClearingSettlement) -> str:
        return entry_link(obj.entry_id)
