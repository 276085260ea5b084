"""What a charge with a due date asks for on a given day: a pure function.

Shared by the Pix `cobv` and the boleto (a hybrid boleto is both, and must ask the same on
every rail): FEBRABAN's boleto terms and BACEN's cobv terms (multa, juros, abatimento,
desconto) are the same modalities, written here in the API Pix's JSON shape. Free of
Django. Amounts are integer centavos; a `valorPerc` of the API ("15.00") is read as
an integer of hundredths (1500): centavos for the value modalities, hundredths of a percent
for the percentage ones. Each component is computed exactly (fractions) and rounded once,
half-up, to the centavo.

Calendar (API Pix, `CobDataDeVencimento`, examples A-G; Manual de Padrões para Iniciação do
Pix): a business day is Monday-Friday outside Brazil's national holidays (the `holidays`
library's BR calendar, category "public"). State and municipal holidays are not modelled:
the payer's `codMun` is not known when a Pix is received.

* adjusted due date = the due date, moved to the next business day when it is not one;
* last payable date = adjusted due date + `validadeAposVencimento` calendar days, moved to
  the next business day when it is not one (examples A, E and G);
* multa, juros, desconto and the validity all count from the adjusted due date, as the
  standard says ("todos os campos que façam referência a esta data devem assumir essa
  prorrogação").

Components (Vo original, Va abatimento, Dα days late, n the rate's period):

* abatimento (always): fixed Va, or Vo x p/100.
* desconto (paying on or before the adjusted due date), on (Vo - Va):
    1/2  fixed value / percentage of the first `descontoDataFixa` tier whose date (moved to
         the next business day when it is not one) is on or after the payment date;
    3/5  value / percentage per calendar day of anticipation (adjusted due - payment date);
    4/6  value / percentage per business day of anticipation (business days after the
         payment date up to the adjusted due date).
* Dα (paying after the adjusted due date): calendar days after it, or business days after
  it up to the payment date when juros uses a business-day modality (5-8). A payment on a
  Saturday after a Friday due date is late by one calendar day, by no business day.
* multa (once, when Dα >= 1): fixed value, or (Vo - Va) x p/100.
* juros (Manual, equation 11: Vj = (Vo - Va) x (p/100)/n x Dα): modalities 1/5 a value per
  day; 2/6 percent per day (n = 1); 3 percent per month (n = 30); 4 percent per year
  (n = 365); 7 percent per month (n = 21 business days); 8 percent per year (n = 252).
* final = Vo - Va - desconto + multa + juros.

Deductions never take the final value below one centavo (a Pix moves money): the discount is
capped at Vo - Va - 0.01 (the API already refuses an abatimento or a discount tier that is
the whole original, but a per-day discount grows with the days of anticipation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, Protocol

import holidays

FINE_FIXED, FINE_PERCENT = 1, 2
REBATE_FIXED, REBATE_PERCENT = 1, 2
INTEREST_BUSINESS_DAYS = frozenset({5, 6, 7, 8})
INTEREST_VALUE = frozenset({1, 5})
# Days in the period a percentage rate is given for (juros modalities 2-4 and 6-8).
INTEREST_PERIOD_DAYS = {2: 1, 3: 30, 4: 365, 6: 1, 7: 21, 8: 252}
DISCOUNT_FIXED_DATES = frozenset({1, 2})
DISCOUNT_PERCENT = frozenset({2, 5, 6})
DISCOUNT_BUSINESS_DAYS = frozenset({4, 6})
HUNDRED_PERCENT = 10_000  # "100.00" read as hundredths


class Calendar(Protocol):
    def is_business_day(self, day: dt.date) -> bool: ...


@lru_cache(maxsize=256)
def _national_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("BR", years=year).keys())


class BrazilianCalendar:
    """Business days: Monday to Friday outside Brazil's national holidays."""

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in _national_holidays(day.year)


BRAZIL = BrazilianCalendar()


@lru_cache(maxsize=256)
def _b3_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.financial_holidays("BVMF", years=year).keys())


class B3Calendar:
    """Bank business days: Monday to Friday outside B3's (ANBIMA-based) holidays, which
    add Carnival and Corpus Christi to the national list. With `holidays` 0.109 (pinned) it
    also closes 12-24 and the last business day of the year, as B3 does: a boleto or a TED
    scheduled for those days moves to the next business day (tests/core/test_calendars)."""

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in _b3_holidays(day.year)


B3 = B3Calendar()


def next_business_day(day: dt.date, calendar: Calendar = BRAZIL) -> dt.date:
    """`day` itself when it is a business day, else the first business day after it."""
    while not calendar.is_business_day(day):
        day += dt.timedelta(days=1)
    return day


def business_days_after(start: dt.date, end: dt.date, calendar: Calendar = BRAZIL) -> int:
    """Business days d with start < d <= end (0 when end <= start)."""
    count = 0
    day = start + dt.timedelta(days=1)
    while day <= end:
        if calendar.is_business_day(day):
            count += 1
        day += dt.timedelta(days=1)
    return count


def adjusted_due_date(due: dt.date, calendar: Calendar = BRAZIL) -> dt.date:
    return next_business_day(due, calendar)


def last_payable_date(due: dt.date, valid_days: int, calendar: Calendar = BRAZIL) -> dt.date:
    """The last day a cobv can be paid (see the module's doc and the API's examples A-G)."""
    if valid_days < 0:
        raise ValueError("validadeAposVencimento cannot be negative")
    return next_business_day(
        adjusted_due_date(due, calendar) + dt.timedelta(days=valid_days), calendar
    )


def is_payable_on(due: dt.date, valid_days: int, day: dt.date, calendar: Calendar = BRAZIL) -> bool:
    return day <= last_payable_date(due, valid_days, calendar)


# --- Terms -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A multa, juros or abatimento: its modality and its value (hundredths)."""

    modality: int
    value: int


@dataclass(frozen=True)
class Discount:
    modality: int
    value: int = 0  # modalities 3-6
    tiers: tuple[tuple[dt.date, int], ...] = ()  # modalities 1-2: (date, value), by date


@dataclass(frozen=True)
class CobvTerms:
    original: int
    fine: Term | None = None
    interest: Term | None = None
    rebate: Term | None = None
    discount: Discount | None = None


@dataclass(frozen=True)
class AmountDue:
    """The breakdown of what a cobv asks for on one day (centavos)."""

    original: int
    abatimento: int
    desconto: int
    multa: int
    juros: int
    final: int
    days_late: int


def hundredths(text: str) -> int:
    """A `valorPerc` ("15.00", already validated) as an integer of hundredths (1500)."""
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def terms_from_json(original: int, value_terms: Mapping[str, Any]) -> CobvTerms:
    """Read the stored `valor` terms (BACEN's CobVValor shape, already validated)."""

    def term(name: str) -> Term | None:
        raw = value_terms.get(name)
        if not raw:
            return None
        return Term(modality=int(raw["modalidade"]), value=hundredths(raw["valorPerc"]))

    discount = None
    raw = value_terms.get("desconto")
    if raw:
        tiers = tuple(
            sorted(
                (dt.date.fromisoformat(item["data"]), hundredths(item["valorPerc"]))
                for item in raw.get("descontoDataFixa") or ()
            )
        )
        value = raw.get("valorPerc")
        discount = Discount(
            modality=int(raw["modalidade"]),
            value=hundredths(value) if value else 0,
            tiers=tiers,
        )
    return CobvTerms(
        original=original,
        fine=term("multa"),
        interest=term("juros"),
        rebate=term("abatimento"),
        discount=discount,
    )


# --- The amount due ----------------------------------------------------------------------


def round_half_up(value: Fraction) -> int:
    """Round a non-negative exact amount to the nearest centavo, halves up."""
    if value < 0:
        raise ValueError("amounts here are never negative")
    return int(value + Fraction(1, 2))


def _percent_of(base: int, hundredths: int) -> Fraction:
    return Fraction(base * hundredths, HUNDRED_PERCENT)


def _rebate(terms: CobvTerms) -> int:
    rebate = terms.rebate
    if rebate is None:
        return 0
    if rebate.modality == REBATE_PERCENT:
        amount = round_half_up(_percent_of(terms.original, rebate.value))
    else:
        amount = rebate.value
    return min(amount, max(terms.original - 1, 0))


def _discount(
    terms: CobvTerms, base: int, adjusted_due: dt.date, pay_date: dt.date, calendar: Calendar
) -> int:
    discount = terms.discount
    if discount is None or pay_date > adjusted_due:
        return 0
    percent = discount.modality in DISCOUNT_PERCENT
    if discount.modality in DISCOUNT_FIXED_DATES:
        value = next(
            (
                tier_value
                for tier_date, tier_value in discount.tiers
                if pay_date <= next_business_day(tier_date, calendar)
            ),
            None,
        )
        if value is None:
            return 0
        exact = _percent_of(base, value) if percent else Fraction(value)
    else:
        if discount.modality in DISCOUNT_BUSINESS_DAYS:
            days = business_days_after(pay_date, adjusted_due, calendar)
        else:
            days = (adjusted_due - pay_date).days
        exact = (_percent_of(base, discount.value) if percent else Fraction(discount.value)) * days
    return round_half_up(exact)


def _interest(terms: CobvTerms, base: int, days_late: int) -> int:
    interest = terms.interest
    if interest is None or days_late <= 0:
        return 0
    if interest.modality in INTEREST_VALUE:
        return interest.value * days_late
    period = INTEREST_PERIOD_DAYS[interest.modality]
    return round_half_up(_percent_of(base, interest.value) / period * days_late)


def _fine(terms: CobvTerms, base: int, days_late: int) -> int:
    fine = terms.fine
    if fine is None or days_late <= 0:
        return 0
    if fine.modality == FINE_PERCENT:
        return round_half_up(_percent_of(base, fine.value))
    return fine.value


def days_late(
    terms: CobvTerms, adjusted_due: dt.date, pay_date: dt.date, calendar: Calendar = BRAZIL
) -> int:
    """Dα: calendar days after the adjusted due date, or business days when juros counts
    business days."""
    if pay_date <= adjusted_due:
        return 0
    if terms.interest is not None and terms.interest.modality in INTEREST_BUSINESS_DAYS:
        return business_days_after(adjusted_due, pay_date, calendar)
    return (pay_date - adjusted_due).days


def amount_due(
    terms: CobvTerms, *, due: dt.date, pay_date: dt.date, calendar: Calendar = BRAZIL
) -> AmountDue:
    """What the cobv asks for when paid on `pay_date` (a date in Brasilia)."""
    original = terms.original
    adjusted = adjusted_due_date(due, calendar)
    rebate = _rebate(terms)
    base = original - rebate
    discount = min(_discount(terms, base, adjusted, pay_date, calendar), max(base - 1, 0))
    late = days_late(terms, adjusted, pay_date, calendar)
    fine = _fine(terms, base, late)
    interest = _interest(terms, base, late)
    return AmountDue(
        original=original,
        abatimento=rebate,
        desconto=discount,
        multa=fine,
        juros=interest,
        final=base - discount + fine + interest,
        days_late=late,
    )
