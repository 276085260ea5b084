"""The Pix console: keys and claims, transfers, refunds, charges, webhooks, the MED queue,
night limits. (The DICT and SPI simulators' tables have their console in apps.simulators.)

* Everything here is read-only: rows change through the services, from admin actions (most
  ask for a reason, recorded in history, the transition log and the audit trail).
  Keys: "Delete from the DICT". Claims against our keys: "Give the key up" (the holder
  asked us to) and "Refuse / cancel (fraud)". Our own claims: "Withdraw", and "Sync with
  the DICT now" for any selection. Transfers: "Send to the SPI again" (SENT ones) and
  "Cancel scheduled". MED queue (compliance officers): acknowledge, close agreed / close
  disagreed, release a cautionary block.
* The MED queue lists what waits for a decision (open reports, active blocks), oldest first.
* CPF and CNPJ are masked (as elsewhere in the console) for staff without
  `accounts.view_full_tax_id`: keys, counterparties, debtors, and the tax ids inside the
  ISO 20022 messages, in lists, forms and history. Other keys are shown whole (they are
  what the customer gave to be paid with). Lists mask the counterparty for everyone.
* Webhook secrets (encrypted at rest) are never shown, to anyone.
"""

# Each sub-package registers its models' admins; importing them here is what Django's admin
# autodiscovery (apps.pix.admin) runs.
from apps.pix.charges import admin as charges_admin  # noqa: F401
from apps.pix.keys import admin as keys_admin  # noqa: F401
from apps.pix.med import admin as med_admin  # noqa: F401
from apps.pix.transfers import admin as transfers_admin  # noqa: F401
