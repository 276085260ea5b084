"""The credit console: the portfolio (loans by state, with the arrears aging and the
provision by risk level above the list), each application with its score, the features it
was scored on and the reasons, its schedule and payments; the analysts' decision on a scored
application (after an LGPD review); and the credit model versions with their metrics.

Rows come from the services: everything is read-only but the analysts' two actions.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.core.admin_states import state_change
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyMixin,
    ReasonActionsMixin,
    admin_link,
    brl_field,
    brl_or_dash,
    entry_link,
    html_table,
    pretty_json,
    transitions_table,
)
from apps.core.timezones import brasilia_today

from . import selectors, services
from .models import Installment, Loan, LoanPayment


class InstallmentInline(admin.TabularInline):
    model = Installment
    extra = 0
    can_delete = False
    fields = (
        "number",
        "due_date",
        "amount_display",
        "interest_display",
        "amortization_display",
        "balance_display",
        "paid_display",
        "discount_display",
        "late_paid_display",
        "paid_at",
    )
    readonly_fields = fields
    # Money as "R$ 8.500,00", never centavos.
    amount_display = brl_field("amount_cents", _("amount"))
    interest_display = brl_field("interest_cents", _("interest"))
    amortization_display = brl_field("amortization_cents", _("amortization"))
    balance_display = brl_field("balance_cents", _("balance"))
    paid_display = brl_field("paid_cents", _("paid"))
    discount_display = brl_field("discount_cents", _("discount"))
    late_paid_display = brl_field("late_paid_cents", _("late charges paid"))

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class LoanPaymentInline(admin.TabularInline):
    model = LoanPayment
    extra = 0
    can_delete = False
    fields = (
        "created_at",
        "kind",
        "amount_display",
        "principal_display",
        "interest_display",
        "late_interest_display",
        "fine_display",
        "default_interest_display",
        "discount_display",
        "short_display",
        "installments",
    )
    readonly_fields = fields
    amount_display = brl_field("amount_cents", _("amount"))
    principal_display = brl_field("principal_cents", _("principal"))
    interest_display = brl_field("interest_cents", _("interest"))
    late_interest_display = brl_field("late_interest_cents", _("late interest"))
    fine_display = brl_field("fine_cents", _("fine"))
    default_interest_display = brl_field("default_interest_cents", _("default interest"))
    discount_display = brl_field("discount_cents", _("discount"))
    short_display = brl_field("short_cents", _("short"))

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Loan)
class LoanAdmin(ReasonActionsMixin, HistoryViewOnlyMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    change_list_template = "admin/loans/loan/change_list.html"
    list_display = (
        "created_at",
        "__str__",
        "customer_link",
        "state",
        "score",
        "band",
        "requested_display",
        "principal_display",
        "days_past_due",
        "provision_level",
        "provision_display",
    )
    list_filter = (
        "state",
        "band",
        "provision_level",
        "decided_by_person",
        "model_version",
        "disbursed_at",
    )
    list_select_related = ("customer",)
    search_fields = ("=contract_number", "=public_id")
    search_help_text = _("Exact CCB number or loan id.")
    ordering = ("-created_at", "-pk")
    date_hierarchy = "created_at"
    show_full_result_count = False
    history_list_display = ("state",)
    inlines = (InstallmentInline, LoanPaymentInline)
    actions = ("approve_by_person", "reject_by_person")
    fields = (
        "public_id",
        "customer_link",
        "account",
        "state",
        "requested_display",
        "installments_count",
        "system",
        "purpose",
        "declared_income_display",
        "employment_years",
        "housing",
        "first_due_day",
        "score",
        "probability_of_default",
        "band",
        "model_version",
        "reasons_display",
        "refusal",
        "limit_display",
        "features_display",
        "decided_by_person",
        "principal_display",
        "monthly_rate",
        "iof_display",
        "released_display",
        "cet_annual_percent",
        "release_date",
        "first_due_date",
        "contract_number",
        "disbursement_display",
        "days_past_due",
        "provision_level",
        "provision_display",
        "transitions_display",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=_("customer"))
    def customer_link(self, loan: Loan) -> str:
        return admin_link(loan.customer)

    @admin.display(description=_("requested"))
    def requested_display(self, loan: Loan) -> str:
        return brl_or_dash(loan.requested_cents)

    @admin.display(description=_("principal"))
    def principal_display(self, loan: Loan) -> str:
        return brl_or_dash(loan.principal_cents)

    @admin.display(description=_("declared income"))
    def declared_income_display(self, loan: Loan) -> str:
        return brl_or_dash(loan.declared_income_cents)

    @admin.display(description=_("limit"))
    def limit_display(self, loan: Loan) -> str:
        return brl_or_dash(loan.limit_cents)

    @admin.display(description=_("IOF"))
    def iof_display(self, loan: Loan) -> str:
        return brl_or_dash(loan.iof_cents)

    @admin.display(description=_("released"))
    def released_display(self, loan: Loan) -> str:
        return brl_or_dash(loan.released_cents)

    @admin.display(description=_("provision"))
    def provision_display(self, loan: Loan) -> str:
        return brl_or_dash(loan.provision_cents)

    @admin.display(description=_("disbursement entry"))
    def disbursement_display(self, loan: Loan) -> str:
        return entry_link(loan.disbursement_entry_id)

    @admin.display(description=_("reasons (top factors)"))
    def reasons_display(self, loan: Loan) -> str:
        texts = selectors.reason_texts(loan.reasons)
        return html_table([_("code"), _("reason")], zip(loan.reasons, texts, strict=False))

    @admin.display(description=_("features scored"))
    def features_display(self, loan: Loan) -> str:
        return pretty_json(loan.features)

    @admin.display(description=_("transitions"))
    def transitions_display(self, loan: Loan) -> str:
        return transitions_table(loan)

    def _decide(self, request: HttpRequest, queryset, *, approve: bool):
        def perform(loan: Loan, reason: str) -> str:
            done = services.loan_decide_by_person(
                loan=loan, actor=request.user, approve=approve, reason=reason
            )
            return gettext("now %(state)s") % {"state": done.get_state_display()}

        title = gettext("Approve (analyst)") if approve else gettext("Reject (analyst)")
        return self.run_with_reason(request, queryset, title=title, perform=perform)

    @state_change(
        "approve",
        amount=lambda loan: loan.requested_cents,
        summary=_(
            "Approves the application: it is priced at its band's rate and the customer "
            "receives the offer."
        ),
    )
    @admin.action(
        description=_("Approve the scored application (analyst)"), permissions=("decide",)
    )
    def approve_by_person(self, request, queryset):
        return self._decide(request, queryset, approve=True)

    @state_change(
        "reject",
        amount=lambda loan: loan.requested_cents,
        summary=_("Rejects the application; the customer is told the reasons."),
    )
    @admin.action(description=_("Reject the scored application (analyst)"), permissions=("decide",))
    def reject_by_person(self, request, queryset):
        return self._decide(request, queryset, approve=False)

    def has_decide_permission(self, request) -> bool:
        # Read-only pages; deciding an application is the credit analysts' permission.
        return request.user.has_perm("loans.change_loan")

    def changelist_view(self, request, extra_context=None):
        extra = {"portfolio": selectors.portfolio_summary(today=brasilia_today())}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def get_urls(self):
        return [
            path(
                "model/",
                self.admin_site.admin_view(self.model_view),
                name="loans_loan_model",
            ),
            *super().get_urls(),
        ]

    def model_view(self, request):
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Credit model"),
            "opts": self.opts,
            "card": selectors.model_card(),
            "versions": selectors.model_versions(),
        }
        return TemplateResponse(request, "admin/loans/model.html", context)


@admin.register(LoanPayment)
class LoanPaymentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "loan", "kind", "amount_display", "short_display", "entry")
    list_filter = ("kind", "created_at")
    list_select_related = ("loan",)
    search_fields = ("=loan__contract_number",)
    ordering = ("-created_at", "-pk")
    show_full_result_count = False

    @admin.display(description=_("amount"))
    def amount_display(self, payment: LoanPayment) -> str:
        return brl_or_dash(payment.amount_cents)

    @admin.display(description=_("not collected"))
    def short_display(self, payment: LoanPayment) -> str:
        return brl_or_dash(payment.short_cents)

    @admin.display(description=_("entry"))
    def entry(self, payment: LoanPayment) -> str:
        return entry_link(payment.entry_id) if payment.entry_id else format_html("-")
