"""Every write of the wire app: sending TEDs (`send.py`), what the STR delivers to us
(`inbox.py`), refunds (`refunds.py`), the STR messages of a wire (`messages.py`) and the
directory (`apps.wire.directory.services`)."""

from apps.wire.directory.services import directory_ensure, directory_load
from apps.wire.services.inbox import (
    inbound_return_send,
    inbound_returns_resend,
    inbox_message_process,
    wire_receive,
    wire_return_receive,
    wires_inbox_run,
)
from apps.wire.services.send import (
    WireQuote,
    wire_answer_apply,
    wire_cancel,
    wire_dispatch,
    wire_quote,
    wire_send,
    wires_resend_stuck,
    wires_send_due,
)

__all__ = [
    "WireQuote",
    "directory_ensure",
    "directory_load",
    "inbound_return_send",
    "inbound_returns_resend",
    "inbox_message_process",
    "wire_answer_apply",
    "wire_cancel",
    "wire_dispatch",
    "wire_quote",
    "wire_receive",
    "wire_return_receive",
    "wires_inbox_run",
    "wire_send",
    "wires_resend_stuck",
    "wires_send_due",
]
