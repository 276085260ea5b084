"""The boleto console: issued boletos (with their PDF), payments of boletos, issuers, and the
CNAB 240 files with their lines and the four-eyes reprocessing of a rejected return file.

Everything is read-only: rows come from the services. CPF/CNPJ are masked for staff without
`accounts.view_full_tax_id`, in the fields, the history and the CNAB file text (segment Q's
payer and guarantor, segment T's payer). Reprocessing a rejected return file takes two
operators: one requests, another approves (apps.boleto.settlement.services refuses the
requester's own approval); both need `boleto.change_cnabfile`.
"""

from __future__ import annotations

import contextlib

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.boleto.codecs import cnab240, codes
from apps.boleto.models import Boleto, BoletoIssuer, BoletoPayment, CnabFile, CnabLine
from apps.boleto.settlement import services as settlement
from apps.core.admin_masking import FullTaxIdSwapMixin, sees_full_tax_ids
from apps.core.admin_states import preset_reason, state_change
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyAdmin,
    ReadOnlyMixin,
    ReasonActionsMixin,
    admin_link,
    brl_or_dash,
    html_table,
    masked_tax_id_or_dash,
    preformatted,
    pretty_json,
    transitions_table,
)
from apps.core.documents import normalize_tax_id
from apps.core.errors import DomainError

# --- helpers ------------------------------------------------------------------------------


_brl = brl_or_dash


_masked = masked_tax_id_or_dash


def _full(value: str | None) -> str:
    return normalize_tax_id(value) if value else "-"


def _exact_code_search(queryset: QuerySet, term: str, *, nosso_numero: bool) -> QuerySet:
    """Exact matches only (indexed columns): a barcode, a linha (typed with or without
    separators, turned into its barcode) or, for our boletos, a nosso numero."""
    digits = "".join(ch for ch in term if ch.isdigit())
    match = Q(barcode=digits)
    if len(digits) in (47, 48):
        with contextlib.suppress(codes.CodeError):
            match = Q(barcode=codes.barcode_from_linha(digits))
    if nosso_numero:
        match |= Q(nosso_numero=digits)
    return queryset.filter(match)


# --- Boleto -------------------------------------------------------------------------------


@admin.register(Boleto)
class BoletoAdmin(FullTaxIdSwapMixin, HistoryViewOnlyMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = (
        "nosso_numero",
        "issuer",
        "amount_display",
        "due_date",
        "state",
        "paid_via",
        "paid_amount_display",
    )
    list_filter = ("state", "paid_via", "due_date")
    list_select_related = ("issuer",)
    search_fields = ("nosso_numero",)  # see get_search_results: exact codes only
    search_help_text = _("Exact nosso número, barcode or linha digitável.")
    ordering = ("-created_at", "-pk")
    date_hierarchy = "due_date"
    show_full_result_count = False
    history_list_display = ("state",)
    fields = (
        "nosso_numero",
        "seu_numero",
        "public_id",
        "issuer_link",
        "account_link",
        "state",
        "closed_reason",
        "registration_confirmed",
        "linha_display",
        "barcode",
        "amount_display",
        "value_terms_display",
        "issue_date",
        "due_date",
        "valid_days_after_due",
        "payer_name",
        "payer_tax_id_masked",
        "payer_address_masked",
        "description",
        "pix_charge_display",
        "paid_via",
        "paid_amount_display",
        "fee_display",
        "paid_on",
        "credited_entry_display",
        "remitted_in_link",
        "cnab_lines_display",
        "transitions_display",
        "pdf_link",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    full_tax_id_swaps = {
        "payer_tax_id_masked": "payer_tax_id_full",
        "payer_address_masked": "payer_address_full",
    }

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        if not term:
            return queryset, False
        return _exact_code_search(queryset, term, nosso_numero=True), False

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="boleto_boleto_pdf",
            )
        ]
        return urls + super().get_urls()

    def pdf_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        boleto = get_object_or_404(Boleto.objects.select_related("issuer__customer"), pk=object_id)
        if not self.has_view_permission(request, boleto):
            raise PermissionDenied
        from apps.boleto.issuing.pdf import boleto_pdf

        response = HttpResponse(boleto_pdf(boleto), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="boleto-{boleto.nosso_numero}.pdf"'
        return response

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: Boleto) -> str:
        return _brl(obj.amount)

    @admin.display(description=_("paid amount"), ordering="paid_amount")
    def paid_amount_display(self, obj: Boleto) -> str:
        return _brl(obj.paid_amount)

    @admin.display(description=_("fee"))
    def fee_display(self, obj: Boleto) -> str:
        return _brl(obj.fee_amount)

    @admin.display(description=_("linha digitável"))
    def linha_display(self, obj: Boleto) -> str:
        try:
            return codes.format_linha(obj.linha)
        except codes.CodeError:
            return obj.linha

    @admin.display(description=_("terms"))
    def value_terms_display(self, obj: Boleto) -> str:
        return pretty_json(obj.value_terms) if obj.value_terms else "-"

    @admin.display(description=_("issuer"))
    def issuer_link(self, obj: Boleto) -> str:
        return admin_link(obj.issuer)

    @admin.display(description=_("account"))
    def account_link(self, obj: Boleto) -> str:
        account = obj.account
        return admin_link(account, f"{account.branch}/{account.number}")

    @admin.display(description=_("payer CPF/CNPJ"))
    def payer_tax_id_masked(self, obj: Boleto) -> str:
        return _masked(obj.payer_tax_id)

    @admin.display(description=_("payer CPF/CNPJ"))
    def payer_tax_id_full(self, obj: Boleto) -> str:
        return _full(obj.payer_tax_id)

    @admin.display(description=_("payer address"))
    def payer_address_masked(self, obj: Boleto) -> str:
        # City and state place a payer for an operator; the street is personal data.
        address = obj.payer_address or {}
        place = "/".join(p for p in (address.get("city", ""), address.get("state", "")) if p)
        return place or "-"

    @admin.display(description=_("payer address"))
    def payer_address_full(self, obj: Boleto) -> str:
        return pretty_json(obj.payer_address) if obj.payer_address else "-"

    @admin.display(description=_("Pix charge"))
    def pix_charge_display(self, obj: Boleto) -> str:
        if not obj.pix_charge_id:
            return "-"
        url = reverse("admin:pix_pixcharge_change", args=[obj.pix_charge_id])
        return format_html('<a href="{}">{}</a>', url, obj.pix_txid or f"#{obj.pix_charge_id}")

    @admin.display(description=_("credited by entry"))
    def credited_entry_display(self, obj: Boleto) -> str:
        if obj.credited_entry_id is None:
            return "-"
        url = reverse("admin:accounts_journalentry_change", args=[obj.credited_entry_id])
        return format_html('<a href="{}">#{}</a>', url, obj.credited_entry_id)

    @admin.display(description=_("remittance"))
    def remitted_in_link(self, obj: Boleto) -> str:
        return admin_link(obj.remitted_in) if obj.remitted_in_id else "-"

    @admin.display(description=_("CNAB lines"))
    def cnab_lines_display(self, obj: Boleto) -> str:
        lines = list(obj.cnab_lines.select_related("file").order_by("pk")) if obj.pk else []
        if not lines:
            return "-"
        return html_table(
            (_("file"), _("line"), _("movement"), _("outcome"), _("amount"), _("detail")),
            (
                (
                    admin_link(line.file),
                    line.line_number,
                    line.movement,
                    line.get_outcome_display(),
                    _brl(line.amount),
                    line.detail,
                )
                for line in lines
            ),
        )

    @admin.display(description=_("transitions"))
    def transitions_display(self, obj: Boleto) -> str:
        return transitions_table(obj) if obj.pk else "-"

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: Boleto) -> str:
        if not obj.pk:
            return "-"
        url = reverse("admin:boleto_boleto_pdf", args=[obj.pk])
        return format_html('<a href="{}" target="_blank">{}</a>', url, gettext("Open the PDF"))


# --- BoletoPayment ------------------------------------------------------------------------


@admin.register(BoletoPayment)
class BoletoPaymentAdmin(
    FullTaxIdSwapMixin, HistoryViewOnlyMixin, ReadOnlyMixin, SimpleHistoryAdmin
):
    list_display = (
        "public_id",
        "kind",
        "bank_code",
        "beneficiary_name",
        "amount_display",
        "state",
        "scheduled_for",
        "paid_at",
        "created_at",
    )
    list_filter = ("state", "kind", "scheduled_for", "created_at")
    search_fields = ("barcode",)  # see get_search_results: exact codes only
    search_help_text = _("Exact barcode or linha digitável.")
    ordering = ("-created_at", "-pk")
    show_full_result_count = False
    history_list_display = ("state",)
    fields = (
        "public_id",
        "account_link",
        "kind",
        "state",
        "failure_reason",
        "barcode",
        "bank_code",
        "beneficiary_name",
        "beneficiary_tax_id_masked",
        "due_date",
        "face_amount_display",
        "amount_display",
        "breakdown_display",
        "scheduled_for",
        "paid_at",
        "entry_display",
        "created_by",
        "transitions_display",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    full_tax_id_swaps = {"beneficiary_tax_id_masked": "beneficiary_tax_id_full"}

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        if not term:
            return queryset, False
        return _exact_code_search(queryset, term, nosso_numero=False), False

    @admin.display(description=_("amount debited"), ordering="amount")
    def amount_display(self, obj: BoletoPayment) -> str:
        return _brl(obj.amount)

    @admin.display(description=_("face amount"))
    def face_amount_display(self, obj: BoletoPayment) -> str:
        return _brl(obj.face_amount)

    @admin.display(description=_("breakdown"))
    def breakdown_display(self, obj: BoletoPayment) -> str:
        return pretty_json(obj.breakdown) if obj.breakdown else "-"

    @admin.display(description=_("account"))
    def account_link(self, obj: BoletoPayment) -> str:
        account = obj.account
        return admin_link(account, f"{account.branch}/{account.number}")

    @admin.display(description=_("beneficiary CPF/CNPJ"))
    def beneficiary_tax_id_masked(self, obj: BoletoPayment) -> str:
        return _masked(obj.beneficiary_tax_id)

    @admin.display(description=_("beneficiary CPF/CNPJ"))
    def beneficiary_tax_id_full(self, obj: BoletoPayment) -> str:
        return _full(obj.beneficiary_tax_id)

    @admin.display(description=_("journal entry"))
    def entry_display(self, obj: BoletoPayment) -> str:
        if obj.entry_id is None:
            return "-"
        url = reverse("admin:accounts_journalentry_change", args=[obj.entry_id])
        return format_html('<a href="{}">#{}</a>', url, obj.entry_id)

    @admin.display(description=_("transitions"))
    def transitions_display(self, obj: BoletoPayment) -> str:
        return transitions_table(obj) if obj.pk else "-"


# --- BoletoIssuer -------------------------------------------------------------------------


@admin.register(BoletoIssuer)
class BoletoIssuerAdmin(ReadOnlyAdmin):
    """The webhook secret is never shown: the issuer reads it through the API."""

    list_display = ("agreement", "customer_link", "last_sequence", "webhook_url", "created_at")
    list_select_related = ("customer",)
    search_fields = ("=agreement",)
    ordering = ("agreement",)
    fields = (
        "agreement",
        "customer_link",
        "last_sequence",
        "webhook_url",
        "boletos_link",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=_("customer"))
    def customer_link(self, obj: BoletoIssuer) -> str:
        return admin_link(obj.customer, obj.customer.full_name)

    @admin.display(description=_("boletos"))
    def boletos_link(self, obj: BoletoIssuer) -> str:
        if not obj.pk:
            return "-"
        url = reverse("admin:boleto_boleto_changelist") + f"?issuer__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, gettext("Boletos of this issuer"))


# --- CnabFile -----------------------------------------------------------------------------


class CnabLineInline(admin.TabularInline):
    model = CnabLine
    fields = (
        "line_number",
        "nosso_numero",
        "movement",
        "outcome",
        "amount_display",
        "fee_display",
        "boleto_link",
        "detail",
    )
    readonly_fields = fields
    ordering = ("line_number", "pk")
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("boleto")

    @admin.display(description=_("amount"))
    def amount_display(self, obj: CnabLine) -> str:
        return _brl(obj.amount)

    @admin.display(description=_("fee"))
    def fee_display(self, obj: CnabLine) -> str:
        return _brl(obj.fee)

    @admin.display(description=_("boleto"))
    def boleto_link(self, obj: CnabLine) -> str:
        return admin_link(obj.boleto) if obj.boleto_id else "-"


@admin.register(CnabFile)
class CnabFileAdmin(ReasonActionsMixin, ReadOnlyAdmin):
    list_display = (
        "name",
        "direction",
        "state",
        "line_count",
        "error_line",
        "error_field",
        "processed_at",
        "created_at",
    )
    list_filter = ("direction", "state", "created_at")
    search_fields = ("=name",)
    ordering = ("-created_at", "-pk")
    fields = (
        "name",
        "direction",
        "state",
        "sequence",
        "digest",
        "line_count",
        "error_line",
        "error_field",
        "error_message",
        "processed_at",
        "totals_display",
        "reprocess_requested_by",
        "reprocess_approved_by",
        "reprocess_count",
        "content_display",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = (CnabLineInline,)
    actions = ("request_reprocessing", "approve_reprocessing")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if sees_full_tax_ids(request):
            return tuple("content_full" if f == "content_display" else f for f in fields)
        return fields

    def get_fields(self, request: HttpRequest, obj=None):
        return self.get_readonly_fields(request, obj)

    @admin.display(description=_("totals"))
    def totals_display(self, obj: CnabFile) -> str:
        if not obj.totals:
            return "-"
        rows = [
            (key, _brl(value) if key in ("paid", "fees", "net", "amount") else value)
            for key, value in sorted(obj.totals.items())
        ]
        return html_table((_("total"), _("value")), rows)

    @admin.display(description=_("content"))
    def content_display(self, obj: CnabFile) -> str:
        return preformatted(cnab240.mask_tax_ids(obj.content))

    @admin.display(description=_("content"))
    def content_full(self, obj: CnabFile) -> str:
        return preformatted(obj.content)

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("boleto.change_cnabfile")

    @state_change(
        available=lambda cnab_file: cnab_file.state == CnabFile.State.REJECTED,
        unavailable=_("Only a rejected return file can be processed again."),
        summary=_("Another operator approves; the file is then processed again."),
    )
    @admin.action(description=_("Request reprocessing"), permissions=("reprocess",))
    def request_reprocessing(self, request: HttpRequest, queryset: QuerySet[CnabFile]):
        def perform(cnab_file: CnabFile, reason: str) -> str:
            settlement.return_reprocess_request(file_id=cnab_file.pk, actor=request.user)
            return gettext("reprocessing requested; another operator must approve it.")

        return self.run_with_reason(
            request,
            queryset,
            title=_("Request reprocessing"),
            perform=perform,
            describe=lambda f: f"{f} - {f.get_state_display()} - {f.error_message}",
            notice=_("Another operator approves; the file is then processed again."),
        )

    @state_change(
        available=lambda cnab_file: (
            cnab_file.state == CnabFile.State.REJECTED
            and cnab_file.reprocess_requested_by_id is not None
        ),
        unavailable=_("No reprocessing was requested for this file."),
        requested_by=lambda cnab_file: cnab_file.reprocess_requested_by_id,
        summary=_("The file is processed again at once, with the same content."),
    )
    @admin.action(description=_("Approve reprocessing (four eyes)"), permissions=("reprocess",))
    def approve_reprocessing(self, request: HttpRequest, queryset: QuerySet[CnabFile]) -> None:
        # From the file's button the approver gave a reason (kept in the log); the list
        # action stays one step, the service enforcing the four eyes either way.
        reason = preset_reason(request)
        for cnab_file in queryset:
            try:
                done = settlement.return_reprocess_approve(file_id=cnab_file.pk, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{cnab_file}: {exc.message}", messages.ERROR)
                continue
            said = f": {reason}" if reason else ""
            self.log_change(
                request, done, f"Approve reprocessing (four eyes){said} - now {done.state}."
            )
            level = messages.SUCCESS if done.state == CnabFile.State.PROCESSED else messages.WARNING
            self.message_user(
                request,
                gettext("%(file)s: approved and processed again; now %(state)s.")
                % {"file": done, "state": done.get_state_display()},
                level,
            )
