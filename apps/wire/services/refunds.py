"""Giving a wire's money back: the amount and the fee, once (the caller holds the wire's
row lock and moves it out of sent/settled in the same transaction)."""

from __future__ import annotations

from apps.accounts import services as accounts
from apps.wire.models import Wire


def refund_wire(wire: Wire, *, reason: str, kind: str) -> int:
    """Credit the amount (ted_return) and the fee (ted_fee_refund) back to the account."""
    metadata = {
        "bank": wire.bank_name,
        "holder": wire.holder_name,
        "wire": str(wire.public_id),
        "reason": reason,
        "outcome": kind,  # "returned" by the credited bank, or "rejected" by the STR
    }
    entries = [
        accounts.Entry(
            kind="ted_return",
            legs=[
                accounts.Leg(accounts.internal_account_id("reserves_bacen"), -wire.amount),
                accounts.Leg(wire.account_id, wire.amount),
            ],
            description=f"TED {wire.control_number} {kind}: {reason}",
            reference_type="wire",
            reference_id=wire.pk,
            metadata=metadata,
        )
    ]
    if wire.fee:
        entries.append(
            accounts.Entry(
                kind="ted_fee_refund",
                legs=[
                    accounts.Leg(accounts.internal_account_id("fee_revenue"), -wire.fee),
                    accounts.Leg(wire.account_id, wire.fee),
                ],
                description=f"TED fee {wire.control_number} refunded",
                reference_type="wire",
                reference_id=wire.pk,
                metadata=metadata,
            )
        )
    wire.refund_entry_id = accounts.post_entries(entries)[0]
    return wire.refund_entry_id
