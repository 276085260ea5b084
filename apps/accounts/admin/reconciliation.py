"""Reconciliation runs and ledger alerts."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.accounts.models import LedgerAlert, ReconciliationRun
from apps.accounts.reconciliation import reconcile
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyAdmin,
    ReadOnlyMixin,
    ReasonActionsMixin,
    StateFirstOrdering,
    admin_link,
    html_table,
    pretty_json,
    transition_action,
)
from apps.core.money import format_brl

from ._common import _account_link, _entry_link

# --- Reconciliation ------------------------------------------------------------------------


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    """The report of each proof that the ledger is whole; "Run reconciliation now" on the
    list starts one (needs `accounts.add_reconciliationrun`)."""

    list_display = (
        "started_at",
        "ok",
        "accounts_checked",
        "postings_checked",
        "postings_total_display",
        "mismatch_count",
        "unbalanced_count",
        "duration",
    )
    list_filter = ("ok", "started_at")
    ordering = ("-started_at",)
    fields = (
        "ok",
        "started_at",
        "finished_at",
        "duration",
        "accounts_checked",
        "postings_checked",
        "postings_total_display",
        "mismatches_table",
        "unbalanced_table",
        "alerts_display",
    )
    readonly_fields = fields
    change_list_template = "admin/accounts/reconciliationrun/change_list.html"

    def get_urls(self):
        run = path(
            "run/",
            self.admin_site.admin_view(self.run_view),
            name="accounts_reconciliationrun_run",
        )
        return [run, *super().get_urls()]

    def has_run_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.add_reconciliationrun")

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {**(extra_context or {}), "can_run": self.has_run_permission(request)}
        return super().changelist_view(request, extra_context)

    def run_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_run_permission(request):
            raise PermissionDenied
        run = reconcile()
        self.log_addition(request, run, "Run reconciliation now")
        if run.ok:
            self.message_user(
                request, gettext("%(run)s: the ledger is whole.") % {"run": run}, messages.SUCCESS
            )
        else:
            self.message_user(
                request,
                gettext("%(run)s: differences found; an alert is open for operators.")
                % {"run": run},
                messages.ERROR,
            )
        return HttpResponseRedirect(
            reverse("admin:accounts_reconciliationrun_change", args=[run.pk])
        )

    @admin.display(description=_("sum of all postings"))
    def postings_total_display(self, obj: ReconciliationRun) -> str:
        return format_brl(obj.postings_total)

    @admin.display(description=_("balance differences"))
    def mismatch_count(self, obj: ReconciliationRun) -> int:
        return len(obj.mismatches)

    @admin.display(description=_("unbalanced entries"))
    def unbalanced_count(self, obj: ReconciliationRun) -> int:
        return len(obj.unbalanced_entries)

    @admin.display(description=_("duration"))
    def duration(self, obj: ReconciliationRun) -> str:
        return f"{(obj.finished_at - obj.started_at).total_seconds():.3f} s"

    @admin.display(description=_("balance differences"))
    def mismatches_table(self, obj: ReconciliationRun) -> str:
        if not obj.mismatches:
            return _("none")
        rows = (
            (
                _account_link(m.get("account_id")),
                format_brl(int(m.get("cached", 0))),
                format_brl(int(m.get("derived", 0))),
                format_brl(int(m.get("difference", 0))),
            )
            for m in obj.mismatches
        )
        return html_table(
            (_("account"), _("cached balance"), _("sum of postings"), _("difference")), rows
        )

    @admin.display(description=_("unbalanced entries"))
    def unbalanced_table(self, obj: ReconciliationRun) -> str:
        if not obj.unbalanced_entries:
            return _("none")
        rows = []
        for item in obj.unbalanced_entries:
            if "orphan_postings" in item:
                rows.append((_("postings on no account"), item["orphan_postings"]))
            else:
                rows.append(
                    (_entry_link(item.get("entry_id")), format_brl(int(item.get("sum", 0))))
                )
        return html_table((_("entry"), _("sum of its postings")), rows)

    @admin.display(description=_("alerts"))
    def alerts_display(self, obj: ReconciliationRun) -> str:
        alerts = list(obj.alerts.order_by("pk"))
        if not alerts:
            return "-"
        return format_html_join(
            ", ", "{}", ((admin_link(a, f"#{a.pk} {a.get_state_display()}"),) for a in alerts)
        )


@admin.register(LedgerAlert)
class LedgerAlertAdmin(
    ReasonActionsMixin, HistoryViewOnlyMixin, StateFirstOrdering, ReadOnlyMixin, SimpleHistoryAdmin
):
    first_states = (LedgerAlert.State.OPEN,)
    list_display = ("id", "kind", "state", "short_message", "run_link", "created_at")
    list_display_links = ("id",)
    list_filter = ("state", "kind", "created_at")
    search_fields = ("message",)
    history_list_display = ("state",)
    fields = ("kind", "state", "message", "run_link", "detail_display", "created_at", "updated_at")
    readonly_fields = fields
    actions = (
        transition_action("acknowledge", _("Acknowledge"), permission="handle"),
        transition_action("resolve", _("Resolve"), permission="handle"),
    )

    def has_handle_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_ledgeralert")

    @admin.display(description=_("message"))
    def short_message(self, obj: LedgerAlert) -> str:
        return obj.message if len(obj.message) <= 100 else obj.message[:99] + "…"

    @admin.display(description=_("reconciliation run"))
    def run_link(self, obj: LedgerAlert) -> str:
        if obj.run_id is None:
            return "-"
        url = reverse("admin:accounts_reconciliationrun_change", args=[obj.run_id])
        return format_html('<a href="{}">#{}</a>', url, obj.run_id)

    @admin.display(description=_("detail"))
    def detail_display(self, obj: LedgerAlert) -> str:
        return pretty_json(obj.detail)
