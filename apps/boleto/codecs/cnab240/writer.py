"""Writing CNAB 240 cobrança files: remittances (we -> bank) and returns (the COMPE simulator).

Every title is written as segments P, Q and R: R is always present (zeros when the title has
no fine), so a remittance has a fixed three records per title and the bank never has to guess.
A lote holds at most 99,999 detail records (the sequence field is five digits); longer files
are split into as many lotes as needed, all with the same company data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from .fields import number_field, render
from .records import FileHeader, ReturnItem, Title
from .spec import (
    FILE_HEADER,
    FILE_TRAILER,
    LOTE_HEADER,
    LOTE_TRAILER,
    SEGMENT_P,
    SEGMENT_Q,
    SEGMENT_R,
    SEGMENT_T,
    SEGMENT_U,
)

MAX_DETAILS_PER_LOTE = 99_999
LINE_END = "\r\n"


def tax_kind(tax_id: str, name: str, allow_empty: bool = False) -> int:
    """FEBRABAN inscription type: 1 CPF (11 digits), 2 CNPJ (14 digits), 0 none."""
    if tax_id == "" and allow_empty:
        return 0
    if not (tax_id.isascii() and tax_id.isdigit()) or len(tax_id) not in (11, 14):
        raise ValueError(f"{name}: a CPF has 11 digits and a CNPJ 14 ({tax_id!r})")
    return 1 if len(tax_id) == 11 else 2


def _company(header: FileHeader) -> dict[str, object]:
    return {
        "bank_code": number_field(header.bank_code, 3, "bank_code"),
        "company_kind": tax_kind(header.company_tax_id, "company_tax_id"),
        "company_tax_id": header.company_tax_id,
        "agreement": header.agreement,
        "agency": header.agency,
        "agency_digit": header.agency_digit,
        "account": header.account,
        "account_digit": header.account_digit,
        "company_name": header.company_name,
    }


def _file_header(header: FileHeader, expected: str) -> str:
    if header.file_kind != expected:
        raise ValueError(f"file_kind: expected {expected!r}, got {header.file_kind!r}")
    if not isinstance(header.generated_at, datetime):
        raise ValueError("generated_at: expected a datetime")
    at = header.generated_at
    return render(
        FILE_HEADER,
        {
            **_company(header),
            "lote": 0,
            "bank_name": header.bank_name,
            "file_kind": 1 if expected == "remittance" else 2,
            "generated_date": at.date(),
            "generated_time": f"{at.hour:02d}{at.minute:02d}{at.second:02d}",
            "sequence": header.sequence,
        },
    )


def _chunks(records: Sequence, per_lote: int) -> Iterable[Sequence]:
    if not records:
        return
    for start in range(0, len(records), per_lote):
        yield records[start : start + per_lote]


def _write(header: FileHeader, expected: str, groups: Iterable[tuple[list[str], int, int]]) -> str:
    """Frame lotes of detail lines: `groups` yields (details, title count, title total)."""
    company = _company(header)
    bank = company["bank_code"]
    lines = [_file_header(header, expected)]
    lote = 0
    for details, count, total in groups:
        lote += 1
        lines.append(
            render(
                LOTE_HEADER,
                {
                    **company,
                    "lote": lote,
                    "operation": "R" if expected == "remittance" else "T",
                    "file_number": header.sequence,
                    "recorded_date": header.generated_at.date(),
                },
            )
        )
        lines.extend(details)
        lines.append(
            render(
                LOTE_TRAILER,
                {
                    "bank_code": bank,
                    "lote": lote,
                    "record_count": len(details) + 2,
                    "simple_count": count,
                    "simple_total": total,
                },
            )
        )
    lines.append(
        render(
            FILE_TRAILER,
            {"bank_code": bank, "lote": 9999, "lote_count": lote, "record_count": len(lines) + 1},
        )
    )
    return LINE_END.join(lines) + LINE_END


def _nosso_numero(value: str, allow_empty: bool = False) -> str:
    if value == "" and allow_empty:
        return value
    if not (value.isascii() and value.isdigit()) or len(value) > 20:
        raise ValueError(f"nosso_numero: 1 to 20 digits ({value!r})")
    return value


def _title_lines(header: FileHeader, bank: str, lote: int, seq: int, t: Title) -> list[str]:
    if t.payer_kind not in (1, 2) or tax_kind(t.payer_tax_id, "payer_tax_id") != t.payer_kind:
        raise ValueError(
            f"payer_kind {t.payer_kind} does not match payer_tax_id {t.payer_tax_id!r}"
        )
    if not (t.payer_zip.isascii() and t.payer_zip.isdigit() and len(t.payer_zip) == 8):
        raise ValueError(f"payer_zip: a CEP has 8 digits ({t.payer_zip!r})")
    if t.guarantor_kind != tax_kind(t.guarantor_tax_id, "guarantor_tax_id", allow_empty=True):
        raise ValueError("guarantor_kind does not match guarantor_tax_id")
    common = {"bank_code": bank, "lote": lote, "movement": t.movement}
    p = render(
        SEGMENT_P,
        {
            **common,
            "sequence": seq,
            "agency": header.agency,
            "agency_digit": header.agency_digit,
            "account": header.account,
            "account_digit": header.account_digit,
            "nosso_numero": _nosso_numero(t.nosso_numero),
            "wallet": t.wallet,
            "seu_numero": t.seu_numero,
            "due_date": t.due_date,
            "amount": t.amount_cents,
            "title_kind": t.title_kind,
            "issue_date": t.issue_date,
            "interest_code": t.interest_code,
            "interest_date": t.interest_date,
            "interest_value": t.interest_value,
            "discount_code": t.discount_code,
            "discount_date": t.discount_date,
            "discount_value": t.discount_value,
            "iof_amount": t.iof_cents,
            "rebate_amount": t.rebate_cents,
            "company_use": t.company_use,
            "protest_code": t.protest_code,
            "protest_days": t.protest_days,
            "writeoff_code": t.writeoff_code,
            "writeoff_days": t.writeoff_days,
        },
    )
    q = render(
        SEGMENT_Q,
        {
            **common,
            "sequence": seq + 1,
            "payer_kind": t.payer_kind,
            "payer_tax_id": t.payer_tax_id,
            "payer_name": t.payer_name,
            "payer_address": t.payer_address,
            "payer_district": t.payer_district,
            "payer_zip": t.payer_zip[:5],
            "payer_zip_suffix": t.payer_zip[5:],
            "payer_city": t.payer_city,
            "payer_state": t.payer_state,
            "guarantor_kind": t.guarantor_kind,
            "guarantor_tax_id": t.guarantor_tax_id or 0,
            "guarantor_name": t.guarantor_name,
        },
    )
    r = render(
        SEGMENT_R,
        {
            **common,
            "sequence": seq + 2,
            "fine_code": t.fine_code,
            "fine_date": t.fine_date,
            "fine_value": t.fine_value,
        },
    )
    return [p, q, r]


def write_remittance(header: FileHeader, titles: Sequence[Title]) -> str:
    """A remittance: file header, lotes of P/Q/R per title, trailers; CRLF after every line."""
    bank = number_field(header.bank_code, 3, "bank_code")
    per_lote = MAX_DETAILS_PER_LOTE // 3

    def groups():
        for lote, chunk in enumerate(_chunks(titles, per_lote), start=1):
            details: list[str] = []
            for index, title in enumerate(chunk):
                details.extend(_title_lines(header, bank, lote, 3 * index + 1, title))
            yield details, len(chunk), sum(t.amount_cents for t in chunk)

    return _write(header, "remittance", groups())


def _motives(motives: tuple[str, ...]) -> str:
    if len(motives) > 5 or any(
        len(m) != 2 or not (m.isascii() and m.isalnum()) or m == "00" for m in motives
    ):
        raise ValueError(f"motives: up to five 2-character codes other than '00' ({motives!r})")
    return "".join(motives)


def _item_lines(header: FileHeader, bank: str, lote: int, seq: int, item: ReturnItem) -> list[str]:
    common = {"bank_code": bank, "lote": lote, "movement": item.movement}
    if not (len(item.movement) == 2 and item.movement.isascii() and item.movement.isdigit()):
        raise ValueError(f"movement: two digits ({item.movement!r})")
    t = render(
        SEGMENT_T,
        {
            **common,
            "sequence": seq,
            "agency": header.agency,
            "agency_digit": header.agency_digit,
            "account": header.account,
            "account_digit": header.account_digit,
            "nosso_numero": _nosso_numero(item.nosso_numero, allow_empty=True),
            "seu_numero": item.seu_numero,
            "due_date": item.due_date,
            "face_amount": item.face_value,
            "bank": item.bank_code,
            "collecting_agency": item.collecting_agency,
            "company_use": item.company_use,
            "payer_kind": tax_kind(item.payer_tax_id, "payer_tax_id", allow_empty=True),
            "payer_tax_id": item.payer_tax_id or 0,
            "payer_name": item.payer_name,
            "fee_amount": item.fee_cents,
            "motives": _motives(item.motives),
        },
    )
    u = render(
        SEGMENT_U,
        {
            **common,
            "sequence": seq + 1,
            "interest_amount": item.interest_cents,
            "discount_amount": item.discount_cents,
            "rebate_amount": item.rebate_cents,
            "iof_amount": item.iof_cents,
            "paid_amount": item.paid_cents,
            "net_amount": item.net_cents,
            "other_expenses": item.other_expenses,
            "other_credits": item.other_credits,
            "occurrence_date": item.occurrence_date,
            "credit_date": item.credit_date,
        },
    )
    return [t, u]


def write_return(header: FileHeader, items: Sequence[ReturnItem]) -> str:
    """A return file, as a bank (the COMPE simulator) writes it: T and U per item."""
    bank = number_field(header.bank_code, 3, "bank_code")
    per_lote = MAX_DETAILS_PER_LOTE // 2

    def groups():
        for lote, chunk in enumerate(_chunks(items, per_lote), start=1):
            details: list[str] = []
            for index, item in enumerate(chunk):
                details.extend(_item_lines(header, bank, lote, 2 * index + 1, item))
            yield details, len(chunk), sum(i.face_value for i in chunk)

    return _write(header, "return", groups())
