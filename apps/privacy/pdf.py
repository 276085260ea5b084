"""The data export as a PDF for people (reportlab, as the statement PDF in
apps/accounts/exports.py): one section per part of the export, a table of its records."""

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


def render_export_pdf(data: dict) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

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
    small = styles["BodyText"].clone("small", fontSize=7, leading=8.5)
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
    for path, title in SECTIONS:
        value = _get(data, path)
        story.append(Paragraph(escape(_(title)), styles["Heading2"]))
        if not value:
            story.append(Paragraph(escape(_("Nothing recorded.")), styles["BodyText"]))
            continue
        if isinstance(value, dict):
            rows = [
                [Paragraph(escape(k), small), Paragraph(escape(_cell(v)), small)]
                for k, v in value.items()
            ]
            table = Table(rows, colWidths=[width * 0.25, width * 0.75])
        else:
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
            columns = list(value[0].keys())
            rows = [[Paragraph(escape(c), small) for c in columns]]
            rows += [
                [Paragraph(escape(_cell(item.get(c)))[:500], small) for c in columns]
                for item in value
            ]
            table = Table(rows, colWidths=[width / len(columns)] * len(columns), repeatRows=1)
            table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
        story.append(Spacer(1, 3 * mm))
    doc.build(story)
    return buffer.getvalue()
