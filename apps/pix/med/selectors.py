"""Reads of MED (infraction reports and cautionary blocks) for the services and the APIs."""

from __future__ import annotations

import re

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from apps.accounts.models import Account
from apps.core.errors import NotFound
from apps.pix.models import CautionaryBlock, InfractionReport, PixTransfer

QUEUE_LIMIT = 100
_MAX_PK = 2**63 - 1  # a larger id in a URL would overflow bigint in the query: 404 instead
_END_TO_END_RE = re.compile(r"\A[A-Za-z0-9]{1,32}\Z")

OPEN_STATES = (InfractionReport.State.OPEN, InfractionReport.State.ACKNOWLEDGED)


def _valid_pk(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _MAX_PK


def is_end_to_end_id(value: object) -> bool:
    """Cheap shape check before a query: NUL bytes or megabytes never reach the database."""
    return isinstance(value, str) and _END_TO_END_RE.match(value) is not None


def receiving_account_id(transfer: PixTransfer) -> int | None:
    """The account of ours that received the Pix: the transfer's own for an inbound Pix, the
    payee's for an internal one (an internal Pix has one row, the payer's); None when the
    money left Athena."""
    if transfer.direction == PixTransfer.Direction.IN:
        return transfer.account_id
    if not transfer.internal:
        return None
    payee = Account.objects.filter(
        kind=Account.Kind.CUSTOMER, number=transfer.counterparty_account_number
    )
    if transfer.counterparty_branch:
        payee = payee.filter(branch=transfer.counterparty_branch)
    return payee.values_list("pk", flat=True).first()


def receiving_account(transfer: PixTransfer) -> Account | None:
    if transfer.direction == PixTransfer.Direction.IN:
        return transfer.account
    account_id = receiving_account_id(transfer)
    return Account.objects.select_related("customer").filter(pk=account_id).first()


def sent_transfer_of_user(*, user, end_to_end_id: str) -> PixTransfer:
    """A Pix the caller sent, or 404: a Pix of someone else does not exist for them."""
    transfer = None
    if is_end_to_end_id(end_to_end_id):
        transfer = PixTransfer.objects.filter(
            end_to_end_id=end_to_end_id,
            direction=PixTransfer.Direction.OUT,
            account__customer__user=user,
        ).first()
    if transfer is None:
        raise NotFound(_("Pix transfer not found."))
    return transfer


def received_transfer(*, end_to_end_id: str) -> PixTransfer:
    """A Pix one of our customers received (inbound, or internal), for compliance."""
    transfer = None
    if is_end_to_end_id(end_to_end_id):
        transfer = PixTransfer.objects.filter(end_to_end_id=end_to_end_id).first()
    if transfer is None or receiving_account_id(transfer) is None:
        raise NotFound(_("No Pix received by an Athena customer has this endToEndId."))
    return transfer


def reports_of_user(*, user) -> QuerySet[InfractionReport]:
    """The reports the caller opened about Pix they sent, newest first."""
    return (
        InfractionReport.objects.filter(
            role=InfractionReport.Role.REPORTER, transfer__account__customer__user=user
        )
        .select_related("transfer")
        .order_by("-created_at", "-pk")
    )


def report_of_user(*, user, report_id: int) -> InfractionReport:
    report = (
        reports_of_user(user=user).filter(pk=report_id).first() if _valid_pk(report_id) else None
    )
    if report is None:
        raise NotFound(_("Infraction report not found."))
    return report


def report_for_analysis(*, report_id: int) -> InfractionReport:
    """A report against one of our customers (role REPORTED): what compliance analyses."""
    report = None
    if _valid_pk(report_id):
        report = InfractionReport.objects.filter(
            pk=report_id, role=InfractionReport.Role.REPORTED
        ).first()
    if report is None:
        raise NotFound(_("Infraction report not found."))
    return report


def block_by_id(*, block_id: int) -> CautionaryBlock:
    block = CautionaryBlock.objects.filter(pk=block_id).first() if _valid_pk(block_id) else None
    if block is None:
        raise NotFound(_("Cautionary block not found."))
    return block


def _blocks_for_display() -> QuerySet[CautionaryBlock]:
    return CautionaryBlock.objects.select_related("transfer", "hold__account__customer").order_by(
        "pk"
    )


def report_with_blocks(report: InfractionReport) -> InfractionReport:
    """A report as compliance sees it: its Pix, account, refund and blocks in few queries."""
    return (
        InfractionReport.objects.select_related("transfer__account__customer", "refund")
        .prefetch_related(Prefetch("cautionary_blocks", queryset=_blocks_for_display()))
        .get(pk=report.pk)
    )


def queue_reports(*, limit: int = QUEUE_LIMIT) -> list[InfractionReport]:
    """Open reports against our customers, oldest first: the MED deadlines run from them."""
    return list(
        InfractionReport.objects.filter(role=InfractionReport.Role.REPORTED, state__in=OPEN_STATES)
        .select_related("transfer", "transfer__account__customer", "refund")
        .prefetch_related(Prefetch("cautionary_blocks", queryset=_blocks_for_display()))
        .order_by("created_at", "pk")[:limit]
    )


def queue_blocks(*, limit: int = QUEUE_LIMIT) -> list[CautionaryBlock]:
    """Active blocks, oldest first: their 72 h run out in that order."""
    return list(
        CautionaryBlock.objects.filter(state=CautionaryBlock.State.ACTIVE)
        .select_related("transfer", "hold__account__customer")
        .order_by("created_at", "pk")[:limit]
    )
