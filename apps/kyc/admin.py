"""The compliance console for KYC requests: the automatic check results, the documents
(listed, never embedded: each links to the protected view, which audits the access), and
the decisions as admin actions asking for a reason."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.core.admin_states import state_change
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyMixin,
    ReasonActionsMixin,
    StateFirstOrdering,
    brl_field,
    html_table,
)
from apps.core.timezones import BRASILIA

from . import checks, services
from .models import KycDocument, KycRequest


class KycDocumentInline(admin.TabularInline):
    model = KycDocument
    extra = 0
    can_delete = False
    fields = ("kind", "content_type", "size", "sha256", "uploaded_at", "open_link")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("file"))
    def open_link(self, obj: KycDocument) -> str:
        if not obj.pk:
            return "-"
        url = reverse("portal:kyc:document", args=[obj.pk])
        return format_html('<a href="{}" rel="noopener">{}</a>', url, gettext("Download"))


def checks_table(results: dict[str, Any]) -> str:
    """The automatic checks as a table in the reader's language: each check, its outcome
    and what it found; then the face distance, the decision and when the checks ran."""
    found = results.get("checks") if isinstance(results, dict) else None
    if not isinstance(found, dict) or not found:
        return "-"
    rows = [
        (
            checks.CHECK_LABELS.get(name, name.replace("_", " ")),
            checks.OUTCOME_LABELS.get(result.get("outcome"), result.get("outcome", "")),
            checks.detail_text(result),
        )
        for name, result in found.items()
        if isinstance(result, dict)
    ]
    table = html_table((_("check"), _("outcome"), _("detail")), rows)
    facts = []
    face = results.get("face")
    if isinstance(face, dict) and face.get("distance") is not None:
        facts.append(
            gettext("Face distance %(distance)s (match at or below %(threshold)s).")
            % {
                "distance": number_format(face["distance"], 4),
                "threshold": number_format(face.get("threshold", ""), 2),
            }
        )
    decision = results.get("decision")
    if decision in checks.DECISION_LABELS:
        facts.append(
            gettext("Decision: %(decision)s.") % {"decision": checks.DECISION_LABELS[decision]}
        )
    ran_at = parse_datetime(str(results.get("ran_at", "")))
    if ran_at is not None:
        facts.append(
            gettext("Ran at %(when)s (Brasilia time).")
            % {"when": timezone.localtime(ran_at, BRASILIA).strftime("%d/%m/%Y %H:%M:%S")}
        )
    notes = format_html_join("", "<p>{}</p>", ((fact,) for fact in facts))
    return format_html("{}{}", table, notes)


@admin.register(KycRequest)
class KycRequestAdmin(
    ReasonActionsMixin, HistoryViewOnlyMixin, ReadOnlyMixin, StateFirstOrdering, SimpleHistoryAdmin
):
    first_states = (KycRequest.State.IN_REVIEW,)
    list_display = (
        "pk",
        "customer",
        "from_level",
        "target_level",
        "state",
        "submitted_at",
        "decided_at",
    )
    list_filter = ("state", "target_level")
    search_fields = ("customer__full_name", "declared_name")
    list_select_related = ("customer",)
    inlines = [KycDocumentInline]
    actions = ["approve", "reject", "ask_info"]
    fields = (
        "customer",
        "state",
        "from_level",
        "target_level",
        "declared_name",
        "birth_date",
        "monthly_income_display",
        "address_line",
        "city",
        "state_code",
        "postal_code",
        "checks_display",
        "reasons",
        "reviewed_by",
        "submitted_at",
        "decided_at",
    )
    readonly_fields = fields

    monthly_income_display = brl_field("monthly_income_cents", _("declared monthly income"))

    @admin.display(description=_("automatic checks"))
    def checks_display(self, obj: KycRequest) -> str:
        return checks_table(obj.check_results)

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(services.REVIEW_PERMISSION)

    def _decide(self, request: HttpRequest, queryset: QuerySet, *, title, decide):
        def perform(obj: KycRequest, reason: str) -> str:
            done = decide(obj, request.user, reason=reason)
            return gettext("now %(state)s.") % {"state": done.get_state_display()}

        return self.run_with_reason(request, queryset, title=title, perform=perform)

    @state_change("approve", summary=_("Grants the requested level; its limits apply at once."))
    @admin.action(description=_("Approve (grant the level)"), permissions=("decide",))
    def approve(self, request: HttpRequest, queryset: QuerySet[KycRequest]):
        return self._decide(
            request, queryset, title=_("Approve"), decide=services.kyc_request_approve
        )

    @state_change("reject")
    @admin.action(description=_("Reject"), permissions=("decide",))
    def reject(self, request: HttpRequest, queryset: QuerySet[KycRequest]):
        return self._decide(
            request, queryset, title=_("Reject"), decide=services.kyc_request_reject
        )

    @state_change("ask_info")
    @admin.action(description=_("Ask the customer for more information"), permissions=("decide",))
    def ask_info(self, request: HttpRequest, queryset: QuerySet[KycRequest]):
        return self._decide(
            request, queryset, title=_("Ask for information"), decide=services.kyc_request_ask_info
        )
