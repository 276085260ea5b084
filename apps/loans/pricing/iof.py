"""IOF on a loan (IOF-credito), from a dated table of rates.

The tax (Decree 6.306/2007, the IOF Regulation, art. 7) has two parts, both charged up front
and deducted from the amount released:

* a daily rate on each installment's amortization, for the calendar days from the release
  to that installment's due date, at most 365 days (art. 7, I, "a" and par. 1);
* an additional rate on the principal, whatever the term (art. 7, par. 15).

The sum is computed exactly and rounded HALF UP to centavos once, at the end.

Rates change by decree, so they live in a table of rows, each in force from a date; a loan
pays the row in force on its release date. Rates per borrower kind (percent):

| from       | natural person   | company          | Simples/MEI, loan up to R$ 30.000 |
|------------|------------------|------------------|-----------------------------------|
| 2022-01-01 | 0.0082 + 0.38    | 0.0041 + 0.38    | 0.00137 + 0.38                    |
| 2025-06-01 | 0.0082 + 0.38    | 0.0082 + 0.95    | 0.00274 + 0.95                    |
| 2025-06-11 | 0.0082 + 0.38    | 0.0082 + 0.38    | 0.00274 + 0.38                    |

Sources:
* 2022-01-01: Decree 6.306/2007 art. 7 as amended (natural persons 0.0082% a day since
  Decree 8.392/2015; the additional 0.38% since Decree 6.339/2008), in force again when the
  temporary rates of Decree 10.797/2021 ended on 2021-12-31 (the amending decrees are
  named from the regulation's history, not re-read for this table). Earlier release dates are
  refused: the table does not hold 2020's zero rates (Decree 10.305/2020 and successors)
  nor 2021's temporary ones.
* 2025-06-01: Decree 12.466 of 22/05/2025 (credit rates of companies from 01/06/2025):
  companies 0.0082% a day plus 0.95%; Simples Nacional up to R$ 30.000, 0.00274% plus
  0.95%. That decree kept 0.38% for MEIs, which this table does not tell apart from other
  Simples companies. [Check with tax counsel before quoting a loan of that window.]
* 2025-06-11: Decree 12.499 of 11/06/2025, which replaced 12.466: companies 0.0082% a day
  plus 0.38%; Simples Nacional and MEI up to R$ 30.000, 0.00274% a day. Congress suspended
  the decrees (Legislative Decree 176/2025); the STF (Justice Moraes, 16/07/2025, in the
  ADC/ADI on the decrees) restored Decree 12.499 with effect from 11/06/2025, except the
  "risco sacado" rules (which do not concern these loans).
Natural persons pay 0.0082% a day plus 0.38% throughout.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from .errors import PricingError
from .rounding import ZERO, exact, percent, round_half_up
from .schedule import Installment

MAX_TAXED_DAYS = 365  # the daily rate stops counting after a year (art. 7, par. 1)
SIMPLES_CEILING = Decimal("30000.00")  # "operacoes de valor igual ou inferior a R$ 30.000"


class Borrower(StrEnum):
    NATURAL_PERSON = "natural_person"
    COMPANY = "company"
    COMPANY_SIMPLES = "company_simples"  # Simples Nacional or MEI


@dataclass(frozen=True, slots=True)
class IofRates:
    daily: Decimal  # a fraction per day: 0.0082% -> 0.000082
    additional: Decimal  # a fraction of the principal: 0.38% -> 0.0038


@dataclass(frozen=True, slots=True)
class IofTableRow:
    effective_from: date
    natural_person: IofRates
    company: IofRates
    company_simples: IofRates  # Simples Nacional / MEI, loans up to SIMPLES_CEILING
    source: str


def _rates(daily: str, additional: str) -> IofRates:
    return IofRates(daily=percent(daily), additional=percent(additional))


IOF_TABLE: tuple[IofTableRow, ...] = (
    IofTableRow(
        effective_from=date(2022, 1, 1),
        natural_person=_rates("0.0082", "0.38"),
        company=_rates("0.0041", "0.38"),
        company_simples=_rates("0.00137", "0.38"),
        source="Decree 6.306/2007 art. 7 (after Decree 10.797/2021's temporary rates)",
    ),
    IofTableRow(
        effective_from=date(2025, 6, 1),
        natural_person=_rates("0.0082", "0.38"),
        company=_rates("0.0082", "0.95"),
        company_simples=_rates("0.00274", "0.95"),
        source="Decree 12.466/2025",
    ),
    IofTableRow(
        effective_from=date(2025, 6, 11),
        natural_person=_rates("0.0082", "0.38"),
        company=_rates("0.0082", "0.38"),
        company_simples=_rates("0.00274", "0.38"),
        source="Decree 12.499/2025 (restored by the STF from 11/06/2025)",
    ),
)
FIRST_RELEASE_DATE = IOF_TABLE[0].effective_from


def parse_borrower(value: Borrower | str) -> Borrower:
    try:
        return Borrower(value)
    except ValueError:
        raise PricingError("borrower", "unknown_borrower") from None


def table_row(release_date: date) -> IofTableRow:
    """The row in force on `release_date` (the latest row that began on or before it)."""
    in_force = [row for row in IOF_TABLE if row.effective_from <= release_date]
    if not in_force:
        raise PricingError(
            "release_date", "before_iof_table", earliest=FIRST_RELEASE_DATE.isoformat()
        )
    return max(in_force, key=lambda row: row.effective_from)


def iof_rates(*, release_date: date, borrower: Borrower | str, principal: Decimal) -> IofRates:
    """The rates a loan of `principal` released on `release_date` to `borrower` pays."""
    borrower = parse_borrower(borrower)
    row = table_row(release_date)
    if borrower is Borrower.NATURAL_PERSON:
        return row.natural_person
    if borrower is Borrower.COMPANY_SIMPLES and principal <= SIMPLES_CEILING:
        return row.company_simples
    return row.company  # a company, or a Simples company borrowing more than the ceiling


@exact
def loan_iof(
    *,
    principal: Decimal,
    release_date: date,
    installments: Iterable[Installment],
    borrower: Borrower | str = Borrower.NATURAL_PERSON,
) -> Decimal:
    """IOF of the loan: sum(amortization x daily x min(days, 365)) + principal x additional,
    exact, then HALF UP to centavos."""
    rates = iof_rates(release_date=release_date, borrower=borrower, principal=principal)
    daily_base = ZERO
    for installment in installments:
        days = (installment.due_date - release_date).days
        if days < 0:
            raise PricingError("first_due_date", "before_release")
        daily_base += installment.amortization * min(days, MAX_TAXED_DAYS)
    return round_half_up(daily_base * rates.daily + principal * rates.additional)
