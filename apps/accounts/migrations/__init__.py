# The internal ledger accounts that stand for the outside world (code, name). Kept here so
# the data migration and `services.ensure_internal_accounts` share one list.
INTERNAL_ACCOUNTS = [
    ("reserves_bacen", "Reserves at BACEN (Pix and TED settlement)"),
    ("boleto_clearing", "Boleto clearing (COMPE/CIP)"),
    ("card_settlement", "Card network settlement"),
    ("fee_revenue", "Fee revenue"),
    ("interest_revenue", "Interest revenue"),
    ("loans_receivable", "Loans receivable"),
    ("iof_payable", "IOF payable"),
    ("suspense", "Suspense"),
    # Loans: the allowance for loan losses (a contra-asset, CMN Res. 2.682) and its expense.
    ("loan_loss_provision", "Allowance for loan losses"),
    ("provision_expense", "Loan loss provision expense"),
]
