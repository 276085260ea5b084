"""How TED movements read on a statement (registered with accounts in ready())."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts import selectors as accounts
from apps.accounts.registry import register_line

LedgerLine = accounts.LedgerLine

# The SPB return reasons (CodDevTransf), as a customer reads them.
RETURN_REASONS = {
    "1": gettext_lazy("destination account closed"),
    "2": gettext_lazy("invalid branch or account"),
    "3": gettext_lazy("missing or divergent CPF/CNPJ"),
    "4": gettext_lazy("invalid message for the transaction type or purpose"),
    "5": gettext_lazy("holder divergence"),
    "9": gettext_lazy("returned for fraud"),
    "16": gettext_lazy("outside business hours"),
    "61": gettext_lazy("above the destination account's limit"),
    "70": gettext_lazy("returned at the customer's request"),
    "84": gettext_lazy("the destination account may not receive it"),
}


def reason_text(code: str) -> str:
    found = RETURN_REASONS.get(code or "")
    return str(found) if found else _("refused by the STR")


def _bank(line: LedgerLine) -> str:
    bank = line.metadata.get("bank") or ""
    code = line.metadata.get("bank_code") or ""
    return f"{code} {bank}".strip()


def _ted_out(line: LedgerLine) -> str:
    return _("TED sent to %(holder)s (%(bank)s)") % {
        "holder": line.metadata.get("holder") or "",
        "bank": _bank(line),
    }


def _ted_in(line: LedgerLine) -> str:
    sender = line.metadata.get("sender") or ""
    if not sender:
        return _("TED received")
    return _("TED received from %(sender)s (%(bank)s)") % {"sender": sender, "bank": _bank(line)}


def _ted_fee(line: LedgerLine) -> str:
    return _("TED fee")


def _ted_return(line: LedgerLine) -> str:
    reason = reason_text(line.metadata.get("reason") or "")
    if line.metadata.get("outcome") == "rejected":
        return _("TED to %(holder)s not sent: money back") % {
            "holder": line.metadata.get("holder") or ""
        }
    return _("TED to %(holder)s returned: %(reason)s") % {
        "holder": line.metadata.get("holder") or "",
        "reason": reason,
    }


def _ted_fee_refund(line: LedgerLine) -> str:
    return _("TED fee refunded")


def register() -> None:
    register_line("ted_out", _ted_out)
    register_line("ted_in", _ted_in)
    register_line("ted_fee", _ted_fee)
    register_line("ted_return", _ted_return)
    register_line("ted_fee_refund", _ted_fee_refund)
