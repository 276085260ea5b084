"""The ledger console: customers, payment accounts, journal entries with their postings,
holds, reversal requests (four eyes above R$ 10.000,00), reconciliation reports and alerts.

Rules of this console:

* Money is never edited here. Balances, holds, entries and postings are read-only for
  everyone, superusers included; money moves only through the services. A mistake is
  corrected by a reversing entry, requested from the entry list ("Request reversal").
* Every state change is an admin action that asks for a reason on an intermediate page,
  goes through `apply_transition` or a service, is logged with `log_change` (so it lands in
  the audit trail) and shows in the object's history tab.
* CPF/CNPJ is shown masked (as BACEN's DICT does), in full only to users holding
  `accounts.view_full_tax_id`, and is never editable. The column is encrypted at rest:
  exact search goes through its keyed hash (`tax_id_hash`).
* Nothing is added or deleted through the add and delete pages: customers sign up (and get
  their first account when onboarding completes), further accounts are opened by the
  customer's "Open a payment account" action and closed by the account's "Close" (both
  through the services, with a reason), ledger rows are immutable, requests come from the
  entry action, runs from the button.
* Saves never rewrite a row whole where the ledger moves money: an account's `balance` and
  `held` change under its row lock, so transitions lock the row first and edits write only
  the fields that changed.

One module per model group: customers.py, accounts.py, ledger.py (entries and postings),
holds.py (holds and reversal requests), reconciliation.py (runs and alerts).
"""

from . import accounts, customers, holds, ledger, reconciliation  # noqa: F401  (registration)
