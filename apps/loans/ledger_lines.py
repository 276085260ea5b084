"""How loan movements read on a statement (registered with accounts in ready())."""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.accounts import selectors as accounts
from apps.accounts.registry import register_line

LedgerLine = accounts.LedgerLine


def _numbers(line: LedgerLine) -> str:
    return ", ".join(str(n) for n in line.metadata.get("installments") or [])


def _disbursement(line: LedgerLine) -> str:
    return _("Loan released (CCB %(contract)s)") % {"contract": line.metadata.get("contract", "")}


def _collection(line: LedgerLine) -> str:
    return _("Loan installment %(numbers)s collected (CCB %(contract)s)") % {
        "numbers": _numbers(line),
        "contract": line.metadata.get("contract", ""),
    }


def _payment(line: LedgerLine) -> str:
    what = line.metadata.get("what")
    if what == "payoff":
        template = _("Loan paid off (CCB %(contract)s)")
    elif what == "prepayment":
        template = _("Loan installments %(numbers)s prepaid (CCB %(contract)s)")
    else:
        template = _("Loan installment %(numbers)s paid (CCB %(contract)s)")
    return template % {"numbers": _numbers(line), "contract": line.metadata.get("contract", "")}


def register() -> None:
    register_line("loan_disbursement", _disbursement)
    register_line("loan_collection", _collection)
    register_line("loan_installment", _payment)
