"""Paying a boleto (any bank) or a collection code from an account.

`boleto_quote` (what the portal and the API show before paying, never moves money):
decode the code (every check digit), then, for a bank boleto, ask CIP who the beneficiary
is, what the boleto asks on the day (its fine, interest and discount terms,
apps.core.due_amounts on the B3 calendar) and whether it may still be paid.

`boleto_pay` (the API with an Idempotency-Key, the portal):

1. quote again (CIP's answer of the day, never the client's figures);
2. screen the beneficiary against the sanctions lists (a hit on a blocking list stops it);
3. a future business day, up to the payment limit date, is a schedule: no money moves until
   that day's run (`scheduled_payments_run`, beat), which goes through steps 1-5 again;
4. in one transaction: the money gate ("boleto" family limits, account and customer state),
   the debit through the ledger into boleto clearing, the payment row (unique per barcode
   while live: a second payment of the same boleto is refused by PostgreSQL even with a
   new Idempotency-Key), the baixa operacional at CIP (which refuses a boleto paid
   anywhere else meanwhile) and the item handed to COMPE; any refusal rolls back all of it.

Collection codes (arrecadacao: utilities, taxes) are not registered at CIP: the amount is
the code's own, and codes in a reference currency (value id 7 or 9) are refused.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts import services as accounts
from apps.accounts.models import Account, Customer
from apps.boleto.adapters.cip import CipError, CipRefused, CipTitle, cip_client
from apps.boleto.adapters.compe import ClearingItem, CompeError, compe_client
from apps.boleto.codecs.codes import CodeError, DecodedCode, decode
from apps.boleto.errors import (
    BeneficiaryOnSanctionsList,
    BoletoAlreadyPaid,
    BoletoNotFound,
    BoletoNotPayable,
    InvalidBoletoCode,
    RegistryUnavailable,
)
from apps.boleto.models import BoletoPayment
from apps.core import due_amounts
from apps.core.documents import mask_tax_id
from apps.core.errors import DomainError, ValidationFailed
from apps.core.fsm import apply_transition
from apps.core.money import format_brl
from apps.core.timezones import brasilia_today

logger = logging.getLogger(__name__)

COLLECTION_SEGMENTS = {
    "1": _("City hall"),
    "2": _("Water and sanitation"),
    "3": _("Electricity and gas"),
    "4": _("Telecommunications"),
    "5": _("Government agencies"),
    "6": _("Company"),
    "7": _("Traffic fines"),
    "9": _("Bank use"),
}


@dataclass(frozen=True)
class BoletoQuote:
    """What paying this code on `day` would do."""

    decoded: DecodedCode
    day: dt.date
    amount: int  # centavos asked on the day
    beneficiary_name: str
    beneficiary_tax_id: str = ""
    face_amount: int | None = None
    due_date: dt.date | None = None
    last_payable_date: dt.date | None = None
    breakdown: dict = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.decoded.kind

    @property
    def barcode(self) -> str:
        return self.decoded.barcode

    @property
    def masked_beneficiary_tax_id(self) -> str:
        return mask_tax_id(self.beneficiary_tax_id) if self.beneficiary_tax_id else ""


def decode_code(code: Any, *, today: dt.date) -> DecodedCode:
    if not isinstance(code, str) or not code.strip():
        raise ValidationFailed(_("Type or paste the boleto's code."), field="code")
    try:
        return decode(code, today=today)
    except CodeError as exc:
        raise InvalidBoletoCode(
            str(exc), field="code", code=f"invalid_boleto_code.{exc.rule}"
        ) from None


def _bank_quote(decoded: DecodedCode, day: dt.date, title: CipTitle) -> BoletoQuote:
    if not title.is_open:
        raise BoletoNotPayable(
            _("This boleto was already paid or written off by the bank."), field="code"
        )
    last = None
    amount = title.amount
    breakdown: dict = {}
    if title.due_date is not None:
        last = due_amounts.last_payable_date(
            title.due_date, title.valid_days_after_due, due_amounts.B3
        )
        if day > last:
            raise BoletoNotPayable(
                _("This boleto can no longer be paid: its payment limit date was %(date)s.")
                % {"date": last.strftime("%d/%m/%Y")},
                field="code",
            )
        terms = due_amounts.terms_from_json(title.amount, title.value_terms or {})
        due = due_amounts.amount_due(
            terms, due=title.due_date, pay_date=day, calendar=due_amounts.B3
        )
        amount = due.final
        breakdown = {
            "discount": due.desconto,
            "rebate": due.abatimento,
            "fine": due.multa,
            "interest": due.juros,
            "days_late": due.days_late,
        }
    return BoletoQuote(
        decoded=decoded,
        day=day,
        amount=amount,
        beneficiary_name=title.beneficiary_name,
        beneficiary_tax_id=title.beneficiary_tax_id,
        face_amount=title.amount,
        due_date=title.due_date,
        last_payable_date=last,
        breakdown=breakdown,
    )


def _collection_quote(decoded: DecodedCode, day: dt.date) -> BoletoQuote:
    if decoded.amount_cents is None:
        raise BoletoNotPayable(
            _("This code carries a reference-currency quantity, not an amount in reais."),
            field="code",
        )
    segment = COLLECTION_SEGMENTS.get(decoded.segment or "", _("Collection"))
    return BoletoQuote(
        decoded=decoded,
        day=day,
        amount=decoded.amount_cents,
        beneficiary_name=f"{segment} ({decoded.free_field[:4]})",
        face_amount=decoded.amount_cents,
    )


def boleto_quote(*, code: Any, day: dt.date | None = None) -> BoletoQuote:
    """Decode and price a code for payment on `day` (today in Brasilia by default)."""
    day = day or brasilia_today()
    decoded = decode_code(code, today=day)
    if decoded.kind == "collection":
        return _collection_quote(decoded, day)
    try:
        title = cip_client().lookup(decoded.barcode)
    except CipError as exc:
        raise RegistryUnavailable(_("CIP could not be reached; try again.")) from exc
    if title is None:
        raise BoletoNotPayable(
            _("This boleto is not registered at CIP; a bank boleto must be registered to be paid."),
            field="code",
        )
    return _bank_quote(decoded, day, title)


def _screen(quote: BoletoQuote) -> None:
    from apps.compliance import services as screening

    lists = screening.payee_blocking_lists(
        name=quote.beneficiary_name,
        tax_id=quote.beneficiary_tax_id,
        context="boleto",
        record=False,
    )
    if lists:
        logger.warning("boleto refused by screening", extra={"lists": sorted(lists)})
        raise BeneficiaryOnSanctionsList(
            _(
                "This boleto cannot be paid from Athena Pay: the payment was stopped by "
                "compliance screening. If you believe this is a mistake, contact us."
            ),
            field="code",
        )


def _payer_account(customer: Customer, account_id: Any) -> Account:
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        raise ValidationFailed(_("Choose the account to pay from."), field="account")
    account = (
        Account.objects.filter(pk=account_id, customer=customer, kind=Account.Kind.CUSTOMER)
        .select_related("customer")
        .first()
    )
    if account is None:
        raise BoletoNotFound(_("Account not found."), field="account")
    return account


def _check_schedule(quote: BoletoQuote, scheduled_for: dt.date, today: dt.date) -> None:
    if scheduled_for <= today:
        raise ValidationFailed(_("A schedule must be for a future day."), field="scheduled_for")
    if not due_amounts.B3.is_business_day(scheduled_for):
        raise ValidationFailed(_("Schedule the payment for a business day."), field="scheduled_for")
    if quote.last_payable_date is not None and scheduled_for > quote.last_payable_date:
        raise ValidationFailed(
            _("The boleto cannot be paid after %(date)s.")
            % {"date": quote.last_payable_date.strftime("%d/%m/%Y")},
            field="scheduled_for",
        )


def boleto_schedule_check(*, quote: BoletoQuote, scheduled_for: dt.date, today: dt.date) -> None:
    """Would `boleto_pay` take a schedule for this day? (The portal's first step asks it,
    so the date's refusal lands on the date field; moves nothing.)"""
    _check_schedule(quote, scheduled_for, today)


def _payment_row(account: Account, quote: BoletoQuote, **extra: Any) -> BoletoPayment:
    decoded = quote.decoded
    return BoletoPayment(
        account=account,
        kind=decoded.kind,
        barcode=decoded.barcode,
        bank_code=decoded.bank_code or "",
        beneficiary_name=quote.beneficiary_name[:140],
        beneficiary_tax_id=quote.beneficiary_tax_id,
        due_date=quote.due_date,
        face_amount=quote.face_amount,
        amount=quote.amount,
        breakdown=quote.breakdown,
        **extra,
    )


def _already_paid() -> BoletoAlreadyPaid:
    return BoletoAlreadyPaid(
        _("This boleto was already paid or scheduled from Athena Pay."), field="code"
    )


def _save_once(payment: BoletoPayment) -> None:
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        raise _already_paid() from None


def _debit_and_clear(payment: BoletoPayment, *, by: Any, now: dt.datetime) -> None:
    """Steps 4 of the module's doc, inside the caller's transaction."""
    account = payment.account
    accounts.money_gate_check(account=account, product="boleto", amount_cents=payment.amount)
    payment.entry_id = accounts.post_entry(
        kind="boleto_payment",
        legs=[
            accounts.Leg(account.pk, -payment.amount),
            accounts.Leg(accounts.internal_account_id("boleto_clearing"), payment.amount),
        ],
        description=f"boleto {payment.barcode}",
        reference_type="boleto_payment",
        reference_id=payment.pk,
        metadata={"beneficiary": payment.beneficiary_name, "kind": payment.kind},
    )
    payment.paid_at = now
    day = brasilia_today(now)
    try:
        if payment.kind == BoletoPayment.Kind.BANK:
            cip_client().record_payment(
                payment.barcode,
                amount_cents=payment.amount,
                paid_on=day,
                paying_bank=settings.ATHENA_BANK_CODE,
            )
        compe_client().submit_payment(
            ClearingItem(
                barcode=payment.barcode,
                amount_cents=payment.amount,
                paid_on=day,
                paying_bank=settings.ATHENA_BANK_CODE,
                reference=str(payment.public_id),
            )
        )
    except CipRefused as exc:
        raise BoletoNotPayable(
            _("CIP refused the payment: %(why)s") % {"why": exc}, field="code"
        ) from None
    except (CipError, CompeError) as exc:
        raise RegistryUnavailable(_("The boleto network could not be reached; try again.")) from exc
    apply_transition(payment, "settle", by=by, reason="paid")


def _with_amount(quote: BoletoQuote, amount_cents: Any) -> BoletoQuote:
    """A boleto whose amount is zero lets the payer choose it; any other asks exactly what
    CIP says today, and a confirmed amount that differs is refused (the terms moved it)."""
    if amount_cents is not None and (
        not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0
    ):
        raise ValidationFailed(_("The amount must be greater than zero."), field="amount")
    if quote.amount == 0:
        if amount_cents is None:
            raise ValidationFailed(
                _("This boleto lets the payer choose the amount: give it."), field="amount"
            )
        return replace(quote, amount=amount_cents)
    if amount_cents is not None and amount_cents != quote.amount:
        raise ValidationFailed(
            _("The amount due is not the one confirmed: the boleto asks %(amount)s today.")
            % {"amount": format_brl(quote.amount)},
            field="amount",
        )
    return quote


def boleto_pay(
    *,
    customer: Customer,
    account_id: Any,
    code: Any,
    amount_cents: int | None = None,
    scheduled_for: dt.date | None = None,
    actor: Any = None,
    now: dt.datetime | None = None,
) -> BoletoPayment:
    """Pay (or schedule) a boleto from one of the customer's accounts (see the module)."""
    now = now or timezone.now()
    today = brasilia_today(now)
    account = _payer_account(customer, account_id)
    barcode = decode_code(code, today=today).barcode
    if BoletoPayment.objects.filter(barcode=barcode, state__in=BoletoPayment.LIVE_STATES).exists():
        raise _already_paid()
    quote = boleto_quote(code=code, day=scheduled_for or today)
    quote = _with_amount(quote, amount_cents)
    _screen(quote)
    by = actor or "customer"
    created_by = actor if getattr(actor, "is_authenticated", False) else None
    if scheduled_for is not None and scheduled_for != today:
        _check_schedule(quote, scheduled_for, today)
        payment = _payment_row(account, quote, scheduled_for=scheduled_for, created_by=created_by)
        payment._change_reason = "scheduled"
        _save_once(payment)
        return payment
    with transaction.atomic():
        payment = _payment_row(account, quote, created_by=created_by)
        payment._change_reason = "created"
        _save_once(payment)
        _debit_and_clear(payment, by=by, now=now)
    return payment


def boleto_payment_cancel(
    *, customer: Customer, payment_id: int, actor: Any = None
) -> BoletoPayment:
    with transaction.atomic():
        payment = (
            BoletoPayment.objects.select_for_update(of=("self",))
            .filter(pk=payment_id, account__customer=customer)
            .first()
        )
        if payment is None:
            raise BoletoNotFound(_("Payment not found."))
        return apply_transition(
            payment, "cancel", by=actor or "customer", reason="cancelled by the customer"
        )


def scheduled_payments_run(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Pay the schedules due today (beat, business days); returns how many were paid. A
    schedule that can no longer be paid (limit date, funds, CIP, the gate) fails with the
    reason; one transaction per payment."""
    now = now or timezone.now()
    today = brasilia_today(now)
    if not due_amounts.B3.is_business_day(today):
        return 0
    due = list(
        BoletoPayment.objects.filter(
            state=BoletoPayment.State.SCHEDULED, scheduled_for__lte=today
        ).values_list("pk", flat=True)[:batch]
    )
    paid = 0
    for payment_id in due:
        try:
            with transaction.atomic():
                payment = (
                    BoletoPayment.objects.select_for_update(of=("self",))
                    .select_related("account__customer")
                    .get(pk=payment_id)
                )
                if payment.state != BoletoPayment.State.SCHEDULED:
                    continue
                quote = boleto_quote(code=payment.barcode, day=today)
                _screen(quote)
                payment.amount = quote.amount
                payment.breakdown = quote.breakdown
                _debit_and_clear(payment, by="schedule", now=now)
                paid += 1
        except DomainError as exc:  # a refusal ends this schedule, not the run
            reason = exc.message
            with transaction.atomic():
                payment = BoletoPayment.objects.select_for_update(of=("self",)).get(pk=payment_id)
                if payment.state == BoletoPayment.State.SCHEDULED:
                    apply_transition(payment, "fail", by="schedule", reason=str(reason))
    return paid
