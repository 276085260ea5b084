"""How boleto movements read on a statement (registered with accounts in ready())."""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.accounts import selectors as accounts
from apps.accounts.registry import register_line
from apps.core.money import format_brl

LedgerLine = accounts.LedgerLine


def _payment(line: LedgerLine) -> str:
    beneficiary = line.metadata.get("beneficiary") or ""
    if not beneficiary:
        return _("Boleto payment")
    return _("Boleto paid to %(beneficiary)s") % {"beneficiary": beneficiary}


def _received(line: LedgerLine) -> str:
    payer = line.metadata.get("payer") or ""
    fee = line.metadata.get("fee") or 0
    text = _("Boleto received from %(payer)s") % {"payer": payer} if payer else _("Boleto received")
    if fee:
        text += " " + _("(paid %(paid)s, fee %(fee)s)") % {
            "paid": format_brl(int(line.metadata.get("paid") or 0)),
            "fee": format_brl(int(fee)),
        }
    return text


def register() -> None:
    register_line("boleto_payment", _payment)
    register_line("boleto_received", _received)
