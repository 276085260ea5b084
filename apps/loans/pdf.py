"""The CCB (cédula de crédito bancário, Law 10.931/2004 art. 26-29) of a loan as a PDF, in
the reader's language: the parties, the priced terms with the CET (CMN Res. 4.881 asks for
it before contracting, with its parts), the full schedule, the late charges of CMN Res.
4.882, the prepayment discount, and the right to a human review of the credit decision.

Rendered from the loan's frozen terms, so the document of an offer and of its contract say
the same. The borrower's CPF is masked (a PDF travels by e-mail). Tables have fixed column
widths and wrapped cells, and the schedule splits across pages (420 rows fit), so no row
can outgrow the page (reportlab's LayoutError).
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils.translation import gettext as _

from apps.core.documents import mask_tax_id
from apps.core.money import format_brl

from .models import Loan


def _day(value) -> str:
    return value.strftime("%d/%m/%Y") if value else "-"


def _terms(loan: Loan) -> list[tuple[str, str]]:
    customer = loan.customer
    return [
        (_("CCB number"), loan.contract_number or _("(issued when contracted)")),
        (_("Creditor"), f"Athena Pay ({settings.ATHENA_BANK_CODE})"),
        (_("Borrower"), customer.full_name),
        (_("Borrower's CPF/CNPJ"), mask_tax_id(customer.tax_id)),
        (_("Account credited and debited"), f"{loan.account.branch} / {loan.account.number}"),
        (_("Principal"), format_brl(loan.principal_cents or 0)),
        (_("IOF (withheld)"), format_brl(loan.iof_cents)),
        (_("Fees"), format_brl(loan.fees_cents)),
        (_("Amount released"), format_brl(loan.released_cents or 0)),
        (_("Interest rate"), _("%(rate)s%% a month") % {"rate": loan.monthly_rate}),
        (_("CET (total effective cost)"), _("%(cet)s%% a year") % {"cet": loan.cet_annual_percent}),
        (_("Total interest"), format_brl(loan.total_interest_cents)),
        (_("Amortization system"), loan.get_system_display()),
        (_("Installments"), str(loan.installments_count)),
        (_("Release date"), _day(loan.release_date)),
        (_("First due date"), _day(loan.first_due_date)),
    ]


def _schedule_rows(loan: Loan) -> list[list[str]]:
    from .services.contracts import schedule_of

    rows = list(loan.installments.order_by("number")) or schedule_of(loan)
    return [
        [
            str(row.number),
            _day(row.due_date),
            format_brl(row.amount_cents),
            format_brl(row.interest_cents),
            format_brl(row.amortization_cents),
            format_brl(row.balance_cents),
        ]
        for row in rows
    ]


def _clauses(loan: Loan) -> list[str]:
    return [
        _(
            "The borrower promises to pay the creditor the installments above, on their due "
            "dates, by debit to the account named here; on a due date the creditor collects "
            "what the account holds, up to the installment, and the rest remains overdue."
        ),
        _(
            "An overdue amount bears, until paid (CMN Resolution 4.882): the contract interest "
            "of %(rate)s%% a month, compounded pro rata by day; a fine of 2%%; and default "
            "interest of 1%% a month, simple, pro rata by day. No other charge applies."
        )
        % {"rate": loan.monthly_rate},
        _(
            "The borrower may pay off the loan, or prepay installments, at any time, with the "
            "discount of the interest not yet incurred, at the contract rate (Consumer "
            "Protection Code, art. 52, par. 2; CMN Resolution 3.516)."
        ),
        _(
            "The IOF was withheld from the amount released and is paid to the Treasury by the "
            "creditor (Decree 6.306/2007)."
        ),
        _(
            "The credit decision was automated (a score and a policy). The borrower may ask for "
            "it to be reviewed by a person (LGPD, art. 20) on the loan's page of the portal."
        ),
        _("This note is an extrajudicial enforceable instrument (Law 10.931/2004, art. 28)."),
    ]


def ccb_pdf(loan: Loan) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        LongTable,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    buffer = io.BytesIO()
    title = _("Bank credit note (CCB)")
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author="Athena Pay",
        creator="Athena Pay",
    )
    styles = getSampleStyleSheet()
    body = styles["BodyText"].clone("ccb_value", fontSize=9, leading=11.5, wordWrap="CJK")
    label = body.clone("ccb_label", fontName="Helvetica-Bold")
    small = body.clone("ccb_small", fontSize=8, leading=10)
    terms = Table(
        [[Paragraph(escape(k), label), Paragraph(escape(v), body)] for k, v in _terms(loan)],
        colWidths=[doc.width * 0.38, doc.width * 0.62],
    )
    grid = TableStyle(
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
        ]
    )
    terms.setStyle(grid)
    header = [
        _("No."),
        _("Due date"),
        _("Installment"),
        _("Interest"),
        _("Amortization"),
        _("Balance"),
    ]
    schedule = LongTable(
        [[Paragraph(escape(h), label) for h in header]]
        + [[Paragraph(escape(c), small) for c in row] for row in _schedule_rows(loan)],
        colWidths=[doc.width * w for w in (0.08, 0.16, 0.19, 0.19, 0.19, 0.19)],
        repeatRows=1,
    )
    schedule.setStyle(grid)
    story = [
        Paragraph("Athena Pay", styles["Heading2"]),
        Paragraph(escape(title), styles["Title"]),
        terms,
        Spacer(1, 5 * mm),
        Paragraph(escape(_("Payment schedule")), styles["Heading3"]),
        schedule,
        Spacer(1, 5 * mm),
        Paragraph(escape(_("Clauses")), styles["Heading3"]),
    ]
    for number, text in enumerate(_clauses(loan), start=1):
        story.append(Paragraph(escape(f"{number}. {text}"), body))
    doc.build(story)
    return buffer.getvalue()
