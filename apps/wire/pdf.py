"""The receipt of a TED as a PDF (reportlab, one A4 page), in the reader's language.

Payer (name, masked CPF/CNPJ, our bank, branch and account), payee (name, masked CPF/CNPJ,
bank COMPE code and name, ISPB, branch and account), amount, fee, total, state, our control
number (NumCtrlIF) and the STR's (NumCtrlSTR), and the dates in Brasília time. A receipt
travels by e-mail and WhatsApp: CPF/CNPJ are masked (`mask_tax_id`), never in full.

Every value sits in a two-column table whose cells wrap (long names, long notes), so no row
can outgrow the page (reportlab's LayoutError).
"""

from __future__ import annotations

import datetime as dt
import io
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.documents import mask_tax_id
from apps.core.money import format_brl
from apps.core.timezones import brasilia_now
from apps.wire.ledger_lines import reason_text
from apps.wire.models import Wire

MAX_VALUE_CHARS = 300


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return brasilia_now(moment).strftime("%d/%m/%Y %H:%M:%S")


def _day(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _rows(wire: Wire) -> list[tuple[str, str]]:
    account = wire.account
    customer = account.customer
    bank = f"{wire.bank_compe} - {wire.bank_name}" if wire.bank_compe else wire.bank_name
    rows: list[tuple[str, str]] = [
        (_("State"), str(wire.get_state_display()).capitalize()),
        (_("Amount"), format_brl(wire.amount)),
        (_("Fee"), format_brl(wire.fee)),
        (_("Total debited"), format_brl(wire.total)),
        ("", ""),
        (_("Payer"), customer.full_name),
        (_("Payer's CPF/CNPJ"), mask_tax_id(customer.tax_id)),
        (_("Payer's bank"), f"{settings.ATHENA_BANK_CODE} - Athena Pay"),
        (_("Branch / account"), f"{account.branch} / {account.number}"),
        ("", ""),
        (_("Payee"), wire.holder_name),
        (_("Payee's CPF/CNPJ"), mask_tax_id(wire.holder_tax_id)),
        (_("Payee's bank"), bank),
        ("ISPB", wire.bank_ispb),
        (
            _("Branch / account"),
            f"{wire.branch} / {wire.account_number} ({wire.get_account_type_display()})",
        ),
        ("", ""),
        (_("Created at"), _when(wire.created_at)),
    ]
    if wire.scheduled_for:
        rows.append((_("Scheduled for"), _when(wire.scheduled_for)))
    if wire.sent_at:
        rows.append((_("Sent at"), _when(wire.sent_at)))
    if wire.settled_at:
        rows.append((_("Settled at"), _when(wire.settled_at)))
    if wire.settlement_date:
        rows.append((_("Settlement date"), _day(wire.settlement_date)))
    if wire.state == Wire.State.RETURNED:
        rows.append((_("Returned at"), _when(wire.returned_at)))
        rows.append((_("Return reason"), reason_text(wire.return_code)))
    if wire.state == Wire.State.REJECTED:
        rows.append((_("Outcome"), _("Not sent: the amount and the fee are back in your account.")))
    if wire.note:
        rows.append((_("Note"), wire.note))
    rows += [
        (_("Control number (NumCtrlIF)"), wire.control_number),
        (_("STR control number (NumCtrlSTR)"), wire.str_control_number or "-"),
        (_("Authentication"), str(wire.public_id)),
    ]
    return rows


def wire_receipt_pdf(wire: Wire) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    buffer = io.BytesIO()
    title = _("TED receipt")
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="Athena Pay",
        creator="Athena Pay",
    )
    styles = getSampleStyleSheet()
    body = styles["BodyText"].clone("ted_value", fontSize=9.5, leading=12, wordWrap="CJK")
    label = body.clone("ted_label", fontName="Helvetica-Bold")
    rows = [
        [
            Paragraph(escape(name), label),
            Paragraph(escape(str(value)[:MAX_VALUE_CHARS]), body),
        ]
        for name, value in _rows(wire)
    ]
    table = Table(rows, colWidths=[doc.width * 0.35, doc.width * 0.65])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
            ]
        )
    )
    story = [
        Paragraph("Athena Pay", styles["Heading2"]),
        Paragraph(escape(title), styles["Title"]),
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 6 * mm),
        Paragraph(
            escape(
                _("Dates and times in Brasília time. Issued at %(when)s.")
                % {"when": _when(timezone.now())}
            ),
            body,
        ),
    ]
    doc.build(story)
    return buffer.getvalue()
