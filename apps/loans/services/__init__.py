"""Every write of loans, one module per use case:

applications.py  apply (validate, score, decide, price), cancel, expire offers, the LGPD
                 review's reopening and an analyst's decision
contracts.py     contract the CCB and disburse through the ledger
collections.py   collections on due dates (partial when short), payments, prepayments
                 and payoff with the discount of future interest
risk.py          days past due, provisions by level (CMN Res. 2.682), default
"""

from .applications import (
    applicant_of,
    loan_apply,
    loan_cancel,
    loan_decide_by_person,
    loan_of_customer,
    loan_reopen_for_review,
    loans_expire_offers,
)
from .collections import (
    charges_due,
    loan_collect,
    loan_pay_installment,
    loan_payoff,
    loan_prepay,
    loans_to_collect,
    payoff_charges,
)
from .contracts import loan_contract
from .risk import loan_refresh_risk, loans_to_refresh

__all__ = [
    "applicant_of",
    "charges_due",
    "loan_apply",
    "loan_cancel",
    "loan_collect",
    "loan_contract",
    "loan_decide_by_person",
    "loan_of_customer",
    "loan_pay_installment",
    "loan_payoff",
    "loan_prepay",
    "loan_refresh_risk",
    "loan_reopen_for_review",
    "loans_expire_offers",
    "loans_to_collect",
    "loans_to_refresh",
    "payoff_charges",
]
