"""The data export as a PDF for people (reportlab, as the statement PDF in
apps/accounts/exports.py): one section per part of the export.

A section with few columns is a table; a wide one (the KYC requests have 19 columns) is one
block of "label: value" rows per record, because a table of many narrow columns makes rows
taller than a page and reportlab gives up (LayoutError). Every value wraps, long words
included, and is cut at MAX_VALUE_CHARS, so no row can outgrow a page."""

from __future__ import annotations

import io
import json
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

PDF_CONTENT_TYPE = "application/pdf"
#: A person reads the PDF; a section longer than this points to the JSON file.
MAX_ROWS = 2_000
#: Sections with more columns than this are laid out one record per block.
MAX_TABLE_COLUMNS = 6
#: A value longer than this is cut (the JSON file has it whole): one row stays under a page.
MAX_VALUE_CHARS = 1_500

SECTIONS = (
    ("user", gettext_noop("Login")),
    ("customer", gettext_noop("Customer")),
    ("accounts", gettext_noop("Payment accounts")),
    ("postings", gettext_noop("Ledger movements")),
    ("pix.keys", gettext_noop("Pix keys")),
    ("pix.claims", gettext_noop("Pix key claims")),
    ("pix.transfers", gettext_noop("Pix transfers")),
    ("pix.refunds", gettext_noop("Pix refunds")),
    ("pix.charges", gettext_noop("Pix charges")),
    ("kyc.requests", gettext_noop("Identity verification requests")),
    ("kyc.documents", gettext_noop("Identity documents (files available for download)")),
    ("audit_events", gettext_noop("Security events")),
    ("privacy_requests", gettext_noop("Data-subject requests")),
)


def _get(data: dict, path: str) -> Any:
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _text(value: Any) -> str:
    """The value as Paragraph markup: cut before escaping, so no entity is split."""
    text = _cell(value)
    if len(text) > MAX_VALUE_CHARS:
        text = text[:MAX_VALUE_CHARS] + " [...]"
    return escape(text)


def render_export_pdf(data: dict) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=_("My data at Athena Pay"),
        author="Athena Pay",
        creator="Athena Pay",
    )
    styles = getSampleStyleSheet()
    # CJK word wrap breaks anywhere: hashes, URLs and JSON have no spaces to break at.
    small = styles["BodyText"].clone("small", fontSize=7, leading=8.5, wordWrap="CJK")
    label = small.clone("label", fontName="Helvetica-Bold")
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.25, colors.lightgrey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    story: list = [
        Paragraph(escape(_("My data at Athena Pay")), styles["Title"]),
        Paragraph(
            escape(
                _("Generated at %(when)s (LGPD art. 18 and 19).") % {"when": data["generated_at"]}
            ),
            styles["BodyText"],
        ),
        Spacer(1, 4 * mm),
    ]
    width = doc.width

    def label_value_table(record: dict) -> Table:
        rows = [
            [Paragraph(escape(str(k)), label), Paragraph(_text(v), small)]
            for k, v in record.items()
        ]
        table = Table(rows, colWidths=[width * 0.25, width * 0.75])
        table.setStyle(grid)
        return table

    for path, title in SECTIONS:
        value = _get(data, path)
        story.append(Paragraph(escape(_(title)), styles["Heading2"]))
        if not value:
            story.append(Paragraph(escape(_("Nothing recorded.")), styles["BodyText"]))
            continue
        if isinstance(value, dict):
            story.append(label_value_table(value))
            story.append(Spacer(1, 3 * mm))
            continue
        if len(value) > MAX_ROWS:
            story.append(
                Paragraph(
                    escape(
                        _("The first %(n)d of %(total)d records; the JSON file has all.")
                        % {"n": MAX_ROWS, "total": len(value)}
                    ),
                    styles["BodyText"],
                )
            )
            value = value[:MAX_ROWS]
        columns = list(dict.fromkeys(key for item in value for key in item))
        if len(columns) > MAX_TABLE_COLUMNS:
            for number, item in enumerate(value, start=1):
                heading = Paragraph(
                    escape(_("Record %(n)d of %(total)d") % {"n": number, "total": len(value)}),
                    label,
                )
                block = label_value_table(item)
                story.append(KeepTogether([heading, block]))
                story.append(Spacer(1, 2 * mm))
            continue
        rows = [[Paragraph(escape(c), label) for c in columns]]
        rows += [[Paragraph(_text(item.get(c)), small) for c in columns] for item in value]
        table = Table(rows, colWidths=[width / len(columns)] * len(columns), repeatRows=1)
        table.setStyle(grid)
        table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
        story.append(table)
        story.append(Spacer(1, 3 * mm))
    doc.build(story)
    return buffer.getvalue()
