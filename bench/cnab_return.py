"""A 100.000-line CNAB 240 return file settled end to end, beside the one-client ledger.

    .venv/bin/python bench/cnab_return.py [--titles 50000] [--issuers 20] [--ledger-seconds 10]

Setup (not timed): `--issuers` companies with accounts, and `--titles` registered boletos
spread over them (rows written in bulk, with barcodes from the codec); a return file from
COMPE where every title is paid (occurrence 06, tarifa in T, paid and net in U): two detail
lines per title, so 50.000 titles make a 100.004-line file.

Timed: `return_receive` (parse, check, match, post the credits in batches, move the boletos
with their history and transition logs, write the lines) and the notifications (the outbox
"boleto.paid" messages handled: one webhook delivery per issuer and 1.000 boletos). Then
`ledger_transfers.py`'s one-client book transfers run for `--ledger-seconds` on the same
server: the file must settle its entries faster than the ledger posts them one at a time.

Uses DATABASE_URL when set, otherwise the embedded PostgreSQL of `make run`. The bench's
rows stay in that database (customers named "Bench CNAB ..."), new ones per run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "athena.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")

_spec = importlib.util.spec_from_file_location("ledger_bench", ROOT / "bench/ledger_transfers.py")
ledger_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ledger_bench)  # sets Django up

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.accounts import services as accounts  # noqa: E402
from apps.accounts.models import JournalEntry  # noqa: E402
from apps.boleto.codecs import cnab240, codes, free_field  # noqa: E402
from apps.boleto.models import Boleto, BoletoIssuer  # noqa: E402
from apps.boleto.settlement import services as settlement  # noqa: E402
from apps.core.documents import synthetic_cpf  # noqa: E402
from apps.core.fsm import apply_transition  # noqa: E402
from apps.core.models import OutboxMessage, User  # noqa: E402
from apps.core.outbox import handlers_for  # noqa: E402
from apps.core.timezones import brasilia_today  # noqa: E402

FEE = 150


def _issuers(count: int, run: str) -> list[BoletoIssuer]:
    issuers = []
    for n in range(count):
        user = User.objects.create(
            username=f"bench-cnab-{run}-{n}", email=f"cnab{run}{n}@bench.athena.example"
        )
        customer = accounts.customer_register(
            user=user,
            full_name=f"Bench CNAB {run} {n}",
            tax_id=synthetic_cpf(int(run, 16) % 10**6 * 100 + n, salt=7),
        )
        apply_transition(customer, "activate", by="bench", reason="bench")
        account = accounts.account_open(customer=customer)
        last = (
            BoletoIssuer.objects.order_by("-agreement").values_list("agreement", flat=True).first()
        )
        agreement = f"{int(last or '8000000') + 1:07d}"
        issuer = BoletoIssuer.objects.create(
            customer=customer,
            agreement=agreement,
            webhook_url="https://issuer.example.com/boletos",
            webhook_secret="s" * 32,
        )
        issuer.bench_account_id = account.pk
        issuers.append(issuer)
    return issuers


def _boletos(issuers: list[BoletoIssuer], titles: int) -> list[Boleto]:
    today = brasilia_today()
    due = today + dt.timedelta(days=10)
    rows = []
    for n in range(titles):
        issuer = issuers[n % len(issuers)]
        nosso = free_field.nosso_numero(issuer.agreement, n // len(issuers) + 1)
        amount = 1_000 + n % 90_000
        barcode = codes.bank_barcode(
            bank_code=settings.ATHENA_BANK_CODE,
            amount_cents=amount,
            due_date=due,
            free_field=free_field.free_field_for(nosso),
        )
        rows.append(
            Boleto(
                issuer=issuer,
                account_id=issuer.bench_account_id,
                nosso_numero=nosso,
                barcode=barcode,
                linha=codes.linha_from_barcode(barcode),
                amount=amount,
                issue_date=today,
                due_date=due,
                payer_name=f"Pagador {n}",
                payer_tax_id=synthetic_cpf(n, salt=3),
            )
        )
    return Boleto.objects.bulk_create(rows, batch_size=5000)


def _return_file(boletos: list[Boleto]) -> str:
    today = brasilia_today()
    header = cnab240.FileHeader(
        bank_code=settings.ATHENA_BANK_CODE,
        company_tax_id=settings.ATHENA_CNPJ,
        company_name="ATHENA PAY",
        agreement=settings.ATHENA_ISPB,
        agency=settings.ATHENA_BRANCH,
        account="1",
        file_kind="return",
        generated_at=dt.datetime.now().replace(microsecond=0),
        sequence=int(time.time()) % 999_999,
    )
    items = [
        cnab240.ReturnItem(
            nosso_numero=b.nosso_numero,
            seu_numero="",
            movement="06",
            due_date=b.due_date,
            face_value=b.amount,
            bank_code="341",
            collecting_agency="1234",
            fee_cents=FEE,
            motives=(),
            payer_tax_id="",
            payer_name="",
            interest_cents=0,
            discount_cents=0,
            rebate_cents=0,
            iof_cents=0,
            paid_cents=b.amount,
            net_cents=b.amount - FEE,
            other_expenses=0,
            other_credits=0,
            occurrence_date=today,
            credit_date=today + dt.timedelta(days=1),
        )
        for b in boletos
    ]
    return cnab240.write_return(header, items)


def _notify() -> int:
    """What a worker does with the file's "boleto.paid" messages (the issuers' webhooks and
    live events). The ledger's "ledger.balance_changed" messages (AML monitoring per
    movement, live balances) are the workers' own work, not the settlement's: counted and
    left for them."""
    done = 0
    messages = OutboxMessage.objects.filter(topic="boleto.paid", processed_at__isnull=True)
    for message in messages.order_by("pk"):
        with transaction.atomic():
            for handler in handlers_for(message.topic):
                handler(message.payload, message)
            OutboxMessage.objects.filter(pk=message.pk).update(processed_at=timezone.now())
        done += 1
    return done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--titles", type=int, default=50_000)
    parser.add_argument("--issuers", type=int, default=20)
    parser.add_argument("--ledger-seconds", type=float, default=10.0)
    args = parser.parse_args()
    run = uuid.uuid4().hex[:6]
    print(f"setup: {args.issuers} issuers, {args.titles} registered boletos...", flush=True)
    accounts.ensure_internal_accounts()
    issuers = _issuers(args.issuers, run)
    boletos = _boletos(issuers, args.titles)
    content = _return_file(boletos)
    lines = content.count("\n")
    entries_before = JournalEntry.objects.count()

    started = time.perf_counter()
    cnab_file = settlement.return_receive(name=f"bench-{run}.ret", content=content)
    processed = time.perf_counter()
    notified = _notify()
    finished = time.perf_counter()

    assert cnab_file.state == "processed", (cnab_file.error_line, cnab_file.error_message)
    posted = JournalEntry.objects.count() - entries_before
    seconds = finished - started
    print(
        f"cnab return: {lines} lines, {cnab_file.totals['paid']} boletos paid, {posted} entries "
        f"in {seconds:.2f} s ({processed - started:.2f} s settling, "
        f"{finished - processed:.2f} s notifying {notified} messages): "
        f"{lines / seconds:,.0f} lines/s, {posted / seconds:,.0f} entries/s",
        flush=True,
    )
    pending = OutboxMessage.objects.filter(
        topic="ledger.balance_changed", processed_at__isnull=True
    ).count()
    print(f"left for the workers: {pending} ledger.balance_changed messages", flush=True)
    payers, _merchant = ledger_bench.ensure_accounts()
    ledger = ledger_bench.run_ledger(1, args.ledger_seconds, payers, None)
    print(
        f"ledger, 1 client: {ledger['rate']:,.0f} transfers/s (p50 {ledger['p50']:.2f} ms)",
        flush=True,
    )
    print(
        f"settlement entries/s / one-client ledger transfers/s: "
        f"{posted / seconds / ledger['rate']:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
