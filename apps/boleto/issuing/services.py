"""Issuing boletos (cobranca) for a customer: register, cancel, expire, paid by Pix.

* `boleto_issue`: checks the request, takes the issuer's next nosso numero (its row
  locked: no gaps, no repeats), builds the barcode and linha (our campo livre,
  codecs/free_field.py), creates the Pix `cobv` for the same charge when the account has a
  Pix key (the hybrid boleto: same amount, terms, due date and validity), and registers the
  boleto at CIP through the adapter, last: a refusal anywhere leaves nothing behind.
* `boleto_cancel` (the issuer) and `boletos_expire` (beat, past the last payable date):
  the boleto is closed, written off at CIP and its Pix charge removed.
* `boleto_paid_by_pix` (outbox "pix.charge.concluded"): the hybrid boleto's Pix QR was
  paid: the boleto is paid (the Pix already credited the issuer) and closed at CIP, so its
  barcode can no longer be paid anywhere.

Terms are kept in the API Pix cobv shape (apps.core.due_amounts): multa as a percentage
(modalidade 2), juros as a percentage per month in calendar days (modalidade 3) and one
fixed discount until a date (modalidade 1): what FEBRABAN's codes 2 (multa %), 2 (juros %
a.m.) and 1 (desconto valor fixo ate a data) of segments P and R say.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import Account, Customer
from apps.boleto.adapters.cip import CipError, CipRefused, CipTitle, cip_client
from apps.boleto.codecs import codes, free_field
from apps.boleto.errors import BoletoInvalid, BoletoNotFound, RegistryUnavailable
from apps.boleto.models import Boleto, BoletoIssuer
from apps.core import due_amounts
from apps.core.documents import normalize_tax_id, tax_id_kind
from apps.core.errors import Conflict, DomainError
from apps.core.fsm import apply_transition
from apps.core.money import cents_to_str
from apps.core.timezones import brasilia_today

logger = logging.getLogger(__name__)

MAX_AMOUNT_CENTS = 9_999_999_999  # ten digits in the barcode
# The factor window of decoders (codecs/factor.py) reaches 5500 days ahead: stay inside it.
MAX_DAYS_AHEAD = 5000
MAX_VALID_DAYS = 3650
# CDC art. 52 par. 1 (Lei 9.298/1996): a consumer's late fine is at most 2%; juros de
# mora of 1% a month is the usual cap (STJ Sumula 379). Companies agree their own terms.
PERSON_MAX_FINE = 200  # hundredths of a percent
PERSON_MAX_MONTHLY_INTEREST = 100
COMPANY_MAX_FINE = 2000
COMPANY_MAX_MONTHLY_INTEREST = 1000


@dataclass(frozen=True, kw_only=True)
class BoletoRequest:
    """A boleto to issue. Percentages in hundredths (200 = 2.00%), money in centavos."""

    amount_cents: int
    due_date: dt.date
    payer_name: str
    payer_tax_id: str
    payer_address: dict = field(default_factory=dict)
    fine_percent: int = 0
    interest_monthly_percent: int = 0
    discount_cents: int = 0
    discount_until: dt.date | None = None
    valid_days_after_due: int = 30
    seu_numero: str = ""
    description: str = ""
    hybrid: bool = True


def _percent(hundredths: int) -> str:
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def value_terms(request: BoletoRequest) -> dict[str, Any]:
    """The request's terms in the API Pix cobv shape."""
    terms: dict[str, Any] = {}
    if request.fine_percent:
        terms["multa"] = {"modalidade": 2, "valorPerc": _percent(request.fine_percent)}
    if request.interest_monthly_percent:
        terms["juros"] = {
            "modalidade": 3,
            "valorPerc": _percent(request.interest_monthly_percent),
        }
    if request.discount_cents:
        terms["desconto"] = {
            "modalidade": 1,
            "descontoDataFixa": [
                {
                    "data": (request.discount_until or request.due_date).isoformat(),
                    "valorPerc": cents_to_str(request.discount_cents),
                }
            ],
        }
    return terms


def _invalid(message: str, field_name: str) -> BoletoInvalid:
    return BoletoInvalid(message, field=field_name)


def _check_request(request: BoletoRequest, today: dt.date) -> tuple[str, str]:
    """Refuse what a boleto cannot carry; returns (payer tax id digits, its kind)."""
    if not isinstance(request.amount_cents, int) or not request.amount_cents > 0:
        raise _invalid(_("The amount must be greater than zero."), "amount")
    if request.amount_cents > MAX_AMOUNT_CENTS:
        raise _invalid(_("The amount is above what a boleto can carry."), "amount")
    if request.due_date < today:
        raise _invalid(_("The due date cannot be in the past."), "due_date")
    if request.due_date > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise _invalid(_("The due date is too far ahead."), "due_date")
    name = (request.payer_name or "").strip()
    if not 2 <= len(name) <= 140:
        raise _invalid(_("Give the payer's name (2 to 140 characters)."), "payer_name")
    tax_id = normalize_tax_id(request.payer_tax_id)
    kind = tax_id_kind(tax_id)
    if kind is None or not tax_id.isdigit():
        raise _invalid(_("The payer's CPF or CNPJ is not valid."), "payer_tax_id")
    person = kind == "person"
    max_fine = PERSON_MAX_FINE if person else COMPANY_MAX_FINE
    if not 0 <= request.fine_percent <= max_fine:
        raise _invalid(
            _("The late fine must be between 0%% and %(max)s%%.") % {"max": _percent(max_fine)},
            "fine_percent",
        )
    max_interest = PERSON_MAX_MONTHLY_INTEREST if person else COMPANY_MAX_MONTHLY_INTEREST
    if not 0 <= request.interest_monthly_percent <= max_interest:
        raise _invalid(
            _("The monthly interest must be between 0%% and %(max)s%%.")
            % {"max": _percent(max_interest)},
            "interest_monthly_percent",
        )
    if not 0 <= request.discount_cents < request.amount_cents:
        raise _invalid(
            _("The discount must be smaller than the amount."),
            "discount_cents",
        )
    until = request.discount_until
    if request.discount_cents and until is not None and not today <= until <= request.due_date:
        raise _invalid(
            _("The discount date must be between today and the due date."), "discount_until"
        )
    if not 0 <= request.valid_days_after_due <= MAX_VALID_DAYS:
        raise _invalid(
            _("The days payable after the due date must be between 0 and 3650."),
            "valid_days_after_due",
        )
    if len(request.seu_numero) > 15 or not request.seu_numero.isascii():
        raise _invalid(_("Your reference has at most 15 plain characters."), "seu_numero")
    if len(request.description) > 140:
        raise _invalid(_("The description has at most 140 characters."), "description")
    return tax_id, kind


def _issuer_for(customer: Customer) -> BoletoIssuer:
    """The customer's issuer row, locked (the sequence is taken under this lock)."""
    BoletoIssuer.objects.get_or_create(
        customer=customer,
        defaults={
            "agreement": f"{customer.pk:07d}"[-7:],
            "webhook_secret": secrets.token_hex(32),
        },
    )
    return BoletoIssuer.objects.select_for_update().get(customer=customer)


def _issuing_account(customer: Customer, account_id: int) -> Account:
    account = Account.objects.filter(
        pk=account_id, customer=customer, kind=Account.Kind.CUSTOMER
    ).first()
    if account is None:
        raise BoletoNotFound(_("Account not found."), field="account")
    if account.state != Account.State.ACTIVE or customer.state != Customer.State.ACTIVE:
        raise Conflict(_("The account cannot receive boletos now."), field="account")
    return account


def _hybrid_charge(
    *, customer: Customer, account: Account, boleto: Boleto, tax_id: str, kind: str, actor: Any
) -> None:
    from apps.pix.charges import selectors as pix_charges_selectors
    from apps.pix.charges import services as pix_charges

    key = pix_charges_selectors.account_charge_key(account_id=account.pk)
    if key is None:
        return
    debtor = {"nome": boleto.payer_name, ("cpf" if kind == "person" else "cnpj"): tax_id}
    charge, _created = pix_charges.charge_create(
        customer=customer,
        kind="cobv",
        data=pix_charges.ChargeInput(
            key=key,
            amount=boleto.amount,
            due_date=boleto.due_date,
            valid_days_after_due=boleto.valid_days_after_due,
            value_terms=boleto.value_terms,
            debtor=debtor,
            payer_request=boleto.description[:140],
        ),
        txid=f"BOL{boleto.nosso_numero}{secrets.token_hex(6)}"[:35],
        actor=actor,
    )
    boleto.pix_charge_id = charge.pk
    boleto.pix_txid = charge.txid


@transaction.atomic
def boleto_issue(
    *,
    customer: Customer,
    account_id: int,
    request: BoletoRequest,
    actor: Any = None,
    now: dt.datetime | None = None,
) -> Boleto:
    """Issue and register a boleto (see the module's doc)."""
    today = brasilia_today(now)
    tax_id, kind = _check_request(request, today)
    account = _issuing_account(customer, account_id)
    issuer = _issuer_for(customer)
    issuer.last_sequence += 1
    issuer.save(update_fields=["last_sequence", "updated_at"])
    nosso_numero = free_field.nosso_numero(issuer.agreement, issuer.last_sequence)
    barcode = codes.bank_barcode(
        bank_code=settings.ATHENA_BANK_CODE,
        amount_cents=request.amount_cents,
        due_date=request.due_date,
        free_field=free_field.free_field_for(nosso_numero),
    )
    boleto = Boleto(
        issuer=issuer,
        account=account,
        nosso_numero=nosso_numero,
        seu_numero=request.seu_numero,
        barcode=barcode,
        linha=codes.linha_from_barcode(barcode),
        amount=request.amount_cents,
        issue_date=today,
        due_date=request.due_date,
        valid_days_after_due=request.valid_days_after_due,
        value_terms=value_terms(request),
        payer_name=request.payer_name.strip(),
        payer_tax_id=tax_id,
        payer_address=request.payer_address or {},
        description=request.description,
    )
    if request.hybrid:
        _hybrid_charge(
            customer=customer, account=account, boleto=boleto, tax_id=tax_id, kind=kind, actor=actor
        )
    boleto._change_reason = "issued"
    boleto.save()
    try:
        cip_client().register(
            CipTitle(
                barcode=barcode,
                bank_code=settings.ATHENA_BANK_CODE,
                beneficiary_name=customer.full_name,
                beneficiary_tax_id=normalize_tax_id(customer.tax_id),
                payer_name=boleto.payer_name,
                payer_tax_id=tax_id,
                amount=boleto.amount,
                due_date=boleto.due_date,
                valid_days_after_due=boleto.valid_days_after_due,
                value_terms=boleto.value_terms,
            )
        )
    except CipRefused as exc:
        raise DomainError(_("CIP refused the registration: %(why)s") % {"why": exc}) from None
    except CipError as exc:
        raise RegistryUnavailable(_("CIP could not be reached; try again.")) from exc
    return boleto


def last_payable_date(boleto: Boleto) -> dt.date:
    return due_amounts.last_payable_date(
        boleto.due_date, boleto.valid_days_after_due, due_amounts.B3
    )


def amount_on(boleto: Boleto, day: dt.date) -> due_amounts.AmountDue:
    terms = due_amounts.terms_from_json(boleto.amount, boleto.value_terms or {})
    return due_amounts.amount_due(terms, due=boleto.due_date, pay_date=day, calendar=due_amounts.B3)


def _close_elsewhere(boleto: Boleto, *, reason: str, at_cip: bool = True) -> None:
    """Close the boleto's other rails: its Pix charge, and (unless CIP closed it) CIP."""
    if boleto.pix_charge_id:
        from apps.pix.charges import services as pix_charges

        pix_charges.charge_remove_by_psp(charge_id=boleto.pix_charge_id, reason=reason)
    if at_cip:
        try:
            cip_client().write_off(boleto.barcode, reason=reason)
        except CipRefused:
            logger.warning("CIP refused a write-off", extra={"boleto": boleto.pk})


def _locked(boleto_id: int) -> Boleto:
    boleto = Boleto.objects.select_for_update(of=("self",)).filter(pk=boleto_id).first()
    if boleto is None:
        raise BoletoNotFound(_("Boleto not found."))
    return boleto


@transaction.atomic
def boleto_cancel(*, customer: Customer, boleto_id: int, actor: Any = None) -> Boleto:
    boleto = _locked(boleto_id)
    if boleto.issuer.customer_id != customer.pk:
        raise BoletoNotFound(_("Boleto not found."))
    apply_transition(boleto, "cancel", by=actor or "issuer", reason="cancelled by the issuer")
    _close_elsewhere(boleto, reason="cancelled by the issuer")
    return boleto


def boletos_expire(*, today: dt.date | None = None, batch: int = 500) -> int:
    """Registered boletos past their last payable date expire; returns how many did."""
    today = today or brasilia_today()
    # due + validity is a lower bound of the last payable date (business days only move it
    # later): the exact date is checked per boleto.
    candidates = (
        Boleto.objects.filter(state=Boleto.State.REGISTERED, due_date__lt=today)
        .order_by("due_date", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    expired = 0
    for boleto_id in list(candidates):
        with transaction.atomic():
            boleto = _locked(boleto_id)
            if boleto.state != Boleto.State.REGISTERED or last_payable_date(boleto) >= today:
                continue
            apply_transition(boleto, "expire", by="beat", reason="past the payment limit date")
            _close_elsewhere(boleto, reason="expired")
            expired += 1
    return expired


@transaction.atomic
def boleto_paid_by_pix(
    *, charge_id: int, amount_cents: int | None, paid_on: dt.date
) -> Boleto | None:
    """The hybrid boleto of this charge was paid by Pix (see the module's doc)."""
    boleto = Boleto.objects.select_for_update(of=("self",)).filter(pix_charge_id=charge_id).first()
    if boleto is None:
        return None
    if boleto.state != Boleto.State.REGISTERED:
        logger.warning("Pix paid a boleto that is not open", extra={"boleto": boleto.pk})
        return boleto
    boleto.paid_via = Boleto.PaidVia.PIX
    boleto.paid_amount = amount_cents
    boleto.paid_on = paid_on
    apply_transition(boleto, "pay", by="pix", reason="paid by Pix")
    _close_elsewhere(boleto, reason="paid by Pix")
    from apps.boleto.notifications import boleto_paid_notify

    boleto_paid_notify(boleto_ids=[boleto.pk])
    return boleto


def issuer_webhook_set(*, customer: Customer, url: str) -> BoletoIssuer:
    from apps.core.webhooks import check_webhook_url

    url = check_webhook_url(url) if url else ""
    with transaction.atomic():
        issuer = _issuer_for(customer)
        issuer.webhook_url = url
        issuer.save(update_fields=["webhook_url", "updated_at"])
    return issuer
