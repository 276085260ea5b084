"""How card movements read on a statement (registered with accounts in ready())."""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.accounts import selectors as accounts
from apps.accounts.registry import register_line

LedgerLine = accounts.LedgerLine


def _purchase(line: LedgerLine) -> str:
    merchant = (line.metadata.get("merchant") or "").strip()
    last4 = line.metadata.get("card_last4") or ""
    if merchant and last4:
        return _("Card purchase at %(merchant)s (card ending %(last4)s)") % {
            "merchant": merchant,
            "last4": last4,
        }
    return _("Card purchase")


def _refund(line: LedgerLine) -> str:
    merchant = (line.metadata.get("merchant") or "").strip()
    if merchant:
        return _("Card refund from %(merchant)s") % {"merchant": merchant}
    return _("Card refund")


def register() -> None:
    register_line("card_purchase", _purchase)
    register_line("card_refund", _refund)
