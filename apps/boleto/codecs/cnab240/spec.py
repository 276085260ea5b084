"""The CNAB 240 cobrança records, field by field, as the FEBRABAN generic layout (v10) numbers them.

Positions are 1-based and inclusive, exactly as the manual prints them, so each row can be
checked against the manual by eye. Kinds:

    N   numeric: digits only, right aligned, zero padded
    A   alphanumeric: upper-case printable ASCII, left aligned, space padded
    D   date DDMMAAAA, required
    D0  date DDMMAAAA, or "no date" where the layout allows it: 00000000 (we write that) or
        eight blanks (Banco do Brasil's returns leave unused dates blank)

Fields named `cnab_*` are the manual's "uso exclusivo FEBRABAN/CNAB" fillers (blanks).
Every record must tile positions 1-240 with no gap and no overlap; `_record` checks that when
the module is imported, so a typo in a row fails loudly instead of shifting a whole record.

Layout versions (file header 164-166, lote header 14-16) are "107" and "045", our choice
for the FEBRABAN v10 cobrança layout; banks print their own, so the parser reads them but
does not enforce them.
"""

from __future__ import annotations

from typing import NamedTuple

N = "N"
A = "A"
D = "D"
D0 = "D0"
KINDS = frozenset({N, A, D, D0})

RECORD_LENGTH = 240
FILE_LAYOUT_VERSION = "107"
LOTE_LAYOUT_VERSION = "045"


class Field(NamedTuple):
    name: str
    start: int  # 1-based, inclusive
    end: int  # 1-based, inclusive
    kind: str
    default: object = None  # written when the caller gives no value (None: blanks/zeros)

    @property
    def width(self) -> int:
        return self.end - self.start + 1

    @property
    def slice(self) -> slice:
        return slice(self.start - 1, self.end)


class Record(NamedTuple):
    name: str  # "segment_t": the prefix of error field names
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    def slice(self, name: str) -> slice:
        return self.field(name).slice


def _record(name: str, *fields: Field) -> Record:
    position = 1
    seen: set[str] = set()
    for f in fields:
        if f.start != position or f.end < f.start or f.kind not in KINDS or f.name in seen:
            raise AssertionError(f"{name}.{f.name}: spec does not tile 1-240 at {position}")
        if f.kind in (D, D0) and f.width != 8:
            raise AssertionError(f"{name}.{f.name}: a date is 8 positions")
        seen.add(f.name)
        position = f.end + 1
    if position != RECORD_LENGTH + 1:
        raise AssertionError(f"{name}: spec ends at {position - 1}, not {RECORD_LENGTH}")
    return Record(name, fields)


# Positions 1-8 are common to every record; 9-17 are common to every detail (segment) record.
def _control(record_type: int) -> tuple[Field, ...]:
    return (
        Field("bank_code", 1, 3, N),
        Field("lote", 4, 7, N),
        Field("record_type", 8, 8, N, record_type),
    )


def _detail(segment: str) -> tuple[Field, ...]:
    return (
        *_control(3),
        Field("sequence", 9, 13, N),
        Field("segment", 14, 14, A, segment),
        Field("cnab_1", 15, 15, A),
        Field("movement", 16, 17, N),
    )


FILE_HEADER = _record(
    "file_header",
    *_control(0),
    Field("cnab_1", 9, 17, A),
    Field("company_kind", 18, 18, N),  # 1 CPF, 2 CNPJ
    Field("company_tax_id", 19, 32, N),
    Field("agreement", 33, 52, A),  # convênio
    Field("agency", 53, 57, N),
    Field("agency_digit", 58, 58, A),
    Field("account", 59, 70, N),
    Field("account_digit", 71, 71, A),
    Field("agency_account_digit", 72, 72, A),
    Field("company_name", 73, 102, A),
    Field("bank_name", 103, 132, A),
    Field("cnab_2", 133, 142, A),
    Field("file_kind", 143, 143, N),  # 1 remessa, 2 retorno
    Field("generated_date", 144, 151, D),
    Field("generated_time", 152, 157, N),  # HHMMSS
    Field("sequence", 158, 163, N),  # NSA
    Field("layout_version", 164, 166, N, FILE_LAYOUT_VERSION),
    Field("density", 167, 171, N),
    Field("bank_reserved", 172, 191, A),
    Field("company_reserved", 192, 211, A),
    Field("cnab_3", 212, 240, A),
)

LOTE_HEADER = _record(
    "lote_header",
    *_control(1),
    Field("operation", 9, 9, A),  # R remessa, T retorno
    Field("service", 10, 11, N, 1),  # 01 cobrança
    Field("cnab_1", 12, 13, A),
    Field("layout_version", 14, 16, N, LOTE_LAYOUT_VERSION),
    Field("cnab_2", 17, 17, A),
    Field("company_kind", 18, 18, N),
    Field("company_tax_id", 19, 33, N),
    Field("agreement", 34, 53, A),
    Field("agency", 54, 58, N),
    Field("agency_digit", 59, 59, A),
    Field("account", 60, 71, N),
    Field("account_digit", 72, 72, A),
    Field("agency_account_digit", 73, 73, A),
    Field("company_name", 74, 103, A),
    Field("message_1", 104, 143, A),
    Field("message_2", 144, 183, A),
    Field("file_number", 184, 191, N),  # número remessa/retorno
    Field("recorded_date", 192, 199, D),
    Field("credit_date", 200, 207, D0),
    Field("cnab_3", 208, 240, A),
)

SEGMENT_P = _record(
    "segment_p",
    *_detail("P"),
    Field("agency", 18, 22, N),
    Field("agency_digit", 23, 23, A),
    Field("account", 24, 35, N),
    Field("account_digit", 36, 36, A),
    Field("agency_account_digit", 37, 37, A),
    Field("nosso_numero", 38, 57, A),
    Field("wallet", 58, 58, N, 1),  # carteira
    Field("registration", 59, 59, N, 1),  # forma de cadastramento: 1 com registro
    Field("document_kind", 60, 60, A, "1"),  # 1 tradicional
    Field("issuer", 61, 61, N, 2),  # 2 o beneficiário emite o boleto
    Field("distribution", 62, 62, A, "2"),  # 2 o beneficiário distribui
    Field("seu_numero", 63, 77, A),
    Field("due_date", 78, 85, D),
    Field("amount", 86, 100, N),
    Field("collecting_agency", 101, 105, N),
    Field("collecting_agency_digit", 106, 106, A),
    Field("title_kind", 107, 108, N),  # espécie
    Field("acceptance", 109, 109, A, "N"),  # aceite
    Field("issue_date", 110, 117, D),
    Field("interest_code", 118, 118, N),
    Field("interest_date", 119, 126, D0),
    Field("interest_value", 127, 141, N),
    Field("discount_code", 142, 142, N),
    Field("discount_date", 143, 150, D0),
    Field("discount_value", 151, 165, N),
    Field("iof_amount", 166, 180, N),
    Field("rebate_amount", 181, 195, N),  # abatimento
    Field("company_use", 196, 220, A),
    Field("protest_code", 221, 221, N),
    Field("protest_days", 222, 223, N),
    Field("writeoff_code", 224, 224, N),  # baixa/devolução
    Field("writeoff_days", 225, 227, N),
    Field("currency", 228, 229, N, 9),  # 09 real
    Field("contract", 230, 239, N),
    Field("cnab_2", 240, 240, A),
)

SEGMENT_Q = _record(
    "segment_q",
    *_detail("Q"),
    Field("payer_kind", 18, 18, N),
    Field("payer_tax_id", 19, 33, N),
    Field("payer_name", 34, 73, A),
    Field("payer_address", 74, 113, A),
    Field("payer_district", 114, 128, A),
    Field("payer_zip", 129, 133, N),
    Field("payer_zip_suffix", 134, 136, N),
    Field("payer_city", 137, 151, A),
    Field("payer_state", 152, 153, A),
    Field("guarantor_kind", 154, 154, N),  # sacador/avalista
    Field("guarantor_tax_id", 155, 169, N),
    Field("guarantor_name", 170, 209, A),
    Field("correspondent_bank", 210, 212, N),
    Field("correspondent_nosso_numero", 213, 232, A),
    Field("cnab_2", 233, 240, A),
)

SEGMENT_R = _record(
    "segment_r",
    *_detail("R"),
    Field("discount2_code", 18, 18, N),
    Field("discount2_date", 19, 26, D0),
    Field("discount2_value", 27, 41, N),
    Field("discount3_code", 42, 42, N),
    Field("discount3_date", 43, 50, D0),
    Field("discount3_value", 51, 65, N),
    Field("fine_code", 66, 66, N),  # multa
    Field("fine_date", 67, 74, D0),
    Field("fine_value", 75, 89, N),
    Field("payer_info", 90, 99, A),
    Field("message_3", 100, 139, A),
    Field("message_4", 140, 179, A),
    Field("cnab_2", 180, 199, A),
    Field("payer_occurrence", 200, 207, N),
    Field("debit_bank", 208, 210, N),
    Field("debit_agency", 211, 215, N),
    Field("debit_agency_digit", 216, 216, A),
    Field("debit_account", 217, 228, N),
    Field("debit_account_digit", 229, 229, A),
    Field("debit_agency_account_digit", 230, 230, A),
    Field("debit_notice", 231, 231, N),
    Field("cnab_3", 232, 240, A),
)

SEGMENT_T = _record(
    "segment_t",
    *_detail("T"),
    Field("agency", 18, 22, N),
    Field("agency_digit", 23, 23, A),
    Field("account", 24, 35, N),
    Field("account_digit", 36, 36, A),
    Field("agency_account_digit", 37, 37, A),
    Field("nosso_numero", 38, 57, A),
    Field("wallet", 58, 58, N, 1),
    Field("seu_numero", 59, 73, A),
    Field("due_date", 74, 81, D0),
    Field("face_amount", 82, 96, N),
    Field("bank", 97, 99, N),  # banco cobrador/recebedor
    Field("collecting_agency", 100, 104, N),
    Field("collecting_agency_digit", 105, 105, A),
    Field("company_use", 106, 130, A),
    Field("currency", 131, 132, N, 9),
    Field("payer_kind", 133, 133, N),
    Field("payer_tax_id", 134, 148, N),
    Field("payer_name", 149, 188, A),
    Field("contract", 189, 198, N),
    Field("fee_amount", 199, 213, N),  # tarifa/custas
    Field("motives", 214, 223, A),  # 5 x 2
    Field("cnab_2", 224, 240, A),
)

SEGMENT_U = _record(
    "segment_u",
    *_detail("U"),
    Field("interest_amount", 18, 32, N),  # juros/multa/encargos
    Field("discount_amount", 33, 47, N),
    Field("rebate_amount", 48, 62, N),
    Field("iof_amount", 63, 77, N),
    Field("paid_amount", 78, 92, N),
    Field("net_amount", 93, 107, N),
    Field("other_expenses", 108, 122, N),
    Field("other_credits", 123, 137, N),
    Field("occurrence_date", 138, 145, D),
    Field("credit_date", 146, 153, D0),
    Field("payer_occurrence_code", 154, 157, A),
    Field("payer_occurrence_date", 158, 165, D0),
    Field("payer_occurrence_amount", 166, 180, N),
    Field("payer_occurrence_text", 181, 210, A),
    Field("correspondent_bank", 211, 213, N),
    Field("correspondent_nosso_numero", 214, 233, A),
    Field("cnab_2", 234, 240, A),
)

LOTE_TRAILER = _record(
    "lote_trailer",
    *_control(5),
    Field("cnab_1", 9, 17, A),
    Field("record_count", 18, 23, N),  # records of types 1, 3 and 5 in the lote
    Field("simple_count", 24, 29, N),  # cobrança simples: títulos and total
    Field("simple_total", 30, 46, N),
    Field("linked_count", 47, 52, N),  # vinculada
    Field("linked_total", 53, 69, N),
    Field("secured_count", 70, 75, N),  # caucionada
    Field("secured_total", 76, 92, N),
    Field("discounted_count", 93, 98, N),  # descontada
    Field("discounted_total", 99, 115, N),
    Field("notice_number", 116, 123, A),
    Field("cnab_2", 124, 240, A),
)

FILE_TRAILER = _record(
    "file_trailer",
    *_control(9),
    Field("cnab_1", 9, 17, A),
    Field("lote_count", 18, 23, N),
    Field("record_count", 24, 29, N),  # every record of the file, headers and trailers included
    Field("account_count", 30, 35, N),
    Field("cnab_2", 36, 240, A),
)

SEGMENTS: dict[str, Record] = {
    "P": SEGMENT_P,
    "Q": SEGMENT_Q,
    "R": SEGMENT_R,
    "T": SEGMENT_T,
    "U": SEGMENT_U,
}
RECORDS: tuple[Record, ...] = (
    FILE_HEADER,
    LOTE_HEADER,
    *SEGMENTS.values(),
    LOTE_TRAILER,
    FILE_TRAILER,
)
