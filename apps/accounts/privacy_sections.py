"""The accounts domain's part of a data subject's export and erasure (apps.privacy's
registry; registered from AccountsConfig.ready()): the customer profile, the payment
accounts and their postings. Money and the ledger are kept for AML (Lei 9.613 art. 10 and
Circular 3.978 art. 67): an erasure closes and anonymises, and retains the ledger rows."""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.core.money import cents_to_str

from . import services
from .models import Account, Customer, JournalEntry, Posting


def _iso(value):
    from apps.privacy.registry import iso

    return iso(value)


def export_customer(customer: Customer, account_ids: list[int]) -> dict:
    return {
        "id": customer.pk,
        "kind": customer.kind,
        "full_name": customer.full_name,
        "tax_id": customer.tax_id,
        "kyc_level": customer.kyc_level,
        "state": customer.state,
        "created_at": _iso(customer.created_at),
    }


def export_accounts(customer: Customer, account_ids: list[int]) -> list[dict]:
    accounts = Account.objects.with_balances().filter(pk__in=account_ids).order_by("pk")
    return [
        {
            "id": account.pk,
            "branch": account.branch,
            "number": account.number,
            "name": account.name,
            "state": account.state,
            "balance": cents_to_str(account.total_balance),
            "held": cents_to_str(account.held),
            "created_at": _iso(account.created_at),
        }
        for account in accounts
    ]


def export_postings(customer: Customer, account_ids: list[int]) -> list[dict]:
    from .ledger_lines import LedgerLine, render_lines
    from .statements import kind_label

    rows = list(
        Posting.objects.filter(account_id__in=account_ids)
        .select_related("entry")
        .order_by("account_id", "id")
    )
    # What the customer reads on the statement, in their language; the back office's own
    # text (an operator's reason, internal ids) stays in the back office. Without the
    # references: a line would name the other party, whose data is not this subject's
    # (each product's own section lists its payments).
    rendered = render_lines(
        LedgerLine(kind=posting.kind, amount=posting.amount, metadata=posting.entry.metadata or {})
        for posting in rows
    )
    return [
        {
            "id": posting.pk,
            "account_id": posting.account_id,
            "entry_id": posting.entry_id,
            "created_at": _iso(posting.created_at),
            "kind": posting.kind,
            "kind_label": str(kind_label(posting.kind)),
            "description": str(line),
            "amount": cents_to_str(posting.amount),
        }
        for posting, line in zip(rows, rendered, strict=True)
    ]


def erasure_blockers(customer: Customer, account_ids: list[int]) -> list[str]:
    reasons = []
    for account in Account.objects.with_balances().filter(pk__in=account_ids).order_by("pk"):
        if account.total_balance != 0 or account.held != 0:
            reasons.append(
                _(
                    "Account %(branch)s/%(number)s still has a balance or amounts on hold: "
                    "withdraw the money and close the account first."
                )
                % {"branch": account.branch, "number": account.number}
            )
    return reasons


def erase(ctx) -> None:
    """Close and anonymise the customer and its accounts; retain them and the ledger."""
    services.customer_anonymise(
        customer_id=ctx.customer.pk,
        anonymous_name=ctx.anonymous_name,
        actor=ctx.actor,
        reason="LGPD erasure",
    )
    ctx.customer.refresh_from_db()
    ids = ctx.account_ids
    postings = Posting.objects.filter(account_id__in=ids)
    ctx.retain(Customer, [ctx.customer.pk], key="customer")
    ctx.retain(Account, ids, key="accounts")
    ctx.retain(Posting, postings.values_list("pk", flat=True), key="postings")
    ctx.retain(
        JournalEntry,
        postings.values_list("entry_id", flat=True).distinct(),
        key="journal_entries",
    )
    return None


def register() -> None:
    from apps.privacy.registry import register_section

    register_section("customer", export=export_customer, erase=erase, order=10)
    register_section("accounts", export=export_accounts, blockers=erasure_blockers, order=20)
    register_section("postings", export=export_postings, order=30)
