"""The fraud console: rules staff tune (parameters validated per kind, with history), the
engine's decisions (authorizations with score and reasons, read-only, card masked), and the
reviews (the compliance queue's card items), closed as legitimate or as fraud."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.cards.fraud import feedback, rules
from apps.cards.fraud.models import FraudDecisionRecord, FraudReview, FraudRule
from apps.core.admin_states import state_change
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyAdmin,
    ReasonActionsMixin,
    admin_link,
    pretty_json,
)
from apps.core.money import format_brl


def _reasons(reasons) -> str:
    if not reasons:
        return "-"
    return format_html_join("", "<div>{}</div>", ((rules.render_reason(r),) for r in reasons))


class FraudRuleForm(forms.ModelForm):
    class Meta:
        model = FraudRule
        fields = ("code", "kind", "enabled", "weight", "params")


@admin.register(FraudRule)
class FraudRuleAdmin(HistoryViewOnlyMixin, SimpleHistoryAdmin):
    form = FraudRuleForm
    list_display = ("code", "kind", "enabled", "weight", "params_display", "updated_at")
    list_filter = ("kind", "enabled")
    list_editable = ("enabled",)
    history_list_display = ("enabled", "weight", "params")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return ("code", "kind", "defaults_display") if obj else ()

    def get_fields(self, request: HttpRequest, obj=None):
        fields = ["code", "kind", "enabled", "weight", "params"]
        return [*fields, "defaults_display"] if obj else fields

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # switch a rule off instead: its history stays meaningful

    @admin.display(description=_("parameters"))
    def params_display(self, obj: FraudRule) -> str:
        return json.dumps(obj.params, ensure_ascii=False, sort_keys=True)

    @admin.display(description=_("default parameters"))
    def defaults_display(self, obj: FraudRule) -> str:
        for rule in rules.DEFAULT_RULES:
            if rule["kind"] == obj.kind:
                return pretty_json({"weight": rule["weight"], "params": rule["params"]})
        return "-"


class _CardColumns:
    @admin.display(description=_("card"))
    def card_display(self, obj) -> str:
        auth = getattr(obj, "authorization", obj)
        return auth.card.masked_pan if auth.card_id else "-"

    @admin.display(description=_("amount"))
    def amount_display(self, obj) -> str:
        return format_brl(getattr(obj, "authorization", obj).amount)

    @admin.display(description=_("fraud score"))
    def score_display(self, obj) -> str:
        score = getattr(obj, "authorization", obj).fraud_score
        return "-" if score is None else f"{score:.2f}"

    @admin.display(description=_("reasons"))
    def reasons_display(self, obj) -> str:
        return _reasons(getattr(obj, "authorization", obj).fraud_reasons)


class ScoreFilter(admin.SimpleListFilter):
    title = _("engine's action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return (
            ("decline", _("declined (59)")),
            ("review", _("reviewed")),
            ("approve", _("approved")),
        )

    def queryset(self, request, queryset):
        if self.value() == "decline":
            return queryset.filter(response_code="59")
        if self.value() == "review":
            return queryset.filter(fraud_review__isnull=False)
        if self.value() == "approve":
            return queryset.filter(fraud_review__isnull=True).exclude(response_code="59")
        return queryset


@admin.register(FraudDecisionRecord)
class FraudDecisionAdmin(_CardColumns, ReadOnlyAdmin):
    list_display = (
        "created_at",
        "card_display",
        "merchant_name",
        "mcc",
        "amount_display",
        "country",
        "card_present",
        "score_display",
        "response_code",
        "customer_confirmed",
    )
    list_filter = (ScoreFilter, "card_present", "customer_confirmed")
    date_hierarchy = "created_at"
    search_fields = ("rrn", "merchant_name", "card__token", "card__last4")
    fields = (
        "created_at",
        "card_display",
        "mti",
        "stan",
        "rrn",
        "terminal_id",
        "merchant_id",
        "merchant_name",
        "mcc",
        "amount_display",
        "country",
        "entry_mode",
        "card_present",
        "device_id",
        "response_code",
        "state",
        "score_display",
        "reasons_display",
        "raw_reasons",
        "customer_confirmed",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super().get_queryset(request).filter(fraud_score__isnull=False).select_related("card")
        )

    @admin.display(description=_("reasons (as stored)"))
    def raw_reasons(self, obj) -> str:
        return pretty_json(obj.fraud_reasons)


@admin.register(FraudReview)
class FraudReviewAdmin(_CardColumns, ReasonActionsMixin, HistoryViewOnlyMixin, SimpleHistoryAdmin):
    list_display = (
        "__str__",
        "state",
        "card_display",
        "amount_display",
        "score_display",
        "due_at",
        "created_at",
    )
    list_filter = ("state",)
    fields = (
        "decision_link",
        "state",
        "card_display",
        "amount_display",
        "score_display",
        "reasons_display",
        "due_at",
        "closed_at",
        "closed_by",
    )
    readonly_fields = fields
    actions = ("close_legitimate", "close_fraud")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("authorization__card")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("decision"))
    def decision_link(self, obj: FraudReview) -> str:
        record = FraudDecisionRecord(pk=obj.authorization_id)
        return admin_link(record, str(obj.authorization))

    def _close(self, request, queryset, *, fraud: bool):
        def perform(review: FraudReview, reason: str) -> str:
            done = feedback.review_close(
                review_id=review.pk, actor=request.user, fraud=fraud, reason=reason
            )
            return gettext("now %(state)s") % {"state": done.get_state_display()}

        title = (
            gettext("Close as fraud (blocks the card)") if fraud else gettext("Close as legitimate")
        )
        return self.run_with_reason(request, queryset, title=title, perform=perform)

    @state_change(
        available=lambda review: review.state == FraudReview.State.OPEN,
        unavailable=_("This review is already closed."),
        amount=lambda review: review.authorization.amount,
    )
    @admin.action(description=_("Close as legitimate"), permissions=("change",))
    def close_legitimate(self, request, queryset):
        return self._close(request, queryset, fraud=False)

    @state_change(
        available=lambda review: review.state == FraudReview.State.OPEN,
        unavailable=_("This review is already closed."),
        amount=lambda review: review.authorization.amount,
        summary=_("The purchase is marked as fraud and the card is blocked."),
    )
    @admin.action(description=_("Close as fraud (blocks the card)"), permissions=("change",))
    def close_fraud(self, request, queryset):
        return self._close(request, queryset, fraud=True)
