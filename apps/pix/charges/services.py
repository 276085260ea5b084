"""Charges of BACEN's API Pix: `cob` (immediate), `cobv` (with a due date) and their payload
locations (`loc`).

Services (each one transaction):

* `charge_create` - PUT /cob{v}/{txid} (txid given) or POST /cob (txid generated). A second
  PUT of the same txid with the same content answers the charge as it is (PUT is naturally
  idempotent); with other content it is CobOperacaoInvalida (revise with PATCH).
* `charge_update` - PATCH: revision + 1 when anything but `loc` changes; `status` may only
  become REMOVIDA_PELO_USUARIO_RECEBEDOR, alone; a charge that is not ATIVA cannot change.
* `location_create`, `location_unlink` - POST /loc, DELETE /loc/{id}/txid.
* `charge_payment_received` - called by `pix_receive` inside its transaction, after an
  inbound Pix carrying a txid was created: the ATIVA charge of the receiving customer with
  that txid, still payable and asking for exactly that amount, is concluded and the Pix is
  linked to it (it then shows under the charge's `pix`). A cob pays its `valor.original`
  (any amount when `modalidadeAlteracao` is 1) until `criacao + expiracao`; a cobv pays
  what `apps.core.due_amounts.amount_due` asks on the payment's date in Brasilia, until its
  last payable date. Anything else is credited all the same but concludes nothing.
* `charges_expire` - beat: ATIVA cobs past `criacao + expiracao` and cobvs past their last
  payable date become REMOVIDA_PELO_PSP.

The payload the payer's PSP fetches from a location: `charge_payload` (the dict),
`signed_location_payload` (the JWS the public view serves), and for the outbound side
`payload_for_location(url)`, which answers the payload of one of our locations or raises
apps.core.errors.NotFound (unknown location, removed or expired charge). A CONCLUIDA charge
is still served, with status CONCLUIDA: a payer must only pay an ATIVA one.
`charge_brcode(charge)` is the dynamic BR Code ("Pix copia e cola") of a charge.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import DateField, DateTimeField, DurationField, ExpressionWrapper, F, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Customer
from apps.accounts.services import tax_id_lookup_hash
from apps.core import due_amounts as cobv_amounts
from apps.core.fsm import apply_transition
from apps.pix.charges.errors import (
    ERRORS_BY_KIND,
    invalid,
    not_found,
    violation,
)
from apps.pix.charges.payloads import (
    brasilia_date,
    charge_brcode,
    cobv_amount_due,
    debtor_of,
    is_payable_at,
)
from apps.pix.charges.selectors import (
    MAX_BIGINT,
    active_key_of_customer,
    location_of_customer,
)
from apps.pix.models import PixCharge, PixLocation, PixTransfer

DEFAULT_EXPIRATION_SECONDS = 86400
DEFAULT_VALID_DAYS_AFTER_DUE = 30
MAX_VALID_DAYS_AFTER_DUE = 3650
MAX_DUE_DATE_YEARS_AHEAD = 10
TXID = re.compile(r"\A[a-zA-Z0-9]{26,35}\Z")

Kind = PixCharge.Kind
Status = PixCharge.Status


def new_txid() -> str:
    """32 letters and digits, as POST /cob generates (a random UUID in hex)."""
    return uuid.uuid4().hex


# --- Inputs ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ChargeInput:
    """A charge as a PUT/POST describes it, already checked against the schema.

    `value_terms` holds cobv's multa/juros/abatimento/desconto in BACEN's shape (values as
    "15.00" strings); `debtor` the devedor dict (nome, cpf or cnpj, and for cobv email,
    logradouro, cidade, uf, cep)."""

    key: str
    amount: int
    amount_editable: bool = False
    expires_in_seconds: int = DEFAULT_EXPIRATION_SECONDS
    due_date: dt.date | None = None
    valid_days_after_due: int = DEFAULT_VALID_DAYS_AFTER_DUE
    value_terms: dict = field(default_factory=dict)
    debtor: dict | None = None
    payer_request: str = ""
    additional_info: list = field(default_factory=list)
    location_id: int | None = None


#: What a PATCH may carry (ChargeInput's names, `value_terms` being merged term by term).
CHANGEABLE = frozenset(
    {
        "key",
        "amount",
        "amount_editable",
        "expires_in_seconds",
        "due_date",
        "valid_days_after_due",
        "value_terms",
        "debtor",
        "payer_request",
        "additional_info",
        "location_id",
        "status",
    }
)


def _raise_violations(kind: str, violations: list[dict]) -> None:
    if violations:
        cls = ERRORS_BY_KIND[kind]["invalid"]
        first = violations[0]
        raise cls(
            first["razao"],
            field=first["propriedade"],
            value=first["valor"],
            violations=violations,
        )


def _term_value(term: Mapping[str, Any] | None) -> int:
    return cobv_amounts.hundredths(term["valorPerc"]) if term and term.get("valorPerc") else 0


def _check_values(
    *,
    kind: str,
    amount: int,
    amount_editable: bool,
    due_date: dt.date | None,
    value_terms: Mapping[str, Any],
    created_on: dt.date,
) -> None:
    """The rules that tie fields together (the schema checked each field alone)."""
    found: list[dict] = []
    if kind == Kind.COB:
        if amount == 0 and not amount_editable:
            found.append(
                violation(
                    _("valor.original is zero; only an editable amount may start at zero."),
                    "cob.valor.original",
                    "0.00",
                )
            )
        _raise_violations(kind, found)
        return
    if amount == 0:
        found.append(violation(_("valor.original cannot be zero."), "cobv.valor.original", "0.00"))
    if due_date is None:
        found.append(violation(_("calendario.dataDeVencimento is required."), "cobv.calendario"))
    elif due_date < created_on:
        found.append(
            violation(
                _("dataDeVencimento is before the charge's creation date."),
                "cobv.calendario.dataDeVencimento",
                due_date.isoformat(),
            )
        )
    elif due_date > created_on + dt.timedelta(days=366 * MAX_DUE_DATE_YEARS_AHEAD):
        found.append(
            violation(
                _("dataDeVencimento is more than %(years)d years ahead.")
                % {"years": MAX_DUE_DATE_YEARS_AHEAD},
                "cobv.calendario.dataDeVencimento",
                due_date.isoformat(),
            )
        )

    def whole_or_more(percent: bool, value: int) -> bool:
        return value >= (cobv_amounts.HUNDRED_PERCENT if percent else amount)

    rebate = value_terms.get("abatimento")
    if rebate and amount and whole_or_more(rebate["modalidade"] == 2, _term_value(rebate)):
        found.append(
            violation(
                _("The abatimento is the whole original amount (or 100 percent) or more."),
                "cobv.valor.abatimento",
            )
        )
    discount = value_terms.get("desconto")
    if discount and amount:
        percent = discount["modalidade"] in cobv_amounts.DISCOUNT_PERCENT
        tiers = discount.get("descontoDataFixa") or []
        values = [_term_value(t) for t in tiers] or [_term_value(discount)]
        if any(whole_or_more(percent, v) for v in values):
            found.append(
                violation(
                    _("A discount is the whole original amount (or 100 percent) or more."),
                    "cobv.valor.desconto",
                )
            )
        if due_date is not None:
            for index, tier in enumerate(tiers):
                if dt.date.fromisoformat(tier["data"]) > due_date:
                    found.append(
                        violation(
                            _("A discount date is after dataDeVencimento."),
                            f"cobv.valor.desconto.descontoDataFixa[{index}].data",
                            tier["data"],
                        )
                    )
    _raise_violations(kind, found)


def _debtor_fields(debtor: Mapping[str, Any] | None) -> tuple[str, str]:
    """(the encrypted column's JSON, the keyed hash of the debtor's CPF/CNPJ)."""
    if not debtor:
        return "", ""
    document = debtor.get("cpf") or debtor.get("cnpj") or ""
    text = json.dumps(dict(debtor), sort_keys=True, ensure_ascii=False)
    return text, tax_id_lookup_hash(document) if document else ""


def _active_key(customer: Customer, kind: str, key: str):
    pix_key = active_key_of_customer(customer=customer, key=key)
    if pix_key is None:
        raise invalid(
            kind,
            _("The key is not an active Pix key of this receiver."),
            prop=f"{kind}.chave",
            value=key,
        )
    return pix_key


def _location_for(
    *, customer: Customer, kind: str, location_id: int | None, charge: PixCharge | None = None
) -> PixLocation:
    """The location a charge uses: the one named (the caller's, same type, free) or a new
    one. Locked, so two charges cannot take one location at once."""
    if location_id is None:
        return PixLocation.objects.create(customer=customer, charge_type=kind)
    prop = f"{kind}.loc.id"
    location = None
    if 0 < location_id <= MAX_BIGINT:
        location = (
            PixLocation.objects.select_for_update()
            .filter(customer=customer, pk=location_id)
            .first()
        )
    if location is None:
        raise invalid(kind, _("The location does not exist."), prop=prop, value=location_id)
    if location.charge_type != kind:
        raise invalid(
            kind,
            _('The location is of type "%(type)s"; it should be "%(kind)s".')
            % {"type": location.charge_type, "kind": kind},
            prop=prop,
            value=location_id,
        )
    holders = PixCharge.objects.filter(location=location)
    if charge is not None:
        holders = holders.exclude(pk=charge.pk)
    if holders.exists():
        raise invalid(
            kind, _("The location is used by another charge."), prop=prop, value=location_id
        )
    return location


def _spec_of_charge(charge: PixCharge) -> dict:
    spec = {
        "kind": charge.kind,
        "key": charge.key,
        "amount": charge.amount,
        "amount_editable": charge.amount_editable,
        "value_terms": charge.value_terms or {},
        "debtor": debtor_of(charge),
        "payer_request": charge.payer_request,
        "additional_info": charge.additional_info or [],
    }
    if charge.kind == Kind.COB:
        spec["expires_in_seconds"] = charge.expires_in_seconds
    else:
        spec["due_date"] = charge.due_date
        spec["valid_days_after_due"] = charge.valid_days_after_due
    return spec


def _spec_of_input(kind: str, key: str, data: ChargeInput) -> dict:
    spec = {
        "kind": kind,
        "key": key,
        "amount": data.amount,
        "amount_editable": data.amount_editable,
        "value_terms": data.value_terms or {},
        "debtor": json.loads(_debtor_fields(data.debtor)[0]) if data.debtor else None,
        "payer_request": data.payer_request,
        "additional_info": list(data.additional_info or []),
    }
    if kind == Kind.COB:
        spec["expires_in_seconds"] = data.expires_in_seconds
    else:
        spec["due_date"] = data.due_date
        spec["valid_days_after_due"] = data.valid_days_after_due
    return spec


def _replay(existing: PixCharge, *, customer: Customer, kind: str, data: ChargeInput) -> PixCharge:
    """A PUT of a txid that exists: the same charge again answers it; anything else is
    refused (BACEN: the txid is unique per receiver; PATCH revises)."""
    if existing.kind != kind:
        raise invalid(
            kind,
            _("This txid is already used by a charge of another kind."),
            prop="txid",
            value=existing.txid,
        )
    pix_key = active_key_of_customer(customer=customer, key=data.key)
    same = (
        pix_key is not None
        and _spec_of_charge(existing) == _spec_of_input(kind, pix_key.key, data)
        and data.location_id in (None, existing.location_id)
    )
    if same:
        return existing
    if existing.status != Status.ATIVA:
        message = _("The charge exists and is not ATIVA; it cannot be changed.")
    else:
        message = _("A charge with this txid already exists; use PATCH to revise it.")
    raise invalid(kind, message, prop="txid", value=existing.txid)


@transaction.atomic
def charge_create(
    *,
    customer: Customer,
    kind: str,
    data: ChargeInput,
    txid: str | None = None,
    actor: Any = None,
    now: dt.datetime | None = None,
) -> tuple[PixCharge, bool]:
    """Create a cob or cobv (txid None: generated). Returns (charge, created)."""
    now = now or timezone.now()
    if txid is None:
        txid = new_txid()
    elif not TXID.match(txid):
        raise invalid(
            kind,
            _("txid must have 26 to 35 letters and digits."),
            prop="txid",
            value=txid[:40],
        )
    existing = PixCharge.objects.filter(customer=customer, txid=txid).first()
    if existing is not None:
        return _replay(existing, customer=customer, kind=kind, data=data), False
    pix_key = _active_key(customer, kind, data.key)
    _check_values(
        kind=kind,
        amount=data.amount,
        amount_editable=data.amount_editable,
        due_date=data.due_date,
        value_terms=data.value_terms,
        created_on=brasilia_date(now),
    )
    debtor_text, debtor_hash = _debtor_fields(data.debtor)
    try:
        # A savepoint: a concurrent PUT of the same txid (unique per customer) loses here and
        # is then answered as a replay, leaving no stray location behind.
        with transaction.atomic():
            location = _location_for(customer=customer, kind=kind, location_id=data.location_id)
            charge = PixCharge(
                kind=kind,
                txid=txid,
                customer=customer,
                account=pix_key.account,
                pix_key=pix_key,
                key=pix_key.key,
                amount=data.amount,
                amount_editable=data.amount_editable if kind == Kind.COB else False,
                value_terms=data.value_terms if kind == Kind.COBV else {},
                debtor=debtor_text,
                debtor_tax_id_hash=debtor_hash,
                payer_request=data.payer_request,
                additional_info=list(data.additional_info),
                location=location,
            )
            if kind == Kind.COB:
                charge.expires_in_seconds = data.expires_in_seconds
            else:
                charge.due_date = data.due_date
                charge.valid_days_after_due = data.valid_days_after_due
            charge._change_reason = f"created by {actor}" if actor else "created"
            charge.save()
    except IntegrityError:
        existing = PixCharge.objects.filter(customer=customer, txid=txid).first()
        if existing is None:
            raise invalid(
                kind,
                _("The location is used by another charge."),
                prop=f"{kind}.loc.id",
                value=data.location_id,
            ) from None
        return _replay(existing, customer=customer, kind=kind, data=data), False
    return charge, True


def _locked_charge(customer: Customer, kind: str, txid: str) -> PixCharge:
    charge = (
        PixCharge.objects.select_for_update(of=("self",))
        .filter(customer=customer, kind=kind, txid=txid)
        .first()
        if len(txid) <= 35
        else None
    )
    if charge is None:
        raise not_found(kind)
    return charge


@transaction.atomic
def charge_update(
    *,
    customer: Customer,
    kind: str,
    txid: str,
    changes: Mapping[str, Any],
    actor: Any = None,
) -> PixCharge:
    """PATCH a charge (see the module's doc). `changes` uses ChargeInput's names."""
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise ValueError(f"not changeable: {sorted(unknown)}")
    charge = _locked_charge(customer, kind, txid)
    status_prop = f"{kind}.status"
    if charge.status != Status.ATIVA:
        raise invalid(
            kind,
            _("The charge is no longer ATIVA; only active charges can be revised."),
            prop=status_prop,
            value=charge.status,
        )
    if "status" in changes:
        if changes["status"] != Status.REMOVIDA_PELO_USUARIO_RECEBEDOR:
            raise invalid(
                kind,
                _("status may only be set to REMOVIDA_PELO_USUARIO_RECEBEDOR."),
                prop=status_prop,
                value=changes["status"],
            )
        if len(changes) > 1:
            raise invalid(
                kind,
                _("A charge cannot be removed and changed in the same request."),
                prop=status_prop,
                value=changes["status"],
            )
        charge.revision += 1
        apply_transition(
            charge, "remove_by_receiver", by=actor or "receiver", reason="PATCH status"
        )
        return charge

    before = _spec_of_charge(charge)
    if "key" in changes:
        pix_key = _active_key(customer, kind, changes["key"])
        charge.pix_key, charge.key, charge.account = pix_key, pix_key.key, pix_key.account
    for name in ("amount", "payer_request"):
        if name in changes:
            setattr(charge, name, changes[name])
    if "additional_info" in changes:
        charge.additional_info = list(changes["additional_info"])
    if kind == Kind.COB:
        if "amount_editable" in changes:
            charge.amount_editable = changes["amount_editable"]
        if "expires_in_seconds" in changes:
            charge.expires_in_seconds = changes["expires_in_seconds"]
    else:
        if "due_date" in changes:
            charge.due_date = changes["due_date"]
        if "valid_days_after_due" in changes:
            charge.valid_days_after_due = changes["valid_days_after_due"]
        if "value_terms" in changes:
            charge.value_terms = {**(charge.value_terms or {}), **changes["value_terms"]}
    if "debtor" in changes:
        charge.debtor, charge.debtor_tax_id_hash = _debtor_fields(changes["debtor"])
    _check_values(
        kind=kind,
        amount=charge.amount,
        amount_editable=charge.amount_editable,
        due_date=charge.due_date,
        value_terms=charge.value_terms or {},
        created_on=brasilia_date(charge.created_at),
    )
    if "location_id" in changes and changes["location_id"] != charge.location_id:
        charge.location = _location_for(
            customer=customer, kind=kind, location_id=changes["location_id"], charge=charge
        )
    # Revision counts changes of the charge itself; moving it to another location does not.
    if _spec_of_charge(charge) != before:
        charge.revision += 1
    charge._change_reason = f"PATCH revision {charge.revision}"
    charge.save()
    return charge


# --- Locations ---------------------------------------------------------------------------


def location_create(*, customer: Customer, charge_type: str) -> PixLocation:
    if charge_type not in PixLocation.ChargeType.values:
        raise ValueError(f"unknown tipoCob {charge_type!r}")
    return PixLocation.objects.create(customer=customer, charge_type=charge_type)


@transaction.atomic
def location_unlink(
    *, customer: Customer, location_id: int | str, actor: Any = None
) -> PixLocation:
    """Detach the location's charge (if any). The charge keeps its status and revision."""
    location = location_of_customer(customer=customer, location_id=location_id)
    charge = PixCharge.objects.select_for_update(of=("self",)).filter(location=location).first()
    if charge is not None:
        charge.location = None
        charge._change_reason = f"location {location.pk} unlinked" + (
            f" by {actor}" if actor else ""
        )
        charge.save(update_fields=["location", "updated_at"])
    location.refresh_from_db()
    return location


# --- Amounts and validity ----------------------------------------------------------------


def charge_payment_received(transfer: PixTransfer) -> PixCharge | None:
    """Link an inbound Pix to the active charge its txid names, and conclude the charge
    (see the module's doc for what a payment must be)."""
    if not transfer.tx_id or transfer.direction != PixTransfer.Direction.IN:
        return None
    charge = (
        PixCharge.objects.select_for_update(of=("self",))
        .filter(customer_id=transfer.account.customer_id, txid=transfer.tx_id)
        .first()
    )
    if charge is None or charge.status != Status.ATIVA:
        return None
    paid_at = transfer.created_at or timezone.now()
    if not is_payable_at(charge, paid_at):
        return None
    if charge.kind == Kind.COB:
        if not charge.amount_editable and transfer.amount != charge.amount:
            return None
    elif transfer.amount != cobv_amount_due(charge, brasilia_date(paid_at)).final:
        return None
    transfer.charge = charge
    transfer.save(update_fields=["charge", "updated_at"])
    apply_transition(charge, "conclude", by="spi", reason=transfer.end_to_end_id or "")
    return charge


@transaction.atomic
def charge_remove_by_psp(*, charge_id: int, reason: str) -> PixCharge | None:
    """Close an ATIVA charge for a reason of ours (REMOVIDA_PELO_PSP): a hybrid boleto paid
    through its barcode, cancelled or expired. None when the charge is not ATIVA any more
    (already paid, removed): nothing to do."""
    charge = PixCharge.objects.select_for_update(of=("self",)).filter(pk=charge_id).first()
    if charge is None or charge.status != Status.ATIVA:
        return None
    return apply_transition(charge, "remove_by_psp", by="psp", reason=reason)


def charge_status(*, charge_id: int) -> str | None:
    return PixCharge.objects.filter(pk=charge_id).values_list("status", flat=True).first()


def charge_brcode_of(*, charge_id: int) -> str | None:
    """The dynamic BR Code ("copia e cola") of a charge, or None when it has no location."""
    charge = PixCharge.objects.filter(pk=charge_id).select_related("location").first()
    if charge is None or charge.location_id is None:
        return None
    return charge_brcode(charge)


def _expired(charge: PixCharge, now: dt.datetime) -> bool:
    return charge.status == Status.ATIVA and not is_payable_at(charge, now)


def charges_expire(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """ATIVA charges past their life become REMOVIDA_PELO_PSP; returns how many did.

    One short transaction per charge, skipping rows locked by a payment in flight (the next
    run sees them again); a re-run does nothing twice (only ATIVA rows move)."""
    now = now or timezone.now()
    today = brasilia_date(now)
    cob_deadline = ExpressionWrapper(
        F("created_at")
        + ExpressionWrapper(
            F("expires_in_seconds") * Value(dt.timedelta(seconds=1)),
            output_field=DurationField(),
        ),
        output_field=DateTimeField(),
    )
    # due + validity is a lower bound of the last payable date (moved to business days,
    # never earlier): the exact date is checked per row below.
    cobv_end = ExpressionWrapper(
        F("due_date") + F("valid_days_after_due"), output_field=DateField()
    )
    active = PixCharge.objects.filter(status=Status.ATIVA)
    ids = list(
        active.filter(kind=Kind.COB)
        .annotate(deadline=cob_deadline)
        .filter(deadline__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    ) + list(
        active.filter(kind=Kind.COBV)
        .annotate(end=cobv_end)
        .filter(end__lt=today)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    removed = 0
    for charge_id in ids:
        with transaction.atomic():
            charge = (
                PixCharge.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=charge_id)
                .first()
            )
            if charge is None or not _expired(charge, now):
                continue
            apply_transition(charge, "remove_by_psp", by="system", reason="expired")
            removed += 1
    return removed


# --- Payloads ----------------------------------------------------------------------------
