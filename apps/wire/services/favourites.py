"""A customer's favourite TED destinations: save one (idempotent on the destination: saving
the same bank, branch and account again updates the nickname and the holder) and delete one.

The values are checked as a TED order checks them (apps.wire.services.send): the bank is in
the directory and on the STR, branch and account are digits, the holder's CPF/CNPJ is valid.
A favourite holds no money and sends nothing; the portal fills the TED form from it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import Customer
from apps.core.errors import ValidationFailed
from apps.wire.errors import WireNotFound
from apps.wire.models import AccountType, WireFavourite
from apps.wire.services.send import _holder, destination_bank  # one rule for names, documents

MAX_FAVOURITES = 200


def _digits(value: Any, *, field: str, max_length: int, label: str) -> str:
    text = "".join(str(value or "").split()).replace(".", "").replace("-", "")
    if not text.isdigit() or not 1 <= len(text) <= max_length or int(text) == 0:
        raise ValidationFailed(
            _("%(label)s must be up to %(n)s digits.") % {"label": label, "n": max_length},
            field=field,
        )
    return text


@transaction.atomic
def favourite_save(
    *,
    customer: Customer,
    nickname: str,
    bank_ispb: str,
    branch: str,
    account_number: str,
    account_type: str = AccountType.CHECKING,
    holder_name: str,
    holder_tax_id: str,
) -> WireFavourite:
    """Save a destination (or update the one already saved for the same bank, branch and
    account: the unique constraint `wire_favourite_once`)."""
    bank = destination_bank(bank_ispb)
    branch = _digits(branch, field="branch", max_length=4, label=_("The branch")).zfill(4)
    number = _digits(account_number, field="account_number", max_length=13, label=_("The account"))
    if account_type not in AccountType.values:
        raise ValidationFailed(_("Choose the account type."), field="account_type")
    name, document = _holder(holder_name, holder_tax_id)
    nickname = " ".join(str(nickname or "").split())[:60] or name[:60]
    if any(c in nickname for c in "<>&"):
        raise ValidationFailed(_("The nickname takes plain characters only."), field="nickname")
    existing = (
        WireFavourite.objects.select_for_update()
        .filter(customer=customer, bank_ispb=bank.ispb, branch=branch, account_number=number)
        .first()
    )
    if existing is None:
        if WireFavourite.objects.filter(customer=customer).count() >= MAX_FAVOURITES:
            raise ValidationFailed(
                _("You have %(n)s favourites: delete one to save another.") % {"n": MAX_FAVOURITES},
                field="nickname",
            )
        favourite, _created = WireFavourite.objects.get_or_create(
            customer=customer,
            bank_ispb=bank.ispb,
            branch=branch,
            account_number=number,
            defaults={
                "nickname": nickname,
                "account_type": account_type,
                "holder_name": name,
                "holder_tax_id": document,
            },
        )
        return favourite
    existing.nickname = nickname
    existing.account_type = account_type
    existing.holder_name = name
    existing.holder_tax_id = document
    existing.save(
        update_fields=["nickname", "account_type", "holder_name", "holder_tax_id", "updated_at"]
    )
    return existing


@transaction.atomic
def favourite_delete(*, customer: Customer, favourite_id: int) -> None:
    """Delete one of the customer's favourites (another customer's does not exist)."""
    deleted, _rows = WireFavourite.objects.filter(pk=favourite_id, customer=customer).delete()
    if not deleted:
        raise WireNotFound(_("Favourite not found."))
