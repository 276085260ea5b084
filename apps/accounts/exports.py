"""Statement files: CSV for spreadsheets, PDF for people, OFX for finance software.

Pure renderers: a `StatementExport` in, bytes out. Each is shaped the way Brazilian banks
export statements, so the files open in the tools people use here:

- CSV as Brazilian Excel reads it: UTF-8 with a BOM, `;` between fields, decimal comma,
  dates as dd/mm/yyyy. Text fields that a spreadsheet would run as a formula (starting
  with = + - @) are quoted with a leading apostrophe: notes come from other people.
- PDF (reportlab): header with holder, branch/account, period and balances, then a table
  of lines, newest first, with the running balance.
- OFX 1.02 (SGML, CHARSET 1252), the version Brazilian banks export: BANKID is our ISPB,
  ACCTID branch + number, one STMTTRN per posting (FITID = posting id), LEDGERBAL the
  balance at the end of the period. Parsed by ofxparse in the tests.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils.translation import gettext as _

from apps.core.money import cents_to_str, format_brl

from .statements import STATEMENT_TZ, StatementExport, kind_label

CSV_CONTENT_TYPE = "text/csv"
PDF_CONTENT_TYPE = "application/pdf"
OFX_CONTENT_TYPE = "application/x-ofx"


def export_filename(export: StatementExport, extension: str) -> str:
    account = export.account
    filters = export.filters
    return (
        f"extrato-{account.branch}-{account.number}-"
        f"{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.{extension}"
    )


def _decimal_comma(cents: int | None) -> str:
    """-123456 -> "-1234,56": a number Brazilian Excel reads as one (no grouping)."""
    return "" if cents is None else cents_to_str(cents).replace(".", ",")


def _spreadsheet_safe(text: str) -> str:
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


# --- CSV -------------------------------------------------------------------------------


def render_csv(export: StatementExport) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(
        [
            _("Date"),
            _("Time"),
            _("Type"),
            _("Description"),
            _("Amount (R$)"),
            _("Balance (R$)"),
            _("Entry"),
            _("Line"),
        ]
    )
    for line in export.lines:
        local = line.local_time
        writer.writerow(
            [
                f"{local:%d/%m/%Y}",
                f"{local:%H:%M:%S}",
                line.kind_label,
                _spreadsheet_safe(line.description),
                _decimal_comma(line.amount),
                _decimal_comma(line.balance_after),
                line.entry_id,
                line.id,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- PDF -------------------------------------------------------------------------------


def _pdf_fit(text: str, width: float, font: str, size: float) -> str:
    """Shorten text with an ellipsis until it fits the column (no wrapping: one line each)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    text = " ".join(text.split())
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def render_pdf(export: StatementExport) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    account = export.account
    filters = export.filters
    buffer = io.BytesIO()
    title = _("Account statement")
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=f"{title} {account.branch}/{account.number}",
        author="Athena Pay",
        creator="Athena Pay",
    )
    styles = getSampleStyleSheet()
    facts = [
        (_("Account holder"), account.customer.full_name if account.customer else account.name),
        (_("Branch / account"), f"{account.branch} / {account.number}"),
        (_("Period"), f"{filters.date_from:%d/%m/%Y} – {filters.date_to:%d/%m/%Y}"),
        (_("Opening balance"), format_brl(export.opening_balance)),
        (
            _("Closing balance"),
            f"{format_brl(export.closing_balance)} "
            f"({export.closing_at.astimezone(STATEMENT_TZ):%d/%m/%Y %H:%M})",
        ),
    ]
    if filters.kind:
        facts.append((_("Type"), kind_label(filters.kind)))
    story = [Paragraph(escape(f"Athena Pay · {title}"), styles["Title"])]
    for label, value in facts:
        story.append(Paragraph(f"<b>{escape(label)}:</b> {escape(value)}", styles["Normal"]))
    story.append(Spacer(1, 6 * mm))

    header = [_("Date"), _("Description"), _("Amount"), _("Balance")]
    widths = [30 * mm, 88 * mm, 31 * mm, 31 * mm]
    text_width = widths[1] - 12  # the cell's padding, 6 points a side
    rows = [header]
    for line in export.lines:
        rows.append(
            [
                f"{line.local_time:%d/%m/%Y %H:%M}",
                _pdf_fit(line.description, text_width, "Helvetica", 8.5),
                format_brl(line.amount),
                "" if line.balance_after is None else format_brl(line.balance_after),
            ]
        )
    if not export.lines:
        rows.append(["", _("No lines in this period."), "", ""])
    table = Table(rows, colWidths=widths, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8.5),
        ("ALIGN", (2, 0), (3, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    for index, line in enumerate(export.lines, start=1):
        if line.amount < 0:
            style.append(("TEXTCOLOR", (2, index), (2, index), colors.HexColor("#a11d1d")))
    table.setStyle(TableStyle(style))
    story.append(table)

    generated = export.generated_at.astimezone(STATEMENT_TZ)
    footer = _("Generated on %(when)s · Athena Pay, payment institution (ISPB %(ispb)s)") % {
        "when": f"{generated:%d/%m/%Y %H:%M}",
        "ispb": settings.ATHENA_ISPB,
    }

    def draw_footer(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(15 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, str(document.page))
        canvas.restoreState()

    doc.build(story, onFirstPage=draw_footer, onLaterPages=draw_footer)
    return buffer.getvalue()


# --- OFX -------------------------------------------------------------------------------


def _ofx_datetime(moment: datetime) -> str:
    """20240115103000[-3:BRT]: local Brasília time with its offset, as banks write it."""
    local = moment.astimezone(STATEMENT_TZ)
    hours = local.utcoffset().total_seconds() / 3600
    name = {-3: "BRT", -2: "BRST"}.get(int(hours), "GMT")
    return f"{local:%Y%m%d%H%M%S}[{hours:g}:{name}]"


def _ofx_text(text: str, limit: int) -> str:
    text = " ".join(text.split())[:limit]
    # SGML character data: escape markup; CHARSET 1252 covers Portuguese.
    return escape(text).encode("cp1252", errors="replace").decode("cp1252")


def render_ofx(export: StatementExport) -> bytes:
    account = export.account
    start, _end = export.filters.bounds()
    ispb = settings.ATHENA_ISPB
    out = [
        "OFXHEADER:100",
        "DATA:OFXSGML",
        "VERSION:102",
        "SECURITY:NONE",
        "ENCODING:USASCII",
        "CHARSET:1252",
        "COMPRESSION:NONE",
        "OLDFILEUID:NONE",
        "NEWFILEUID:NONE",
        "",
        "<OFX>",
        "<SIGNONMSGSRSV1>",
        "<SONRS>",
        "<STATUS>",
        "<CODE>0</CODE>",
        "<SEVERITY>INFO</SEVERITY>",
        "</STATUS>",
        f"<DTSERVER>{_ofx_datetime(export.generated_at)}</DTSERVER>",
        "<LANGUAGE>POR</LANGUAGE>",
        "<FI>",
        "<ORG>Athena Pay</ORG>",
        f"<FID>{ispb}</FID>",
        "</FI>",
        "</SONRS>",
        "</SIGNONMSGSRSV1>",
        "<BANKMSGSRSV1>",
        "<STMTTRNRS>",
        "<TRNUID>1</TRNUID>",
        "<STATUS>",
        "<CODE>0</CODE>",
        "<SEVERITY>INFO</SEVERITY>",
        "</STATUS>",
        "<STMTRS>",
        "<CURDEF>BRL</CURDEF>",
        "<BANKACCTFROM>",
        f"<BANKID>{ispb}</BANKID>",
        f"<BRANCHID>{account.branch}</BRANCHID>",
        f"<ACCTID>{account.branch}{account.number}</ACCTID>",
        "<ACCTTYPE>CHECKING</ACCTTYPE>",
        "</BANKACCTFROM>",
        "<BANKTRANLIST>",
        f"<DTSTART>{_ofx_datetime(start)}</DTSTART>",
        f"<DTEND>{_ofx_datetime(export.closing_at)}</DTEND>",
    ]
    # Oldest first, as banks list them.
    for line in reversed(export.lines):
        out += [
            "<STMTTRN>",
            f"<TRNTYPE>{'CREDIT' if line.amount > 0 else 'DEBIT'}</TRNTYPE>",
            f"<DTPOSTED>{_ofx_datetime(line.created_at)}</DTPOSTED>",
            f"<TRNAMT>{cents_to_str(line.amount)}</TRNAMT>",
            f"<FITID>{line.id}</FITID>",
            f"<CHECKNUM>{line.entry_id}</CHECKNUM>",
            f"<MEMO>{_ofx_text(line.description, 255)}</MEMO>",
            "</STMTTRN>",
        ]
    out += [
        "</BANKTRANLIST>",
        "<LEDGERBAL>",
        f"<BALAMT>{cents_to_str(export.closing_balance)}</BALAMT>",
        f"<DTASOF>{_ofx_datetime(export.closing_at)}</DTASOF>",
        "</LEDGERBAL>",
        "</STMTRS>",
        "</STMTTRNRS>",
        "</BANKMSGSRSV1>",
        "</OFX>",
        "",
    ]
    return "\r\n".join(out).encode("cp1252", errors="replace")
