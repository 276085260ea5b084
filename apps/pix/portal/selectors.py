"""Reads behind the customer portal's Pix pages: plain data for templates.

Every read is scoped to the signed-in user: another customer's Pix, key or refund does not
exist for them (NotFound, a 404), exactly as in the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from apps.accounts import selectors as account_selectors
from apps.accounts.models import Account
from apps.core.documents import mask_tax_id, normalize_tax_id
from apps.core.errors import DomainError, NotFound
from apps.core.models import IdempotencyRecord
from apps.pix import participants
from apps.pix.adapters.dict import LEGAL_PERSON, NATURAL_PERSON, mask_owner_name
from apps.pix.charges.brcode_api import DEFAULT_MERCHANT_CITY
from apps.pix.codecs.brcode import encode_static
from apps.pix.codecs.keys import infer_key_type, mask_key
from apps.pix.models import PixKey, PixRefund, PixTransfer
from apps.pix.transfers.selectors import refundable_cents, refunded_total

RECENT_PIX = 5

# A Pix confirmed in the portal is recorded as an `IdempotencyRecord` under the user's
# portal scope (the one the book transfer uses) and this key, one per confirmation token.
PIX_SEND_SCOPE = "portal:user:{user_id}"
PIX_SEND_KEY = "pix:{token}"


def pix_send_record_key(*, user, token: str) -> tuple[str, str]:
    return PIX_SEND_SCOPE.format(user_id=user.pk), PIX_SEND_KEY.format(token=token)


def _accounts_of(user) -> QuerySet[Account]:
    return Account.objects.filter(kind=Account.Kind.CUSTOMER, customer__user=user)


def transfers_of_user(*, user) -> QuerySet[PixTransfer]:
    """The user's Pix, newest first: every Pix of their accounts (sent, received, scheduled)
    and the settled Pix other Athena customers sent them. An internal Pix is one row, the
    payer's (transfers.pix_send), which names the payee's account (payee_account)."""
    accounts = _accounts_of(user)
    received_internally = Q(
        direction=PixTransfer.Direction.OUT,
        internal=True,
        state=PixTransfer.State.SETTLED,
        payee_account__in=accounts.values("pk"),
    )
    return (
        PixTransfer.objects.filter(Q(account__in=accounts.values("pk")) | received_internally)
        .select_related("account__customer")
        .defer("pacs008", "pacs002")
        .order_by("-created_at", "-pk")
    )


def recent_transfers(*, user, limit: int = RECENT_PIX) -> list[PixTransfer]:
    return list(transfers_of_user(user=user)[:limit])


def transfer_of_user(*, user, transfer_id: int) -> PixTransfer:
    transfer = transfers_of_user(user=user).filter(pk=transfer_id).first()
    if transfer is None:
        raise NotFound(_("Pix not found."))
    return transfer


def sent_transfer_by_token(*, user, token: str) -> PixTransfer | None:
    """The Pix the user confirmed in the portal with `token`, as it is now, or None."""
    scope, key = pix_send_record_key(user=user, token=token)
    record = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
    if record is None or not isinstance(record.response_body, dict):
        return None
    transfer_id = record.response_body.get("transfer_id")
    return transfers_of_user(user=user).filter(pk=transfer_id).first()


def _owner_type(tax_id: str) -> str:
    return NATURAL_PERSON if len(normalize_tax_id(tax_id)) == 11 else LEGAL_PERSON


@dataclass(frozen=True, slots=True)
class Counterparty:
    """The other side of a Pix as the customer may see it: a person's name and document
    masked as banks show them; a company's legal name whole."""

    name: str
    masked_tax_id: str
    bank_name: str
    masked_key: str


def counterparty_of(transfer: PixTransfer, *, received_internally: bool = False) -> Counterparty:
    """The other side of `transfer`; for an internal Pix seen by its payee, the payer."""
    if received_internally:
        payer = transfer.account.customer
        tax_id = payer.tax_id if payer else ""
        return Counterparty(
            name=mask_owner_name(_owner_type(tax_id), payer.full_name if payer else "") or "—",
            masked_tax_id=mask_tax_id(tax_id) if tax_id else "",
            bank_name=participants.name_of(settings.ATHENA_ISPB),
            masked_key="",
        )
    tax_id = transfer.counterparty_tax_id or ""
    key = transfer.counterparty_key or ""
    masked_key = ""
    if key:
        try:
            masked_key = mask_key(infer_key_type(key), key)
        except DomainError:  # a key we cannot type is shown fully masked
            masked_key = "***"
    return Counterparty(
        name=mask_owner_name(_owner_type(tax_id), transfer.counterparty_name) or "—",
        masked_tax_id=mask_tax_id(tax_id) if tax_id else "",
        bank_name=participants.name_of(transfer.counterparty_ispb),
        masked_key=masked_key,
    )


@dataclass(frozen=True, slots=True)
class RefundSummary:
    """What was refunded of a received Pix and what may still be (refunds the SPI refused
    gave their money back, so they do not count)."""

    refunds: list[PixRefund]
    refunded_cents: int
    left_cents: int


def refund_summary(*, transfer: PixTransfer) -> RefundSummary:
    """`left_cents` is the refund service's own figure: a reversal of the credit counts."""
    refunds = list(transfer.refunds.order_by("-created_at", "-pk"))
    return RefundSummary(
        refunds=refunds,
        refunded_cents=refunded_total(transfer),
        left_cents=refundable_cents(transfer),
    )


def can_refund(transfer: PixTransfer) -> bool:
    """Whether the portal offers the refund form (the service has the last word: 90 days)."""
    return (
        transfer.direction == PixTransfer.Direction.IN
        and transfer.state == PixTransfer.State.SETTLED
    )


def active_keys_of_user(*, user) -> QuerySet[PixKey]:
    """Keys a BR Code can be made for: the user's ACTIVE keys, oldest first."""
    return (
        PixKey.objects.filter(customer__user=user, state=PixKey.State.ACTIVE)
        .select_related("account", "customer")
        .order_by("pk")
    )


def pending_code_keys(*, keys) -> list[PixKey]:
    return [k for k in keys if k.state == PixKey.State.PENDING_OWNERSHIP]


def account_of_user_or_first(*, user, account_id: str | int | None) -> Account | None:
    """The user's account named by `account_id` (a query-string value), else their first
    account; None when they have none. A foreign or malformed id is a 404."""
    accounts = account_selectors.accounts_of_user(user=user)
    if account_id in (None, ""):
        return accounts.first()
    try:
        pk = int(account_id)
    except (TypeError, ValueError):
        raise NotFound(_("Account not found.")) from None
    return account_selectors.account_of_user(user=user, account_id=pk)


@dataclass(frozen=True, slots=True)
class PixRow:
    """One Pix as the portal lists it, from the point of view of the signed-in customer."""

    transfer: PixTransfer
    counterparty: Counterparty
    mine: bool  # sent from or received on one of the customer's accounts (not internally)

    @property
    def incoming(self) -> bool:
        return not self.mine or self.transfer.direction == PixTransfer.Direction.IN

    @property
    def can_cancel(self) -> bool:
        return self.mine and self.transfer.state == PixTransfer.State.SCHEDULED

    @property
    def can_refund(self) -> bool:
        if self.mine:
            return can_refund(self.transfer)
        # An internal Pix seen by its payee is a Pix they received.
        return self.transfer.internal and self.transfer.state == PixTransfer.State.SETTLED


def pix_rows(transfers, *, user) -> list[PixRow]:
    own = set(_accounts_of(user).values_list("pk", flat=True))
    rows = []
    for transfer in transfers:
        mine = transfer.account_id in own
        rows.append(
            PixRow(
                transfer=transfer,
                counterparty=counterparty_of(transfer, received_internally=not mine),
                mine=mine,
            )
        )
    return rows


def static_code(*, pix_key: PixKey, amount_cents: int | None, description: str) -> str:
    """The static BR Code ("Pix Copia e Cola") for one of the customer's keys, built as the
    API builds it (brcode_api): the customer's name, the institution's city. Raises
    BRCodeError when the amount or description does not fit."""
    return encode_static(
        key=pix_key.key,
        merchant_name=pix_key.customer.full_name,
        merchant_city=getattr(settings, "PIX_MERCHANT_CITY", DEFAULT_MERCHANT_CITY),
        amount_cents=amount_cents,
        description=description or None,
    )
