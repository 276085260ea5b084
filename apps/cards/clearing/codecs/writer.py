"""Writing ATHENA-CLR 001 clearing files (the layout: `layout.py`): the network simulator's
and the tests'. Strict about what would change meaning (a number or an identifier wider than
its field, a zero amount, an unknown code raise ValueError), lenient about presentation
(merchant names are folded to upper-case ASCII and cut)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable

from .layout import (
    DETAIL,
    HEADER,
    RECORD_LENGTH,
    REVERSAL_CODES,
    TRAILER,
    TRANSACTION_CODES,
    A,
    ClearingHeader,
    ClearingItem,
    ClearingTotals,
    D,
    F,
    N,
    Record,
    S,
    X,
)

# --- Writing -------------------------------------------------------------------------------


def normalize_text(value: str) -> str:
    """Upper-case printable ASCII: accents dropped ("São" -> "SAO"), control chars as blanks."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return "".join(c if " " <= c <= "~" else " " for c in folded).upper().strip()


def _format(record: Record, name: str, kind: str, width: int, value: object) -> str:
    qualified = f"{record.name}.{name}"
    if kind == F:
        return " " * width
    if kind == N:
        if value is None or value == "":
            return "0" * width
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"{qualified}: expected digits, got {value!r}")
        text = str(value)
        if not (text.isascii() and text.isdigit()):
            raise ValueError(f"{qualified}: not digits ({value!r})")
        if len(text) > width:
            raise ValueError(f"{qualified}: {value!r} does not fit in {width} digits")
        return text.zfill(width)
    if kind == A:
        return normalize_text(str(value or ""))[:width].ljust(width)
    if kind == X:
        text = str(value or "")
        if not (text.isascii() and text.isprintable()) or text != text.strip():
            raise ValueError(f"{qualified}: not a printable ASCII identifier ({value!r})")
        if len(text) > width:
            raise ValueError(f"{qualified}: {value!r} does not fit in {width} characters")
        return text.ljust(width)
    if kind == D:
        if not isinstance(value, dt.date):
            raise ValueError(f"{qualified}: expected a date, got {value!r}")
        return f"{value.year:04d}{value.month:02d}{value.day:02d}"
    if kind == S:
        if not isinstance(value, dt.datetime):
            raise ValueError(f"{qualified}: expected a datetime, got {value!r}")
        return (
            f"{value.year:04d}{value.month:02d}{value.day:02d}"
            f"{value.hour:02d}{value.minute:02d}{value.second:02d}"
        )
    raise AssertionError(kind)


def _render(record: Record, values: dict[str, object]) -> str:
    unknown = set(values) - {f.name for f in record.fields}
    if unknown:
        raise KeyError(f"{record.name}: unknown fields {sorted(unknown)}")
    line = "".join(
        _format(record, f.name, f.kind, f.width, values.get(f.name)) for f in record.fields
    )
    if len(line) != RECORD_LENGTH:  # only a broken layout gets here
        raise AssertionError(f"{record.name}: rendered {len(line)} characters")
    return line


def _check_item(item: ClearingItem) -> None:
    if item.transaction_code not in TRANSACTION_CODES:
        raise ValueError(f"detail.transaction_code: unknown code {item.transaction_code!r}")
    if not isinstance(item.amount_cents, int) or item.amount_cents <= 0:
        raise ValueError(f"detail.amount: must be more than zero ({item.amount_cents!r})")
    if not item.arn.strip("0"):
        raise ValueError("detail.arn: required")
    if item.transaction_code in REVERSAL_CODES and not item.original_arn.strip("0"):
        raise ValueError("detail.original_arn: a reversal names the record it reverses")
    if not (6 <= len(item.card_bin) <= 8 and item.card_bin.isdigit()):
        raise ValueError(f"detail.card_bin: 6 to 8 digits ({item.card_bin!r})")
    if not item.card_token:
        raise ValueError("detail.card_token: required")


def write_file(header: ClearingHeader, items: Iterable[ClearingItem]) -> str:
    """The whole file, LF-terminated lines; the trailer is computed from the items."""
    items = list(items)
    lines = [
        _render(
            HEADER,
            {
                "record_type": "H",
                "record_number": 1,
                "layout_version": header.layout_version,
                "network": header.network,
                "issuer_id": header.issuer_id,
                "business_day": header.business_day,
                "created_at": header.created_at.replace(microsecond=0),
                "file_sequence": header.file_sequence,
                "currency": header.currency,
            },
        )
    ]
    for number, item in enumerate(items, start=2):
        _check_item(item)
        lines.append(
            _render(
                DETAIL,
                {
                    "record_type": "D",
                    "record_number": number,
                    "transaction_code": item.transaction_code,
                    "arn": item.arn,
                    "original_arn": item.original_arn,
                    "card_bin": item.card_bin,
                    "card_last4": item.card_last4,
                    "card_token": item.card_token,
                    "auth_code": item.auth_code,
                    "rrn": item.rrn,
                    "stan": item.stan,
                    "transaction_date": item.transaction_date,
                    "amount": item.amount_cents,
                    "mcc": item.mcc,
                    "merchant_id": item.merchant_id,
                    "merchant_name": item.merchant_name,
                    "merchant_city": item.merchant_city,
                    "merchant_country": item.merchant_country,
                },
            )
        )
    totals = ClearingTotals.of(items)
    lines.append(
        _render(
            TRAILER,
            {
                "record_type": "T",
                "record_number": len(items) + 2,
                "detail_count": totals.detail_count,
                "debit_count": totals.debit_count,
                "debit_total": totals.debit_total,
                "credit_count": totals.credit_count,
                "credit_total": totals.credit_total,
                "net_side": "D" if totals.net >= 0 else "C",
                "net_amount": abs(totals.net),
            },
        )
    )
    return "\n".join(lines) + "\n"
