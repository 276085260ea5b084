"""The compliance officers' console for transaction monitoring.

* Rules: parameters and the on/off switch are editable (validated against the rule's code);
  rules themselves are code, so nobody adds or deletes them here.
* Alerts: the queue (active first, nearest SLA first), "assign to me", the FSM transitions as
  actions with a reason, notes, the evidence, a cautionary block, COAF preparation.
* The unified queue page (`alert/queue/`): alerts, KYC reviews, MED cases and screening
  hits, with a websocket banner for new alerts.
* COAF communications: read-only; approve (four eyes), record the SISCOAF protocol, and
  download the PDF and the JSON.
Every write goes through apps.monitoring.services, which checks permissions and audits.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.accounts.selectors import kind_label
from apps.core.admin_states import state_change
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReasonActionsMixin,
    admin_link,
    html_table,
    pretty_json,
)
from apps.core.audit import record_data_export
from apps.core.errors import DomainError
from apps.core.money import format_brl, parse_amount
from apps.core.timezones import BRASILIA

from . import registry, selectors, services
from .models import Alert, AlertNote, CoafReport, MonitoringRule

# --- Rules ------------------------------------------------------------------------------


class MonitoringRuleForm(forms.ModelForm):
    class Meta:
        model = MonitoringRule
        fields = ("name", "description", "enabled", "parameters")

    def clean_parameters(self):
        value = self.cleaned_data.get("parameters")
        try:
            return services.rule_parameters_validate(code=self.instance.code, parameters=value)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(MonitoringRule)
class MonitoringRuleAdmin(HistoryViewOnlyMixin, SimpleHistoryAdmin):
    form = MonitoringRuleForm
    list_display = ("code", "name", "enabled", "parameters_display", "updated_at")
    list_filter = ("enabled",)
    readonly_fields = ("code", "defaults_display")
    fields = ("code", "name", "description", "enabled", "parameters", "defaults_display")
    history_list_display = ("enabled", "parameters")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("parameters"))
    def parameters_display(self, obj: MonitoringRule) -> str:
        return json.dumps(services.rule_parameters(obj), ensure_ascii=False)

    @admin.display(description=_("defaults in code"))
    def defaults_display(self, obj: MonitoringRule) -> str:
        from .rules import rules

        spec = rules().get(obj.code)
        return pretty_json(spec.defaults) if spec else "-"


# --- Alerts -----------------------------------------------------------------------------


class AlertQueueFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("active", _("waiting for analysis")), *Alert.State.choices, ("all", _("all"))]

    def value(self):
        return super().value() or "active"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value == "all":
            return queryset
        if value == "active":
            return queryset.filter(state__in=Alert.ACTIVE_STATES)
        return queryset.filter(state=value)


class RiskFilter(admin.SimpleListFilter):
    title = _("risk")
    parameter_name = "risk"

    def lookups(self, request, model_admin):
        return [("high", _("high (70+)")), ("medium", _("medium (40-69)")), ("low", _("low"))]

    def queryset(self, request, queryset):
        return {
            "high": queryset.filter(risk_score__gte=70),
            "medium": queryset.filter(risk_score__gte=40, risk_score__lt=70),
            "low": queryset.filter(risk_score__lt=40),
        }.get(self.value(), queryset)


class AgeFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [
            ("7", _("older than 7 days")),
            ("30", _("older than 30 days")),
            ("overdue", _("overdue")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(sla_due_at__lt=now, state__in=Alert.ACTIVE_STATES)
        if self.value() in ("7", "30"):
            return queryset.filter(detected_at__lt=now - timedelta(days=int(self.value())))
        return queryset


class AlertNoteInline(admin.TabularInline):
    model = AlertNote
    extra = 1
    fields = ("text", "author", "created_at")
    readonly_fields = ("author", "created_at")

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # notes are a record: added, never edited

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("monitoring.add_alertnote")


def parse_amount_input(text: str) -> int:
    """An amount typed by an officer, "1.500,00", "R$ 1.500,00" or "1500.00", in centavos."""
    text = text.strip().removeprefix("R$").strip()
    if "," in text:  # the Brazilian form: dots group thousands, the comma marks centavos
        text = text.replace(".", "").replace(",", ".")
    return parse_amount(text)


class HoldForm(forms.Form):
    amount = forms.CharField(label=_("Amount (R$)"), max_length=20)
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea)

    def clean_amount(self) -> int:
        try:
            return parse_amount_input(self.cleaned_data["amount"])
        except (ValueError, DomainError) as exc:
            raise forms.ValidationError(gettext("Enter an amount such as 1500,00.")) from exc


# What a rule found (Alert.evidence["facts"]), by key: its label and whether it is money.
FACT_LABELS = {
    "amount": (_("amount"), True),
    "threshold_cents": (_("threshold"), True),
    "total": (_("total"), True),
    "received": (_("received"), True),
    "declared_monthly_income": (_("declared monthly income"), True),
    "inflow": (_("money in"), True),
    "outflow": (_("money out"), True),
    "volume": (_("volume"), True),
    "baseline": (_("usual volume"), True),
    "count": (_("movements"), False),
    "counterparties": (_("distinct counterparties"), False),
    "ratio": (_("ratio out/in"), False),
}


def facts_table(facts: dict) -> str:
    """A rule's facts as a table in the reader's language, money as "R$ 8.500,00"."""
    if not isinstance(facts, dict) or not facts:
        return ""
    rows = []
    for key, value in facts.items():
        label, money = FACT_LABELS.get(key, (key.replace("_", " "), False))
        shown = format_brl(value) if money and isinstance(value, int) else value
        rows.append((label, shown))
    return html_table([gettext("fact"), gettext("value")], rows)


def _brasilia_text(value) -> str:
    """A movement's time in Brasilia (evidence stores ISO text in UTC, selectors datetimes)."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        return str(value)
    return timezone.localtime(moment, BRASILIA).strftime("%d/%m/%Y %H:%M")


@admin.register(Alert)
class AlertAdmin(ReasonActionsMixin, HistoryViewOnlyMixin, SimpleHistoryAdmin):
    list_display = (
        "id",
        "state",
        "rule",
        "customer_link",
        "risk_score",
        "detected_at",
        "sla_display",
        "assigned_to",
    )
    list_filter = (AlertQueueFilter, "rule", RiskFilter, AgeFilter)
    list_select_related = ("rule", "customer", "assigned_to")
    ordering = ("sla_due_at", "pk")
    inlines = (AlertNoteInline,)
    history_list_display = ("state", "assigned_to", "risk_score")
    fields = (
        "rule",
        "customer_link",
        "account",
        "state",
        "risk_score",
        "summary",
        "detected_at",
        "sla_display",
        "assigned_to",
        "decision_reason",
        "decided_at",
        "evidence_display",
        "recent_display",
        "prior_display",
        "screening_display",
        "coaf_display",
    )
    readonly_fields = fields
    actions = (
        "assign_to_me",
        "start_analysis",
        "dismiss",
        "escalate",
        "prepare_coaf",
    )
    change_form_template = "admin/monitoring/alert_change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_formset(self, request, form, formset, change):
        # Notes go through the service (permission check), with the officer as author.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for note_form in formset.forms:
            if note_form.has_changed() and not note_form.instance.pk:
                text = note_form.cleaned_data.get("text", "")
                try:
                    services.alert_note_add(alert=form.instance, author=request.user, text=text)
                except DomainError as exc:
                    self.message_user(request, exc.message, messages.ERROR)

    def save_model(self, request, obj, form, change):
        return None  # every field is read-only: nothing of the alert itself is saved here

    # --- display ---------------------------------------------------------------------

    @admin.display(description=_("customer"))
    def customer_link(self, obj: Alert) -> str:
        return admin_link(obj.customer)

    @admin.display(description=_("SLA (45 days)"), ordering="sla_due_at")
    def sla_display(self, obj: Alert) -> str:
        if obj.state not in Alert.ACTIVE_STATES:
            return "-"
        days = obj.sla_days_left
        if obj.is_overdue:
            return format_html(
                '<strong style="color:#ba2121">{}</strong>',
                gettext("overdue by %(d)d days") % {"d": -days},
            )
        return gettext("%(d)d days left") % {"d": days}

    @admin.display(description=_("triggering movements"))
    def evidence_display(self, obj: Alert) -> str:
        table = html_table(
            [gettext("date"), gettext("amount"), gettext("kind"), gettext("entry")],
            [
                (
                    _brasilia_text(m["created_at"]),
                    format_brl(m["amount"]),
                    kind_label(m["kind"]),
                    m["entry_id"],
                )
                for m in obj.evidence.get("movements", [])
            ],
        )
        return format_html("{}{}", table, facts_table(obj.evidence.get("facts", {})))

    def _evidence(self, obj: Alert) -> dict:
        cache = getattr(self, "_evidence_cache", {})
        if obj.pk not in cache:
            cache = {obj.pk: selectors.alert_evidence(alert=obj)}
            self._evidence_cache = cache
        return cache[obj.pk]

    @admin.display(description=_("recent movements (90 days)"))
    def recent_display(self, obj: Alert) -> str:
        return html_table(
            [gettext("date"), gettext("amount"), gettext("kind"), gettext("entry")],
            [
                (
                    _brasilia_text(p["created_at"]),
                    format_brl(p["amount"]),
                    kind_label(p["kind"]),
                    p["entry_id"],
                )
                for p in self._evidence(obj)["recent"]
            ],
        )

    @admin.display(description=_("prior alerts"))
    def prior_display(self, obj: Alert) -> str:
        return html_table(
            [gettext("alert"), gettext("rule"), gettext("state"), gettext("detected")],
            [
                (
                    admin_link(a, f"#{a.pk}"),
                    a.rule,
                    a.get_state_display(),
                    timezone.localtime(a.detected_at).strftime("%d/%m/%Y"),
                )
                for a in self._evidence(obj)["prior_alerts"]
            ],
        )

    @admin.display(description=_("screening hits"))
    def screening_display(self, obj: Alert) -> str:
        return html_table(
            [gettext("list"), gettext("listed name"), gettext("score"), gettext("status")],
            [
                (h.get_source_display(), h.listed_name, h.score, h.get_status_display())
                for h in self._evidence(obj)["screening_hits"]
            ],
        )

    @admin.display(description=_("COAF communications"))
    def coaf_display(self, obj: Alert) -> str:
        return html_table(
            [gettext("communication"), gettext("state")],
            [(admin_link(r), r.get_state_display()) for r in obj.coaf_reports.all()],
        )

    # --- actions ---------------------------------------------------------------------

    def _per_object(self, request: HttpRequest, queryset: QuerySet, perform) -> None:
        for obj in queryset:
            try:
                outcome = perform(obj)
            except DomainError as exc:
                self.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
                continue
            self.message_user(request, f"{obj}: {outcome}", messages.SUCCESS)

    @admin.action(description=_("Assign to me"), permissions=("change",))
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._per_object(
            request,
            queryset,
            lambda a: (
                services.alert_assign(alert=a, officer=request.user, actor=request.user)
                and gettext("assigned to you")
            ),
        )

    def _transition(self, request, queryset, name: str, title: str):
        def perform(alert: Alert, reason: str) -> str:
            done = services.alert_transition(
                alert=alert, name=name, actor=request.user, reason=reason
            )
            return gettext("now %(state)s") % {"state": done.get_state_display()}

        return self.run_with_reason(request, queryset, title=title, perform=perform)

    @state_change("start_analysis")
    @admin.action(description=_("Start analysis"), permissions=("change",))
    def start_analysis(self, request: HttpRequest, queryset: QuerySet):
        return self._transition(request, queryset, "start_analysis", gettext("Start analysis"))

    @state_change("dismiss")
    @admin.action(description=_("Dismiss (no suspicion)"), permissions=("change",))
    def dismiss(self, request: HttpRequest, queryset: QuerySet):
        return self._transition(request, queryset, "dismiss", gettext("Dismiss"))

    @state_change("escalate")
    @admin.action(
        description=_("Escalate (suspicion: communicate to COAF)"), permissions=("change",)
    )
    def escalate(self, request: HttpRequest, queryset: QuerySet):
        return self._transition(request, queryset, "escalate", gettext("Escalate"))

    @state_change(
        available=lambda alert: (
            alert.state == Alert.State.ESCALATED and not alert.coaf_reports.exists()
        ),
        unavailable=_("Only an escalated alert without a communication is communicated to COAF."),
        reason_label=_("Reasoning (fundamentação)"),
        summary=_("Prepares the COAF communication; a second officer approves it."),
    )
    @admin.action(description=_("Prepare the COAF communication"), permissions=("change",))
    def prepare_coaf(self, request: HttpRequest, queryset: QuerySet):
        def perform(alert: Alert, reason: str) -> str:
            report = services.coaf_report_prepare(alert=alert, actor=request.user, reasoning=reason)
            return gettext("COAF communication #%(pk)s prepared; a second officer approves it.") % {
                "pk": report.pk
            }

        return self.run_with_reason(
            request,
            queryset,
            title=gettext("Prepare the COAF communication"),
            perform=perform,
            notice=gettext("The reason is the communication's reasoning (fundamentação)."),
        )

    # --- extra pages -----------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "queue/",
                self.admin_site.admin_view(self.queue_view),
                name="monitoring_alert_queue",
            ),
            path(
                "<int:pk>/hold/",
                self.admin_site.admin_view(self.hold_view),
                name="monitoring_alert_hold",
            ),
            *super().get_urls(),
        ]

    def queue_view(self, request: HttpRequest) -> TemplateResponse:
        if not request.user.has_perm("monitoring.view_alert"):
            raise PermissionDenied
        types = [t for t in request.GET.getlist("type") if t in registry.sources()]

        def number(name: str) -> int:
            value = request.GET.get(name, "")
            return int(value) if value.isdigit() else 0

        items = selectors.compliance_queue(
            types=types or None, min_age_days=number("age"), min_risk=number("risk")
        )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Compliance queue"),
            "opts": self.opts,
            "items": items,
            "types": registry.source_labels(),
            "selected_types": types,
            "age": number("age") or "",
            "risk": number("risk") or "",
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/monitoring/queue.html", context)

    def hold_view(self, request: HttpRequest, pk: int):
        if not request.user.has_perm("monitoring.change_alert"):
            raise PermissionDenied
        alert = get_object_or_404(Alert, pk=pk)
        form = HoldForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                hold = services.alert_hold_place(
                    alert=alert,
                    amount_cents=form.cleaned_data["amount"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    gettext("Cautionary block of %(amount)s placed.")
                    % {"amount": format_brl(hold.amount)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:monitoring_alert_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Cautionary block from alert #%(pk)s") % {"pk": pk},
            "opts": self.opts,
            "alert": alert,
            "form": form,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/monitoring/hold.html", context)


# --- COAF communications --------------------------------------------------------------


@admin.register(CoafReport)
class CoafReportAdmin(ReasonActionsMixin, HistoryViewOnlyMixin, SimpleHistoryAdmin):
    list_display = (
        "id",
        "alert",
        "state",
        "automatic",
        "total_display",
        "prepared_by",
        "approved_by",
        "due_by",
        "sent_at",
        "protocol",
    )
    list_filter = ("state", "automatic")
    list_select_related = ("alert", "prepared_by", "approved_by")
    fields = (
        "alert",
        "state",
        "automatic",
        "reasoning",
        "total_display",
        "period_start",
        "period_end",
        "prepared_by",
        "approved_by",
        "approved_at",
        "due_by",
        "sent_at",
        "protocol",
        "exports",
        "data_display",
    )
    readonly_fields = fields
    actions = ("approve", "mark_sent")
    history_list_display = ("state", "approved_by", "protocol")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("monitoring.approve_coafreport")

    def save_model(self, request, obj, form, change):
        return None

    @admin.display(description=_("total"))
    def total_display(self, obj: CoafReport) -> str:
        return format_brl(obj.total_amount)

    @admin.display(description=_("SISCOAF data"))
    def data_display(self, obj: CoafReport) -> str:
        return pretty_json(obj.data)

    @admin.display(description=_("export"))
    def exports(self, obj: CoafReport) -> str:
        return format_html(
            '<a href="{}">PDF</a> &middot; <a href="{}">JSON</a>',
            reverse("admin:monitoring_coafreport_export", args=[obj.pk, "pdf"]),
            reverse("admin:monitoring_coafreport_export", args=[obj.pk, "json"]),
        )

    @state_change(
        available=lambda report: not report.is_final,
        unavailable=_("This COAF communication is already final."),
        amount=lambda report: report.total_amount,
        requested_by=lambda report: report.prepared_by_id,
        summary=_("Finalizes the communication for SISCOAF; it cannot be changed afterwards."),
    )
    @admin.action(description=_("Approve and finalize (second officer)"), permissions=("approve",))
    def approve(self, request: HttpRequest, queryset: QuerySet):
        """Four eyes (the service refuses the preparer), with the approver's reason."""

        def perform(report: CoafReport, reason: str) -> str:
            services.coaf_report_approve(report=report, actor=request.user)
            return gettext("finalized.")

        return self.run_with_reason(
            request,
            queryset,
            title=gettext("Approve and finalize (second officer)"),
            perform=perform,
            describe=lambda r: f"{r} - {format_brl(r.total_amount)}",
        )

    @state_change(
        available=lambda report: report.is_final and report.sent_at is None,
        unavailable=_("Only a finalized communication not sent yet takes a protocol."),
        reason_label=_("SISCOAF protocol"),
    )
    @admin.action(description=_("Record the SISCOAF protocol (sent)"), permissions=("approve",))
    def mark_sent(self, request: HttpRequest, queryset: QuerySet):
        def perform(report: CoafReport, protocol: str) -> str:
            services.coaf_report_mark_sent(report=report, protocol=protocol, actor=request.user)
            return gettext("sent, protocol %(p)s") % {"p": protocol}

        return self.run_with_reason(
            request,
            queryset,
            title=gettext("SISCOAF protocol"),
            perform=perform,
            notice=gettext("Write the protocol number SISCOAF returned."),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/export/<str:fmt>/",
                self.admin_site.admin_view(self.export_view),
                name="monitoring_coafreport_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
        if not request.user.has_perm("monitoring.view_coafreport"):
            raise PermissionDenied
        report = get_object_or_404(CoafReport, pk=pk)
        if fmt == "pdf":
            response = HttpResponse(bytes(report.document), content_type="application/pdf")
        elif fmt == "json":
            response = HttpResponse(
                json.dumps(report.data, ensure_ascii=False, indent=2),
                content_type="application/json; charset=utf-8",
            )
        else:
            raise Http404
        response["Content-Disposition"] = f'attachment; filename="coaf-{report.pk}.{fmt}"'
        record_data_export(
            request=request,
            actor=request.user,
            obj=report,
            export_format=fmt,
            description="COAF communication",
        )
        return response
