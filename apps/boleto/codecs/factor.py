"""The due-date factor (fator de vencimento) of a bank boleto's barcode, with the 2025 reset.

* The factor counts days from the base date 1997-10-07. FEBRABAN's "Manual Operacional do
  Fator de Vencimento" (v01, 2012; instituted by BCB Carta-Circular 2.926 of 2000-07-25) has
  1000 = 2000-07-03, 1001 = 2000-07-04, 5316 = 2012-04-27 and 9999 = 2025-02-21, the limit.
* On 2025-02-22 the factor starts again at 1000 and rises one a day:
  factor = 1000 + (d - 2025-02-22).days % 9000 for d >= 2025-02-22, so 2049-10-13 is 9999
  and 2049-10-14 wraps to 1000 again (pagarme/node-boleto's Bradesco spec expects 2025-02-23
  -> 1001, 2027-11-18 -> 1999, 2027-11-19 -> 2000, 2049-10-13 -> 9999).
* Factor 0000: the boleto carries no due date.

Reading a factor is ambiguous after the reset: 1001 is 2000-07-04, 2025-02-23, 2049-10-15...
(the readings are 9000 days apart). The market rule picks the reading that falls in the
window [today - 3000 days, today + 5500 days]; the window is 8500 days wide, shorter than a
cycle, so at most one reading falls in it and the rule "if several, the nearest to today"
never has to break a tie (checked at import below). A factor with no reading in the window
is refused. Source: the shared reference boleto-ted-loans.md 1.3, which takes the window
from a Java interpreter of barcodes citing forum.casadodesenvolvedor.com.br topic 49188;
FEBRABAN's own wording of the window was not found (unverified), which is why the bounds are
named constants here.
"""

from __future__ import annotations

from datetime import date

BASE = date(1997, 10, 7)
RESET = date(2025, 2, 22)  # factor 1000 of the second cycle
FIRST = date(2000, 7, 3)  # factor 1000 of the first cycle: the earliest date one can code
CYCLE = 9000  # factors 1000..9999
WINDOW_PAST_DAYS = 3000
WINDOW_FUTURE_DAYS = 5500

# The window is shorter than a cycle, so at most one reading of a factor falls in it and
# no tie between readings can arise (nearest-today would otherwise break it).
if WINDOW_PAST_DAYS + WINDOW_FUTURE_DAYS >= CYCLE:
    raise RuntimeError("the factor window must be shorter than a cycle")
_BASE_ORDINAL = BASE.toordinal()
_RESET_ORDINAL = RESET.toordinal()
_FIRST_ORDINAL = FIRST.toordinal()


def factor_for(due: date) -> int:
    """The factor (1000..9999) printed for a due date; ValueError before 2000-07-03."""
    ordinal = due.toordinal()
    if ordinal < _FIRST_ORDINAL:
        raise ValueError(f"no due-date factor for {due.isoformat()}: the earliest is 2000-07-03")
    if ordinal < _RESET_ORDINAL:
        return ordinal - _BASE_ORDINAL
    return 1000 + (ordinal - _RESET_ORDINAL) % CYCLE


def date_for(factor: int, *, today: date) -> date | None:
    """The due date a factor stands for, read in the window around `today`.

    0 -> None (no due date). ValueError for a factor outside 0..9999 or one whose every
    reading falls outside [today - 3000 days, today + 5500 days].
    """
    if factor == 0:
        return None
    if not 0 < factor <= 9999:
        raise ValueError(f"due-date factor must be 0..9999, got {factor}")
    today_ordinal = today.toordinal()
    low = today_ordinal - WINDOW_PAST_DAYS
    high = today_ordinal + WINDOW_FUTURE_DAYS
    # Reading k of factor f is BASE + f + 9000k: k = 0 is the first cycle (1997 base),
    # k >= 1 the cycles since the reset (RESET - BASE = 10000 days). Factors under 1000 only
    # ever meant first-cycle dates (before 2000-07-03, never issued under the rule).
    reading = _BASE_ORDINAL + factor
    if factor >= 1000 and reading < low:  # move to the first cycle since the reset in reach
        reading += -((reading - low) // CYCLE) * CYCLE
    if not low <= reading <= high:
        raise ValueError(
            f"due-date factor {factor} names no date between {WINDOW_PAST_DAYS} days before"
            f" and {WINDOW_FUTURE_DAYS} days after {today.isoformat()}"
        )
    return date.fromordinal(reading)
