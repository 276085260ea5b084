"""The compliance console for data-subject requests: answer, refuse, apply a correction,
erase, review an automated decision. Every action asks for a reason (the answer to the
data subject), runs the privacy service and is logged, hence audited."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.core.admin_states import state_change
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyAdmin,
    ReadOnlyMixin,
    ReasonActionsMixin,
    admin_link,
    pretty_json,
)

from . import services
from .models import DataSubjectRequest, Erasure, RetainedRecord

HANDLE = "privacy.handle_datasubjectrequest"
ERASE = "privacy.erase_customer"


def _fresh(obj: DataSubjectRequest) -> DataSubjectRequest:
    return DataSubjectRequest.objects.get(pk=obj.pk)


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(
    ReasonActionsMixin, HistoryViewOnlyMixin, ReadOnlyMixin, SimpleHistoryAdmin
):
    list_display = ("id", "kind", "state", "customer_link", "requested_at", "due_at", "overdue")
    list_filter = ("state", "kind")
    search_fields = ("=id", "=customer__id")
    ordering = ("due_at",)
    readonly_fields = (
        "customer_link",
        "kind",
        "state",
        "requested_at",
        "due_at",
        "answered_at",
        "details",
        "field",
        "new_value",
        "decision_ref",
        "answer",
        "handled_by",
    )
    fields = readonly_fields
    actions = (
        "start",
        "complete",
        "refuse",
        "apply_correction",
        "erase",
        "confirm_decision",
        "reverse_decision",
    )

    @admin.display(description=_("customer"))
    def customer_link(self, obj: DataSubjectRequest) -> str:
        return admin_link(obj.customer, f"#{obj.customer_id}")

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj: DataSubjectRequest) -> bool:
        from django.utils import timezone

        return obj.is_open and obj.due_at < timezone.now()

    def has_handle_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(HANDLE)

    def has_erase_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ERASE)

    def _run(self, request, queryset, title, perform):
        return self.run_with_reason(
            request, queryset, title=str(title), perform=lambda obj, reason: perform(obj, reason)
        )

    @state_change("start")
    @admin.action(description=_("Start handling"), permissions=("handle",))
    def start(self, request, queryset):
        def perform(obj, reason):
            services.privacy_request_start(req=_fresh(obj), actor=request.user)
            return gettext("in progress")

        return self._run(request, queryset, _("Start handling"), perform)

    @state_change("complete", reason_label=_("Answer to the data subject"))
    @admin.action(description=_("Complete with the answer"), permissions=("handle",))
    def complete(self, request, queryset):
        def perform(obj, reason):
            services.privacy_request_complete(req=_fresh(obj), actor=request.user, answer=reason)
            return gettext("completed")

        return self._run(request, queryset, _("Complete with the answer"), perform)

    @state_change("refuse", reason_label=_("Answer to the data subject"))
    @admin.action(description=_("Refuse (the reason is the answer)"), permissions=("handle",))
    def refuse(self, request, queryset):
        def perform(obj, reason):
            services.privacy_request_refuse(req=_fresh(obj), actor=request.user, reason=reason)
            return gettext("refused")

        return self._run(request, queryset, _("Refuse"), perform)

    @state_change(
        "complete",
        available=lambda req: req.kind == DataSubjectRequest.Kind.CORRECTION,
        unavailable=_("This is not a correction request."),
    )
    @admin.action(description=_("Apply the correction"), permissions=("handle",))
    def apply_correction(self, request, queryset):
        def perform(obj, reason):
            services.correction_apply(req=_fresh(obj), actor=request.user)
            return gettext("corrected")

        return self._run(request, queryset, _("Apply the correction"), perform)

    @state_change(
        "complete",
        available=lambda req: req.kind == DataSubjectRequest.Kind.ERASURE,
        unavailable=_("This is not an erasure request."),
        summary=_(
            "The customer's personal data is erased, except what the law makes us keep; "
            "this cannot be undone."
        ),
    )
    @admin.action(description=_("Erase the customer's personal data"), permissions=("erase",))
    def erase(self, request, queryset):
        def perform(obj, reason):
            done = services.customer_erase(req=_fresh(obj), actor=request.user)
            return done.get_state_display() + ": " + done.answer

        return self._run(request, queryset, _("Erase the customer's personal data"), perform)

    @state_change(
        "complete",
        available=lambda req: req.kind == DataSubjectRequest.Kind.AUTOMATED_DECISION_REVIEW,
        unavailable=_("This is not a review request."),
        reason_label=_("Explanation to the data subject"),
    )
    @admin.action(description=_("Confirm the automated decision"), permissions=("handle",))
    def confirm_decision(self, request, queryset):
        def perform(obj, reason):
            services.automated_decision_review(
                req=_fresh(obj), actor=request.user, reverse=False, reasoning=reason
            )
            return gettext("decision confirmed")

        return self._run(request, queryset, _("Confirm the automated decision"), perform)

    @state_change(
        "complete",
        available=lambda req: req.kind == DataSubjectRequest.Kind.AUTOMATED_DECISION_REVIEW,
        unavailable=_("This is not a review request."),
        reason_label=_("Explanation to the data subject"),
    )
    @admin.action(description=_("Reverse the automated decision"), permissions=("handle",))
    def reverse_decision(self, request, queryset):
        def perform(obj, reason):
            done = services.automated_decision_review(
                req=_fresh(obj), actor=request.user, reverse=True, reasoning=reason
            )
            return done.answer

        return self._run(request, queryset, _("Reverse the automated decision"), perform)


@admin.register(Erasure)
class ErasureAdmin(ReadOnlyAdmin):
    list_display = ("customer_id", "erased_at", "retention_until")
    readonly_fields = ("customer", "request", "erased_at", "retention_until", "summary_pretty")
    fields = readonly_fields

    @admin.display(description=_("summary"))
    def summary_pretty(self, obj: Erasure) -> str:
        return pretty_json(obj.summary)


@admin.register(RetainedRecord)
class RetainedRecordAdmin(ReadOnlyAdmin):
    list_display = ("model", "object_id", "retention_until", "legal_basis")
    list_filter = ("model",)
    search_fields = ("=object_id",)
