"""The row locks of Pix, in one place (SELECT ... FOR UPDATE inside the caller's transaction).

Lock order, so two services never wait on each other in opposite orders:

    account rows and holds (apps.accounts.services: holds_lock, account_lock_available)
      before any Pix row of a cautionary block (MED);
    a Pix transfer before the rows hanging off it (its infraction reports, refunds, blocks):
      the transfer row is "the case's lock" the MED and refund services all take first;
    a claim before its key.

Batch workers that share a queue (scheduled Pix, expiring charges, stale keys) claim rows
with `select_for_update(skip_locked=True)` in their own loops: those are queue claims, not
locks that wait, and stay next to their queries.
"""

from __future__ import annotations

from django.db import connection

from apps.pix.models import (
    CautionaryBlock,
    InfractionReport,
    PixClaim,
    PixKey,
    PixTransfer,
    PixWebhook,
)


def transfer_for_update(pk: int) -> PixTransfer:
    return PixTransfer.objects.select_for_update().get(pk=pk)


def infraction_case_for_update(report: InfractionReport) -> tuple[InfractionReport, PixTransfer]:
    """Lock a report's Pix, then the report: the Pix row is the case's lock, so the two rows
    of an internal Pix's report are never taken in opposite orders."""
    transfer = transfer_for_update(report.transfer_id)
    locked = InfractionReport.objects.select_for_update().get(pk=report.pk)
    locked.transfer = transfer
    return locked, transfer


def block_for_update(pk: int) -> CautionaryBlock:
    return CautionaryBlock.objects.select_for_update().get(pk=pk)


def key_for_update(pk: int, *, with_account: bool = False) -> PixKey:
    """A Pix key's row (and its account's, when `with_account`: the join is locked too)."""
    rows = PixKey.objects.select_for_update()
    if with_account:
        rows = rows.select_related("account")
    return rows.get(pk=pk)


def claim_for_update(pk: int) -> PixClaim:
    """A claim's row and its key's (joined, so both are locked: claim first)."""
    return PixClaim.objects.select_for_update().select_related("pix_key").get(pk=pk)


def webhook_for_update(pk: int) -> PixWebhook:
    return PixWebhook.objects.select_for_update().get(pk=pk)


def account_keys_lock(account_id: int) -> None:
    """Serialize key registrations of one account (the slot count), without touching the
    account row the ledger locks for every debit (a transaction-scoped advisory lock)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"pix-keys:{account_id}"]
        )
