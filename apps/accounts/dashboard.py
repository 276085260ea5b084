"""Reads behind the portal dashboard and the book transfer pages.

Plain data for templates: the customer's accounts with their balances, their latest
movements across those accounts, the payee of a transfer (with the name masked as Brazilian
banks show it before a payment) and the receipt of a confirmed portal transfer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from apps.core.models import IdempotencyRecord

from . import selectors
from .ledger_lines import LedgerLine, kind_label, render_lines
from .models import Account, Customer, JournalEntry, Posting

RECENT_MOVEMENTS = 10

# A confirmed portal transfer is recorded as an `IdempotencyRecord` under this scope (one
# per user) and key (one per confirmation token): see views._transfer_execute.
TRANSFER_SCOPE = "portal:user:{user_id}"
TRANSFER_KEY = "transfer:{token}"

# Words that are not a surname: "Maria da Silva" is shown as "Maria S***", not "Maria d***".
_NAME_PARTICLES = {"da", "das", "de", "do", "dos", "e", "di", "du", "van", "von"}


@dataclass(frozen=True, slots=True)
class Movement:
    """One posting on one of the customer's accounts, as the dashboard lists it."""

    id: int
    created_at: datetime
    kind: str
    label: str  # rendered in the reader's language (ledger_lines)
    note: str  # the customer's own words on the movement, or ""
    amount: int  # centavos, signed: positive is money in
    account_id: int
    account_branch: str
    account_number: str

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)


def dashboard_accounts(*, user) -> list[Account]:
    """The user's payment accounts, oldest first, annotated for `total_balance`."""
    return list(selectors.accounts_of_user(user=user))


def recent_movements(*, user, limit: int = RECENT_MOVEMENTS) -> list[Movement]:
    """The latest postings on any of the user's accounts, newest first.

    Ordered by posting id, as statements are: ids follow commit order closely enough for a
    dashboard, and `posting_account_id_idx` (account, -id) serves the query per account.
    """
    account_ids = list(
        Account.objects.filter(kind=Account.Kind.CUSTOMER, customer__user=user).values_list(
            "pk", flat=True
        )
    )
    if not account_ids:
        return []
    postings = (
        Posting.objects.filter(account_id__in=account_ids)
        .select_related("entry", "account")
        .only(
            "id",
            "amount",
            "kind",
            "created_at",
            "account_id",
            "entry__metadata",
            "entry__reference_type",
            "entry__reference_id",
            "account__branch",
            "account__number",
            "account__state",  # FSM models read their state when built: deferred, a query each
        )
        .order_by("-id")[:limit]
    )
    postings = list(postings)
    rendered = render_lines(
        LedgerLine(
            kind=posting.kind,
            amount=posting.amount,
            metadata=posting.entry.metadata or {},
            reference_type=posting.entry.reference_type,
            reference_id=posting.entry.reference_id,
        )
        for posting in postings
    )
    return [
        Movement(
            id=posting.pk,
            created_at=posting.created_at,
            kind=posting.kind,
            label=shown.text,
            note=shown.note,
            amount=posting.amount,
            account_id=posting.account_id,
            account_branch=posting.account.branch,
            account_number=posting.account.number or "",
        )
        for posting, shown in zip(postings, rendered, strict=True)
    ]


def customer_account_by_number(*, branch: str, number: str) -> Account | None:
    """A customer payment account by branch and number (any owner), or None."""
    return (
        Account.objects.filter(kind=Account.Kind.CUSTOMER, branch=branch, number=number)
        .select_related("customer")
        .first()
    )


def mask_person_name(full_name: str) -> str:
    """The first name and the surname's initial ("Maria Souza Santos" -> "Maria S***"):
    enough for the payer to recognise the payee without handing out a full name."""
    words = full_name.split()
    if not words:
        return "***"
    first, rest = words[0], [w for w in words[1:] if w.lower() not in _NAME_PARTICLES]
    if not rest:
        return first
    return f"{first} {rest[-1][0].upper()}***"


def payee_display_name(account: Account) -> str:
    """How the payer sees the payee: a person's name masked, a company's legal name whole
    (a company's name is public in the CNPJ registry, and payers need it to be sure)."""
    customer = account.customer
    if customer.kind == Customer.Kind.COMPANY:
        return customer.full_name
    return mask_person_name(customer.full_name)


@dataclass(frozen=True, slots=True)
class TransferReceipt:
    entry_id: int
    created_at: datetime | None
    amount: int
    description: str
    payee: str
    source_branch: str
    source_number: str
    destination_branch: str
    destination_number: str


def transfer_receipt(*, user, token: str) -> TransferReceipt | None:
    """The receipt of the user's portal transfer confirmed with `token`, or None."""
    record = IdempotencyRecord.objects.filter(
        scope=TRANSFER_SCOPE.format(user_id=user.pk), key=TRANSFER_KEY.format(token=token)
    ).first()
    if record is None or not isinstance(record.response_body, dict):
        return None
    body = record.response_body
    entry = JournalEntry.objects.filter(pk=body["entry_id"]).only("created_at").first()
    return TransferReceipt(
        entry_id=body["entry_id"],
        created_at=entry.created_at if entry else None,
        amount=body["amount"],
        description=body.get("description", ""),
        payee=body["payee"],
        source_branch=body["source_branch"],
        source_number=body["source_number"],
        destination_branch=body["destination_branch"],
        destination_number=body["destination_number"],
    )
