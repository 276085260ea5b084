"""The SPI (Sistema de Pagamentos Instantâneos, BACEN), simulated: `SpiSimulator`, one
implementation of `apps.pix.adapters.spi.SpiClient` (settings.PIX_SPI_CLIENT = "simulator",
the default): the SPI and the other PSPs behind it, with the state it needs in
`SpiSimulatedMessage`. It only answers messages: settling in *our* ledger (against the
reserves account) is the transfer service's job.

What the simulator does, in order
---------------------------------

pacs.008 from us (`send_credit_transfer`):

1. Latency: sleeps a uniform random time in settings.PIX_SPI_LATENCY_MS ("min,max" ms).
2. Timeout: with probability settings.PIX_SPI_TIMEOUT_RATE raises `SpiTimeout`. The message
   is then taken as never having reached the SPI: nothing is recorded, and sending the same
   message again (same endToEndId) is processed normally. The other way to lose an answer,
   settings.PIX_SPI_LOST_ANSWER_RATE (default 0), loses it on the way back: the message is
   processed and recorded (steps 3-8), the caller gets `SpiTimeout`, and a resend is DUPL
   (the caller must ask `transfer_status`).
3. Parsing with the codec; content the catalogue refuses is RJCT CH16 ("element content
   formally incorrect", the codec's complaint in AddtlInf), never an exception. When not even
   the endToEndId can be read, the pacs.002 names the placeholder `E00038166<minute>00000000000`.
   Unparseable messages are not recorded (they never entered the SPI).
4. Every parsed message is recorded under its endToEndId, rejected ones included; an
   endToEndId seen before is RJCT DUPL (duplicate payment).
5. Agents: AppHdr/To must be the SPI (AGNT); AppHdr/Fr and DbtrAgt must be the participant
   the client speaks for (RC09); CdtrAgt must be a Pix participant in data/bancos.csv (RC10),
   and not the sender itself (AG12: a Pix between two accounts of one PSP never goes
   through the SPI).
6. Amount above settings.PIX_SPI_MAX_AMOUNT_CENTS: RJCT AM02 (amount not allowed).
7. The creditor account at the other PSP, a deterministic rule standing in for the other
   PSPs' books (`other_psp_account_status`): an account number starting with "9" does not
   exist (AC03); one ending in "0000" is closed (AC07); every other account exists and is open.
8. Otherwise ACSC, with the settlement time and date (Brasília).

pacs.004 from us (`send_return`), returning a Pix our customer received: latency, timeout
and parsing as above (CH16); a returnId seen before is DUPL; Fr/DbtrAgt must be us (RC09);
the original endToEndId must be a pacs.008 the SPI settled (FF08 otherwise); the return
must go back the way the Pix came, from its creditor's PSP to its debtor's (AGNT); within
90 days of the Pix (DT05, Regulamento Pix); and all settled returns together must not
exceed the original amount (AM09). Otherwise ACSC.

For tests, the demo and the benchmark, the simulator also plays the other PSPs:
`inbound_credit_transfer(...)` creates a settled Pix from another PSP to one of our
customers and returns its pacs.008, and `inbound_return(...)` a pacs.004 by which another
PSP returns a Pix we sent; our inbound handler consumes those.
`deliver_credit_transfer(xml, receiver)` hands such a pacs.008 to our handler
(`apps.pix.transfers.pix_receive_and_answer`) and records its pacs.002: a RJCT (AC03, AC06,
AM09...) leaves the Pix unsettled at the SPI.

Simplifications, deliberate: the SPI's answer is synchronous (the real one arrives on the
ICOM stream), the receiving PSP's own ACSP step is folded into rule 7, and the simulator
runs in the caller's database transaction (like the DICT simulator), so a rolled-back
caller leaves no SPI record behind.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from apps.core.inserts import insert_unless_taken
from apps.pix import selectors as pix_selectors
from apps.pix.adapters.spi import (
    SETTLED,
    SpiClient,
    SpiError,
    SpiTimeout,
    SpiUnknownMessage,
    lenient_id,
)
from apps.pix.codecs import e2e
from apps.pix.codecs.iso20022 import (
    SPI_ISPB,
    STATUS_REASONS,
    AccountType,
    CreditTransfer,
    Iso20022Error,
    LocalInstrument,
    Party,
    PaymentReturn,
    PaymentStatus,
    ReturnReason,
    TxStatus,
    build_pacs002,
    build_pacs004,
    build_pacs008,
    parse_pacs002,
    parse_pacs004,
    parse_pacs008,
)
from apps.simulators.spi.models import SpiSimulatedMessage

logger = logging.getLogger(__name__)

RETURN_WINDOW = timedelta(days=90)  # devolução up to 90 days after the Pix (Regulamento Pix)
_CLOSED_SUFFIX = "0000"
_UNKNOWN_PREFIX = "9"


def parse_latency(value: object) -> tuple[float, float]:
    """ "5,40" -> (5.0, 40.0) milliseconds; "10" -> (10.0, 10.0)."""
    try:
        parts = [float(p) for p in str(value).split(",")]
    except ValueError:
        parts = []
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2 or parts[0] < 0 or parts[1] < parts[0]:
        raise ImproperlyConfigured(
            f"PIX_SPI_LATENCY_MS must be 'min,max' milliseconds, not {value!r}."
        )
    return parts[0], parts[1]


def other_psp_account_status(account_number: str) -> str | None:
    """The simulated books of the other PSPs: None (open), "AC03" (no such account: the
    number starts with 9) or "AC07" (closed: the number ends in 0000)."""
    if account_number.startswith(_UNKNOWN_PREFIX):
        return "AC03"
    if account_number.endswith(_CLOSED_SUFFIX):
        return "AC07"
    return None


def _is_pix_participant(ispb: str) -> bool:
    found = pix_selectors.by_ispb(ispb)
    return found is not None and found.in_pix


def _payment_order_seen_by_dict(ct: CreditTransfer) -> None:
    """BACEN's side of a payment order: the DICT gives the payer back the anti-scan token
    of the look-up that named this endToEndId ("ordem de pagamento enviada: adiciona 1").
    The simulated DICT is told here, once per order the SPI records (the real DICT sees
    the order itself; its client ignores this)."""
    from apps.pix.adapters import dict_client

    dict_client(ct.debtor.ispb).payment_sent(end_to_end_id=ct.end_to_end_id)


class SpiSimulator(SpiClient):
    """The SPI and the PSPs behind it, simulated in our database (see the module's doc).

    `participant` is the PSP this client speaks for (our ISPB by default). `sleep`, `rng`
    and `clock` can be replaced (tests); latency, timeout rate and amount cap come from
    settings unless given."""

    def __init__(
        self,
        participant: str | None = None,
        *,
        latency_ms: str | tuple[float, float] | None = None,
        timeout_rate: float | None = None,
        lost_answer_rate: float | None = None,
        max_amount_cents: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = timezone.now,
    ) -> None:
        self.participant = participant or settings.ATHENA_ISPB
        if latency_ms is None:
            latency_ms = getattr(settings, "PIX_SPI_LATENCY_MS", "5,40")
        self.latency_ms = latency_ms if isinstance(latency_ms, tuple) else parse_latency(latency_ms)
        if timeout_rate is None:
            timeout_rate = getattr(settings, "PIX_SPI_TIMEOUT_RATE", 0.0)
        self.timeout_rate = float(timeout_rate)
        if lost_answer_rate is None:
            lost_answer_rate = getattr(settings, "PIX_SPI_LOST_ANSWER_RATE", 0.0)
        self.lost_answer_rate = float(lost_answer_rate)
        if max_amount_cents is None:
            max_amount_cents = getattr(settings, "PIX_SPI_MAX_AMOUNT_CENTS", 100_000_000)
        self.max_amount_cents = int(max_amount_cents)
        self.sleep = sleep
        self.rng = rng or random.SystemRandom()
        self.clock = clock

    # --- the network ----------------------------------------------------------------------

    def _travel(self) -> None:
        low, high = self.latency_ms
        if high > 0:
            self.sleep(self.rng.uniform(low, high) / 1000)
        if self.timeout_rate > 0 and self.rng.random() < self.timeout_rate:
            raise SpiTimeout("the SPI did not answer in time (simulated)")

    def _deliver_answer(self, answer: bytes) -> bytes:
        """The way back: with probability lost_answer_rate the SPI has processed (and
        recorded) the message but its answer never arrives, so a resend gets DUPL."""
        if self.lost_answer_rate > 0 and self.rng.random() < self.lost_answer_rate:
            raise SpiTimeout("the SPI's answer was lost on the way back (simulated)")
        return answer

    def _now(self) -> datetime:
        return self.clock()

    def _answer(
        self,
        *,
        end_to_end_id: str,
        now: datetime,
        reason: str | None = None,
        info: str | None = None,
        instruction_id: str | None = None,
        settled_at: datetime | None = None,
    ) -> bytes:
        settled = reason is None
        settled_at = settled_at or now
        status = PaymentStatus(
            msg_id=e2e.new_msg_id(SPI_ISPB),
            created_at=now,
            sender_ispb=SPI_ISPB,
            receiver_ispb=self.participant,
            original_end_to_end_id=end_to_end_id,
            original_instruction_id=instruction_id,
            status=TxStatus.ACSC if settled else TxStatus.RJCT,
            reason_code=reason,
            additional_info=(info[:105],) if info else (),
            settled_at=settled_at if settled else None,
            settlement_date=timezone.localtime(settled_at).date() if settled else None,
        )
        return build_pacs002(status)

    def _placeholder_id(self, now: datetime) -> str:
        return f"E{SPI_ISPB}{now.astimezone(UTC).strftime('%Y%m%d%H%M')}" + "0" * 11

    def _record(self, **fields) -> bool:
        """Insert a message; False when its id was already taken (a duplicate, concurrent
        or not: the unique id decides, in the one statement)."""
        return insert_unless_taken(SpiSimulatedMessage(**fields))

    # --- pacs.008 ---------------------------------------------------------------------------

    def send_credit_transfer(self, xml: bytes) -> bytes:
        self._travel()
        now = self._now()
        try:
            ct = parse_pacs008(xml)
        except Iso20022Error as exc:
            e2e_id = lenient_id(xml, "EndToEndId", "E") or self._placeholder_id(now)
            logger.info("SPI simulator: malformed pacs.008 (%s)", exc)
            return self._answer(end_to_end_id=e2e_id, now=now, reason="CH16", info=str(exc))
        reason, info = self._judge_credit_transfer(ct)
        recorded = self._record(
            end_to_end_id=ct.end_to_end_id,
            kind=SpiSimulatedMessage.Kind.PACS008,
            direction=SpiSimulatedMessage.Direction.OUTBOUND,
            debtor_ispb=ct.debtor.ispb,
            creditor_ispb=ct.creditor.ispb,
            amount_cents=ct.amount_cents,
            xml=_text(xml),
            status=TxStatus.RJCT if reason else TxStatus.ACSC,
            reason=reason or "",
            created_at=now,
        )
        if not recorded:
            reason, info = "DUPL", "endToEndId already used"
        else:
            _payment_order_seen_by_dict(ct)
        return self._deliver_answer(
            self._answer(end_to_end_id=ct.end_to_end_id, now=now, reason=reason, info=info)
        )

    def _judge_credit_transfer(self, ct: CreditTransfer) -> tuple[str | None, str | None]:
        # A duplicate endToEndId is found when the message is recorded (_record): DUPL.
        if ct.receiver_ispb != SPI_ISPB:
            return "AGNT", f"messages go to the SPI ({SPI_ISPB})"
        if ct.sender_ispb != self.participant or ct.debtor.ispb != self.participant:
            return "RC09", f"the debtor agent must be the sender, {self.participant}"
        creditor = ct.creditor
        if creditor.ispb == self.participant:
            return "AG12", "a transfer within one PSP does not go through the SPI"
        if not _is_pix_participant(creditor.ispb):
            return "RC10", f"ISPB {creditor.ispb} is not a Pix participant"
        if ct.amount_cents > self.max_amount_cents:
            return "AM02", "amount above the per-transaction limit"
        account = other_psp_account_status(creditor.account_number)
        if account is not None:
            return account, "creditor account unknown" if account == "AC03" else "account closed"
        return None, None

    # --- pacs.004 ---------------------------------------------------------------------------

    def send_return(self, xml: bytes) -> bytes:
        self._travel()
        now = self._now()
        try:
            ret = parse_pacs004(xml)
        except Iso20022Error as exc:
            logger.info("SPI simulator: malformed pacs.004 (%s)", exc)
            return self._answer(
                end_to_end_id=lenient_id(xml, "OrgnlEndToEndId", "E") or self._placeholder_id(now),
                instruction_id=lenient_id(xml, "RtrId", "D"),
                now=now,
                reason="CH16",
                info=str(exc),
            )
        reason, info = None, None
        if ret.receiver_ispb != SPI_ISPB:
            reason, info = "AGNT", f"messages go to the SPI ({SPI_ISPB})"
        elif ret.sender_ispb != self.participant or ret.debtor_ispb != self.participant:
            reason, info = "RC09", f"the returning agent must be the sender, {self.participant}"
        with transaction.atomic():
            if reason is None:
                reason, info = self._judge_return(ret, now)
            recorded = self._record_return(ret, xml, now, reason)
        if not recorded:
            reason, info = "DUPL", "returnId already used"
        return self._deliver_answer(
            self._answer(
                end_to_end_id=ret.original_end_to_end_id,
                instruction_id=ret.return_id,
                now=now,
                reason=reason,
                info=info,
            )
        )

    # --- status query -----------------------------------------------------------------------

    def transfer_status(self, end_to_end_id: str) -> bytes:
        """The pacs.002 the SPI gave (or would have given) for a message it recorded, as of
        the time it processed it. Only the sender's own messages can be queried."""
        self._travel()
        now = self._now()
        message = SpiSimulatedMessage.objects.filter(end_to_end_id=end_to_end_id).first()
        if message is None or self.participant not in (message.debtor_ispb, message.creditor_ispb):
            raise SpiUnknownMessage(f"the SPI has no message {end_to_end_id} of {self.participant}")
        settled = message.status in SETTLED
        reason = None if settled else (message.reason or "ED05")
        if message.kind == SpiSimulatedMessage.Kind.PACS004:
            original, instruction = message.original_end_to_end_id, message.end_to_end_id
        else:
            original, instruction = message.end_to_end_id, None
        return self._answer(
            end_to_end_id=original,
            instruction_id=instruction,
            now=now,
            reason=reason,
            info=STATUS_REASONS.get(reason) if reason else None,
            settled_at=message.created_at if settled else None,
        )

    # --- delivery to us ---------------------------------------------------------------------

    def deliver_credit_transfer(self, xml: bytes, receiver: Callable[[bytes], bytes]) -> bytes:
        """Deliver an inbound pacs.008 (from `inbound_credit_transfer`) to the receiving
        PSP's handler, `receiver(xml) -> pacs.002` (ours: `pix_receive_and_answer`), and
        record its answer: a RJCT marks the message rejected at the SPI, as the real SPI
        then does not settle it (so it cannot be returned later either: FF08). Returns the
        receiver's pacs.002."""
        answer = receiver(xml)
        status = parse_pacs002(answer)
        if status.status == TxStatus.RJCT:
            SpiSimulatedMessage.objects.filter(
                end_to_end_id=status.original_end_to_end_id,
                kind=SpiSimulatedMessage.Kind.PACS008,
                direction=SpiSimulatedMessage.Direction.INBOUND,
            ).update(status=TxStatus.RJCT.value, reason=status.reason_code or "")
        return answer

    def _judge_return(self, ret: PaymentReturn, now: datetime) -> tuple[str | None, str | None]:
        """Decide a return; locks the original Pix so concurrent returns add up correctly.
        Runs inside a transaction."""
        if SpiSimulatedMessage.objects.filter(end_to_end_id=ret.return_id).exists():
            return "DUPL", "returnId already used"
        original = (
            SpiSimulatedMessage.objects.select_for_update()
            .filter(end_to_end_id=ret.original_end_to_end_id, kind=SpiSimulatedMessage.Kind.PACS008)
            .first()
        )
        if original is None:
            return "FF08", "original endToEndId unknown to the SPI"
        if original.status not in SETTLED:
            return "FF08", "original Pix was not settled"
        if ret.debtor_ispb != original.creditor_ispb or ret.creditor_ispb != original.debtor_ispb:
            return "AGNT", "a return goes from the original creditor's PSP to the debtor's"
        if now - original.created_at > RETURN_WINDOW:
            return "DT05", "returns are accepted up to 90 days after the Pix"
        returned = (
            SpiSimulatedMessage.objects.filter(
                original_end_to_end_id=original.end_to_end_id,
                kind=SpiSimulatedMessage.Kind.PACS004,
                status__in=SETTLED,
            ).aggregate(total=Sum("amount_cents"))["total"]
            or 0
        )
        if returned + ret.amount_cents > original.amount_cents:
            return "AM09", "returns would exceed the original amount"
        return None, None

    def _record_return(
        self,
        ret: PaymentReturn,
        xml: bytes,
        now: datetime,
        reason: str | None,
        direction: str = "OUTBOUND",
    ) -> bool:
        return self._record(
            end_to_end_id=ret.return_id,
            original_end_to_end_id=ret.original_end_to_end_id,
            kind=SpiSimulatedMessage.Kind.PACS004,
            direction=direction,
            debtor_ispb=ret.debtor_ispb,
            creditor_ispb=ret.creditor_ispb,
            amount_cents=ret.amount_cents,
            xml=_text(xml),
            status=TxStatus.RJCT if reason else TxStatus.ACSC,
            reason=reason or "",
            created_at=now,
        )

    # --- the other PSPs ---------------------------------------------------------------------

    def inbound_credit_transfer(
        self,
        *,
        to_ispb: str,
        creditor_branch: str | None,
        creditor_account: str,
        creditor_tax_id: str,
        amount_cents: int,
        payer_name: str,
        payer_tax_id: str,
        payer_ispb: str,
        key: str | None = None,
        txid: str | None = None,
        remittance: str | None = None,
        creditor_account_type: str = AccountType.CACC,
        payer_branch: str = "0001",
        payer_account: str | None = None,
    ) -> bytes:
        """A Pix from a customer of `payer_ispb` to one of ours, settled at the SPI: the
        pacs.008 the SPI delivers to `to_ispb` (ours). Initiation: QRDN with key and txid,
        DICT with a key, MANU without. Raises ValueError (Iso20022Error) on bad input."""
        if to_ispb != self.participant:
            raise ValueError(f"inbound Pix are delivered to {self.participant}, not {to_ispb}")
        if payer_ispb == to_ispb or not _is_pix_participant(payer_ispb):
            raise ValueError(f"ISPB {payer_ispb} is not another Pix participant")
        now = self._now()
        if key is None:
            initiation = LocalInstrument.MANU
        else:
            initiation = LocalInstrument.QRDN if txid else LocalInstrument.DICT
        digits = "".join(c for c in payer_tax_id if c.isdigit())
        ct = CreditTransfer(
            msg_id=e2e.new_msg_id(SPI_ISPB),
            created_at=now,
            sender_ispb=SPI_ISPB,
            receiver_ispb=to_ispb,
            end_to_end_id=e2e.new_end_to_end_id(payer_ispb, now),
            amount_cents=amount_cents,
            debtor=Party(
                name=payer_name,
                tax_id=payer_tax_id,
                ispb=payer_ispb,
                branch=payer_branch,
                account_number=payer_account or ("1" + digits[-8:]),
                account_type=AccountType.CACC,
            ),
            creditor=Party(
                tax_id=creditor_tax_id,
                ispb=to_ispb,
                branch=creditor_branch,
                account_number=creditor_account,
                account_type=creditor_account_type,
                pix_key=key,
            ),
            accepted_at=now - timedelta(milliseconds=self.rng.randint(200, 1500)),
            initiation=initiation,
            tx_id=txid,
            remittance_info=remittance,
        )
        xml = build_pacs008(ct)
        SpiSimulatedMessage.objects.create(
            end_to_end_id=ct.end_to_end_id,
            kind=SpiSimulatedMessage.Kind.PACS008,
            direction=SpiSimulatedMessage.Direction.INBOUND,
            debtor_ispb=payer_ispb,
            creditor_ispb=to_ispb,
            amount_cents=amount_cents,
            xml=_text(xml),
            status=TxStatus.ACCC,
            created_at=now,
        )
        return xml

    def inbound_return(
        self,
        *,
        original_end_to_end_id: str,
        amount_cents: int,
        reason: ReturnReason | str = ReturnReason.MD06,
        info: str | None = None,
    ) -> bytes:
        """Another PSP returns (part of) a Pix we sent and the SPI settled: the pacs.004 the
        SPI delivers to us. Raises SpiError(code) when the SPI would refuse the return."""
        original = SpiSimulatedMessage.objects.filter(
            end_to_end_id=original_end_to_end_id, kind=SpiSimulatedMessage.Kind.PACS008
        ).first()
        if original is None or original.debtor_ispb != self.participant:
            raise SpiError(f"FF08: {original_end_to_end_id} is not a Pix sent by us")
        now = self._now()
        ret = PaymentReturn(
            msg_id=e2e.new_msg_id(SPI_ISPB),
            created_at=now,
            sender_ispb=SPI_ISPB,
            receiver_ispb=self.participant,
            return_id=e2e.new_return_id(original.creditor_ispb, now),
            original_end_to_end_id=original_end_to_end_id,
            amount_cents=amount_cents,
            reason_code=reason,
            debtor_ispb=original.creditor_ispb,
            creditor_ispb=self.participant,
            additional_info=info,
        )
        with transaction.atomic():
            code, why = self._judge_return(ret, now)
            if code is not None:
                raise SpiError(f"{code}: {why}")
            xml = build_pacs004(ret)
            self._record_return(ret, xml, now, None, direction="INBOUND")
        return xml


def _text(xml: bytes | str) -> str:
    return xml.decode("utf-8", "replace") if isinstance(xml, bytes) else xml
