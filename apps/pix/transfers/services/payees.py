"""Who a Pix is paid to: resolving the payee of a key (DICT look-up), a typed-in account or a
BR Code (static, or a dynamic code's charge payload fetched from its location), screening it
against the sanctions lists, and the preview shown before the customer confirms."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Account, Customer
from apps.core.documents import mask_tax_id, normalize_tax_id
from apps.core.errors import DomainError, ValidationFailed
from apps.core.money import AmountError, format_brl, parse_amount
from apps.pix import participants
from apps.pix.adapters import dict_client
from apps.pix.adapters.dict import LEGAL_PERSON, NATURAL_PERSON, mask_owner_name
from apps.pix.charges import payloads as charge_payloads
from apps.pix.codecs import e2e
from apps.pix.codecs.brcode import BRCodeError
from apps.pix.codecs.brcode import decode as decode_brcode
from apps.pix.codecs.iso20022 import (
    Party,
)
from apps.pix.codecs.keys import parse_any_key
from apps.pix.models import PixTransfer
from apps.pix.transfers.errors import (
    PayeeOnSanctionsList,
    PixAccountNotFound,
    PixChargeNotPayable,
    PixForeignLocation,
    PixNotParticipant,
)

logger = logging.getLogger(__name__)
Initiation = PixTransfer.Initiation

ACCOUNT_TYPE = "TRAN"  # our accounts are payment accounts (as in the DICT)


_SPI_TX_ID = re.compile(r"\A[a-zA-Z0-9]{1,35}\Z")


@dataclass(frozen=True)
class PayeePreview:
    """Who a Pix would go to, for the confirmation step (nothing moves).

    `name` is the payee's full name (what the pacs.008 and our records keep); show people
    `masked_name`: a natural person's first name and the initials of the other names,
    particles (da, de, dos...) left out ("Maria da Silva Oliveira" -> "Maria S. O."), as
    the DICT lets payers see it; a company's name in full. `masked_tax_id` hides a CPF's
    first three and last two digits (***.456.789-**); a CNPJ is shown whole, as banks do
    for companies. `amount_cents` is the code's amount (None without one, or the amount
    typed when the code has none); `amount_editable` says whether the payer may change it.
    """

    name: str
    masked_name: str
    masked_tax_id: str
    ispb: str
    bank_name: str
    branch: str
    account_number: str
    account_type: str
    key: str | None
    amount_cents: int | None
    amount_editable: bool
    txid: str | None
    description: str | None
    initiation: str


@dataclass(frozen=True)
class _Payee:
    creditor: Party  # as the pacs.008 carries it: no name; a key unless MANU
    name: str
    initiation: str
    tx_id: str | None = None
    code_amount_cents: int | None = None
    amount_editable: bool = True
    code_description: str | None = None


def _own_account(*, branch: str | None, number: str) -> Account | None:
    queryset = Account.objects.filter(kind=Account.Kind.CUSTOMER, number=number)
    if branch:
        queryset = queryset.filter(branch=branch)
    return queryset.select_related("customer").first()


def _requester(account: Account):
    from apps.pix.keys.services import requester_of

    return requester_of(account.customer)


def _payee_by_key(account: Account, key: str, end_to_end_id: str) -> tuple[Party, str]:
    """The DICT look-up; `end_to_end_id` is the id the payment will carry (PI-EndToEndId,
    required by the DICT: it ties the payment order to the look-up for the anti-scan
    buckets)."""
    entry = dict_client().get_entry(
        key=key, requester=_requester(account), end_to_end_id=end_to_end_id
    )
    party = Party(
        tax_id=normalize_tax_id(entry.owner.tax_id),
        ispb=entry.account.participant,
        branch=entry.account.branch or None,
        account_number=entry.account.account_number,
        account_type=entry.account.account_type,
        pix_key=entry.key,
    )
    return party, entry.owner.name


def _canonical_key(key: str) -> str:
    """A key as a QR code or payload writes it, in the DICT's form when it parses."""
    try:
        return parse_any_key(key)[1]
    except DomainError:
        return key


def _check_amount(amount_cents: object) -> int:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValidationFailed(_("Amount must be greater than zero."), field="amount")
    return amount_cents


def _check_sender(account: Account) -> Customer:
    if account.kind != Account.Kind.CUSTOMER or account.customer_id is None:
        raise ValidationFailed(_("Pix is sent from customer accounts."), field="account")
    return account.customer


def _brcode_problem(error: BRCodeError) -> DomainError:
    return DomainError(error.message, code=f"brcode_{error.rule}", field="brcode")


def _payee_from_creditor(creditor: Party) -> _Payee:
    if not isinstance(creditor, Party):
        raise ValidationFailed(_("The payee's account is not valid."), field="creditor")
    found = participants.by_ispb(creditor.ispb)
    if found is None or not found.in_pix:
        raise PixNotParticipant(
            _("ISPB %(ispb)s is not a Pix participant.") % {"ispb": creditor.ispb},
            field="ispb",
            value=creditor.ispb,
        )
    name = (creditor.name or "").strip()
    if creditor.ispb == settings.ATHENA_ISPB:
        own = _own_account(branch=creditor.branch, number=creditor.account_number)
        # Typed-in data must name the holder too: a mismatch is no account of ours.
        if own is None or normalize_tax_id(own.customer.tax_id) != normalize_tax_id(
            creditor.tax_id
        ):
            raise PixAccountNotFound(_("No Athena account matches the payee's data."))
        name = own.customer.full_name
    party = replace(creditor, name=None, pix_key=None, tax_id=normalize_tax_id(creditor.tax_id))
    return _Payee(creditor=party, name=name, initiation=Initiation.MANU)


def _location_host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()


def _charge_payload(url: str, now: datetime) -> dict:
    """The charge payload behind a dynamic code. Only our own locations can be fetched
    here: fetching another PSP's needs its mTLS-served URL, out of reach of this system."""
    own = getattr(settings, "PIX_LOCATION_HOST", "")
    if own and _location_host(url) != _location_host(own):
        raise PixForeignLocation(
            _("Dynamic codes of other PSPs cannot be fetched from this environment."),
            field="brcode",
        )
    payload = charge_payloads.payload_for_location(url, now=now)
    if not isinstance(payload, dict):
        raise PixChargeNotPayable(_("The charge behind this code cannot be read."), field="brcode")
    return payload


def _payload_amount(payload: dict) -> tuple[int | None, bool]:
    value = payload.get("valor") or {}
    if not isinstance(value, dict):
        raise PixChargeNotPayable(
            _("The charge behind this code has an invalid amount."), field="brcode"
        )
    raw = value.get("final") if "final" in value else value.get("original")
    if raw is None:
        return None, True
    try:
        cents = parse_amount(str(raw), strict=True, allow_zero=True)
    except AmountError:
        raise PixChargeNotPayable(
            _("The charge behind this code has an invalid amount."), field="brcode"
        ) from None
    editable = str(value.get("modalidadeAlteracao", 0)) == "1"
    return (cents or None), (editable or not cents)


def _payee_from_brcode(
    account: Account, text: str, now: datetime, end_to_end_id: str
) -> tuple[_Payee, bool]:
    """The payee of a BR Code, and whether the code is dynamic."""
    if not isinstance(text, str):
        raise ValidationFailed(_("The BR Code must be text."), field="brcode")
    try:
        code = decode_brcode(text, strict_limits=False)
    except BRCodeError as error:
        raise _brcode_problem(error) from None
    if code.type == "static":
        party, name = _payee_by_key(account, _canonical_key(code.key), end_to_end_id)
        # The SPI's TxId is [a-zA-Z0-9]{1,35}; a static code's reference label may hold
        # more ("RP12345678-2019" in BACEN's manual): such a Pix goes without TxId.
        tx_id = code.txid if code.txid and _SPI_TX_ID.match(code.txid) else None
        amount = code.amount_cents or None
        return (
            _Payee(
                creditor=party,
                name=name,
                initiation=Initiation.QRES,
                tx_id=tx_id,
                code_amount_cents=amount,
                amount_editable=amount is None,
                code_description=code.description,
            ),
            False,
        )
    payload = _charge_payload(code.url, now)
    if payload.get("status") != "ATIVA":
        raise PixChargeNotPayable(
            _("This charge can no longer be paid (%(status)s).")
            % {"status": payload.get("status") or "?"},
            field="brcode",
        )
    key, txid = payload.get("chave"), payload.get("txid")
    if not isinstance(key, str) or not isinstance(txid, str) or not _SPI_TX_ID.match(txid):
        raise PixChargeNotPayable(_("The charge behind this code is incomplete."), field="brcode")
    amount, editable = _payload_amount(payload)
    party, name = _payee_by_key(account, _canonical_key(key), end_to_end_id)
    description = payload.get("solicitacaoPagador")
    return (
        _Payee(
            creditor=party,
            name=name,
            initiation=Initiation.QRDN,
            tx_id=txid,
            code_amount_cents=amount,
            amount_editable=editable,
            code_description=description if isinstance(description, str) else None,
        ),
        True,
    )


def _resolve(
    account: Account,
    *,
    key: str | None,
    creditor: Party | None,
    brcode: str | None,
    end_to_end_id: str,
    now: datetime | None = None,
) -> tuple[_Payee, bool]:
    given = [value is not None for value in (key, creditor, brcode)]
    if sum(given) != 1:
        raise ValidationFailed(
            _("Give exactly one of: a Pix key, a BR Code, or the payee's account."), field="key"
        )
    if key is not None:
        if not isinstance(key, str) or not key.strip():
            raise ValidationFailed(_("The Pix key is required."), field="key")
        party, name = _payee_by_key(account, key, end_to_end_id)
        return _Payee(creditor=party, name=name, initiation=Initiation.DICT), False
    if creditor is not None:
        return _payee_from_creditor(creditor), False
    return _payee_from_brcode(account, brcode, now or timezone.now(), end_to_end_id)


def _amount_for(payee: _Payee, amount_cents: int | None) -> int:
    code_amount = payee.code_amount_cents
    if code_amount is not None and not payee.amount_editable:
        if amount_cents is not None and amount_cents != code_amount:
            raise ValidationFailed(
                _("This code is for %(amount)s; the amount cannot be changed.")
                % {"amount": format_brl(code_amount)},
                field="amount",
            )
        return code_amount
    if amount_cents is None:
        if code_amount is not None:
            return code_amount
        raise ValidationFailed(_("Type the amount to send."), field="amount")
    return _check_amount(amount_cents)


def _shown_tax_id(tax_id: str) -> str:
    digits = normalize_tax_id(tax_id)
    if len(digits) == 14:
        return f"{digits[:2]}.{digits[2:5]}.{digits[5:8]}/{digits[8:12]}-{digits[12:]}"
    return mask_tax_id(digits)


def _owner_type(tax_id: str) -> str:
    return NATURAL_PERSON if len(normalize_tax_id(tax_id)) == 11 else LEGAL_PERSON


def _screen_payee(payee: _Payee, *, record: bool) -> None:
    """Screen the payee against the sanctions lists (apps.compliance) before money moves:
    a preview records every screening, a send those with hits (see
    compliance.payee_blocking_lists)."""
    from apps.compliance import services as screening

    lists = screening.payee_blocking_lists(
        name=payee.name or "", tax_id=payee.creditor.tax_id or "", context="pix", record=record
    )
    if lists:
        logger.warning("pix refused by screening", extra={"lists": sorted(lists)})
        raise PayeeOnSanctionsList(
            _(
                "This payee cannot receive a Pix from Athena Pay: the payment was stopped by "
                "compliance screening. If you believe this is a mistake, contact us."
            ),
            field="key",
        )


def payee_preview(
    *,
    account: Account,
    key: str | None = None,
    brcode: str | None = None,
    creditor: Party | None = None,
    amount_cents: int | None = None,
) -> PayeePreview:
    """Who a Pix with this input would pay, and how much (never moves money).

    A key (or a code's key) is looked up in the DICT, which spends the payer's anti-scan
    tokens as any look-up does. A typed amount is checked against a fixed code amount."""
    _check_sender(account)
    payee, _dynamic = _resolve(
        account,
        key=key,
        creditor=creditor,
        brcode=brcode,
        end_to_end_id=e2e.new_end_to_end_id(settings.ATHENA_ISPB),  # the payment's, if made
    )
    if amount_cents is not None:
        _amount_for(payee, _check_amount(amount_cents))
    _screen_payee(payee, record=True)
    party = payee.creditor
    return PayeePreview(
        name=payee.name,
        masked_name=mask_owner_name(_owner_type(party.tax_id), payee.name),
        masked_tax_id=_shown_tax_id(party.tax_id),
        ispb=party.ispb,
        bank_name=participants.name_of(party.ispb),
        branch=party.branch or "",
        account_number=party.account_number,
        account_type=str(party.account_type),
        key=party.pix_key,
        amount_cents=(
            payee.code_amount_cents if payee.code_amount_cents is not None else amount_cents
        ),
        amount_editable=payee.amount_editable,
        txid=payee.tx_id,
        description=payee.code_description,
        initiation=str(payee.initiation),
    )


def _actor_id(actor) -> int | None:
    return getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None


def _internal_payee(creditor: Party, payer: Account) -> Account:
    payee = _own_account(branch=creditor.branch, number=creditor.account_number)
    if payee is None:
        raise PixAccountNotFound(_("No Athena account matches the creditor."))
    if payee.pk == payer.pk:
        raise ValidationFailed(_("A Pix cannot go to the same account."), field="key")
    return payee


def _counterparty_fields(payee: _Payee) -> dict:
    party = payee.creditor
    return {
        "internal": party.ispb == settings.ATHENA_ISPB,
        "counterparty_name": payee.name[:140],
        "counterparty_tax_id": party.tax_id,
        "counterparty_ispb": party.ispb,
        "counterparty_branch": party.branch or "",
        "counterparty_account_number": party.account_number,
        "counterparty_account_type": str(party.account_type),
        "counterparty_key": party.pix_key or "",
    }


def _creditor_of(transfer: PixTransfer) -> Party:
    return Party(
        tax_id=transfer.counterparty_tax_id,
        ispb=transfer.counterparty_ispb,
        branch=transfer.counterparty_branch or None,
        account_number=transfer.counterparty_account_number,
        account_type=transfer.counterparty_account_type or "CACC",
        pix_key=(
            (transfer.counterparty_key or None) if transfer.initiation != Initiation.MANU else None
        ),
    )
