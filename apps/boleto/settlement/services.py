"""COMPE settlement through CNAB 240 files.

* `remittance_send`: the boletos registered since the last remittance go to clearing in one
  CNAB 240 remittance (segments P, Q and R per boleto), kept with its lines.
* `returns_fetch` / `return_receive`: return files are stored once (by digest: the same
  file twice is recognised and changes nothing) and processed.
* `return_process`: the whole file is parsed first; a malformed file, or a line whose
  figures do not add up (net = paid - tarifa), is rejected whole, naming the line and the
  field, and nothing is posted. Then every title is matched to a boleto of ours by its
  nosso numero (one query, rows locked in id order) and applied by occurrence:
  02 registration confirmed; 03 rejected (the boleto is cancelled, with the motives);
  06 paid and 17 paid after write-off (the issuer is credited the net, the tarifa goes to
  fee revenue, out of boleto clearing; a hybrid boleto's Pix charge is removed);
  09 written off; 28 tarifas debited from the issuer. A boleto already in the state the
  line asks is a duplicate and moves nothing, so a line that arrives twice (in two files)
  credits once.
  Settling is set-based: the ledger entries go out in batches (`post_entries`: many entries
  per round trip, each still checked by PostgreSQL: balanced, no overdraft), the boletos
  move with one guarded UPDATE per occurrence and their history and transition logs are
  written in bulk (apps.core.fsm.record_bulk_transitions).
* `return_reprocess_request` / `_approve`: four eyes: a second operator approves running a
  rejected file again (after the cause was fixed).
* `compe_settle`: the day's net position at COMPE against the reserves account (once a day).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts import services as accounts
from apps.accounts.models import JournalEntry
from apps.boleto.adapters.compe import compe_client
from apps.boleto.codecs import cnab240
from apps.boleto.models import Boleto, CnabFile, CnabLine
from apps.boleto.notifications import boleto_paid_notify
from apps.core.bulk_copy import copy_rows
from apps.core.errors import Conflict, DomainError, Forbidden, NotFound
from apps.core.fsm import apply_transition, record_bulk_transitions
from apps.core.timezones import brasilia_now, brasilia_today

logger = logging.getLogger(__name__)

State = Boleto.State
Outcome = CnabLine.Outcome

PAID_MOVEMENTS = {"06": (State.REGISTERED, State.EXPIRED), "17": (State.WRITTEN_OFF,)}
WRITE_OFF_SOURCES = (State.REGISTERED, State.EXPIRED)


def _digest(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8", "replace")).hexdigest()


def _header(kind: str, sequence: int, now: dt.datetime) -> cnab240.FileHeader:
    return cnab240.FileHeader(
        bank_code=settings.ATHENA_BANK_CODE,
        company_tax_id=settings.ATHENA_CNPJ,
        company_name=settings.ATHENA_LEGAL_NAME,
        agreement=settings.ATHENA_ISPB,
        agency=settings.ATHENA_BRANCH,
        account="1",
        file_kind=kind,
        generated_at=brasilia_now(now).replace(tzinfo=None, microsecond=0),
        sequence=sequence,
    )


# --- Remittance ------------------------------------------------------------------------


def _hundredths(value: str | None) -> int:
    if not value:
        return 0
    whole, _sep, frac = value.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def _title(boleto: Boleto) -> cnab240.Title:
    terms = boleto.value_terms or {}
    fine = terms.get("multa") or {}
    interest = terms.get("juros") or {}
    discount = ((terms.get("desconto") or {}).get("descontoDataFixa") or [{}])[0]
    address = boleto.payer_address or {}
    tax_id = boleto.payer_tax_id
    after_due = boleto.due_date + dt.timedelta(days=1)
    return cnab240.Title(
        nosso_numero=boleto.nosso_numero,
        seu_numero=boleto.seu_numero or boleto.nosso_numero[-10:],
        due_date=boleto.due_date,
        amount_cents=boleto.amount,
        issue_date=boleto.issue_date,
        interest_code=2 if interest else 3,
        interest_date=after_due if interest else None,
        interest_value=_hundredths(interest.get("valorPerc")),
        discount_code=1 if discount else 0,
        discount_date=dt.date.fromisoformat(discount["data"]) if discount else None,
        discount_value=_hundredths(discount.get("valorPerc")),
        rebate_cents=0,
        payer_kind=1 if len(tax_id) == 11 else 2,
        payer_tax_id=tax_id,
        payer_name=boleto.payer_name,
        payer_address=str(address.get("street", "")),
        payer_district=str(address.get("district", "")),
        payer_zip=str(address.get("zip", "") or "00000000").zfill(8)[:8],
        payer_city=str(address.get("city", "")),
        payer_state=str(address.get("state", "")),
        fine_code=2 if fine else 0,
        fine_date=after_due if fine else None,
        fine_value=_hundredths(fine.get("valorPerc")),
        company_use=str(boleto.public_id.hex[:25]),
    )


def _next_sequence(direction: str) -> int:
    last = (
        CnabFile.objects.filter(direction=direction, sequence__isnull=False)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    return (last or 0) + 1


@transaction.atomic
def remittance_send(*, now: dt.datetime | None = None) -> CnabFile | None:
    """One remittance with every registered boleto not yet remitted (None: nothing to
    send). The rows are locked so that two runs never remit a boleto twice."""
    now = now or timezone.now()
    boletos = list(
        Boleto.objects.select_for_update(skip_locked=True)
        .filter(remitted_in__isnull=True, state=State.REGISTERED)
        .order_by("pk")[:50_000]
    )
    if not boletos:
        return None
    sequence = _next_sequence(CnabFile.Direction.REMITTANCE)
    content = cnab240.write_remittance(
        _header("remittance", sequence, now), [_title(b) for b in boletos]
    )
    name = f"REM{settings.ATHENA_BANK_CODE}{brasilia_today(now):%Y%m%d}{sequence:06d}.rem"
    cnab_file = CnabFile.objects.create(
        direction=CnabFile.Direction.REMITTANCE,
        name=name,
        digest=_digest(content),
        sequence=sequence,
        content=content,
        state=CnabFile.State.SENT,
        line_count=content.count("\n"),
    )
    # File header, lote header, then P, Q, R per boleto: P of the n-th is line 3 + 3n.
    CnabLine.objects.bulk_create(
        [
            CnabLine(
                file=cnab_file,
                line_number=3 + 3 * index,
                nosso_numero=boleto.nosso_numero,
                movement="01",
                boleto=boleto,
                amount=boleto.amount,
                outcome=Outcome.SENT,
            )
            for index, boleto in enumerate(boletos)
        ]
    )
    Boleto.objects.filter(pk__in=[b.pk for b in boletos]).update(remitted_in=cnab_file)
    compe_client().send_remittance(name, content)
    return cnab_file


# --- Returns ---------------------------------------------------------------------------


def returns_fetch() -> list[CnabFile]:
    """Fetch the return files waiting at COMPE and process each."""
    return [
        return_receive(name=name, content=content)
        for name, content in compe_client().fetch_returns()
    ]


def return_receive(*, name: str, content: str) -> CnabFile:
    """Store a return file once and process it; the same file again is answered as it is."""
    digest = _digest(content)
    with transaction.atomic():
        cnab_file, created = CnabFile.objects.get_or_create(
            direction=CnabFile.Direction.RETURN,
            digest=digest,
            defaults={
                "name": name[:120],
                "content": content,
                "state": CnabFile.State.RECEIVED,
            },
        )
    if not created:
        return cnab_file
    return return_process(file_id=cnab_file.pk)


@dataclass
class _Plan:
    """What a return file will do, decided before anything is written."""

    lines: list[tuple]
    paid: list[tuple[_Row, cnab240.ReturnItem]]
    confirmed: list[int]
    rejected: list[tuple[_Row, cnab240.ReturnItem]]
    written_off: list[_Row]
    fees: list[tuple[_Row, cnab240.ReturnItem]]


# What processing changes on a file (its content, megabytes, is never written again).
_STATE_FIELDS = [
    "state",
    "sequence",
    "line_count",
    "totals",
    "processed_at",
    "error_line",
    "error_field",
    "error_message",
    "updated_at",
]


def _reject(cnab_file: CnabFile, line: int, field: str, message: str) -> CnabFile:
    cnab_file.state = CnabFile.State.REJECTED
    cnab_file.error_line = line
    cnab_file.error_field = field[:80]
    cnab_file.error_message = message[:300]
    cnab_file.processed_at = timezone.now()
    cnab_file.save(update_fields=_STATE_FIELDS)
    logger.warning(
        "CNAB return rejected", extra={"file": cnab_file.pk, "line": line, "field": field}
    )
    return cnab_file


def _check_figures(items: Iterable[cnab240.ReturnItem]) -> None:
    for item in items:
        if item.movement in PAID_MOVEMENTS:
            if item.paid_cents <= 0:
                raise cnab240.CnabError(item.line_u, "segment_u.paid_amount", "a payment of zero")
            if item.net_cents != item.paid_cents - item.fee_cents:
                raise cnab240.CnabError(
                    item.line_u,
                    "segment_u.net_amount",
                    "the net amount is not the paid amount minus the tarifa",
                )
        if item.movement == "28" and item.fee_cents <= 0:
            raise cnab240.CnabError(item.line_t, "segment_t.fee", "a fee occurrence without a fee")


@dataclass(frozen=True, slots=True)
class _Row:
    """What settling needs of a boleto (the encrypted payer columns are not even read)."""

    pk: int
    nosso_numero: str
    state: str
    account_id: int
    payer_name: str
    due_date: dt.date
    pix_charge_id: int | None


# The boletos a file names, locked in id order (the order every writer of boletos takes).
_LOCK_SQL = """
SELECT id, nosso_numero, state, account_id, payer_name, due_date, pix_charge_id
  FROM boleto_boleto WHERE nosso_numero = ANY(%s::text[]) ORDER BY id FOR UPDATE
"""

# A CNAB line as COPY writes it (CnabLine's columns, in this order).
_LINE_FIELDS = (
    "file",
    "line_number",
    "nosso_numero",
    "movement",
    "boleto",
    "amount",
    "fee",
    "outcome",
    "detail",
)


def _line(file_id, item, boleto, outcome, detail="", amount=0, fee=0) -> tuple:
    boleto_id = boleto.pk if boleto is not None else None
    return (
        file_id,
        item.line_t,
        item.nosso_numero,
        item.movement,
        boleto_id,
        amount,
        fee,
        outcome.value,
        detail[:200],
    )


def _ours(nosso_numero: str) -> str:
    return nosso_numero.lstrip("0").zfill(17)


def _plan(cnab_file: CnabFile, items: tuple[cnab240.ReturnItem, ...]) -> _Plan:
    """Decide what every line does, with the boletos locked in id order."""
    with connection.cursor() as cursor:
        # = ANY(array): one parameter, where `__in` would send (and plan) one per boleto.
        cursor.execute(_LOCK_SQL, [sorted({_ours(item.nosso_numero) for item in items})])
        rows = cursor.fetchall()
    boletos = {row[1]: _Row(*row) for row in rows}
    plan = _Plan([], [], [], [], [], [])
    state_after: dict[int, str] = {}
    file_id = cnab_file.pk
    for item in items:
        boleto = boletos.get(_ours(item.nosso_numero))
        if boleto is None:
            plan.lines.append(_line(file_id, item, None, Outcome.UNMATCHED))
            continue
        state = state_after.get(boleto.pk, boleto.state)
        movement = item.movement
        if movement in PAID_MOVEMENTS:
            if state not in PAID_MOVEMENTS[movement]:
                plan.lines.append(
                    _line(file_id, item, boleto, Outcome.DUPLICATE, f"boleto is {state}")
                )
                continue
            state_after[boleto.pk] = State.PAID
            plan.paid.append((boleto, item))
            plan.lines.append(
                _line(
                    file_id,
                    item,
                    boleto,
                    Outcome.APPLIED,
                    amount=item.paid_cents,
                    fee=item.fee_cents,
                )
            )
        elif movement == "02":
            plan.confirmed.append(boleto.pk)
            plan.lines.append(_line(file_id, item, boleto, Outcome.APPLIED))
        elif movement == "03":
            if state != State.REGISTERED:
                plan.lines.append(_line(file_id, item, boleto, Outcome.DUPLICATE))
                continue
            state_after[boleto.pk] = State.CANCELLED
            plan.rejected.append((boleto, item))
            plan.lines.append(
                _line(file_id, item, boleto, Outcome.APPLIED, "motives " + ",".join(item.motives))
            )
        elif movement == "09":
            if state not in WRITE_OFF_SOURCES:
                plan.lines.append(_line(file_id, item, boleto, Outcome.DUPLICATE))
                continue
            state_after[boleto.pk] = State.WRITTEN_OFF
            plan.written_off.append(boleto)
            plan.lines.append(_line(file_id, item, boleto, Outcome.APPLIED))
        elif movement == "28":
            plan.fees.append((boleto, item))
            plan.lines.append(_line(file_id, item, boleto, Outcome.APPLIED, fee=item.fee_cents))
        else:
            plan.lines.append(_line(file_id, item, boleto, Outcome.IGNORED))
    return plan


def _paid_entries(paid: list[tuple[_Row, cnab240.ReturnItem]]) -> list[accounts.Entry]:
    clearing = accounts.internal_account_id("boleto_clearing")
    revenue = accounts.internal_account_id("fee_revenue")
    entries = []
    for boleto, item in paid:
        legs = [
            accounts.Leg(clearing, -item.paid_cents),
            accounts.Leg(boleto.account_id, item.net_cents),
        ]
        if item.fee_cents:
            legs.append(accounts.Leg(revenue, item.fee_cents))
        entries.append(
            accounts.Entry(
                kind="boleto_received",
                legs=legs,
                description=f"boleto {boleto.nosso_numero} ({item.movement})",
                reference_type="boleto",
                reference_id=boleto.pk,
                metadata={
                    "payer": boleto.payer_name,
                    "paid": item.paid_cents,
                    "fee": item.fee_cents,
                    "due_date": boleto.due_date.isoformat(),
                },
            )
        )
    return entries


def _fee_entries(fees: list[tuple[_Row, cnab240.ReturnItem]]) -> list[accounts.Entry]:
    revenue = accounts.internal_account_id("fee_revenue")
    return [
        accounts.Entry(
            kind="fee",
            legs=[
                accounts.Leg(boleto.account_id, -item.fee_cents),
                accounts.Leg(revenue, item.fee_cents),
            ],
            description=f"boleto {boleto.nosso_numero} tarifa",
            reference_type="boleto",
            reference_id=boleto.pk,
            metadata={"fee": "boleto", "nosso_numero": boleto.nosso_numero},
        )
        for boleto, item in fees
    ]


def _post_credits(entries: list[accounts.Entry]) -> list[int]:
    """The issuers' credits: set-based, BOLETO_SETTLEMENT_BATCH entries per call."""
    size = settings.BOLETO_SETTLEMENT_BATCH
    ids: list[int] = []
    for start in range(0, len(entries), size):
        ids += accounts.post_credits(entries[start : start + size])
    return ids


_PAY_SQL = """
UPDATE boleto_boleto AS b
   SET state = 'paid', paid_via = 'barcode', paid_amount = v.paid, fee_amount = v.fee,
       paid_on = v.paid_on, credited_entry_id = v.entry, updated_at = now()
  FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::date[], %s::bigint[])
       AS v(id, paid, fee, paid_on, entry)
 WHERE b.id = v.id
"""


def _apply(cnab_file: CnabFile, plan: _Plan) -> dict:
    # Credits set-based; tarifas debit an issuer, so they lock and check its account, one
    # entry each, pipelined.
    entry_ids = _post_credits(_paid_entries(plan.paid))
    accounts.post_entries(_fee_entries(plan.fees))
    paid_ids = [boleto.pk for boleto, _item in plan.paid]
    sources = {boleto.pk: boleto.state for boleto, _item in plan.paid}
    with connection.cursor() as cursor:
        cursor.execute(
            _PAY_SQL,
            [
                paid_ids,
                [item.paid_cents for _b, item in plan.paid],
                [item.fee_cents for _b, item in plan.paid],
                [item.occurrence_date for _b, item in plan.paid],
                entry_ids,
            ],
        )
    by = f"cnab {cnab_file.name}"
    record_bulk_transitions(
        Boleto, sources=sources, name="pay", target=State.PAID, by=by, reason="paid (COMPE)"
    )
    # Rare occurrences, one by one through the FSM (on full rows).
    for boleto, item in plan.rejected:
        apply_transition(
            Boleto.objects.get(pk=boleto.pk),
            "cancel",
            by=by,
            reason=f"rejected by COMPE: {','.join(item.motives)}",
        )
    for boleto in plan.written_off:
        apply_transition(
            Boleto.objects.get(pk=boleto.pk), "write_off", by=by, reason="written off by the bank"
        )
    if plan.confirmed:
        Boleto.objects.filter(pk__in=plan.confirmed).update(registration_confirmed=True)
    copy_rows(CnabLine, _LINE_FIELDS, plan.lines)
    hybrid = [b.pix_charge_id for b, _i in plan.paid if b.pix_charge_id]
    if hybrid:
        from apps.pix.charges import services as pix_charges

        for charge_id in hybrid:
            pix_charges.charge_remove_by_psp(charge_id=charge_id, reason="boleto paid by barcode")
    boleto_paid_notify(boleto_ids=paid_ids)
    return {
        "paid": len(plan.paid),
        "paid_amount": sum(item.paid_cents for _b, item in plan.paid),
        "fees": sum(item.fee_cents for _b, item in plan.paid + plan.fees),
        "confirmed": len(plan.confirmed),
        "rejected": len(plan.rejected),
        "written_off": len(plan.written_off),
        "unmatched": sum(1 for line in plan.lines if line[7] == Outcome.UNMATCHED),
        "duplicates": sum(1 for line in plan.lines if line[7] == Outcome.DUPLICATE),
    }


def return_process(*, file_id: int) -> CnabFile:
    """Process a received return file (see the module's doc)."""
    cnab_file = CnabFile.objects.get(pk=file_id, direction=CnabFile.Direction.RETURN)
    if cnab_file.state == CnabFile.State.PROCESSED:
        return cnab_file
    try:
        parsed = cnab240.parse_return(cnab_file.content)
        _check_figures(parsed.items)
    except cnab240.CnabError as exc:
        return _reject(cnab_file, exc.line, exc.field, exc.message)
    try:
        with transaction.atomic():
            # Two workers on one file: the second waits here and then finds it processed.
            locked = CnabFile.objects.select_for_update().only("pk", "state").get(pk=file_id)
            if locked.state == CnabFile.State.PROCESSED:
                return CnabFile.objects.get(pk=file_id)
            plan = _plan(cnab_file, parsed.items)
            totals = _apply(cnab_file, plan)
            cnab_file.state = CnabFile.State.PROCESSED
            cnab_file.sequence = parsed.header.sequence
            cnab_file.line_count = parsed.line_count
            cnab_file.totals = totals
            cnab_file.processed_at = timezone.now()
            cnab_file.error_line, cnab_file.error_field, cnab_file.error_message = None, "", ""
            cnab_file.save(update_fields=_STATE_FIELDS)
    except DomainError as exc:
        # The ledger refused an entry (an issuer cannot pay a tarifa): nothing was posted.
        return _reject(cnab_file, 0, "ledger", exc.message)
    return cnab_file


@transaction.atomic
def return_reprocess_request(*, file_id: int, actor) -> CnabFile:
    cnab_file = CnabFile.objects.select_for_update().filter(pk=file_id).first()
    if cnab_file is None:
        raise NotFound(_("File not found."))
    if cnab_file.state != CnabFile.State.REJECTED:
        raise Conflict(_("Only a rejected return file can be processed again."))
    cnab_file.reprocess_requested_by = actor
    cnab_file.reprocess_approved_by = None
    cnab_file.save(update_fields=["reprocess_requested_by", "reprocess_approved_by", "updated_at"])
    return cnab_file


def return_reprocess_approve(*, file_id: int, actor) -> CnabFile:
    with transaction.atomic():
        cnab_file = CnabFile.objects.select_for_update().filter(pk=file_id).first()
        if cnab_file is None:
            raise NotFound(_("File not found."))
        if (
            cnab_file.state != CnabFile.State.REJECTED
            or cnab_file.reprocess_requested_by_id is None
        ):
            raise Conflict(_("No reprocessing was requested for this file."))
        if cnab_file.reprocess_requested_by_id == actor.pk:
            raise Forbidden(_("Another operator must approve what you requested (four eyes)."))
        cnab_file.reprocess_approved_by = actor
        cnab_file.reprocess_count += 1
        cnab_file.state = CnabFile.State.RECEIVED
        cnab_file.save(
            update_fields=["reprocess_approved_by", "reprocess_count", "state", "updated_at"]
        )
    return return_process(file_id=file_id)


# --- Net settlement --------------------------------------------------------------------


@transaction.atomic
def compe_settle(*, day: dt.date) -> int | None:
    """Settle the day's net at COMPE against the reserves account, once per day. Money we
    receive lowers the reserves account's balance (the ledger's convention for money
    arriving from outside) and empties boleto clearing. Returns the entry id, or None when
    the day was settled already or nets to zero."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('compe_settle'))")
    if JournalEntry.objects.filter(kind="compe_settlement", reference_id=day.isoformat()).exists():
        return None
    net = compe_client().net_position(day)
    if net == 0:
        return None
    return accounts.post_entry(
        kind="compe_settlement",
        legs=[
            accounts.Leg(accounts.internal_account_id("reserves_bacen"), -net),
            accounts.Leg(accounts.internal_account_id("boleto_clearing"), net),
        ],
        description=f"COMPE net {day.isoformat()}",
        reference_type="compe_settlement",
        reference_id=day.isoformat(),
        metadata={"day": day.isoformat(), "net": net},
    )
