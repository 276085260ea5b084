"""Handing a message to the SPI and acting on its answer: the one skeleton behind
`pix_submit` (a pacs.008) and `refund_submit` (a pacs.004).

    pending   the row waits in its "sent" state (SENT, EM_PROCESSAMENTO); any other state
              means another worker already settled it: nothing to do
    no answer (SpiError: timeout, SPI unavailable): the row stays pending, beat resends it
    RJCT DUPL a resend of a message whose answer was lost: the SPI's status query gives the
              real outcome (adapters.spi.final_status); None: still unknown, stays pending
    ACSC/ACCC settled  -> `on_settled(row, status)`
    RJCT      refused  -> `on_rejected(row, status, reason)` (gives the money back)
    ACSP      accepted, settlement pending: the answer is kept, the final one comes later

The answer is applied by writes conditional on the row still being pending (the FSM's
optimistic check, no lock held across the call): of two workers answering the same
message, the second writes nothing, so the money is never settled or returned twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import models, transaction
from django_fsm import ConcurrentTransition

from apps.core.fsm import InvalidTransition
from apps.pix.adapters.spi import SpiClient, SpiError, final_status, spi_client
from apps.pix.codecs.iso20022 import PaymentStatus, TxStatus

logger = logging.getLogger(__name__)

RESERVES = "reserves_bacen"  # our reserves account at BACEN: every SPI movement's other leg

Row = TypeVar("Row", bound=models.Model)


def xml_text(xml: bytes | str) -> str:
    return xml.decode() if isinstance(xml, bytes) else xml


def rejection_reason(status: PaymentStatus) -> str:
    """`AC03: additional info` as kept on a refused row."""
    info = "; ".join(status.additional_info)
    return f"{status.reason_code}: {info}" if info else str(status.reason_code)


def submit_to_spi(
    *,
    model: type[Row],
    pk: int,
    pending_state: str,
    message: Callable[[Row], str],
    message_id: Callable[[Row], str],
    send: Callable[[SpiClient, bytes], bytes],
    on_settled: Callable[[Row, PaymentStatus], None],
    on_rejected: Callable[[Row, PaymentStatus, str], None],
    what: str,
    log_key: str,
    known: Row | None = None,
) -> Row:
    """Send `message(row)` with `send(client, bytes)` and apply the SPI's answer (see the
    module's docstring). `what` and `log_key` name the row in the log lines; `known` is
    the row as its caller just committed it (not read again)."""
    row = known if known is not None else model.objects.get(pk=pk)
    if row.state != pending_state:
        return row
    client = spi_client()
    ident = message_id(row)
    try:
        answer = send(client, message(row).encode())
    except SpiError as exc:
        logger.warning("%s not answered by the SPI: %s", what, exc, extra={log_key: ident})
        return row
    outcome = final_status(client, answer, ident)
    if outcome is None:
        logger.warning("%s outcome unknown after DUPL; left pending", what, extra={log_key: ident})
        return row
    status, answer = outcome
    # No lock: every write below is conditional on the row still being pending (the FSM's
    # optimistic check). Another attempt that applied an answer first makes ours write
    # nothing: the block rolls back (a return entry included) and the row is read as it is.
    try:
        with transaction.atomic():
            row.pacs002 = xml_text(answer)
            if status.status in (TxStatus.ACSC, TxStatus.ACCC):
                on_settled(row, status)
            elif status.status == TxStatus.RJCT:
                on_rejected(row, status, rejection_reason(status))
            else:  # ACSP: accepted, settlement pending; the final answer comes later
                row.save(update_fields=["pacs002", "updated_at"])
    except (InvalidTransition, ConcurrentTransition):
        return model.objects.get(pk=pk)
    return row
