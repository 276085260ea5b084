"""Pix transfers: sending (pix_send + pix_submit), scheduling, previewing the payee, and
receiving (pix_receive, pix_receive_and_answer).

How the payer names the payee (exactly one; it sets the pacs.008's LocalInstrument):

    key        looked up in the DICT                                       DICT
    creditor   agency/account/ISPB typed in (an iso20022.Party)            MANU
    brcode     static code: its key, amount (fixed when present), txid     QRES
               dynamic code: the charge payload fetched from its location  QRDN
               (`apps.pix.charges.payload_for_location`): key, amount, txid

Outbound, to another PSP::

    pix_send: resolve the payee; in one transaction: limits, debit the payer to the
              reserves account (kind "pix_out"), pacs.008 built, state SENT
    pix_submit: hand the pacs.008 to the SPI; ACSC -> SETTLED; RJCT -> the money goes back
              (kind "pix_return") and REJECTED; no answer (SpiTimeout) -> stays SENT;
              RJCT DUPL (a resend of a message whose answer was lost) -> the SPI's status
              query decides: settled, rejected, or still unknown (stays SENT)

The debit is committed (or at least posted) before the SPI is asked, so the money the SPI
moves at BACEN has always left the payer's account first.

Internal (the payee is an Athena customer): one entry, payer to payee (kind "pix_internal"),
straight to SETTLED; the SPI never sees it (AG12). Paying one of our customers' charges
(a QR code's txid naming an active PixCharge) concludes the charge in the same transaction.

Scheduled (`scheduled_for`, a Brasilia date from tomorrow up to 12 months ahead): stored
SCHEDULED with the payee as resolved today, no money moved and no endToEndId yet (the id
carries the minute the Pix is really sent). `pix_run_scheduled` (beat, every minute) sends
the day's transfers from 06:00: the key is looked up again, limits are checked on the day,
and a refusal (funds, limits, payee gone) turns the transfer FAILED and tells the customer
(outbox topic "pix.scheduled_failed"). The SPI sees them with service level PAGAGD.

Inbound: `pix_receive(pacs.008)` credits our customer from the reserves account (kind
"pix_in"), once per endToEndId however often the message is delivered;
`pix_receive_and_answer` wraps it into the pacs.002 we answer the SPI with.
"""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts import limits
from apps.accounts.ledger import AccountUnavailable, Leg, post_entry
from apps.accounts.limits import BRASILIA
from apps.accounts.models import Account, Customer
from apps.accounts.services import internal_account_id
from apps.core.documents import mask_tax_id, normalize_tax_id
from apps.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from apps.core.fsm import apply_transition
from apps.core.money import AmountError, format_brl, parse_amount
from apps.core.outbox import publish
from apps.core.transactions import keep_despite_rollback, now_or_after_commit
from apps.pix import charges, e2e, participants
from apps.pix.adapters import dict_client
from apps.pix.adapters.dict import LEGAL_PERSON, NATURAL_PERSON, RateLimited, mask_owner_name
from apps.pix.adapters.spi import SpiError, final_status, lenient_id, spi_client
from apps.pix.brcode import BRCodeError
from apps.pix.brcode import decode as decode_brcode
from apps.pix.charges import charge_payment_received
from apps.pix.iso20022 import (
    SPI_ISPB,
    CreditTransfer,
    Iso20022Error,
    LocalInstrument,
    Party,
    PaymentStatus,
    Priority,
    ServiceLevel,
    TxStatus,
    build_pacs002,
    build_pacs008,
    parse_pacs008,
)
from apps.pix.keys import parse_any_key
from apps.pix.models import PixCharge, PixKey, PixTransfer

logger = logging.getLogger(__name__)

ACCOUNT_TYPE = "TRAN"  # our accounts are payment accounts (as in the DICT)
RESERVES = "reserves_bacen"
SCHEDULE_RUNS_FROM = time(6, 0)  # scheduled Pix go out from 06:00 Brasilia, after the night
SCHEDULE_MAX_MONTHS = 12
_SPI_TX_ID = re.compile(r"\A[a-zA-Z0-9]{1,35}\Z")
Initiation = PixTransfer.Initiation


class PixAccountNotFound(DomainError):
    """The creditor account of a Pix is not ours (the SPI gets RJCT AC03)."""

    code = "pix_account_not_found"
    title = "Unknown creditor account"
    spi_reason = "AC03"


class PixAccountBlocked(DomainError):
    """The creditor account is blocked for credits (RJCT AC06)."""

    code = "pix_account_blocked"
    title = "Creditor account blocked"
    spi_reason = "AC06"


class PixAccountClosed(DomainError):
    """The creditor account is closed (RJCT AC07, the catalogue's code for it)."""

    code = "pix_account_closed"
    title = "Creditor account closed"
    spi_reason = "AC07"


class PixChargeAmountMismatch(DomainError):
    """A Pix naming an active charge with a fixed amount pays another amount (RJCT AM09)."""

    code = "pix_charge_amount_mismatch"
    title = "Amount differs from the charge's"
    spi_reason = "AM09"


class PixChargeNotPayable(DomainError):
    code = "pix_charge_not_payable"
    title = "Charge cannot be paid"


class PixNotParticipant(DomainError):
    code = "pix_not_a_participant"
    title = "Institution does not take part in Pix"


class PixForeignLocation(DomainError):
    code = "pix_dynamic_code_foreign"
    title = "Dynamic code of another institution"


class PixPayeeChanged(DomainError):
    code = "pix_payee_changed"
    title = "Payee changed"


class PixNotScheduled(Conflict):
    code = "pix_not_scheduled"
    title = "Pix is not scheduled"


# --- the payee ----------------------------------------------------------------------------


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


def _text(xml: bytes | str) -> str:
    return xml.decode() if isinstance(xml, bytes) else xml


def _own_account(*, branch: str | None, number: str) -> Account | None:
    queryset = Account.objects.filter(kind=Account.Kind.CUSTOMER, number=number)
    if branch:
        queryset = queryset.filter(branch=branch)
    return queryset.select_related("customer").first()


def _requester(account: Account):
    from apps.pix.services import requester_of

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
    payload = charges.payload_for_location(url, now=now)
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


class PayeeOnSanctionsList(DomainError):
    """The payee matches a sanctions list or our internal watchlist: no Pix to them."""

    code = "pix_payee_screening_hit"
    title = "Payee held by compliance screening"


#: Lists whose hit refuses a payment. A PEP is not barred from receiving money (BCB
#: Circular 3.978 asks for enhanced diligence, not refusal): PEP hits are only recorded.
BLOCKING_LISTS = frozenset({"ofac", "un", "internal"})


def _screen_payee(payee: _Payee, *, record: bool) -> None:
    """Screen the payee against the sanctions lists (apps.compliance) before money moves.

    The preview records every screening. A send records those with hits (the compliance
    queue must see a stopped Pix, and a PEP payee); a refused send's own transaction rolls
    back, so the record is kept apart from it (keep_despite_rollback)."""
    from apps.compliance import services as screening

    name = (payee.name or "").strip()
    if not name:
        return
    found = screening.screen_counterparty_unrecorded(
        name=name, tax_id=payee.creditor.tax_id or "", context="pix"
    )
    if record:
        screening.record_counterparty(found)
    elif found.matches:
        keep_despite_rollback(lambda: screening.record_counterparty(found))
    lists = {match.list for match in found.matches} & BLOCKING_LISTS
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


# --- sending ------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _check_schedule_date(scheduled_for: object, now: datetime) -> date:
    if not isinstance(scheduled_for, date) or isinstance(scheduled_for, datetime):
        raise ValidationFailed(_("The date must be a calendar day."), field="scheduled_for")
    today = now.astimezone(BRASILIA).date()
    last = _add_months(today, SCHEDULE_MAX_MONTHS)
    if not today < scheduled_for <= last:
        raise ValidationFailed(
            _("A Pix can be scheduled from tomorrow up to %(last)s.")
            % {"last": last.strftime("%d/%m/%Y")},
            field="scheduled_for",
            value=scheduled_for.isoformat(),
        )
    return scheduled_for


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


def _charge_amount_due(charge: PixCharge, at: datetime) -> int | None:
    """What an ATIVA charge asks of a payment at `at`: None when it cannot be paid then
    (expired), 0 when any amount will do (a cob with modalidadeAlteracao 1)."""
    if not charges.is_payable_at(charge, at):
        return None
    if charge.kind == PixCharge.Kind.COB:
        return 0 if charge.amount_editable else charge.amount
    return charges.cobv_amount_due(charge, charges.brasilia_date(at)).final


def _pay_internal_charge(
    transfer: PixTransfer, payee_account: Account, *, by, now: datetime
) -> PixCharge | None:
    """An internal Pix naming one of the payee's charges by txid concludes it.

    `charges.charge_payment_received` does this for inbound Pix only (it checks the
    direction); an internal Pix is a single OUT record, so the link is made here, with the
    same rules. A static code's txid (at most 25 characters) never names a charge (26-35)."""
    if not transfer.tx_id:
        return None
    charge = (
        PixCharge.objects.select_for_update(of=("self",))
        .filter(customer_id=payee_account.customer_id, txid=transfer.tx_id)
        .first()
    )
    if charge is None:
        return None
    due = _charge_amount_due(charge, now) if charge.status == PixCharge.Status.ATIVA else None
    if due is None:
        raise PixChargeNotPayable(
            _("This charge can no longer be paid."), field="brcode", value=charge.status
        )
    if due and transfer.amount != due:
        raise PixChargeAmountMismatch(
            _("This charge is for %(amount)s.") % {"amount": format_brl(due)}, field="amount"
        )
    transfer.charge = charge
    apply_transition(charge, "conclude", by=by, reason=transfer.end_to_end_id or "")
    return charge


def _move_money(
    transfer: PixTransfer,
    *,
    customer: Customer,
    payee_account: Account | None,
    actor,
    by,
    now: datetime,
    scheduled: bool = False,
) -> None:
    """Debit the payer: to the payee (internal, SETTLED) or to the reserves account with
    the pacs.008 built (SENT). Runs inside the caller's transaction."""
    account = transfer.account
    amount = transfer.amount
    metadata = {"end_to_end_id": transfer.end_to_end_id}
    if payee_account is not None:
        _pay_internal_charge(transfer, payee_account, by=by, now=now)
        entry_id = post_entry(
            kind="pix_internal",
            legs=[Leg(account.pk, -amount), Leg(payee_account.pk, amount)],
            description=transfer.description or "Pix",
            reference_type="pix_transfer",
            reference_id=transfer.pk,
            created_by_id=_actor_id(actor),
            metadata=metadata,
        )
        transfer.debit_entry_id = transfer.credit_entry_id = entry_id
        transfer.payee_account = payee_account
        apply_transition(transfer, "settle", by=by, reason="internal Pix")
        # The payee is told as for any Pix received (live, e-mail, its integrator's webhook).
        publish(topic="pix.received", payload={"transfer_id": transfer.pk})
        return
    transfer.debit_entry_id = post_entry(
        kind="pix_out",
        legs=[Leg(account.pk, -amount), Leg(internal_account_id(RESERVES), amount)],
        description=transfer.description or "Pix",
        reference_type="pix_transfer",
        reference_id=transfer.pk,
        created_by_id=_actor_id(actor),
        metadata=metadata,
    )
    transfer.pacs008 = _text(build_pacs008(_credit_transfer(transfer, customer, scheduled)))
    apply_transition(transfer, "send", by=by)


def _credit_transfer(
    transfer: PixTransfer, customer: Customer, scheduled: bool = False
) -> CreditTransfer:
    own_ispb = settings.ATHENA_ISPB
    account = transfer.account
    return CreditTransfer(
        msg_id=e2e.new_msg_id(own_ispb),
        created_at=timezone.now(),
        sender_ispb=own_ispb,
        end_to_end_id=transfer.end_to_end_id,
        amount_cents=transfer.amount,
        debtor=Party(
            name=customer.full_name[:140],
            tax_id=normalize_tax_id(customer.tax_id),
            ispb=own_ispb,
            branch=account.branch,
            account_number=account.number,
            account_type=ACCOUNT_TYPE,
        ),
        creditor=_creditor_of(transfer),
        # The catalogue's service level for a scheduled Pix (PAGAGD) goes with NORM.
        service_level=ServiceLevel.PAGAGD if scheduled else ServiceLevel.PAGPRI,
        priority=Priority.NORM if scheduled else Priority.HIGH,
        initiation=LocalInstrument(transfer.initiation),
        tx_id=transfer.tx_id or None,
        remittance_info=transfer.description or None,
    )


def pix_send(
    *,
    account: Account,
    key: str | None = None,
    creditor: Party | None = None,
    brcode: str | None = None,
    amount_cents: int | None = None,
    description: str = "",
    scheduled_for: date | None = None,
    actor=None,
    now: datetime | None = None,
) -> PixTransfer:
    """Send (or schedule) a Pix to a key, a typed-in account or a BR Code's payee."""
    customer = _check_sender(account)
    if amount_cents is not None:
        _check_amount(amount_cents)
    if not isinstance(description, str):
        raise ValidationFailed(_("The description must be text."), field="description")
    clock = now or timezone.now()
    if scheduled_for is not None:
        _check_schedule_date(scheduled_for, clock)
    # The id is made before the look-up, which must name it (PI-EndToEndId).
    end_to_end_id = e2e.new_end_to_end_id(settings.ATHENA_ISPB)
    payee, dynamic = _resolve(
        account,
        key=key,
        creditor=creditor,
        brcode=brcode,
        end_to_end_id=end_to_end_id,
        now=clock,
    )
    amount = _amount_for(payee, amount_cents)
    _screen_payee(payee, record=False)
    description = (description or payee.code_description or "")[:140]
    by = actor or "customer"
    if scheduled_for is not None:
        if dynamic:
            raise ValidationFailed(
                _("A dynamic QR code is paid at once; it cannot be scheduled."),
                field="scheduled_for",
            )
        return _schedule(
            account=account,
            payee=payee,
            amount=amount,
            description=description,
            scheduled_for=scheduled_for,
            by=by,
        )
    with transaction.atomic():
        limits.check(account=account, product="pix", amount_cents=amount, now=now)
        fields = _counterparty_fields(payee)
        payee_account = _internal_payee(payee.creditor, account) if fields["internal"] else None
        transfer = PixTransfer.objects.create(
            direction=PixTransfer.Direction.OUT,
            end_to_end_id=end_to_end_id,
            account=account,
            amount=amount,
            description=description,
            initiation=payee.initiation,
            tx_id=payee.tx_id or "",
            **fields,
        )
        _move_money(
            transfer,
            customer=customer,
            payee_account=payee_account,
            actor=actor,
            by=by,
            now=clock,
        )
    if transfer.internal:
        return transfer
    # The SPI must only see a committed debit: inside a caller's transaction (the API's
    # idempotency wrapper) the message goes out after commit and the caller answers with
    # the transfer as SENT; beat retries what stays SENT.
    transfer_id = transfer.pk
    return now_or_after_commit(lambda: pix_submit(transfer_id)) or transfer


def _schedule(
    *, account: Account, payee: _Payee, amount: int, description: str, scheduled_for: date, by
) -> PixTransfer:
    fields = _counterparty_fields(payee)
    with transaction.atomic():
        if fields["internal"]:
            _internal_payee(payee.creditor, account)  # refuse now what would fail on the day
        transfer = PixTransfer.objects.create(
            direction=PixTransfer.Direction.OUT,
            end_to_end_id=None,
            account=account,
            amount=amount,
            description=description,
            initiation=payee.initiation,
            tx_id=payee.tx_id or "",
            scheduled_for=scheduled_for,
            **fields,
        )
        apply_transition(transfer, "schedule", by=by, reason=f"for {scheduled_for.isoformat()}")
    return transfer


def pix_cancel_scheduled(*, transfer_id: int, account: Account, actor=None) -> PixTransfer:
    """Cancel one of the account's SCHEDULED Pix (no money had moved)."""
    with transaction.atomic():
        transfer = (
            PixTransfer.objects.select_for_update()
            .filter(pk=transfer_id, account_id=account.pk, direction=PixTransfer.Direction.OUT)
            .first()
        )
        if transfer is None:
            raise NotFound(_("Pix transfer not found."))
        if transfer.state != PixTransfer.State.SCHEDULED:
            raise PixNotScheduled(
                _("Only a scheduled Pix can be cancelled; this one is %(state)s.")
                % {"state": transfer.get_state_display()}
            )
        apply_transition(transfer, "cancel", by=actor or "customer", reason="by the customer")
    return transfer


def pix_submit(transfer_id: int) -> PixTransfer:
    """Hand a SENT transfer's pacs.008 to the SPI and act on the answer.

    Without an answer (SpiTimeout, SPI unavailable) the transfer stays SENT, to be sent
    again. A resend of a message the SPI already processed is RJCT DUPL: the status query
    then gives the real outcome (see adapters.spi.final_status)."""
    transfer = PixTransfer.objects.get(pk=transfer_id)
    if transfer.state != PixTransfer.State.SENT:
        return transfer
    client = spi_client()
    try:
        answer = client.send_credit_transfer(transfer.pacs008.encode())
    except SpiError as exc:
        logger.warning(
            "pix not answered by the SPI: %s", exc, extra={"end_to_end_id": transfer.end_to_end_id}
        )
        return transfer
    outcome = final_status(client, answer, transfer.end_to_end_id)
    if outcome is None:
        logger.warning(
            "pix outcome unknown after DUPL; left SENT",
            extra={"end_to_end_id": transfer.end_to_end_id},
        )
        return transfer
    status, answer = outcome
    with transaction.atomic():
        transfer = PixTransfer.objects.select_for_update().get(pk=transfer_id)
        if transfer.state != PixTransfer.State.SENT:
            return transfer
        transfer.pacs002 = _text(answer)
        if status.status in (TxStatus.ACSC, TxStatus.ACCC):
            apply_transition(transfer, "settle", by="spi", reason=str(status.status))
        elif status.status == TxStatus.RJCT:
            transfer.return_entry_id = post_entry(
                kind="pix_return",
                legs=[
                    Leg(internal_account_id(RESERVES), -transfer.amount),
                    Leg(transfer.account_id, transfer.amount),
                ],
                description="Pix rejected: money returned",
                reference_type="pix_transfer",
                reference_id=transfer.pk,
                metadata={"end_to_end_id": transfer.end_to_end_id, "reason": status.reason_code},
            )
            info = "; ".join(status.additional_info)
            reason = f"{status.reason_code}: {info}" if info else str(status.reason_code)
            apply_transition(transfer, "reject", by="spi", reason=reason)
        else:  # ACSP: accepted, settlement pending; the final answer comes later
            transfer.save(update_fields=["pacs002", "updated_at"])
    return transfer


# --- scheduled Pix ------------------------------------------------------------------------


def _payee_on_the_day(transfer: PixTransfer) -> None:
    """Look the key up again: the payee must still be the same person (a key may have
    moved to another account of theirs, never to someone else). The transfer's
    endToEndId is given first: the look-up names it."""
    if transfer.initiation == Initiation.MANU or not transfer.counterparty_key:
        return
    party, name = _payee_by_key(transfer.account, transfer.counterparty_key, transfer.end_to_end_id)
    if normalize_tax_id(party.tax_id) != normalize_tax_id(transfer.counterparty_tax_id):
        raise PixPayeeChanged(_("The Pix key no longer belongs to the scheduled payee."))
    fields = _counterparty_fields(
        _Payee(creditor=party, name=name or transfer.counterparty_name, initiation="DICT")
    )
    for field_name, value in fields.items():
        setattr(transfer, field_name, value)


def _is_transient(error: DomainError) -> bool:
    """The DICT down or the look-up allowance spent: try again on the next run."""
    return isinstance(error, RateLimited) or error.status_code >= 500


def _fail_scheduled(transfer_id: int, reason: str) -> PixTransfer:
    transfer = PixTransfer.objects.select_for_update().get(pk=transfer_id)
    apply_transition(transfer, "fail", by="scheduler", reason=reason)
    publish(
        topic="pix.scheduled_failed",
        payload={
            "transfer_id": transfer.pk,
            "account_id": transfer.account_id,
            "reason": transfer.reject_reason,
        },
    )
    return transfer


def _run_one(transfer: PixTransfer, *, today: date, now: datetime) -> PixTransfer | None:
    """Send one locked SCHEDULED transfer, or fail it; None: try again on a later run."""
    if transfer.scheduled_for < today:
        return _fail_scheduled(
            transfer.pk,
            _("It could not be sent on its day (%(day)s).")
            % {"day": transfer.scheduled_for.strftime("%d/%m/%Y")},
        )
    try:
        with transaction.atomic():  # a savepoint: a refusal undoes the half-done send
            transfer.end_to_end_id = e2e.new_end_to_end_id(settings.ATHENA_ISPB)
            _payee_on_the_day(transfer)
            limits.check(
                account=transfer.account, product="pix", amount_cents=transfer.amount, now=now
            )
            payee_account = (
                _internal_payee(_creditor_of(transfer), transfer.account)
                if transfer.internal
                else None
            )
            _move_money(
                transfer,
                customer=transfer.account.customer,
                payee_account=payee_account,
                actor=None,
                by="scheduler",
                now=now,
                scheduled=True,
            )
    except DomainError as error:
        if _is_transient(error):
            logger.warning("scheduled pix postponed: %s", error, extra={"transfer": transfer.pk})
            return None
        return _fail_scheduled(transfer.pk, error.message)
    return transfer


def pix_run_scheduled(*, now: datetime | None = None, batch: int = 500) -> int:
    """Send the SCHEDULED Pix due today (from 06:00 Brasilia); returns how many were sent
    or failed. Each is claimed with SELECT ... FOR UPDATE SKIP LOCKED in its own
    transaction, so several workers share the work and none sends one twice."""
    now = now or timezone.now()
    local = now.astimezone(BRASILIA)
    if local.time() < SCHEDULE_RUNS_FROM:
        return 0
    today = local.date()
    postponed: list[int] = []
    done = 0
    for _index in range(batch):
        transfer = None
        try:
            with transaction.atomic():
                transfer = (
                    PixTransfer.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(state=PixTransfer.State.SCHEDULED, scheduled_for__lte=today)
                    .exclude(pk__in=postponed)
                    .select_related("account__customer")
                    .order_by("scheduled_for", "pk")
                    .first()
                )
                if transfer is None:
                    break
                outcome = _run_one(transfer, today=today, now=now)
        except Exception:
            if transfer is None:
                raise
            # One broken transfer must not hold up the others: it stays SCHEDULED (and
            # fails as missed the next day if it never goes through).
            logger.exception("scheduled pix could not be run", extra={"transfer": transfer.pk})
            outcome = None
        if outcome is None:
            postponed.append(transfer.pk)
            continue
        done += 1
        if outcome.state == PixTransfer.State.SENT:
            transfer_id = outcome.pk
            now_or_after_commit(lambda transfer_id=transfer_id: pix_submit(transfer_id))
    return done


# --- receiving ----------------------------------------------------------------------------


def _creditor_account(ct: CreditTransfer) -> Account:
    account = _own_account(branch=ct.creditor.branch, number=ct.creditor.account_number)
    if account is None and ct.creditor.pix_key:
        pix_key = (
            PixKey.objects.filter(key=ct.creditor.pix_key, state=PixKey.State.ACTIVE)
            .select_related("account")
            .first()
        )
        account = pix_key.account if pix_key else None
    if account is None:
        raise PixAccountNotFound("No Athena account matches the creditor of this Pix.")
    if account.state == Account.State.CLOSED:
        raise PixAccountClosed("The creditor account of this Pix is closed.")
    if account.state == Account.State.BLOCKED:
        raise PixAccountBlocked("The creditor account of this Pix is blocked.")
    return account


def _check_charge_amount(account: Account, ct: CreditTransfer) -> None:
    """A Pix naming an active charge that asks a definite amount must pay exactly it."""
    if not ct.tx_id:
        return
    charge = PixCharge.objects.filter(
        customer_id=account.customer_id, txid=ct.tx_id, status=PixCharge.Status.ATIVA
    ).first()
    if charge is None:
        return
    due = _charge_amount_due(charge, timezone.now())
    if due and ct.amount_cents != due:
        raise PixChargeAmountMismatch(
            f"The charge {ct.tx_id} asks {format_brl(due)}, not {format_brl(ct.amount_cents)}."
        )


def pix_receive(xml: bytes | str) -> PixTransfer:
    """Credit an inbound Pix (a pacs.008 the SPI delivered); idempotent on endToEndId."""
    ct = parse_pacs008(xml)
    if ct.creditor.ispb != settings.ATHENA_ISPB:
        raise PixAccountNotFound(f"This Pix is for participant {ct.creditor.ispb}, not us.")
    existing = PixTransfer.objects.filter(end_to_end_id=ct.end_to_end_id).first()
    if existing is not None:
        return existing
    account = _creditor_account(ct)
    _check_charge_amount(account, ct)
    try:
        with transaction.atomic():
            transfer = PixTransfer.objects.create(
                direction=PixTransfer.Direction.IN,
                end_to_end_id=ct.end_to_end_id,
                account=account,
                amount=ct.amount_cents,
                counterparty_name=(ct.debtor.name or "")[:140],
                counterparty_tax_id=ct.debtor.tax_id,
                counterparty_ispb=ct.debtor.ispb,
                counterparty_branch=ct.debtor.branch or "",
                counterparty_account_number=ct.debtor.account_number,
                counterparty_account_type=str(ct.debtor.account_type),
                counterparty_key=ct.creditor.pix_key or "",
                description=(ct.remittance_info or "")[:140],
                initiation=str(ct.initiation),
                tx_id=ct.tx_id or "",
                pacs008=_text(xml),
            )
            charge_payment_received(transfer)
            transfer.credit_entry_id = post_entry(
                kind="pix_in",
                legs=[
                    Leg(internal_account_id(RESERVES), -ct.amount_cents),
                    Leg(account.pk, ct.amount_cents),
                ],
                description=ct.remittance_info or "Pix received",
                reference_type="pix_transfer",
                reference_id=transfer.pk,
                metadata={"end_to_end_id": ct.end_to_end_id},
            )
            apply_transition(transfer, "settle", by="spi", reason="received")
            publish(topic="pix.received", payload={"transfer_id": transfer.pk})
    except IntegrityError:
        # The same message delivered twice at once: the other delivery credited it.
        existing = PixTransfer.objects.filter(end_to_end_id=ct.end_to_end_id).first()
        if existing is None:
            raise
        return existing
    return transfer


#: The reason of a refusal that names none (a rule of ours said no): "error at the
#: creditor agent".
DEFAULT_REJECT_REASON = "AB09"


def _spi_reason(error: DomainError) -> str:
    reason = getattr(error, "spi_reason", None)
    if reason:
        return reason
    if isinstance(error, AccountUnavailable):  # the ledger refused a credit meanwhile
        return PixAccountBlocked.spi_reason
    return DEFAULT_REJECT_REASON


def _placeholder_end_to_end_id(now: datetime) -> str:
    # When not even the endToEndId can be read, the answer names the minute, as the SPI
    # simulator does for messages it cannot read.
    return f"E{SPI_ISPB}{now.astimezone(UTC).strftime('%Y%m%d%H%M')}" + "0" * 11


def pix_receive_and_answer(xml: bytes | str) -> bytes:
    """Receive an inbound pacs.008 and return the pacs.002 we answer the SPI with: ACSC
    when it was credited (now or by an earlier delivery), RJCT with the refusal's reason
    otherwise (AC03 unknown account, AC06 blocked, AC07 closed, AM09 amount differing from
    the fixed amount of the active charge its txid names, CH16 unreadable message).

    Errors that are not a refusal (the database down) propagate: no answer is better than
    a wrong one, and the SPI delivers again."""
    now = timezone.now()
    own = settings.ATHENA_ISPB
    reason: str | None = None
    info: str | None = None
    settled_at: datetime | None = None
    try:
        ct = parse_pacs008(xml)
        end_to_end_id = ct.end_to_end_id
    except Iso20022Error as exc:
        end_to_end_id = lenient_id(xml, "EndToEndId", "E") or _placeholder_end_to_end_id(now)
        reason, info = "CH16", str(exc)
    if reason is None:
        try:
            transfer = pix_receive(xml)
        except DomainError as error:
            reason, info = _spi_reason(error), error.message
        else:
            settled_at = transfer.settled_at or now
    status = PaymentStatus(
        msg_id=e2e.new_msg_id(own),
        created_at=now,
        sender_ispb=own,
        receiver_ispb=SPI_ISPB,
        original_end_to_end_id=end_to_end_id,
        status=TxStatus.RJCT if reason else TxStatus.ACSC,
        reason_code=reason,
        additional_info=(info[:105],) if info else (),
        settled_at=settled_at,
        settlement_date=settled_at.astimezone(BRASILIA).date() if settled_at else None,
    )
    return build_pacs002(status)
