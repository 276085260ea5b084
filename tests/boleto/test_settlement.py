"""COMPE settlement: remittances, return files (idempotent, all or nothing), the net."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections

from apps.accounts.models import JournalEntry
from apps.boleto.codecs import cnab240
from apps.boleto.errors import BoletoAlreadyPaid, BoletoNotPayable
from apps.boleto.models import Boleto, BoletoPayment, CnabFile, CnabLine
from apps.boleto.payments.services import boleto_pay
from apps.boleto.settlement import services as settlement
from apps.core.timezones import brasilia_today
from apps.simulators.compe.simulator import CompeSimulator, pay_from_other_bank
from tests.factories.ledger import balance_of
from tests.support.boletos import ITAU, Issuer, boleto_elsewhere, paid_elsewhere_and_returned, payer

pytestmark = pytest.mark.django_db


def _internal(code: str) -> int:
    from apps.accounts.services import internal_account_id

    return balance_of(internal_account_id(code))[0]


def test_remittance_lists_registered_boletos_once_and_compe_accepts_them():
    issuer = Issuer()
    boletos = [issuer.issue(amount_cents=10_000 + n) for n in range(3)]
    remittance = settlement.remittance_send()
    assert remittance.direction == CnabFile.Direction.REMITTANCE
    parsed = cnab240.parse_remittance(remittance.content)
    assert [t.nosso_numero for t in parsed.titles] == [b.nosso_numero for b in boletos]
    assert [t.amount_cents for t in parsed.titles] == [10_000, 10_001, 10_002]
    assert settlement.remittance_send() is None  # nothing new to remit
    (returned,) = settlement.returns_fetch()
    assert returned.state == CnabFile.State.PROCESSED and returned.totals["confirmed"] == 3
    assert Boleto.objects.filter(registration_confirmed=True).count() == 3


def test_paid_at_another_bank_credits_the_issuer_net_of_the_fee_once(settings):
    settings.BOLETO_ISSUER_FEE_CENTS = 150
    issuer = Issuer()
    boleto = issuer.issue(amount_cents=20_000)
    before = balance_of(issuer.account.pk)[0]
    (cnab_file,) = paid_elsewhere_and_returned(boleto)
    assert cnab_file.state == CnabFile.State.PROCESSED, cnab_file.error_message
    boleto.refresh_from_db()
    assert boleto.state == Boleto.State.PAID and boleto.paid_via == "barcode"
    assert boleto.paid_amount == 20_000 and boleto.fee_amount == 150
    assert balance_of(issuer.account.pk)[0] == before + 20_000 - 150
    entry = JournalEntry.objects.get(pk=boleto.credited_entry_id)
    assert entry.kind == "boleto_received"
    assert boleto.history.first().state == Boleto.State.PAID
    # The same file again: recognised, nothing changes.
    again = settlement.return_receive(name="again.ret", content=cnab_file.content)
    assert again.pk == cnab_file.pk
    # The same line in another file (a new header): a duplicate, credited once.
    content = cnab_file.content.replace(cnab_file.content[157:163], "999999", 1)
    other = settlement.return_receive(name="resent.ret", content=content)
    assert other.pk != cnab_file.pk and other.state == CnabFile.State.PROCESSED
    assert other.totals["paid"] == 0 and other.totals["duplicates"] == 1
    assert balance_of(issuer.account.pk)[0] == before + 20_000 - 150


def test_a_file_with_one_bad_line_posts_nothing_and_names_the_line():
    issuer = Issuer()
    first, second = issuer.issue(amount_cents=11_000), issuer.issue(amount_cents=12_000)
    pay_from_other_bank(first.barcode, paying_bank=ITAU)
    pay_from_other_bank(second.barcode, paying_bank=ITAU)
    ((name, content),) = CompeSimulator().fetch_returns()
    lines = content.split("\r\n")
    u_index = max(i for i, line in enumerate(lines) if line[13:14] == "U")
    bad = lines[u_index][:77] + "12A4567890" + lines[u_index][87:]
    lines[u_index] = bad
    entries_before = JournalEntry.objects.count()
    cnab_file = settlement.return_receive(name=name, content="\r\n".join(lines))
    assert cnab_file.state == CnabFile.State.REJECTED
    assert cnab_file.error_line == u_index + 1
    assert "segment_u" in cnab_file.error_field
    assert JournalEntry.objects.count() == entries_before
    assert not CnabLine.objects.filter(file=cnab_file).exists()
    assert set(Boleto.objects.values_list("state", flat=True)) == {Boleto.State.REGISTERED}


def test_figures_that_do_not_add_up_reject_the_file():
    issuer = Issuer()
    boleto = issuer.issue(amount_cents=11_000)
    pay_from_other_bank(boleto.barcode, paying_bank=ITAU)
    ((name, content),) = CompeSimulator().fetch_returns()
    lines = content.split("\r\n")
    u = next(i for i, line in enumerate(lines) if line[13:14] == "U")
    lines[u] = lines[u][:92] + "000000000009999" + lines[u][107:]  # net amount
    cnab_file = settlement.return_receive(name=name, content="\r\n".join(lines))
    assert cnab_file.state == CnabFile.State.REJECTED
    assert cnab_file.error_field == "segment_u.net_amount"
    boleto.refresh_from_db()
    assert boleto.state == Boleto.State.REGISTERED


def test_return_lines_for_unknown_boletos_are_kept_unmatched():
    header = cnab240.FileHeader(
        bank_code="332",
        company_tax_id="13140088000199",
        company_name="ATHENA",
        agreement="13140088",
        agency="0001",
        account="1",
        file_kind="return",
        generated_at=dt.datetime(2026, 12, 1, 10, 0),
        sequence=7,
    )
    item = cnab240.ReturnItem(
        nosso_numero="99999990000000001",
        seu_numero="",
        movement="06",
        due_date=dt.date(2026, 12, 10),
        face_value=1_000,
        bank_code="332",
        collecting_agency="0",
        fee_cents=0,
        motives=(),
        payer_tax_id="",
        payer_name="",
        interest_cents=0,
        discount_cents=0,
        rebate_cents=0,
        iof_cents=0,
        paid_cents=1_000,
        net_cents=1_000,
        other_expenses=0,
        other_credits=0,
        occurrence_date=dt.date(2026, 12, 1),
        credit_date=dt.date(2026, 12, 2),
    )
    cnab_file = settlement.return_receive(
        name="x.ret", content=cnab240.write_return(header, [item])
    )
    assert cnab_file.state == CnabFile.State.PROCESSED
    assert cnab_file.totals["unmatched"] == 1
    assert CnabLine.objects.get(file=cnab_file).outcome == CnabLine.Outcome.UNMATCHED


def test_compe_net_settles_against_reserves_once_a_day():
    issuer = Issuer()
    ours = issuer.issue(amount_cents=30_000)
    customer, account = payer()
    theirs = boleto_elsewhere(payer_customer=customer, amount_cents=10_000)
    boleto_pay(customer=customer, account_id=account.pk, code=theirs.barcode)
    paid_elsewhere_and_returned(ours)
    today = brasilia_today()
    clearing_before = _internal("boleto_clearing")
    assert CompeSimulator().net_position(today) == 30_000 - 10_000
    entry_id = settlement.compe_settle(day=today)
    assert entry_id is not None
    assert settlement.compe_settle(day=today) is None
    assert _internal("boleto_clearing") == clearing_before + 20_000
    assert _internal("boleto_clearing") == 0


def test_hybrid_boleto_paid_by_pix_is_closed_at_cip():
    from apps.core.outbox import drain_all
    from apps.pix.models import PixCharge
    from apps.simulators.cip.models import CipBoleto
    from tests.support.pix_charges import pay as pay_by_pix

    issuer = Issuer(pix_key=True)
    boleto = issuer.issue(amount_cents=18_000)
    assert boleto.pix_charge_id is not None
    charge = PixCharge.objects.get(pk=boleto.pix_charge_id)
    assert charge.kind == "cobv" and charge.amount == 18_000
    pay_by_pix(issuer, tx=charge.txid, amount_cents=18_000)
    drain_all()
    boleto.refresh_from_db()
    assert boleto.state == Boleto.State.PAID and boleto.paid_via == "pix"
    assert CipBoleto.objects.get(barcode=boleto.barcode).status == "written_off"
    customer, account = payer()
    with pytest.raises(BoletoNotPayable):
        boleto_pay(customer=customer, account_id=account.pk, code=boleto.barcode)


def test_hybrid_boleto_paid_by_barcode_removes_its_pix_charge():
    from apps.pix.models import PixCharge

    issuer = Issuer(pix_key=True)
    boleto = issuer.issue(amount_cents=18_000)
    paid_elsewhere_and_returned(boleto)
    boleto.refresh_from_db()
    assert boleto.state == Boleto.State.PAID and boleto.paid_via == "barcode"
    assert PixCharge.objects.get(pk=boleto.pix_charge_id).status == "REMOVIDA_PELO_PSP"


@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_of_one_boleto_move_money_once():
    customer, account = payer(amount_cents=400_000)
    title = boleto_elsewhere(payer_customer=customer, amount_cents=10_000)
    workers = 6
    barrier = threading.Barrier(workers)
    paid, refused, errors = [], [], []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            boleto_pay(customer=customer, account_id=account.pk, code=title.barcode)
            with lock:
                paid.append(1)
        except (BoletoAlreadyPaid, BoletoNotPayable):
            with lock:
                refused.append(1)
        except Exception as exc:  # anything else fails the test below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(paid) == 1 and len(refused) == workers - 1
    assert BoletoPayment.objects.filter(state=BoletoPayment.State.PAID).count() == 1
    assert balance_of(account.pk)[0] == 400_000 - 10_000


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_return_file_credit_once():
    issuer = Issuer()
    boleto = issuer.issue(amount_cents=20_000)
    pay_from_other_bank(boleto.barcode, paying_bank=ITAU)
    ((name, content),) = CompeSimulator().fetch_returns()
    cnab_file = CnabFile.objects.create(
        direction=CnabFile.Direction.RETURN,
        name=name,
        digest="x" * 64,
        content=content,
        state=CnabFile.State.RECEIVED,
    )
    before = balance_of(issuer.account.pk)[0]
    barrier = threading.Barrier(2)
    errors = []

    def worker() -> None:
        try:
            barrier.wait()
            settlement.return_process(file_id=cnab_file.pk)
        except Exception as exc:  # anything fails the test below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    cnab_file.refresh_from_db()
    assert cnab_file.state == CnabFile.State.PROCESSED and cnab_file.totals["paid"] == 1
    assert balance_of(issuer.account.pk)[0] == before + 20_000 - 150
    assert JournalEntry.objects.filter(kind="boleto_received").count() == 1
