"""Loan pricing, pure: Decimal only, no Django, no database.

    rounding.py      the Decimal context; HALF UP to centavos, HALF EVEN for the CET
    limits.py        what the calculators accept (every range, one place)
    dates.py         monthly due dates on the first due date's day (no drift)
    schedule.py      PRICE and SAC tables; the last installment absorbs the residue
    iof.py           IOF-credito from a dated table of rates (decrees cited there)
    cet.py           CET per CMN Res. 4.881 (Res. 3.517's formula), a Decimal solver
    late_charges.py  interest, fine and default interest of an overdue installment
    simulation.py    schedule + IOF + amount released + CET, in one call
    errors.py        PricingError: which input broke which rule (no translated text)

Rates are given in PERCENT ("2.5" is 2.5% a month); amounts are Decimals with centavos.
"""

from .errors import PricingError
from .iof import Borrower
from .late_charges import LateCharges, late_charges
from .schedule import AmortizationSystem, Installment, build_schedule
from .simulation import Simulation, simulate

__all__ = [
    "AmortizationSystem",
    "Borrower",
    "Installment",
    "LateCharges",
    "PricingError",
    "Simulation",
    "build_schedule",
    "late_charges",
    "simulate",
]
