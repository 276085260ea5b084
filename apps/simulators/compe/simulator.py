"""COMPE clearing, simulated in our database (the interface: apps.boleto.adapters.compe).

What it does, as the clearing house and the other banks behind it would:

* `submit_payment`: a boleto our customer paid enters the day's clearing (we owe the
  beneficiary's bank); when the beneficiary's bank is us, the item comes back to us in the
  next return file, like any other payment of our boletos;
* `pay_from_other_bank`: a payer at another bank pays one of our boletos: the paying bank
  asks CIP (payable? how much today?), records the baixa operacional, and the item enters
  clearing (the other bank owes us);
* `send_remittance`: reads our CNAB 240 remittance (a malformed file is refused whole) and
  answers each title in the next return file: 02 accepted, or 03 rejected with a motive
  (09 nosso numero already registered, 16 due date before the issue date); a movement 02
  (write-off request) is answered 09;
* `fetch_returns`: writes a CNAB 240 return file with every pending answer and every
  payment of our boletos not yet returned (06, the tarifa in segment T, paid and net in
  segment U, credit date the next business day), and hands each file over once;
* `net_position(day)`: what clearing owes us for the day (our boletos paid at other banks)
  minus what we owe it (other banks' boletos our customers paid).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from apps.boleto.adapters.cip import CipRefused
from apps.boleto.adapters.compe import ClearingItem, CompeClient, CompeError
from apps.boleto.codecs import cnab240
from apps.boleto.codecs.free_field import nosso_numero_of
from apps.core import due_amounts
from apps.core.timezones import brasilia_now, brasilia_today
from apps.simulators.cip.models import CipBoleto
from apps.simulators.cip.simulator import CipSimulator
from apps.simulators.compe.models import CompeFile, CompeItem, CompePendingAnswer


def _ours() -> str:
    return settings.ATHENA_BANK_CODE


def _next_sequence(direction: str) -> int:
    last = CompeFile.objects.filter(direction=direction).aggregate(m=Max("sequence"))["m"]
    return (last or 0) + 1


def _header(sequence: int, now: dt.datetime) -> cnab240.FileHeader:
    return cnab240.FileHeader(
        bank_code=_ours(),
        company_tax_id=settings.ATHENA_CNPJ,
        company_name=settings.ATHENA_LEGAL_NAME,
        agreement=settings.ATHENA_ISPB,
        agency=settings.ATHENA_BRANCH,
        account="1",
        file_kind="return",
        generated_at=brasilia_now(now).replace(tzinfo=None, microsecond=0),
        sequence=sequence,
    )


def fee_cents() -> int:
    return settings.BOLETO_ISSUER_FEE_CENTS


class CompeSimulator(CompeClient):
    def submit_payment(self, item: ClearingItem) -> None:
        beneficiary_bank = item.barcode[:3]
        CompeItem.objects.create(
            barcode=item.barcode,
            amount=item.amount_cents,
            fee=fee_cents() if beneficiary_bank == _ours() else 0,
            paying_bank=item.paying_bank,
            beneficiary_bank=beneficiary_bank,
            nosso_numero=nosso_numero_of(item.barcode[19:]) or "",
            paid_on=item.paid_on,
            reference=item.reference,
        )

    def send_remittance(self, name: str, content: str) -> None:
        try:
            remittance = cnab240.parse_remittance(content)
        except cnab240.CnabError as exc:
            raise CompeError(f"remittance {name} refused: {exc}") from exc
        with transaction.atomic():
            CompeFile.objects.create(
                direction=CompeFile.Direction.REMITTANCE,
                name=name,
                sequence=remittance.header.sequence,
                content=content,
            )
            seen = set(
                CompePendingAnswer.objects.filter(movement="02").values_list(
                    "nosso_numero", flat=True
                )
            )
            for title in remittance.titles:
                CompePendingAnswer.objects.create(**_answer(title, seen))
                seen.add(title.nosso_numero)

    def fetch_returns(self) -> list[tuple[str, str]]:
        self._write_return()
        files = []
        with transaction.atomic():
            pending = CompeFile.objects.select_for_update().filter(
                direction=CompeFile.Direction.RETURN, delivered=False
            )
            for row in pending.order_by("sequence"):
                files.append((row.name, row.content))
                row.delivered = True
                row.save(update_fields=["delivered"])
        return files

    def net_position(self, day: dt.date) -> int:
        items = CompeItem.objects.filter(paid_on=day)
        to_us = items.filter(beneficiary_bank=_ours()).exclude(paying_bank=_ours())
        from_us = items.filter(paying_bank=_ours()).exclude(beneficiary_bank=_ours())
        received = to_us.aggregate(s=Sum("amount"))["s"] or 0
        owed = from_us.aggregate(s=Sum("amount"))["s"] or 0
        return received - owed

    @transaction.atomic
    def _write_return(self) -> CompeFile | None:
        now = timezone.now()
        answers = list(
            CompePendingAnswer.objects.select_for_update().filter(answered=False).order_by("pk")
        )
        paid = list(
            CompeItem.objects.select_for_update()
            .filter(beneficiary_bank=_ours(), returned=False)
            .exclude(nosso_numero="")
            .order_by("pk")
        )
        if not answers and not paid:
            return None
        items = [_answer_item(answer, now) for answer in answers]
        items += [_paid_item(item) for item in paid]
        sequence = _next_sequence(CompeFile.Direction.RETURN)
        content = cnab240.write_return(_header(sequence, now), items)
        CompePendingAnswer.objects.filter(pk__in=[a.pk for a in answers]).update(answered=True)
        CompeItem.objects.filter(pk__in=[i.pk for i in paid]).update(returned=True)
        return CompeFile.objects.create(
            direction=CompeFile.Direction.RETURN,
            name=f"RET{_ours()}{now:%Y%m%d}{sequence:06d}.ret",
            sequence=sequence,
            content=content,
        )


def _answer(title: cnab240.Title, seen: set[str]) -> dict:
    row = {
        "nosso_numero": title.nosso_numero,
        "seu_numero": title.seu_numero,
        "due_date": title.due_date,
        "amount": title.amount_cents,
    }
    if title.movement == 2:
        return {**row, "movement": "09"}
    if title.nosso_numero in seen:
        return {**row, "movement": "03", "motive": "09"}
    if title.due_date < title.issue_date:
        return {**row, "movement": "03", "motive": "16"}
    return {**row, "movement": "02"}


def _answer_item(answer: CompePendingAnswer, now: dt.datetime) -> cnab240.ReturnItem:
    return cnab240.ReturnItem(
        nosso_numero=answer.nosso_numero,
        seu_numero=answer.seu_numero,
        movement=answer.movement,
        due_date=answer.due_date,
        face_value=answer.amount,
        bank_code=_ours(),
        collecting_agency="0",
        fee_cents=0,
        motives=(answer.motive,) if answer.motive else (),
        payer_tax_id="",
        payer_name="",
        interest_cents=0,
        discount_cents=0,
        rebate_cents=0,
        iof_cents=0,
        paid_cents=0,
        net_cents=0,
        other_expenses=0,
        other_credits=0,
        occurrence_date=brasilia_today(now),
        credit_date=None,
    )


def _paid_item(item: CompeItem) -> cnab240.ReturnItem:
    cip = CipBoleto.objects.filter(barcode=item.barcode).first()
    face = cip.amount if cip else item.amount
    difference = item.amount - face
    return cnab240.ReturnItem(
        nosso_numero=item.nosso_numero,
        seu_numero="",
        movement="06",
        due_date=cip.due_date if cip else None,
        face_value=face,
        bank_code=_ours(),
        collecting_agency="0",
        fee_cents=item.fee,
        motives=(),
        payer_tax_id="",
        payer_name="",
        interest_cents=max(difference, 0),
        discount_cents=max(-difference, 0),
        rebate_cents=0,
        iof_cents=0,
        paid_cents=item.amount,
        net_cents=item.amount - item.fee,
        other_expenses=0,
        other_credits=0,
        occurrence_date=item.paid_on,
        credit_date=due_amounts.next_business_day(
            item.paid_on + dt.timedelta(days=1), due_amounts.B3
        ),
    )


def pay_from_other_bank(
    barcode: str, *, paying_bank: str = "341", paid_on: dt.date | None = None
) -> CompeItem:
    """A payer at another bank pays one of our boletos, as the paying bank would: ask CIP
    what it asks today, record the payment there, and send the item to clearing."""
    paid_on = paid_on or brasilia_today()
    cip = CipSimulator()
    with transaction.atomic():
        title = cip.lookup(barcode)
        if title is None:
            raise CipRefused("boleto not registered at CIP")
        amount = title.amount
        if title.due_date is not None:
            terms = due_amounts.terms_from_json(title.amount, title.value_terms)
            amount = due_amounts.amount_due(
                terms, due=title.due_date, pay_date=paid_on, calendar=due_amounts.B3
            ).final
        cip.record_payment(barcode, amount_cents=amount, paid_on=paid_on, paying_bank=paying_bank)
        return CompeItem.objects.create(
            barcode=barcode,
            amount=amount,
            fee=fee_cents() if barcode[:3] == _ours() else 0,
            paying_bank=paying_bank,
            beneficiary_bank=barcode[:3],
            nosso_numero=nosso_numero_of(barcode[19:]) or "",
            paid_on=paid_on,
        )
