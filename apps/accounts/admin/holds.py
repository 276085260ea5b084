"""Holds and reversal requests (four eyes above R$ 10.000,00)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.accounts import services
from apps.accounts.models import Hold, ReversalRequest
from apps.core.admin_states import state_change
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyMixin,
    ReasonActionsMixin,
    StateFirstOrdering,
)
from apps.core.money import format_brl

from ._common import _account_link, _entry_link

# --- Holds ---------------------------------------------------------------------------------


@admin.register(Hold)
class HoldAdmin(
    ReasonActionsMixin, HistoryViewOnlyMixin, StateFirstOrdering, ReadOnlyMixin, SimpleHistoryAdmin
):
    first_states = (Hold.State.ACTIVE,)
    list_display = (
        "id",
        "account_display",
        "amount_display",
        "captured_display",
        "state",
        "reason",
        "reference",
        "expires_at",
        "created_at",
    )
    list_display_links = ("id",)
    list_filter = ("state", "reference_type", "expires_at")
    list_select_related = ("account",)
    search_fields = ("=account__number", "=reference_id", "reason")
    show_full_result_count = False
    history_list_display = ("state",)
    fields = (
        "account_display",
        "amount_display",
        "captured_display",
        "state",
        "reason",
        "reference",
        "expires_at",
        "capture_entry_link",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("release",)

    @admin.display(description=_("account"))
    def account_display(self, obj: Hold) -> str:
        return _account_link(obj.account_id, obj.account)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: Hold) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("captured"))
    def captured_display(self, obj: Hold) -> str:
        return format_brl(obj.captured_amount)

    @admin.display(description=_("reference"))
    def reference(self, obj: Hold) -> str:
        return f"{obj.reference_type} {obj.reference_id}".strip() or "-"

    @admin.display(description=_("capture entry"))
    def capture_entry_link(self, obj: Hold) -> str:
        return _entry_link(obj.capture_entry_id)

    def has_release_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_hold")

    @state_change(
        "release",
        amount=lambda hold: hold.amount,
        summary=_("The held amount becomes available to the customer again."),
    )
    @admin.action(description=_("Release"), permissions=("release",))
    def release(self, request: HttpRequest, queryset: QuerySet[Hold]):
        def perform(hold: Hold, reason: str) -> str:
            done = services.hold_release(hold_id=hold.pk, actor=request.user, reason=reason)
            return gettext("%(amount)s released; now %(state)s.") % {
                "amount": format_brl(done.amount),
                "state": done.get_state_display(),
            }

        return self.run_with_reason(
            request,
            queryset,
            title=_("Release"),
            perform=perform,
            describe=lambda h: f"{h} - {format_brl(h.amount)} - {h.reason}",
        )


# --- Reversal requests ---------------------------------------------------------------------


@admin.register(ReversalRequest)
class ReversalRequestAdmin(
    ReasonActionsMixin, HistoryViewOnlyMixin, StateFirstOrdering, ReadOnlyMixin, SimpleHistoryAdmin
):
    """Pending first. Requests come from the entry action; above R$ 10.000,00 a second
    operator approves (the service refuses the requester's own approval)."""

    first_states = (ReversalRequest.State.PENDING,)
    list_display = (
        "id",
        "entry_display",
        "amount_display",
        "state",
        "requested_by",
        "short_reason",
        "created_at",
    )  # who decided and the reversing entry are on the request's page (fits 1280 px, #16)
    list_display_links = ("id",)
    list_filter = ("state", "created_at")
    list_select_related = ("requested_by", "decided_by")
    search_fields = ("=entry__id", "reason")
    history_list_display = ("state", "decided_by")
    fields = (
        "entry_display",
        "amount_display",
        "reason",
        "state",
        "requested_by",
        "decided_by",
        "reversal_entry_display",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("approve", "reject")

    @admin.display(description=_("entry"), ordering="entry_id")
    def entry_display(self, obj: ReversalRequest) -> str:
        return _entry_link(obj.entry_id)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: ReversalRequest) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("reversal entry"))
    def reversal_entry_display(self, obj: ReversalRequest) -> str:
        return _entry_link(obj.reversal_entry_id)

    @admin.display(description=_("reason"))
    def short_reason(self, obj: ReversalRequest) -> str:
        return obj.reason if len(obj.reason) <= 80 else obj.reason[:79] + "…"

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_reversalrequest")

    @state_change(
        "execute",
        amount=lambda rr: rr.amount,
        requested_by=lambda rr: rr.requested_by_id,
        summary=_(
            "Posts the reversing entry now: the amount goes back to the payer's account. "
            "Above the four-eyes threshold the approver must not be the requester."
        ),
    )
    @admin.action(description=_("Approve (second operator)"), permissions=("decide",))
    def approve(self, request: HttpRequest, queryset: QuerySet[ReversalRequest]):
        """Four eyes with a reason: the approver says why, on the action's page or the
        request's "Approve" button (which also asks for an explicit confirmation)."""

        def perform(rr: ReversalRequest, reason: str) -> str:
            done = services.reversal_approve(request_id=rr.pk, actor=request.user, reason=reason)
            return gettext("approved; reversed by entry #%(entry)s.") % {
                "entry": done.reversal_entry_id
            }

        return self.run_with_reason(
            request,
            queryset,
            title=_("Approve (second operator)"),
            perform=perform,
            describe=lambda r: f"{r} - {format_brl(r.amount)} - {r.reason}",
        )

    @state_change(
        "reject",
        amount=lambda rr: rr.amount,
        summary=_("Nothing is reversed; the request is closed as rejected."),
    )
    @admin.action(description=_("Reject"), permissions=("decide",))
    def reject(self, request: HttpRequest, queryset: QuerySet[ReversalRequest]):
        def perform(rr: ReversalRequest, reason: str) -> str:
            done = services.reversal_reject(request_id=rr.pk, actor=request.user, reason=reason)
            return gettext("now %(state)s.") % {"state": done.get_state_display()}

        return self.run_with_reason(
            request,
            queryset,
            title=_("Reject"),
            perform=perform,
            describe=lambda r: f"{r} - {format_brl(r.amount)} - {r.reason}",
        )
