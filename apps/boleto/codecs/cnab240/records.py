"""What a CNAB 240 cobrança file carries, as immutable values: money in centavos, dates as dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

FileKind = Literal["remittance", "return"]


@dataclass(frozen=True, slots=True)
class FileHeader:
    """Record 0, and the company data the lote header repeats."""

    bank_code: str  # COMPE, 3 digits
    company_tax_id: str  # CPF (11 digits) or CNPJ (14 digits)
    company_name: str
    agreement: str  # convênio
    agency: str
    account: str
    file_kind: FileKind
    generated_at: datetime  # naive, Brasília wall clock, second precision
    sequence: int  # NSA
    bank_name: str = ""
    agency_digit: str = ""
    account_digit: str = ""


@dataclass(frozen=True, slots=True)
class Title:
    """One título of a remittance: segments P (title), Q (payer) and R (fine)."""

    nosso_numero: str  # up to 20 digits
    seu_numero: str
    due_date: date
    amount_cents: int
    issue_date: date
    interest_code: int  # 1 R$ per day, 2 % per month, 3 exempt
    interest_date: date | None
    interest_value: int  # centavos per day, or hundredths of a percent per month
    discount_code: int  # 0 none, 1 fixed value until the date, 2 percent until the date
    discount_date: date | None
    discount_value: int
    rebate_cents: int  # abatimento
    payer_kind: int  # 1 CPF, 2 CNPJ
    payer_tax_id: str
    payer_name: str
    payer_address: str
    payer_district: str
    payer_zip: str  # CEP, 8 digits
    payer_city: str
    payer_state: str  # UF
    fine_code: int  # 0 none, 1 fixed value, 2 percent
    fine_date: date | None
    fine_value: int
    movement: int = 1  # 01 entrada de título, 02 pedido de baixa, ... (REMITTANCE_MOVEMENTS)
    wallet: int = 1  # carteira
    title_kind: int = 99  # espécie: 99 outros, 02 duplicata mercantil
    iof_cents: int = 0
    company_use: str = ""  # uso da empresa, echoed in the return (T 106-130)
    protest_code: int = 3  # 3 não protestar
    protest_days: int = 0
    writeoff_code: int = 1  # 1 baixar/devolver
    writeoff_days: int = 60
    guarantor_kind: int = 0  # sacador/avalista: 0 none, 1 CPF, 2 CNPJ
    guarantor_tax_id: str = ""
    guarantor_name: str = ""


@dataclass(frozen=True, slots=True)
class Remittance:
    header: FileHeader
    titles: tuple[Title, ...]


@dataclass(frozen=True, slots=True)
class ReturnItem:
    """One título in a return file: segment T and its segment U."""

    nosso_numero: str
    seu_numero: str
    movement: str  # two digits, RETURN_OCCURRENCES
    due_date: date | None
    face_value: int  # centavos
    bank_code: str  # banco cobrador/recebedor
    collecting_agency: str
    fee_cents: int  # tarifa/custas
    motives: tuple[str, ...]  # up to 5 two-character codes, "00" and blanks left out
    payer_tax_id: str  # "" when the bank does not say
    payer_name: str
    interest_cents: int
    discount_cents: int
    rebate_cents: int
    iof_cents: int
    paid_cents: int
    net_cents: int
    other_expenses: int
    other_credits: int
    occurrence_date: date
    credit_date: date | None
    company_use: str = ""
    line_t: int = 0  # 1-based line numbers, set by the parser
    line_u: int = 0


@dataclass(frozen=True, slots=True)
class ReturnFile:
    header: FileHeader
    items: tuple[ReturnItem, ...]
    line_count: int
