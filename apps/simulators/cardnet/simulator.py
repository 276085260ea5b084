"""The card network, simulated in our database (the interface: apps.cards.adapters.clearing).

What it does, as a network between the acquirers and us would:

* it keeps what it saw authorized: `authorizations_observe()` copies our approvals (and marks
  the ones reversed) as the network saw them pass, `authorization_record(row)` one of them;
* acquirers present: `present(auth, amount_cents=)` (the authorized amount by default; less
  is a partial capture, more an over-capture such as a tip), `force_post(...)` (a purchase
  never authorized: offline, a force post), `refund(...)`, `reverse(record)` (a 25 or 26);
  `present_approved()` presents every approval not yet presented (with a tip of
  CARDS_CARDNET_SIM_TIP_PERCENT on restaurant MCCs);
* `file_write(day=)` writes the records not yet in a file into an ATHENA-CLR 001 file for
  us; `fetch_files()` (the interface) writes one (after presenting the day's approvals when
  CARDS_CARDNET_SIM_AUTO_PRESENT) and hands each file over once;
* `net_position(day)`: what the issuer owes for the day's files (negative: is owed).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from stdnum import luhn

from apps.cards.adapters.clearing import ClearingClient
from apps.cards.clearing import codecs as clr
from apps.core.timezones import brasilia_now, brasilia_today
from apps.simulators.cardnet.models import CardnetAuthorization, CardnetFile, CardnetRecord

NETWORK = "CARDNET"
ACQUIRER_ID = "740123"  # the simulated acquirers' reference prefix in every ARN
RESTAURANT_MCCS = ("5812", "5813", "5814")

State = CardnetAuthorization.State


def _arn(record: CardnetRecord) -> str:
    """23 digits: acquirer prefix (6), YDDD of the day (4), sequence (12), Luhn check (1)."""
    day = record.transaction_date
    body = f"{ACQUIRER_ID}{day.year % 10}{day.timetuple().tm_yday:03d}{record.pk:012d}"
    return body + luhn.calc_check_digit(body)


def _create(**values) -> CardnetRecord:
    record = CardnetRecord.objects.create(**values)
    record.arn = _arn(record)
    record.save(update_fields=["arn"])
    return record


# --- What the network saw authorized ----------------------------------------------------------


def authorization_record(row) -> CardnetAuthorization:
    """The network's copy of one of our approvals (an apps.cards Authorization row)."""
    card = row.card
    found, _created = CardnetAuthorization.objects.get_or_create(
        issuer_authorization_id=row.pk,
        defaults={
            "card_bin": card.bin,
            "card_last4": card.last4,
            "card_token": card.token,
            "mti": row.mti,
            "auth_code": row.auth_code,
            "rrn": row.rrn,
            "stan": row.stan,
            "amount": row.amount,
            "mcc": row.mcc,
            "merchant_id": row.merchant_id,
            "merchant_name": row.merchant_name,
            "merchant_country": row.country,
            "authorized_on": brasilia_today(row.created_at),
        },
    )
    return found


def authorizations_observe() -> int:
    """Copy every approval not seen yet; mark the ones our side reversed. Returns how many
    were new."""
    from apps.cards.models import Authorization

    seen = CardnetAuthorization.objects.values("issuer_authorization_id")
    new = (
        Authorization.objects.filter(
            response_code="00", reversal_of__isnull=True, mti__in=("0100", "0200")
        )
        .exclude(state=Authorization.State.REVERSED)
        .exclude(pk__in=seen)
        .select_related("card")
        .order_by("pk")
    )
    count = 0
    for row in new[:10_000]:
        authorization_record(row)
        count += 1
    reversed_ids = Authorization.objects.filter(state=Authorization.State.REVERSED).values("pk")
    CardnetAuthorization.objects.filter(
        state=State.APPROVED, issuer_authorization_id__in=reversed_ids
    ).update(state=State.REVERSED)
    return count


# --- What acquirers present -------------------------------------------------------------------


def present(
    auth: CardnetAuthorization,
    *,
    amount_cents: int | None = None,
    day: dt.date | None = None,
    merchant_city: str = "SAO PAULO",
) -> CardnetRecord:
    """A presentment of an approval: its amount by default, less (partial) or more (a tip)."""
    record = _create(
        transaction_code=clr.PRESENTMENT,
        authorization=auth,
        card_bin=auth.card_bin,
        card_last4=auth.card_last4,
        card_token=auth.card_token,
        auth_code=auth.auth_code,
        rrn=auth.rrn,
        stan=auth.stan,
        transaction_date=day or auth.authorized_on,
        amount=auth.amount if amount_cents is None else amount_cents,
        mcc=auth.mcc or "5999",
        merchant_id=auth.merchant_id,
        merchant_name=auth.merchant_name,
        merchant_city=merchant_city,
        merchant_country=auth.merchant_country,
    )
    CardnetAuthorization.objects.filter(pk=auth.pk).update(state=State.PRESENTED)
    return record


def force_post(
    *,
    card_bin: str,
    card_last4: str,
    card_token: str,
    amount_cents: int,
    day: dt.date,
    merchant_name: str = "LOJA OFFLINE",
    mcc: str = "5999",
    merchant_id: str = "OFFLINE0000001",
) -> CardnetRecord:
    """A presentment no authorization stands behind (an offline or force-posted purchase)."""
    return _create(
        transaction_code=clr.PRESENTMENT,
        card_bin=card_bin,
        card_last4=card_last4,
        card_token=card_token,
        transaction_date=day,
        amount=amount_cents,
        mcc=mcc,
        merchant_id=merchant_id,
        merchant_name=merchant_name,
    )


def refund(
    *,
    amount_cents: int,
    day: dt.date,
    original: CardnetRecord | None = None,
    card_bin: str = "",
    card_last4: str = "",
    card_token: str = "",
    merchant_name: str = "",
    mcc: str = "5999",
) -> CardnetRecord:
    """A merchant's credit to the cardholder (of `original`'s purchase, or of a card)."""
    source = original
    return _create(
        transaction_code=clr.REFUND,
        original_arn=source.arn if source else "",
        card_bin=source.card_bin if source else card_bin,
        card_last4=source.card_last4 if source else card_last4,
        card_token=source.card_token if source else card_token,
        transaction_date=day,
        amount=amount_cents,
        mcc=source.mcc if source else mcc,
        merchant_id=source.merchant_id if source else "",
        merchant_name=(source.merchant_name if source else merchant_name),
    )


def reverse(record: CardnetRecord, *, day: dt.date | None = None) -> CardnetRecord:
    """The acquirer takes a record back: 25 for a presentment, 26 for a refund."""
    code = {
        clr.PRESENTMENT: clr.PRESENTMENT_REVERSAL,
        clr.REFUND: clr.REFUND_REVERSAL,
    }[record.transaction_code]
    return _create(
        transaction_code=code,
        original_arn=record.arn,
        authorization=record.authorization,
        card_bin=record.card_bin,
        card_last4=record.card_last4,
        card_token=record.card_token,
        auth_code=record.auth_code,
        rrn=record.rrn,
        stan=record.stan,
        transaction_date=day or record.transaction_date,
        amount=record.amount,
        mcc=record.mcc,
        merchant_id=record.merchant_id,
        merchant_name=record.merchant_name,
    )


def present_approved(*, tip_percent: int | None = None) -> list[CardnetRecord]:
    """Present every approval not yet presented, at its amount (plus a tip on restaurants)."""
    tip = settings.CARDS_CARDNET_SIM_TIP_PERCENT if tip_percent is None else tip_percent
    records = []
    for auth in CardnetAuthorization.objects.filter(state=State.APPROVED).order_by("pk"):
        extra = auth.amount * tip // 100 if auth.mcc in RESTAURANT_MCCS else 0
        records.append(present(auth, amount_cents=auth.amount + extra))
    return records


# --- The files --------------------------------------------------------------------------------


def _item(record: CardnetRecord) -> clr.ClearingItem:
    return clr.ClearingItem(
        transaction_code=record.transaction_code,
        arn=record.arn or "",
        original_arn=record.original_arn,
        card_bin=record.card_bin,
        card_last4=record.card_last4,
        card_token=record.card_token,
        auth_code=record.auth_code,
        rrn=record.rrn,
        stan=record.stan,
        transaction_date=record.transaction_date,
        amount_cents=record.amount,
        mcc=record.mcc,
        merchant_id=record.merchant_id,
        merchant_name=record.merchant_name,
        merchant_city=record.merchant_city,
        merchant_country=record.merchant_country,
    )


@transaction.atomic
def file_write(*, day: dt.date | None = None, now: dt.datetime | None = None) -> CardnetFile | None:
    """One file with every record not yet in a file (None: nothing to clear)."""
    now = now or timezone.now()
    day = day or brasilia_today(now)
    records = list(
        CardnetRecord.objects.select_for_update().filter(file__isnull=True).order_by("pk")
    )
    if not records:
        return None
    sequence = (CardnetFile.objects.aggregate(m=Max("sequence"))["m"] or 0) + 1
    header = clr.ClearingHeader(
        business_day=day,
        created_at=brasilia_now(now).replace(tzinfo=None, microsecond=0),
        file_sequence=sequence,
        issuer_id=settings.ATHENA_ISPB,
        network=NETWORK,
    )
    items = [_item(record) for record in records]
    row = CardnetFile.objects.create(
        name=f"CLR{NETWORK}{day:%Y%m%d}{sequence:06d}.txt",
        business_day=day,
        sequence=sequence,
        content=clr.write_file(header, items),
        net=clr.ClearingTotals.of(items).net,
    )
    CardnetRecord.objects.filter(pk__in=[r.pk for r in records]).update(file=row)
    return row


class CardnetSimulator(ClearingClient):
    def fetch_files(self) -> list[tuple[str, str]]:
        if settings.CARDS_CARDNET_SIM_AUTO_PRESENT:
            authorizations_observe()
            present_approved()
        file_write()
        files = []
        with transaction.atomic():
            pending = CardnetFile.objects.select_for_update().filter(delivered=False)
            for row in pending.order_by("sequence"):
                files.append((row.name, row.content))
                row.delivered = True
                row.save(update_fields=["delivered"])
        return files

    def net_position(self, day: dt.date) -> int:
        return CardnetFile.objects.filter(business_day=day).aggregate(s=Sum("net"))["s"] or 0
