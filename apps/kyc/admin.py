"""The compliance console for KYC requests: the automatic check results, the documents
(listed, never embedded: each links to the protected view, which audits the access), and
the decisions as admin actions asking for a reason."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyMixin,
    ReasonActionsMixin,
    StateFirstOrdering,
    pretty_json,
)

from . import services
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
        "monthly_income_cents",
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

    @admin.display(description=_("automatic checks"))
    def checks_display(self, obj: KycRequest) -> str:
        return pretty_json(obj.check_results) if obj.check_results else "-"

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(services.REVIEW_PERMISSION)

    def _decide(self, request: HttpRequest, queryset: QuerySet, *, title, decide):
        def perform(obj: KycRequest, reason: str) -> str:
            done = decide(obj, request.user, reason=reason)
            return gettext("now %(state)s.") % {"state": done.get_state_display()}

        return self.run_with_reason(request, queryset, title=title, perform=perform)

    @admin.action(description=_("Approve (grant the level)"), permissions=("decide",))
    def approve(self, request: HttpRequest, queryset: QuerySet[KycRequest]):
        return self._decide(
            request, queryset, title=_("Approve"), decide=services.kyc_request_approve
        )

    @admin.action(description=_("Reject"), permissions=("decide",))
    def reject(self, request: HttpRequest, queryset: QuerySet[KycRequest]):
        return self._decide(
            request, queryset, title=_("Reject"), decide=services.kyc_request_reject
        )

    @admin.action(description=_("Ask the customer for more information"), permissions=("decide",))
    def ask_info(self, request: HttpRequest, queryset: QuerySet[KycRequest]):
        return self._decide(
            request, queryset, title=_("Ask for information"), decide=services.kyc_request_ask_info
        )
