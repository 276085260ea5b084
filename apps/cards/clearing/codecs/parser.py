"""Parsing ATHENA-CLR 001 clearing files (the layout: `layout.py`): a file is accepted whole
or refused whole at its first error (ClearingFileError with the line and the field), in line
order, the trailer's counts and sums last."""

from __future__ import annotations

import datetime as dt

from .layout import (
    DETAIL,
    HEADER,
    LAYOUT_VERSION,
    RECORD_LENGTH,
    REVERSAL_CODES,
    TRAILER,
    TRANSACTION_CODES,
    A,
    ClearingFile,
    ClearingFileError,
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

# --- Parsing -------------------------------------------------------------------------------


def _values(record: Record, line: str, number: int) -> dict[str, object]:
    """Every field of a line, decoded by its kind (the first bad one raises)."""
    values: dict[str, object] = {}
    for f in record.fields:
        raw = line[f.slice]
        qualified = f"{record.name}.{f.name}"
        if f.kind == N:
            if not raw.isdigit():
                raise ClearingFileError(number, qualified, f"not digits: {raw!r}")
            values[f.name] = raw
        elif f.kind in (A, X):
            values[f.name] = raw.rstrip(" ")
        elif f.kind == F:
            if raw.strip(" "):
                raise ClearingFileError(number, qualified, "the filler must be blank")
        elif f.kind in (D, S):
            try:
                if not raw.isdigit():
                    raise ValueError(raw)
                parts = [int(raw[i : i + 2]) for i in range(4, len(raw), 2)]
                stamp = dt.datetime(int(raw[:4]), *parts)
            except ValueError:
                what = "a date" if f.kind == D else "a timestamp"
                raise ClearingFileError(number, qualified, f"not {what}: {raw!r}") from None
            values[f.name] = stamp.date() if f.kind == D else stamp
    if int(values["record_number"]) != number:  # type: ignore[arg-type]
        raise ClearingFileError(
            number,
            f"{record.name}.record_number",
            f"record number {values['record_number']} on line {number}",
        )
    return values


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if not lines:
        raise ClearingFileError(0, "file", "the file is empty")
    return lines


def _check_shape(line: str, number: int) -> None:
    if len(line) != RECORD_LENGTH:
        raise ClearingFileError(
            number, "record_length", f"{len(line)} characters, not {RECORD_LENGTH}"
        )
    if not (line.isascii() and line.isprintable()):
        column = next(i for i, c in enumerate(line, 1) if not (" " <= c <= "~"))
        raise ClearingFileError(number, "charset", f"a character that is not ASCII at {column}")


def _header(values: dict[str, object]) -> ClearingHeader:
    if int(values["layout_version"]) != LAYOUT_VERSION:  # type: ignore[arg-type]
        raise ClearingFileError(
            1, "header.layout_version", f"layout {values['layout_version']} is not 001"
        )
    if values["currency"] != "986":
        raise ClearingFileError(1, "header.currency", f"currency {values['currency']} is not BRL")
    return ClearingHeader(
        business_day=values["business_day"],  # type: ignore[arg-type]
        created_at=values["created_at"],  # type: ignore[arg-type]
        file_sequence=int(values["file_sequence"]),  # type: ignore[arg-type]
        issuer_id=str(values["issuer_id"]),
        network=str(values["network"]),
        currency=str(values["currency"]),
        layout_version=LAYOUT_VERSION,
    )


def _item(values: dict[str, object], number: int) -> ClearingItem:
    def error(name: str, message: str) -> ClearingFileError:
        return ClearingFileError(number, f"detail.{name}", message)

    code = str(values["transaction_code"])
    if code not in TRANSACTION_CODES:
        raise error("transaction_code", f"unknown transaction code {code}")
    arn = str(values["arn"])
    if not arn.strip("0"):
        raise error("arn", "an ARN of zeros")
    original = str(values["original_arn"])
    if code in REVERSAL_CODES and not original.strip("0"):
        raise error("original_arn", "a reversal without the ARN it reverses")
    card_bin = str(values["card_bin"])
    if not (6 <= len(card_bin) <= 8 and card_bin.isdigit()):
        raise error("card_bin", f"a BIN is 6 to 8 digits: {card_bin!r}")
    if not values["card_token"]:
        raise error("card_token", "the card token is required")
    amount = int(values["amount"])  # type: ignore[arg-type]
    if amount <= 0:
        raise error("amount", "a zero amount")
    stan = str(values["stan"])
    return ClearingItem(
        transaction_code=code,
        arn=arn,
        original_arn=original if original.strip("0") else "",
        card_bin=card_bin,
        card_last4=str(values["card_last4"]),
        card_token=str(values["card_token"]),
        auth_code=str(values["auth_code"]),
        rrn=str(values["rrn"]),
        stan=stan if stan.strip("0") else "",
        transaction_date=values["transaction_date"],  # type: ignore[arg-type]
        amount_cents=amount,
        mcc=str(values["mcc"]),
        merchant_id=str(values["merchant_id"]),
        merchant_name=str(values["merchant_name"]),
        merchant_city=str(values["merchant_city"]),
        merchant_country=str(values["merchant_country"]),
        line=number,
    )


def _check_trailer(values: dict[str, object], totals: ClearingTotals, number: int) -> None:
    for name in ("detail_count", "debit_count", "debit_total", "credit_count", "credit_total"):
        found, expected = int(values[name]), getattr(totals, name)  # type: ignore[arg-type]
        if found != expected:
            raise ClearingFileError(
                number, f"trailer.{name}", f"{found} in the trailer, {expected} in the details"
            )
    side = "D" if totals.net >= 0 else "C"
    if values["net_side"] != side:
        raise ClearingFileError(
            number, "trailer.net_side", f"{values['net_side']!r} where the details net {side!r}"
        )
    if int(values["net_amount"]) != abs(totals.net):  # type: ignore[arg-type]
        raise ClearingFileError(
            number,
            "trailer.net_amount",
            f"{int(values['net_amount'])} in the trailer, {abs(totals.net)} in the details",  # type: ignore[arg-type]
        )


def parse_file(text: str) -> ClearingFile:
    """The file's header, details and totals; ClearingFileError at the first problem."""
    lines = _lines(text)
    last = len(lines)
    header: ClearingHeader | None = None
    items: list[ClearingItem] = []
    seen: set[tuple[str, str]] = set()
    for number, line in enumerate(lines, start=1):
        _check_shape(line, number)
        expected = "H" if number == 1 else "T" if number == last and last > 1 else "D"
        if line[0] != expected:
            what = {"H": "the header", "T": "the trailer", "D": "a detail"}[expected]
            raise ClearingFileError(
                number, "record_type", f"expected {what} ({expected}), found {line[0]!r}"
            )
        if expected == "H":
            header = _header(_values(HEADER, line, number))
            if last == 1:
                raise ClearingFileError(1, "record_type", "the file ends without a trailer")
        elif expected == "D":
            item = _item(_values(DETAIL, line, number), number)
            key = (item.transaction_code, item.arn)
            if key in seen:
                raise ClearingFileError(
                    number, "detail.arn", f"ARN {item.arn} twice with code {item.transaction_code}"
                )
            seen.add(key)
            items.append(item)
        else:
            totals = ClearingTotals.of(items)
            _check_trailer(_values(TRAILER, line, number), totals, number)
    assert header is not None
    return ClearingFile(header=header, items=tuple(items), totals=ClearingTotals.of(items))
