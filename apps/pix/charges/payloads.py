"""Reading a charge as a payer sees it: its BR Code and location URL, what is due on a day
(cobv: fine, interest, discounts), whether it can be paid, and the JWS-signed payload a
dynamic code's location serves (payload_for_location, signed_location_payload)."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Customer
from apps.core import due_amounts as cobv_amounts
from apps.core.money import cents_to_str
from apps.core.timezones import BRASILIA
from apps.kyc.selectors import verified_address
from apps.pix.charges.api_formats import rfc3339
from apps.pix.charges.errors import (
    CobPayloadNaoEncontrado,
    CobPayloadOperacaoInvalida,
    CobPayloadRemovido,
    PayloadLocationNaoEncontrado,
    violation,
)
from apps.pix.charges.jws import sign_payload
from apps.pix.charges.selectors import (
    linked_charge,
)
from apps.pix.codecs.brcode import encode_dynamic, plain_ascii
from apps.pix.models import PixCharge, PixLocation

Kind = PixCharge.Kind
Status = PixCharge.Status


def location_url(location: PixLocation) -> str:
    """The location as BR Codes carry it: host and path, no scheme."""
    host = settings.PIX_LOCATION_HOST
    if location.charge_type == PixLocation.ChargeType.COBV:
        return f"{host}/qr/v2/cobv/{location.uuid.hex}"
    return f"{host}/qr/v2/{location.uuid.hex}"


def charge_brcode(charge: PixCharge) -> str:
    """The dynamic BR Code of a charge: its location URL, "***" as txid (the payload carries
    the txid, as the Manual de Padrões says for dynamic codes) and no amount (the payload
    carries it, and a cobv's changes with the day)."""
    if charge.location_id is None:
        raise PayloadLocationNaoEncontrado(_("The charge has no location."))
    name = plain_ascii(charge.customer.full_name) or _FALLBACK_MERCHANT_NAME
    return encode_dynamic(
        url=location_url(charge.location),
        merchant_name=name,
        merchant_city=settings.PIX_MERCHANT_CITY,
        txid=None,
    )


def expires_at(charge: PixCharge) -> dt.datetime:
    return charge.created_at + dt.timedelta(seconds=charge.expires_in_seconds)


def cobv_terms(charge: PixCharge) -> cobv_amounts.CobvTerms:
    return cobv_amounts.terms_from_json(charge.amount, charge.value_terms or {})


def last_payable_date(charge: PixCharge) -> dt.date:
    return cobv_amounts.last_payable_date(
        charge.due_date, charge.valid_days_after_due or 0, cobv_amounts.BRAZIL
    )


def is_payable_at(charge: PixCharge, moment: dt.datetime) -> bool:
    """Within the charge's life: before `criacao + expiracao` (cob), on or before the last
    payable date in Brasilia (cobv). Says nothing about status."""
    if charge.kind == Kind.COB:
        return moment < expires_at(charge)
    return brasilia_date(moment) <= last_payable_date(charge)


def cobv_amount_due(charge: PixCharge, pay_date: dt.date) -> cobv_amounts.AmountDue:
    return cobv_amounts.amount_due(cobv_terms(charge), due=charge.due_date, pay_date=pay_date)


def recipient_of(customer: Customer) -> dict:
    """`recebedor` from what we know of the customer: name and CPF/CNPJ, and the address of
    their approved identity verification (BACEN's DadosRecebedor requires logradouro,
    cidade, uf and cep; a customer who never declared one has none to show)."""
    document = "cnpj" if customer.kind == Customer.Kind.COMPANY else "cpf"
    recipient = {"nome": customer.full_name, document: customer.tax_id}
    recipient.update(verified_address(customer=customer) or {})
    return recipient


def _payload_debtor(charge: PixCharge) -> dict | None:
    debtor = debtor_of(charge)
    if not debtor:
        return None
    return {k: debtor[k] for k in ("nome", "cpf", "cnpj") if debtor.get(k)}


def charge_payload(
    charge: PixCharge, *, now: dt.datetime | None = None, pay_date: dt.date | None = None
) -> dict:
    """The CobPayload / CobVPayload served at the charge's location (`apresentacao` is now;
    a cobv's `valor` is what it asks on `pay_date`, today in Brasilia by default)."""
    now = now or timezone.now()
    calendar: dict[str, Any] = {"criacao": rfc3339(charge.created_at), "apresentacao": rfc3339(now)}
    payload: dict[str, Any] = {"calendario": calendar}
    debtor = _payload_debtor(charge)
    if charge.kind == Kind.COB:
        calendar["expiracao"] = charge.expires_in_seconds
        value: dict[str, Any] = {
            "original": cents_to_str(charge.amount),
            "modalidadeAlteracao": int(charge.amount_editable),
        }
    else:
        calendar["dataDeVencimento"] = charge.due_date.isoformat()
        calendar["validadeAposVencimento"] = charge.valid_days_after_due
        due = cobv_amount_due(charge, pay_date or brasilia_date(now))
        value = {"original": cents_to_str(due.original)}
        for name in ("multa", "juros", "abatimento", "desconto"):
            if getattr(due, name):
                value[name] = cents_to_str(getattr(due, name))
        value["final"] = cents_to_str(due.final)
        payload["recebedor"] = recipient_of(charge.customer)
    if debtor:
        payload["devedor"] = debtor
    payload.update(
        {
            "txid": charge.txid,
            "revisao": charge.revision,
            "status": charge.status,
            "valor": value,
            "chave": charge.key,
        }
    )
    if charge.payer_request:
        payload["solicitacaoPagador"] = charge.payer_request
    if charge.additional_info:
        payload["infoAdicionais"] = charge.additional_info
    return payload


def location_by_path(*, kind: str, token: str) -> PixLocation:
    """The location /qr/v2/<token> (cob) or /qr/v2/cobv/<token> (cobv) names, or 404."""
    location = None
    try:
        token_uuid = uuid.UUID(hex=token) if len(token) == 32 else None
    except ValueError:
        token_uuid = None
    if token_uuid is not None:
        location = (
            PixLocation.objects.filter(uuid=token_uuid, charge_type=kind)
            .select_related("charge", "charge__customer")
            .first()
        )
    if location is None:
        raise CobPayloadNaoEncontrado(_("No charge at this location."))
    return location


def location_by_url(url: str) -> PixLocation:
    """One of our locations from its URL ("host/qr/v2/..." with or without https://)."""
    text = (url or "").strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        rest, scheme = text, "https"
    if scheme.lower() not in ("https", "http"):
        raise CobPayloadNaoEncontrado(_("Not a location of this institution."))
    parts = urlsplit("https://" + rest)
    match = _LOCATION_PATH.match(parts.path)
    if parts.netloc.lower() != settings.PIX_LOCATION_HOST.lower() or match is None:
        raise CobPayloadNaoEncontrado(_("Not a location of this institution."))
    kind = Kind.COBV if match.group(1) else Kind.COB
    return location_by_path(kind=kind, token=match.group(2).lower())


def payable_charge_at(location: PixLocation, now: dt.datetime) -> PixCharge:
    """The charge a location serves: 404 when it has none, 410 when removed or past its
    life. A CONCLUIDA charge is served (its status says it is paid)."""
    charge = linked_charge(location)
    if charge is None:
        raise CobPayloadNaoEncontrado(_("No charge at this location."))
    if charge.status in (Status.REMOVIDA_PELO_USUARIO_RECEBEDOR, Status.REMOVIDA_PELO_PSP):
        raise CobPayloadRemovido(_("The charge at this location was removed."))
    if charge.status == Status.ATIVA and not is_payable_at(charge, now):
        raise CobPayloadRemovido(_("The charge at this location has expired."))
    return charge


def check_intended_payment_date(charge: PixCharge, pay_date: dt.date, now: dt.datetime) -> None:
    """A cobv's DPP (data de pagamento pretendida) must be payable: not past, not beyond."""
    message = None
    if pay_date < brasilia_date(now):
        message = _("DPP is before today.")
    elif pay_date > last_payable_date(charge):
        message = _("The charge cannot be paid on DPP: it is past its validity.")
    if message:
        raise CobPayloadOperacaoInvalida(
            message,
            field="DPP",
            value=pay_date.isoformat(),
            violations=[violation(message, "DPP", pay_date.isoformat())],
        )


def signed_location_payload(
    location: PixLocation, *, now: dt.datetime | None = None, pay_date: dt.date | None = None
) -> str:
    now = now or timezone.now()
    charge = payable_charge_at(location, now)
    if pay_date is not None and charge.kind == Kind.COBV:
        check_intended_payment_date(charge, pay_date, now)
    return sign_payload(charge_payload(charge, now=now, pay_date=pay_date))


def payload_for_location(
    url: str, *, now: dt.datetime | None = None, pay_date: dt.date | None = None
) -> dict:
    """The decoded payload a payer gets from one of our locations (raises NotFound: unknown
    location, removed or expired charge). Check `status == "ATIVA"` before paying."""
    now = now or timezone.now()
    location = location_by_url(url)
    charge = payable_charge_at(location, now)
    if pay_date is not None and charge.kind == Kind.COBV:
        check_intended_payment_date(charge, pay_date, now)
    return charge_payload(charge, now=now, pay_date=pay_date)


_LOCATION_PATH = re.compile(r"\A/qr/v2/(?:(cobv)/)?([0-9a-fA-F]{32})\Z")


_FALLBACK_MERCHANT_NAME = "RECEBEDOR PIX"


def brasilia_date(moment: dt.datetime) -> dt.date:
    """The calendar date in Brasilia: due dates, validity and cobv amounts are counted in it."""
    return moment.astimezone(BRASILIA).date()


def debtor_of(charge: PixCharge) -> dict | None:
    if not charge.debtor:
        return None
    try:
        return json.loads(charge.debtor)
    except ValueError:  # never written by us; a broken row must not break the API
        return None
