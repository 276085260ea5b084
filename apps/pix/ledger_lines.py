"""How Pix movements read on a statement (registered with accounts' ledger_lines in ready()).

Each Pix entry references its transfer ("pix_transfer") or its refund ("pix_refund"); the
counterparty's name and the payer's message are read from there, one query per kind and
page, so the posting call sites store no prose for customers.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from apps.accounts import selectors as accounts
from apps.accounts.registry import register_line

from .models import PixRefund, PixTransfer

LedgerLine = accounts.LedgerLine
RenderedLine = accounts.RenderedLine
kind_label = accounts.kind_label


def _ids(lines: list[LedgerLine], reference_type: str) -> list[int]:
    return [
        int(line.reference_id)
        for line in lines
        if line.reference_type == reference_type and line.reference_id.isdigit()
    ]


def _transfers(lines: list[LedgerLine]) -> dict[str, Any]:
    transfers = (
        PixTransfer.objects.filter(pk__in=_ids(lines, "pix_transfer"))
        .select_related("account__customer")
        # The state fields too: an FSM model reads its state when built, and a deferred
        # one would cost a query per line (three with the account and its customer).
        .only(
            "state",
            "description",
            "counterparty_name",
            "account",
            "account__state",
            "account__customer",
            "account__customer__state",
            "account__customer__full_name",
        )
    )
    return {str(transfer.pk): transfer for transfer in transfers}


def _refunds(lines: list[LedgerLine]) -> dict[str, Any]:
    refunds = (
        PixRefund.objects.filter(pk__in=_ids(lines, "pix_refund"))
        .select_related("transfer")
        .only("state", "description", "transfer", "transfer__state", "transfer__counterparty_name")
    )
    return {str(refund.pk): refund for refund in refunds}


def _payer_name(transfer: PixTransfer) -> str:
    customer = transfer.account.customer if transfer.account_id else None
    return customer.full_name if customer is not None else ""


def _sent(line: LedgerLine) -> RenderedLine:
    transfer = line.reference
    if transfer is None:
        return RenderedLine(_("Pix sent"))
    if transfer.counterparty_name:
        text = _("Pix sent to %(name)s") % {"name": transfer.counterparty_name}
    else:
        text = _("Pix sent")
    return RenderedLine(text, transfer.description)


def _received(line: LedgerLine, payer: str) -> RenderedLine:
    transfer = line.reference
    text = _("Pix received from %(name)s") % {"name": payer} if payer else _("Pix received")
    return RenderedLine(text, transfer.description if transfer is not None else "")


def _pix_in(line: LedgerLine) -> RenderedLine:
    transfer = line.reference
    return _received(line, transfer.counterparty_name if transfer is not None else "")


def _pix_out(line: LedgerLine) -> RenderedLine:
    return _sent(line)


def _pix_internal(line: LedgerLine) -> RenderedLine:
    """One entry, both sides at Athena: the payer reads "sent", the payee "received"."""
    if line.amount < 0:
        return _sent(line)
    transfer = line.reference
    return _received(line, _payer_name(transfer) if transfer is not None else "")


def _pix_return(line: LedgerLine) -> str:
    return _("Pix not completed: money back")


def _pix_refund(line: LedgerLine) -> RenderedLine:
    refund = line.reference
    text = _("Pix refund sent") if line.amount < 0 else _("Pix refund received")
    return RenderedLine(text, refund.description if refund is not None else "")


def _pix_refund_return(line: LedgerLine) -> str:
    return kind_label("pix_refund_return")


def _pix_med_refund(line: LedgerLine) -> str:
    return kind_label("pix_med_refund")


def register() -> None:
    register_line("pix_in", _pix_in, load=_transfers)
    register_line("pix_out", _pix_out, load=_transfers)
    register_line("pix_internal", _pix_internal, load=_transfers)
    register_line("pix_return", _pix_return)
    register_line("pix_refund", _pix_refund, load=_refunds)
    register_line("pix_refund_return", _pix_refund_return)
    register_line("pix_med_refund", _pix_med_refund)
