"""The Pix console's MED queue (compliance officers): acknowledge, close agreed or disagreed,
release a cautionary block; what waits for a decision first, oldest first."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.core.admin_states import state_change
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyMixin,
    ReasonActionsMixin,
    admin_link,
    transitions_table,
)
from apps.core.errors import DomainError
from apps.core.money import format_brl
from apps.pix.admin_helpers import (
    _BR,
    QueueFilter,
    _bank,
)
from apps.pix.med import blocks as med_blocks
from apps.pix.models import (
    CautionaryBlock,
    InfractionReport,
)


class InfractionQueueFilter(QueueFilter):
    pending_states = (InfractionReport.State.OPEN, InfractionReport.State.ACKNOWLEDGED)


class BlockQueueFilter(QueueFilter):
    pending_states = (CautionaryBlock.State.ACTIVE,)


@admin.register(InfractionReport)
class InfractionReportAdmin(
    ReasonActionsMixin, HistoryViewOnlyMixin, ReadOnlyMixin, SimpleHistoryAdmin
):
    """Open and acknowledged reports first in line, oldest first (MED deadlines run from
    the report). Decisions go through apps.pix.med, which audits them."""

    list_display = (
        "id",
        "state",
        "role",
        "situation",
        "transfer_link",
        "transfer_amount",
        "reporter",
        "analysis_result",
        "created_at",
        "waiting",
    )
    list_display_links = ("id",)
    list_filter = (InfractionQueueFilter, "role", "situation", "analysis_result")
    list_select_related = ("transfer",)
    search_fields = ("dict_report_id",)  # see get_search_results
    search_help_text = _("Exact endToEndId of the Pix, or the DICT report id.")
    ordering = ("created_at", "pk")
    history_list_display = ("state", "analysis_result")
    fields = (
        "dict_report_id",
        "role",
        "situation",
        "state",
        "details",
        "transfer_link",
        "transfer_amount",
        "reporter",
        "reported_by",
        "analysis_result",
        "analysis_details",
        "analysed_by",
        "closed_at",
        "refund_link",
        "blocks_display",
        "transitions_display",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("acknowledge", "close_agreed", "close_disagreed")

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        import uuid

        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(dict_report_id=uuid.UUID(term)), False
        except ValueError:
            return queryset.filter(transfer__end_to_end_id=term), False

    @admin.display(description=_("Pix"))
    def transfer_link(self, obj: InfractionReport) -> str:
        return admin_link(obj.transfer, obj.transfer.end_to_end_id)

    @admin.display(description=_("amount"))
    def transfer_amount(self, obj: InfractionReport) -> str:
        return format_brl(obj.transfer.amount)

    @admin.display(description=_("reporting institution"))
    def reporter(self, obj: InfractionReport) -> str:
        return _bank(obj.reporter_participant)

    @admin.display(description=_("waiting for"))
    def waiting(self, obj: InfractionReport) -> str:
        from django.utils.timesince import timesince

        return timesince(obj.created_at) if obj.closed_at is None else "-"

    @admin.display(description=_("MED refund"))
    def refund_link(self, obj: InfractionReport) -> str:
        return admin_link(obj.refund, obj.refund.return_id) if obj.refund_id else "-"

    @admin.display(description=_("cautionary blocks"))
    def blocks_display(self, obj: InfractionReport) -> str:
        blocks = list(obj.cautionary_blocks.order_by("pk")) if obj.pk else []
        if not blocks:
            return "-"
        return format_html_join(
            _BR,
            "{}",
            ((admin_link(b, f"{format_brl(b.amount)} ({b.get_state_display()})"),) for b in blocks),
        )

    @admin.display(description=_("state transitions"))
    def transitions_display(self, obj: InfractionReport) -> str:
        return transitions_table(obj)

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("pix.change_infractionreport")

    @admin.action(description=_("Acknowledge (start the analysis)"), permissions=("decide",))
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[InfractionReport]) -> None:
        from apps.pix.med import services as med

        for report in queryset.order_by("created_at", "pk"):
            try:
                done = med.infraction_report_acknowledge(report=report, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{report}: {exc.message}", messages.ERROR)
                continue
            outcome = gettext("now %(state)s.") % {"state": done.get_state_display()}
            self.log_change(request, report, f"acknowledge: {outcome}")
            self.message_user(request, f"{report}: {outcome}", messages.SUCCESS)

    def _close(self, request: HttpRequest, queryset, *, result: str, title):
        from apps.pix.med import services as med

        def perform(report: InfractionReport, reason: str) -> str:
            done = med.infraction_report_close(
                report=report, result=result, details=reason, actor=request.user
            )
            return gettext("now %(state)s (%(result)s).") % {
                "state": done.get_state_display(),
                "result": done.get_analysis_result_display() or result,
            }

        return self.run_with_reason(
            request,
            queryset.select_related("transfer"),
            title=title,
            perform=perform,
            describe=lambda r: (
                f"{r} - {format_brl(r.transfer.amount)} - {r.get_situation_display()}"
            ),
            notice=_(
                "The reason is the analysis recorded with the report and sent to the DICT. "
                "Agreeing with a report against one of our customers returns what is left of "
                "the money to the payer (MED refund)."
            ),
        )

    @state_change(
        "close",
        amount=lambda report: report.transfer.amount,
        reason_label=_("Analysis"),
        summary=_(
            "Agreeing with a report against one of our customers returns what is left of "
            "the money to the payer (MED refund)."
        ),
    )
    @admin.action(description=_("Close: agreed (fraud confirmed)"), permissions=("decide",))
    def close_agreed(self, request: HttpRequest, queryset: QuerySet[InfractionReport]):
        return self._close(
            request,
            queryset,
            result=InfractionReport.Result.AGREED,
            title=_("Close: agreed (fraud confirmed)"),
        )

    @state_change("close", amount=lambda report: report.transfer.amount, reason_label=_("Analysis"))
    @admin.action(description=_("Close: disagreed"), permissions=("decide",))
    def close_disagreed(self, request: HttpRequest, queryset: QuerySet[InfractionReport]):
        return self._close(
            request,
            queryset,
            result=InfractionReport.Result.DISAGREED,
            title=_("Close: disagreed"),
        )


@admin.register(CautionaryBlock)
class CautionaryBlockAdmin(
    ReasonActionsMixin, HistoryViewOnlyMixin, ReadOnlyMixin, SimpleHistoryAdmin
):
    """Active blocks first in line, oldest first: the 72 h run out in that order."""

    list_display = (
        "id",
        "state",
        "transfer_link",
        "amount_display",
        "reason",
        "expires_at",
        "infraction_link",
        "created_at",
    )
    list_display_links = ("id",)
    list_filter = (BlockQueueFilter, "expires_at")
    list_select_related = ("transfer", "infraction")
    search_fields = ("transfer__end_to_end_id",)  # see get_search_results
    search_help_text = _("Exact endToEndId of the Pix.")
    ordering = ("created_at", "pk")
    history_list_display = ("state",)
    fields = (
        "transfer_link",
        "account_link",
        "amount_display",
        "state",
        "reason",
        "expires_at",
        "hold_link",
        "infraction_link",
        "created_by",
        "transitions_display",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("release_block",)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        return (queryset.filter(transfer__end_to_end_id=term) if term else queryset), False

    @admin.display(description=_("Pix"))
    def transfer_link(self, obj: CautionaryBlock) -> str:
        return admin_link(obj.transfer, obj.transfer.end_to_end_id)

    @admin.display(description=_("account"))
    def account_link(self, obj: CautionaryBlock) -> str:
        account = obj.transfer.account
        return admin_link(account, f"{account.branch}/{account.number}")

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: CautionaryBlock) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("hold"))
    def hold_link(self, obj: CautionaryBlock) -> str:
        return admin_link(obj.hold, f"#{obj.hold_id}")

    @admin.display(description=_("infraction report"))
    def infraction_link(self, obj: CautionaryBlock) -> str:
        return admin_link(obj.infraction, f"#{obj.infraction_id}") if obj.infraction_id else "-"

    @admin.display(description=_("state transitions"))
    def transitions_display(self, obj: CautionaryBlock) -> str:
        return transitions_table(obj)

    def has_release_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("pix.change_cautionaryblock")

    @state_change(
        "release",
        amount=lambda block: block.amount,
        summary=_("The held money becomes available to the customer again."),
    )
    @admin.action(description=_("Release the block"), permissions=("release",))
    def release_block(self, request: HttpRequest, queryset: QuerySet[CautionaryBlock]):

        def perform(block: CautionaryBlock, reason: str) -> str:
            done = med_blocks.cautionary_block_release(
                block=block, actor=request.user, reason=reason
            )
            return gettext("%(amount)s released; now %(state)s.") % {
                "amount": format_brl(done.amount),
                "state": done.get_state_display(),
            }

        return self.run_with_reason(
            request,
            queryset.select_related("transfer"),
            title=_("Release the block"),
            perform=perform,
            describe=lambda b: f"{b.transfer.end_to_end_id} - {format_brl(b.amount)} - {b.reason}",
            notice=_("The held money becomes available to the customer again."),
        )
