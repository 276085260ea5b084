"""The SPI simulator as a product component: ISO 20022 in and out, SPI's rejections,
latency and timeouts, returns, and inbound Pix from other PSPs."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from apps.pix.adapters.spi import SpiError, SpiHttpClient, SpiTimeout, spi_client
from apps.pix.codecs import e2e
from apps.pix.codecs.iso20022 import (
    SPI_ISPB,
    AccountType,
    CreditTransfer,
    LocalInstrument,
    Party,
    PaymentReturn,
    ReturnReason,
    TxStatus,
    build_pacs004,
    build_pacs008,
    parse_pacs002,
    parse_pacs004,
    parse_pacs008,
)
from apps.simulators.models import SpiSimulatedMessage
from apps.simulators.spi.simulator import SpiSimulator, other_psp_account_status, parse_latency
from tests.support.pix_keys import BB, ITAU, new_cpf

pytestmark = pytest.mark.django_db

OURS = "13140088"
NOT_A_PARTICIPANT = "99999999"


@pytest.fixture(autouse=True)
def _spi_settings(settings):
    settings.ATHENA_ISPB = OURS
    settings.PIX_SPI_CLIENT = "simulator"
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    settings.PIX_SPI_MAX_AMOUNT_CENTS = 100_000_000


def outbound(**changes) -> CreditTransfer:
    now = timezone.now()
    creditor = changes.pop("creditor", None) or Party(
        tax_id=new_cpf(), ispb=ITAU, branch="0097", account_number="8947835"
    )
    ct = CreditTransfer(
        msg_id=e2e.new_msg_id(OURS),
        created_at=now,
        sender_ispb=OURS,
        end_to_end_id=e2e.new_end_to_end_id(OURS, now),
        amount_cents=15_000,
        debtor=Party(
            name="Maria da Silva",
            tax_id=new_cpf(),
            ispb=OURS,
            branch="0001",
            account_number="1234567",
        ),
        creditor=creditor,
        initiation=LocalInstrument.MANU,
    )
    return replace(ct, **changes) if changes else ct


def creditor_at(ispb: str = ITAU, account: str = "8947835") -> Party:
    return Party(tax_id=new_cpf(), ispb=ispb, branch="0097", account_number=account)


def send(ct: CreditTransfer, simulator: SpiSimulator | None = None):
    answer = (simulator or SpiSimulator()).send_credit_transfer(build_pacs008(ct))
    return parse_pacs002(answer)


def inbound(simulator: SpiSimulator, amount_cents: int = 10_000, **changes) -> bytes:
    kwargs = dict(
        to_ispb=OURS,
        creditor_branch="0001",
        creditor_account="1234567",
        creditor_tax_id="12345678909",
        amount_cents=amount_cents,
        payer_name="João Pereira",
        payer_tax_id="98765432100",
        payer_ispb=BB,
    )
    kwargs.update(changes)
    return simulator.inbound_credit_transfer(**kwargs)


def our_return(original: CreditTransfer, amount_cents: int, **changes) -> bytes:
    now = timezone.now()
    ret = PaymentReturn(
        msg_id=e2e.new_msg_id(OURS),
        created_at=now,
        sender_ispb=OURS,
        return_id=e2e.new_return_id(OURS, now),
        original_end_to_end_id=original.end_to_end_id,
        amount_cents=amount_cents,
        reason_code=ReturnReason.MD06,
        debtor_ispb=OURS,
        creditor_ispb=original.debtor.ispb,
    )
    return build_pacs004(replace(ret, **changes) if changes else ret)


# --- pacs.008 --------------------------------------------------------------------------------


def test_credit_transfer_is_settled_acsc():
    ct = outbound()
    status = send(ct)
    assert status.status is TxStatus.ACSC
    assert status.reason_code is None
    assert status.original_end_to_end_id == ct.end_to_end_id
    assert status.sender_ispb == SPI_ISPB and status.receiver_ispb == OURS
    assert status.settled_at is not None and status.settlement_date is not None
    row = SpiSimulatedMessage.objects.get(end_to_end_id=ct.end_to_end_id)
    assert (row.status, row.direction, row.kind) == ("ACSC", "OUTBOUND", "pacs.008")
    assert (row.debtor_ispb, row.creditor_ispb, row.amount_cents) == (OURS, ITAU, 15_000)
    assert parse_pacs008(row.xml.encode()) == ct


def test_duplicate_end_to_end_id_is_rejected():
    ct = outbound()
    assert send(ct).status is TxStatus.ACSC
    again = replace(ct, msg_id=e2e.new_msg_id(OURS))
    status = send(again)
    assert status.status is TxStatus.RJCT
    assert status.reason_code == "DUPL"
    assert status.original_end_to_end_id == ct.end_to_end_id
    assert SpiSimulatedMessage.objects.get(end_to_end_id=ct.end_to_end_id).status == "ACSC"


def test_rejected_message_also_burns_its_end_to_end_id():
    ct = outbound(creditor=creditor_at(account="900123"))
    assert send(ct).reason_code == "AC03"
    assert send(ct).reason_code == "DUPL"


@pytest.mark.parametrize("ispb", [NOT_A_PARTICIPANT, "00000001"])
def test_unknown_creditor_ispb_is_rejected(ispb):
    status = send(outbound(creditor=creditor_at(ispb=ispb)))
    assert (status.status, status.reason_code) == (TxStatus.RJCT, "RC10")
    assert SpiSimulatedMessage.objects.get().reason == "RC10"


def test_transfer_to_ourselves_does_not_go_through_the_spi():
    assert send(outbound(creditor=creditor_at(ispb=OURS))).reason_code == "AG12"


def test_sender_must_be_the_participant_of_the_client():
    ct = outbound()
    assert send(ct, SpiSimulator(participant=BB)).reason_code == "RC09"


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        ("8947835", None),
        ("12340000", "AC07"),  # ends in 0000: closed
        ("98765", "AC03"),  # starts with 9: no such account
        ("90000", "AC03"),  # both: unknown wins
        ("10000", "AC07"),
        ("1000", None),  # only three zeros
    ],
)
def test_creditor_account_rules(account, expected):
    assert other_psp_account_status(account) == expected
    status = send(outbound(creditor=creditor_at(account=account)))
    if expected is None:
        assert status.status is TxStatus.ACSC
    else:
        assert (status.status, status.reason_code) == (TxStatus.RJCT, expected)
        assert status.additional_info


def test_amount_over_the_cap_is_rejected(settings):
    settings.PIX_SPI_MAX_AMOUNT_CENTS = 50_000
    assert send(outbound(amount_cents=50_000)).status is TxStatus.ACSC
    assert send(outbound(amount_cents=50_001)).reason_code == "AM02"


@pytest.mark.parametrize(
    "xml",
    [
        b"not xml at all",
        b"",
        b"<Envelope/>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Envelope>&a;</Envelope>',
    ],
)
def test_malformed_xml_is_rjct_not_an_exception(xml):
    status = parse_pacs002(SpiSimulator().send_credit_transfer(xml))
    assert (status.status, status.reason_code) == (TxStatus.RJCT, "CH16")
    assert status.original_end_to_end_id.startswith("E" + SPI_ISPB)
    assert status.additional_info
    assert not SpiSimulatedMessage.objects.exists()


def test_invalid_content_names_the_end_to_end_id_when_readable():
    ct = outbound()
    xml = build_pacs008(ct).replace(b"<Nm>Maria da Silva</Nm>", b"")
    status = parse_pacs002(SpiSimulator().send_credit_transfer(xml))
    assert (status.status, status.reason_code) == (TxStatus.RJCT, "CH16")
    assert status.original_end_to_end_id == ct.end_to_end_id
    assert "Dbtr" in status.additional_info[0]


def test_a_pacs004_sent_as_credit_transfer_is_rejected():
    xml = our_return(outbound(), 100)
    assert parse_pacs002(SpiSimulator().send_credit_transfer(xml)).reason_code == "CH16"


# --- latency and timeouts ---------------------------------------------------------------------


def test_timeout_rate_one_always_times_out_and_records_nothing(settings):
    settings.PIX_SPI_TIMEOUT_RATE = 1.0
    ct = outbound()
    with pytest.raises(SpiTimeout):
        SpiSimulator().send_credit_transfer(build_pacs008(ct))
    with pytest.raises(SpiTimeout):
        SpiSimulator().send_return(b"<x/>")
    assert not SpiSimulatedMessage.objects.exists()
    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    assert send(ct).status is TxStatus.ACSC  # the retry of a lost message goes through


def test_timeout_rate_zero_never_times_out():
    simulator = SpiSimulator(timeout_rate=0.0)
    for _ in range(20):
        assert send(outbound(), simulator).status is TxStatus.ACSC


def test_partial_timeout_rate_is_a_probability():
    simulator = SpiSimulator(timeout_rate=0.5, rng=random.Random(7))
    outcomes = []
    for _ in range(40):
        try:
            send(outbound(), simulator)
            outcomes.append("ok")
        except SpiTimeout:
            outcomes.append("timeout")
    assert 5 < outcomes.count("timeout") < 35


def test_latency_sleeps_within_the_configured_range(settings):
    settings.PIX_SPI_LATENCY_MS = "5,40"
    slept: list[float] = []
    simulator = SpiSimulator(sleep=slept.append, rng=random.Random(1))
    for _ in range(10):
        send(outbound(), simulator)
    assert len(slept) == 10
    assert all(0.005 <= s <= 0.040 for s in slept)


def test_zero_latency_does_not_sleep():
    slept: list[float] = []
    send(outbound(), SpiSimulator(sleep=slept.append))
    assert slept == []


def test_latency_setting_parsing():
    assert parse_latency("5,40") == (5.0, 40.0)
    assert parse_latency("10") == (10.0, 10.0)
    for bad in ("40,5", "-1,3", "a,b", "1,2,3"):
        with pytest.raises(ImproperlyConfigured):
            parse_latency(bad)


# --- the factory ------------------------------------------------------------------------------


def test_factory_follows_the_setting(settings):
    assert isinstance(spi_client(), SpiSimulator)
    assert spi_client().participant == OURS
    settings.PIX_SPI_CLIENT = "http"
    assert isinstance(spi_client(), SpiHttpClient)
    settings.PIX_SPI_CLIENT = "carrier pigeon"
    with pytest.raises(ImproperlyConfigured):
        spi_client()


def test_http_client_posts_the_xml_to_icom():
    calls = []

    def transport(path, body):
        calls.append((path, body))
        return b"<answer/>"

    client = SpiHttpClient(base_url="https://icom.example/", transport=transport)
    assert client.send_credit_transfer(b"<pacs008/>") == b"<answer/>"
    assert client.send_return(b"<pacs004/>") == b"<answer/>"
    assert calls == [
        (f"api/v1/in/{OURS}/msgs", b"<pacs008/>"),
        (f"api/v1/in/{OURS}/msgs", b"<pacs004/>"),
    ]


# --- inbound Pix ------------------------------------------------------------------------------


def test_inbound_credit_transfer_carries_the_given_fields():
    simulator = SpiSimulator()
    xml = inbound(
        simulator,
        amount_cents=12_345,
        key="+5511981047272",
        txid="pedido123",
        remittance="Almoço",
        creditor_account_type=AccountType.TRAN,
    )
    ct = parse_pacs008(xml)
    assert ct.sender_ispb == SPI_ISPB and ct.receiver_ispb == OURS
    assert ct.amount_cents == 12_345
    assert e2e.parse_end_to_end_id(ct.end_to_end_id).ispb == BB
    assert (ct.debtor.name, ct.debtor.tax_id, ct.debtor.ispb) == ("João Pereira", "98765432100", BB)
    assert (ct.creditor.ispb, ct.creditor.branch, ct.creditor.account_number) == (
        OURS,
        "0001",
        "1234567",
    )
    assert ct.creditor.tax_id == "12345678909"
    assert ct.creditor.account_type is AccountType.TRAN
    assert ct.creditor.pix_key == "+5511981047272"
    assert ct.tx_id == "pedido123" and ct.initiation is LocalInstrument.QRDN
    assert ct.remittance_info == "Almoço"
    row = SpiSimulatedMessage.objects.get(end_to_end_id=ct.end_to_end_id)
    assert (row.direction, row.status, row.debtor_ispb) == ("INBOUND", "ACCC", BB)


def test_inbound_initiation_follows_key_and_txid():
    simulator = SpiSimulator()
    assert parse_pacs008(inbound(simulator)).initiation is LocalInstrument.MANU
    assert parse_pacs008(inbound(simulator, key="a@b.com")).initiation is LocalInstrument.DICT


def test_inbound_refuses_bad_input():
    simulator = SpiSimulator()
    with pytest.raises(ValueError):
        inbound(simulator, payer_ispb=NOT_A_PARTICIPANT)
    with pytest.raises(ValueError):
        inbound(simulator, payer_ispb=OURS)
    with pytest.raises(ValueError):
        inbound(simulator, to_ispb=ITAU)
    with pytest.raises(ValueError):
        inbound(simulator, amount_cents=0)


# --- pacs.004 ---------------------------------------------------------------------------------


def send_return(xml: bytes, simulator: SpiSimulator | None = None):
    return parse_pacs002((simulator or SpiSimulator()).send_return(xml))


def test_returns_up_to_the_original_amount_then_rejected():
    simulator = SpiSimulator()
    original = parse_pacs008(inbound(simulator, amount_cents=10_000))
    first = our_return(original, 6_000)
    status = send_return(first, simulator)
    assert status.status is TxStatus.ACSC
    assert status.original_end_to_end_id == original.end_to_end_id
    assert status.original_instruction_id == parse_pacs004(first).return_id
    assert send_return(our_return(original, 4_001), simulator).reason_code == "AM09"
    assert send_return(our_return(original, 4_000), simulator).status is TxStatus.ACSC
    assert send_return(our_return(original, 1), simulator).reason_code == "AM09"
    rows = SpiSimulatedMessage.objects.filter(original_end_to_end_id=original.end_to_end_id)
    assert sorted(rows.values_list("status", flat=True)) == ["ACSC", "ACSC", "RJCT", "RJCT"]


def test_return_beyond_the_original_amount_at_once():
    simulator = SpiSimulator()
    original = parse_pacs008(inbound(simulator, amount_cents=10_000))
    assert send_return(our_return(original, 10_001), simulator).reason_code == "AM09"
    assert send_return(our_return(original, 10_000), simulator).status is TxStatus.ACSC


def test_duplicate_return_id_is_rejected():
    simulator = SpiSimulator()
    original = parse_pacs008(inbound(simulator))
    xml = our_return(original, 100)
    assert send_return(xml, simulator).status is TxStatus.ACSC
    assert send_return(xml, simulator).reason_code == "DUPL"


def test_return_of_unknown_or_unsettled_pix_is_rejected():
    simulator = SpiSimulator()
    unknown = outbound(end_to_end_id=e2e.new_end_to_end_id(BB))
    assert send_return(our_return(unknown, 100), simulator).reason_code == "FF08"
    original = parse_pacs008(inbound(simulator))
    SpiSimulatedMessage.objects.filter(end_to_end_id=original.end_to_end_id).update(status="RJCT")
    assert send_return(our_return(original, 100), simulator).reason_code == "FF08"


def test_we_cannot_return_a_pix_we_sent():
    simulator = SpiSimulator()
    ct = outbound()
    assert send(ct, simulator).status is TxStatus.ACSC
    xml = our_return(ct, 100, creditor_ispb=ITAU)
    assert send_return(xml, simulator).reason_code == "AGNT"


def test_return_after_90_days_is_rejected():
    simulator = SpiSimulator()
    original = parse_pacs008(inbound(simulator))
    SpiSimulatedMessage.objects.filter(end_to_end_id=original.end_to_end_id).update(
        created_at=timezone.now() - timedelta(days=91)
    )
    assert send_return(our_return(original, 100), simulator).reason_code == "DT05"


def test_malformed_return_is_rjct():
    status = send_return(b"<garbage")
    assert (status.status, status.reason_code) == (TxStatus.RJCT, "CH16")
    original = parse_pacs008(inbound(SpiSimulator()))
    xml = our_return(original, 100).replace(b"<Cd>MD06</Cd>", b"<Cd>XX99</Cd>")
    status = send_return(xml)
    assert (status.status, status.reason_code) == (TxStatus.RJCT, "CH16")
    assert status.original_end_to_end_id == original.end_to_end_id
    assert status.original_instruction_id.startswith("D" + OURS)


def test_inbound_return_of_a_pix_we_sent():
    simulator = SpiSimulator()
    ct = outbound(amount_cents=5_000)
    assert send(ct, simulator).status is TxStatus.ACSC
    ret = parse_pacs004(
        simulator.inbound_return(original_end_to_end_id=ct.end_to_end_id, amount_cents=3_000)
    )
    assert (ret.debtor_ispb, ret.creditor_ispb, ret.receiver_ispb) == (ITAU, OURS, OURS)
    assert ret.amount_cents == 3_000 and ret.return_id.startswith("D" + ITAU)
    with pytest.raises(SpiError, match="AM09"):
        simulator.inbound_return(original_end_to_end_id=ct.end_to_end_id, amount_cents=2_001)
    with pytest.raises(SpiError, match="FF08"):
        simulator.inbound_return(original_end_to_end_id=e2e.new_end_to_end_id(OURS), amount_cents=1)


def test_return_must_be_sent_by_the_original_creditor_psp():
    simulator = SpiSimulator()
    original = parse_pacs008(inbound(simulator))
    xml = our_return(original, 100, sender_ispb=ITAU, msg_id=e2e.new_msg_id(ITAU))
    assert send_return(xml, simulator).reason_code == "RC09"
    xml = our_return(original, 100, receiver_ispb=BB)
    assert send_return(xml, simulator).reason_code == "AGNT"
