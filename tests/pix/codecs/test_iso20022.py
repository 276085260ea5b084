"""The SPI's ISO 20022 codec: golden structure, round trips, strict validation, hostile XML."""

from __future__ import annotations

import pickle
import string
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from apps.pix.codecs import iso20022 as iso
from apps.pix.codecs.iso20022 import (
    SPI_ISPB,
    AccountType,
    CreditTransfer,
    Iso20022Error,
    LocalInstrument,
    Party,
    PaymentReturn,
    PaymentStatus,
    Priority,
    ServiceLevel,
    TxStatus,
    build_pacs002,
    build_pacs004,
    build_pacs008,
    parse_message,
    parse_pacs002,
    parse_pacs004,
    parse_pacs008,
)

OURS = "12345678"
THEIRS = "87654321"
E2E = "E12345678202001010830abcdeFGHIJ0"
RTR = "D87654321202001021015ZyXwVu98765"
T0 = datetime(2020, 1, 1, 8, 30, 12, tzinfo=UTC)
NS8 = "https://www.bcb.gov.br/pi/pacs.008/1.16"
NS2 = "https://www.bcb.gov.br/pi/pacs.002/1.17"
NS4 = "https://www.bcb.gov.br/pi/pacs.004/1.5"
TX8 = "Document/FIToFICstmrCdtTrf/CdtTrfTxInf"


def golden_ct(**changes) -> CreditTransfer:
    ct = CreditTransfer(
        msg_id="M12345678" + "a1B2c3D4e5F6g7H8i9J0k1L",
        created_at=T0,
        sender_ispb=OURS,
        end_to_end_id=E2E,
        amount_cents=15000,
        debtor=Party(
            name="Maria da Silva",
            tax_id="12345678909",
            ispb=OURS,
            branch="0001",
            account_number="1234567",
            account_type=AccountType.CACC,
        ),
        creditor=Party(
            tax_id="11222333000181",
            ispb=THEIRS,
            branch="0097",
            account_number="8947835",
            account_type=AccountType.TRAN,
            pix_key="+5511981047272",
        ),
        accepted_at=T0 - timedelta(seconds=2),
        initiation=LocalInstrument.DICT,
        tx_id="pedido123",
        remittance_info="Almoço de sexta",
    )
    return replace(ct, **changes) if changes else ct


def golden_status(**changes) -> PaymentStatus:
    ps = PaymentStatus(
        msg_id="M00038166" + "Z" * 23,
        created_at=T0 + timedelta(seconds=1),
        sender_ispb=SPI_ISPB,
        receiver_ispb=OURS,
        original_end_to_end_id=E2E,
        status=TxStatus.RJCT,
        reason_code="AC03",
        additional_info=("conta inexistente no PSP recebedor",),
    )
    return replace(ps, **changes) if changes else ps


def golden_return(**changes) -> PaymentReturn:
    pr = PaymentReturn(
        msg_id="M87654321" + "r" * 23,
        created_at=datetime(2020, 1, 2, 10, 15, 0, 500000, tzinfo=UTC),
        sender_ispb=THEIRS,
        return_id=RTR,
        original_end_to_end_id=E2E,
        amount_cents=5050,
        reason_code="MD06",
        debtor_ispb=THEIRS,
        creditor_ispb=OURS,
        additional_info="devolução a pedido do recebedor",
        remittance_info="estorno do almoço",
    )
    return replace(pr, **changes) if changes else pr


def xpath(xml: bytes, path: str, ns: str) -> list:
    return etree.fromstring(xml).xpath(path, namespaces={"s": ns})


def one(xml: bytes, path: str, ns: str) -> str:
    found = xpath(xml, path, ns)
    assert len(found) == 1, (path, found)
    return found[0].text if isinstance(found[0], etree._Element) else str(found[0])


# --- golden structure ---------------------------------------------------------------------


def test_pacs008_golden_structure():
    xml = build_pacs008(golden_ct())
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = etree.fromstring(xml)
    assert root.tag == f"{{{NS8}}}Envelope"
    assert root.nsmap == {None: NS8}  # one default namespace, no urn:iso namespaces
    assert all(etree.QName(e).namespace == NS8 for e in root.iter())
    assert [etree.QName(c).localname for c in root] == ["AppHdr", "Document"]

    hdr = "/s:Envelope/s:AppHdr"
    assert one(xml, f"{hdr}/s:Fr/s:FIId/s:FinInstnId/s:Othr/s:Id", NS8) == OURS
    assert one(xml, f"{hdr}/s:To/s:FIId/s:FinInstnId/s:Othr/s:Id", NS8) == SPI_ISPB
    assert one(xml, f"{hdr}/s:BizMsgIdr", NS8) == golden_ct().msg_id
    assert one(xml, f"{hdr}/s:MsgDefIdr", NS8) == "pacs.008.spi.1.16"
    assert one(xml, f"{hdr}/s:CreDt", NS8) == "2020-01-01T08:30:12.000Z"
    assert xpath(xml, f"{hdr}/s:Sgntr", NS8)

    grp = "/s:Envelope/s:Document/s:FIToFICstmrCdtTrf/s:GrpHdr"
    assert one(xml, f"{grp}/s:MsgId", NS8) == golden_ct().msg_id
    assert one(xml, f"{grp}/s:CreDtTm", NS8) == "2020-01-01T08:30:12.000Z"
    assert one(xml, f"{grp}/s:NbOfTxs", NS8) == "1"
    assert one(xml, f"{grp}/s:SttlmInf/s:SttlmMtd", NS8) == "CLRG"
    assert one(xml, f"{grp}/s:PmtTpInf/s:InstrPrty", NS8) == "HIGH"
    assert one(xml, f"{grp}/s:PmtTpInf/s:SvcLvl/s:Prtry", NS8) == "PAGPRI"

    tx = "/s:Envelope/s:Document/s:FIToFICstmrCdtTrf/s:CdtTrfTxInf"
    children = [etree.QName(c).localname for c in xpath(xml, tx, NS8)[0]]
    assert children == [
        "PmtId", "IntrBkSttlmAmt", "AccptncDtTm", "ChrgBr", "MndtRltdInf", "Dbtr", "DbtrAcct",
        "DbtrAgt", "CdtrAgt", "Cdtr", "CdtrAcct", "Purp", "RmtInf",
    ]  # fmt: skip
    assert one(xml, f"{tx}/s:PmtId/s:EndToEndId", NS8) == E2E
    assert one(xml, f"{tx}/s:PmtId/s:TxId", NS8) == "pedido123"
    assert one(xml, f"{tx}/s:IntrBkSttlmAmt", NS8) == "150.00"
    assert one(xml, f"{tx}/s:IntrBkSttlmAmt/@Ccy", NS8) == "BRL"
    assert b'<IntrBkSttlmAmt Ccy="BRL">150.00</IntrBkSttlmAmt>' in xml
    assert one(xml, f"{tx}/s:AccptncDtTm", NS8) == "2020-01-01T08:30:10.000Z"
    assert one(xml, f"{tx}/s:ChrgBr", NS8) == "SLEV"
    assert one(xml, f"{tx}/s:MndtRltdInf/s:Tp/s:LclInstrm/s:Prtry", NS8) == "DICT"
    assert one(xml, f"{tx}/s:Dbtr/s:Nm", NS8) == "Maria da Silva"
    assert one(xml, f"{tx}/s:Dbtr/s:Id/s:PrvtId/s:Othr/s:Id", NS8) == "12345678909"
    assert one(xml, f"{tx}/s:DbtrAcct/s:Id/s:Othr/s:Id", NS8) == "1234567"
    assert one(xml, f"{tx}/s:DbtrAcct/s:Id/s:Othr/s:Issr", NS8) == "0001"
    assert one(xml, f"{tx}/s:DbtrAcct/s:Tp/s:Cd", NS8) == "CACC"
    assert one(xml, f"{tx}/s:DbtrAgt/s:FinInstnId/s:ClrSysMmbId/s:MmbId", NS8) == OURS
    assert one(xml, f"{tx}/s:CdtrAgt/s:FinInstnId/s:ClrSysMmbId/s:MmbId", NS8) == THEIRS
    assert not xpath(xml, f"{tx}/s:Cdtr/s:Nm", NS8)  # the SPI carries no creditor name
    assert one(xml, f"{tx}/s:Cdtr/s:Id/s:PrvtId/s:Othr/s:Id", NS8) == "11222333000181"
    assert one(xml, f"{tx}/s:CdtrAcct/s:Tp/s:Cd", NS8) == "TRAN"
    assert one(xml, f"{tx}/s:CdtrAcct/s:Prxy/s:Id", NS8) == "+5511981047272"
    assert one(xml, f"{tx}/s:Purp/s:Cd", NS8) == "IPAY"
    assert one(xml, f"{tx}/s:RmtInf/s:Ustrd", NS8) == "Almoço de sexta"


def test_pacs008_omits_optional_elements():
    ct = golden_ct(
        initiation="MANU",
        creditor=replace(golden_ct().creditor, pix_key=None, branch=None),
        tx_id=None,
        remittance_info=None,
    )
    xml = build_pacs008(ct)
    tx = "/s:Envelope/s:Document/s:FIToFICstmrCdtTrf/s:CdtTrfTxInf"
    for absent in ("s:PmtId/s:TxId", "s:CdtrAcct/s:Prxy", "s:CdtrAcct/s:Id/s:Othr/s:Issr"):
        assert not xpath(xml, f"{tx}/{absent}", NS8)
    assert not xpath(xml, f"{tx}/s:RmtInf", NS8)
    assert parse_pacs008(xml) == ct


def test_pacs002_golden_structure_rejection():
    xml = build_pacs002(golden_status())
    root = etree.fromstring(xml)
    assert root.nsmap == {None: NS2}
    assert one(xml, "/s:Envelope/s:AppHdr/s:MsgDefIdr", NS2) == "pacs.002.spi.1.17"
    assert one(xml, "/s:Envelope/s:AppHdr/s:Fr/s:FIId/s:FinInstnId/s:Othr/s:Id", NS2) == SPI_ISPB
    assert one(xml, "/s:Envelope/s:AppHdr/s:To/s:FIId/s:FinInstnId/s:Othr/s:Id", NS2) == OURS
    assert one(xml, "/s:Envelope/s:AppHdr/s:CreDt", NS2) == "2020-01-01T08:30:13.000Z"
    grp = "/s:Envelope/s:Document/s:FIToFIPmtStsRpt/s:GrpHdr"
    assert [etree.QName(c).localname for c in xpath(xml, grp, NS2)[0]] == ["MsgId", "CreDtTm"]
    tx = "/s:Envelope/s:Document/s:FIToFIPmtStsRpt/s:TxInfAndSts"
    assert one(xml, f"{tx}/s:OrgnlInstrId", NS2) == E2E
    assert one(xml, f"{tx}/s:OrgnlEndToEndId", NS2) == E2E
    assert one(xml, f"{tx}/s:TxSts", NS2) == "RJCT"
    assert one(xml, f"{tx}/s:StsRsnInf/s:Rsn/s:Cd", NS2) == "AC03"
    assert one(xml, f"{tx}/s:StsRsnInf/s:AddtlInf", NS2) == "conta inexistente no PSP recebedor"
    assert not xpath(xml, f"{tx}/s:FctvIntrBkSttlmDt", NS2)


def test_pacs002_golden_structure_settlement():
    settled = golden_status(
        status="ACSC",
        reason_code=None,
        additional_info=(),
        settled_at=T0 + timedelta(milliseconds=1500),
        settlement_date=date(2020, 1, 1),
    )
    xml = build_pacs002(settled)
    tx = "/s:Envelope/s:Document/s:FIToFIPmtStsRpt/s:TxInfAndSts"
    children = [etree.QName(c).localname for c in xpath(xml, tx, NS2)[0]]
    assert children == [
        "OrgnlInstrId", "OrgnlEndToEndId", "TxSts", "FctvIntrBkSttlmDt", "OrgnlTxRef",
    ]  # fmt: skip
    assert one(xml, f"{tx}/s:TxSts", NS2) == "ACSC"
    assert one(xml, f"{tx}/s:FctvIntrBkSttlmDt/s:DtTm", NS2) == "2020-01-01T08:30:13.500Z"
    assert one(xml, f"{tx}/s:OrgnlTxRef/s:IntrBkSttlmDt", NS2) == "2020-01-01"
    assert parse_pacs002(xml) == settled


def test_pacs004_golden_structure():
    xml = build_pacs004(golden_return())
    root = etree.fromstring(xml)
    assert root.nsmap == {None: NS4}
    assert one(xml, "/s:Envelope/s:AppHdr/s:MsgDefIdr", NS4) == "pacs.004.spi.1.5"
    assert one(xml, "/s:Envelope/s:AppHdr/s:CreDt", NS4) == "2020-01-02T10:15:00.500Z"
    grp = "/s:Envelope/s:Document/s:PmtRtr/s:GrpHdr"
    assert one(xml, f"{grp}/s:NbOfTxs", NS4) == "1"
    assert one(xml, f"{grp}/s:SttlmInf/s:SttlmMtd", NS4) == "CLRG"
    tx = "/s:Envelope/s:Document/s:PmtRtr/s:TxInf"
    children = [etree.QName(c).localname for c in xpath(xml, tx, NS4)[0]]
    assert children == [
        "RtrId", "OrgnlEndToEndId", "RtrdIntrBkSttlmAmt", "SttlmPrty", "ChrgBr", "RtrRsnInf",
        "OrgnlTxRef",
    ]  # fmt: skip
    assert one(xml, f"{tx}/s:RtrId", NS4) == RTR
    assert one(xml, f"{tx}/s:OrgnlEndToEndId", NS4) == E2E
    assert one(xml, f"{tx}/s:RtrdIntrBkSttlmAmt", NS4) == "50.50"
    assert one(xml, f"{tx}/s:RtrdIntrBkSttlmAmt/@Ccy", NS4) == "BRL"
    assert one(xml, f"{tx}/s:SttlmPrty", NS4) == "HIGH"
    assert one(xml, f"{tx}/s:ChrgBr", NS4) == "SLEV"
    assert one(xml, f"{tx}/s:RtrRsnInf/s:Rsn/s:Cd", NS4) == "MD06"
    assert one(xml, f"{tx}/s:RtrRsnInf/s:AddtlInf", NS4) == "devolução a pedido do recebedor"
    assert one(xml, f"{tx}/s:OrgnlTxRef/s:RmtInf/s:Ustrd", NS4) == "estorno do almoço"
    agt = "s:FinInstnId/s:ClrSysMmbId/s:MmbId"
    assert one(xml, f"{tx}/s:OrgnlTxRef/s:DbtrAgt/{agt}", NS4) == THEIRS
    assert one(xml, f"{tx}/s:OrgnlTxRef/s:CdtrAgt/{agt}", NS4) == OURS


def test_golden_messages_round_trip_exactly():
    for message, build, parse in (
        (golden_ct(), build_pacs008, parse_pacs008),
        (golden_status(), build_pacs002, parse_pacs002),
        (golden_return(), build_pacs004, parse_pacs004),
    ):
        xml = build(message)
        assert parse(xml) == message
        assert parse_message(xml) == message
        assert build(parse(xml)) == xml


def test_reads_a_message_shaped_like_bacens_examples():
    """Indented, commented, signed, an amount without decimals: all still valid SPI."""
    xml = f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<Envelope xmlns="{NS8}">
  <!-- as forwarded by the SPI to the receiving PSP -->
  <AppHdr>
    <Fr><FIId><FinInstnId><Othr><Id>00038166</Id></Othr></FinInstnId></FIId></Fr>
    <To><FIId><FinInstnId><Othr><Id>{THEIRS}</Id></Othr></FinInstnId></FIId></To>
    <BizMsgIdr>M000381660MEUGLGGA21S3D8M1PYVR8J</BizMsgIdr>
    <MsgDefIdr>pacs.008.spi.1.16</MsgDefIdr>
    <CreDt>2025-08-27T21:00:23.050Z</CreDt>
    <Sgntr><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/>
    </ds:Signature></Sgntr>
  </AppHdr>
  <Document>
    <FIToFICstmrCdtTrf>
      <GrpHdr>
        <MsgId>M000381660MEUGLGGA21S3D8M1PYVR8J</MsgId>
        <CreDtTm>2025-08-27T21:00:23.050Z</CreDtTm>
        <NbOfTxs>1</NbOfTxs>
        <SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf>
        <PmtTpInf><InstrPrty>HIGH</InstrPrty><SvcLvl><Prtry>PAGPRI</Prtry></SvcLvl></PmtTpInf>
      </GrpHdr>
      <CdtTrfTxInf>
        <PmtId><EndToEndId>E71027866202508272059568098cbddQ</EndToEndId></PmtId>
        <IntrBkSttlmAmt Ccy="BRL">500</IntrBkSttlmAmt>
        <AccptncDtTm>2025-08-27T20:59:57.800Z</AccptncDtTm>
        <ChrgBr>SLEV</ChrgBr>
        <MndtRltdInf><Tp><LclInstrm><Prtry>MANU</Prtry></LclInstrm></Tp></MndtRltdInf>
        <Dbtr>
          <Nm>Fulano da Silva</Nm>
          <Id><PrvtId><Othr><Id>11111111111</Id></Othr></PrvtId></Id>
        </Dbtr>
        <DbtrAcct><Id><Othr><Id>1</Id><Issr>1</Issr></Othr></Id><Tp><Cd>CACC</Cd></Tp></DbtrAcct>
        <DbtrAgt><FinInstnId><ClrSysMmbId><MmbId>71027866</MmbId></ClrSysMmbId></FinInstnId></DbtrAgt>
        <CdtrAgt><FinInstnId><ClrSysMmbId><MmbId>{THEIRS}</MmbId></ClrSysMmbId></FinInstnId></CdtrAgt>
        <Cdtr><Id><PrvtId><Othr><Id>61363314000143</Id></Othr></PrvtId></Id></Cdtr>
        <CdtrAcct><Id><Othr><Id>90570189</Id></Othr></Id><Tp><Cd>SVGS</Cd></Tp></CdtrAcct>
        <Purp><Cd>IPAY</Cd></Purp>
      </CdtTrfTxInf>
    </FIToFICstmrCdtTrf>
  </Document>
</Envelope>
"""
    ct = parse_pacs008(xml.encode())
    assert ct.sender_ispb == SPI_ISPB and ct.receiver_ispb == THEIRS
    assert ct.amount_cents == 50000
    assert ct.created_at == datetime(2025, 8, 27, 21, 0, 23, 50000, tzinfo=UTC)
    assert ct.debtor.ispb == "71027866" and ct.debtor.name == "Fulano da Silva"
    assert ct.creditor.account_type is AccountType.SVGS and ct.creditor.branch is None
    assert ct.initiation is LocalInstrument.MANU and ct.remittance_info is None
    assert parse_message(xml) == ct  # str input works too


@pytest.mark.parametrize(
    ("text", "cents"),
    [("150.00", 15000), ("150.5", 15050), ("150", 15000), ("0.01", 1), ("007.10", 710)],
)
def test_amounts_read_as_centavos(text, cents):
    xml = build_pacs008(golden_ct()).replace(b">150.00<", f">{text}<".encode())
    assert parse_pacs008(xml).amount_cents == cents


@pytest.mark.parametrize(
    ("cents", "text"),
    [(1, "0.01"), (10, "0.10"), (100, "1.00"), (123456789, "1234567.89"), (10**18 - 1, None)],
)
def test_amounts_written_with_a_dot_and_two_places(cents, text):
    xml = build_pacs008(golden_ct(amount_cents=cents))
    expected = text or f"{(10**18 - 1) // 100}.99"
    assert one(xml, "//s:IntrBkSttlmAmt", NS8) == expected
    assert parse_pacs008(xml).amount_cents == cents


def test_timestamps_are_held_to_the_millisecond_in_utc():
    brasilia = timezone(timedelta(hours=-3))
    local = datetime(2019, 12, 31, 23, 59, 59, 999999, tzinfo=brasilia)
    ct = golden_ct(created_at=local, accepted_at=local)
    assert ct.created_at == datetime(2020, 1, 1, 2, 59, 59, 999000, tzinfo=UTC)
    assert ct.created_at.tzinfo is UTC
    xml = build_pacs008(ct)
    assert one(xml, "//s:CreDtTm", NS8) == "2020-01-01T02:59:59.999Z"
    assert parse_pacs008(xml) == ct


def test_pacs002_answering_a_return_carries_the_return_id():
    ps = golden_status(original_instruction_id=RTR, status="ACSP", reason_code=None)
    xml = build_pacs002(ps)
    assert one(xml, "//s:OrgnlInstrId", NS2) == RTR
    assert one(xml, "//s:OrgnlEndToEndId", NS2) == E2E
    assert parse_pacs002(xml) == ps


# --- round trips over random valid content ---------------------------------------------------

ALNUM = string.ascii_letters + string.digits
ispbs = st.text(alphabet=string.digits + string.ascii_uppercase, min_size=8, max_size=8)
zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=-3)), timezone(timedelta(hours=5, minutes=45))]
)
moments = st.builds(
    lambda naive, tz: naive.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30)),
    zones,
)
xml_chars = st.characters(
    exclude_categories=("Cs",),
    exclude_characters="".join(map(chr, [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]))
    + "\ufffe\uffff",
)


def texts(max_size: int) -> st.SearchStrategy[str]:
    return st.text(xml_chars, min_size=1, max_size=max_size)


msg_ids = st.builds(lambda i, r: f"M{i}{r}", ispbs, st.text(ALNUM, min_size=23, max_size=23))


def tx_ids(kind: str) -> st.SearchStrategy[str]:
    return st.builds(
        lambda i, m, r: f"{kind}{i}{m.astimezone(UTC):%Y%m%d%H%M}{r}",
        ispbs,
        moments,
        st.text(ALNUM, min_size=11, max_size=11),
    )


cents = st.integers(min_value=1, max_value=10**18 - 1) | st.integers(1, 10**7)
tax_ids = st.from_regex(r"\A[0-9]{11}\Z") | st.from_regex(r"\A[0-9A-Z]{12}[0-9]{2}\Z")
pix_keys = st.text(
    st.characters(
        exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), exclude_characters="\ufffe\uffff"
    ),
    min_size=1,
    max_size=77,
).filter(lambda s: not any(c.isspace() for c in s))


def parties(*, name: bool, key: st.SearchStrategy) -> st.SearchStrategy[Party]:
    return st.builds(
        Party,
        tax_id=tax_ids,
        ispb=ispbs,
        account_number=st.from_regex(r"\A[0-9]{1,20}\Z"),
        account_type=st.sampled_from(AccountType),
        branch=st.none() | st.from_regex(r"\A[0-9]{1,4}\Z"),
        name=texts(140) if name else st.none(),
        pix_key=key,
    )


@st.composite
def credit_transfers(draw) -> CreditTransfer:
    initiation = draw(st.sampled_from(LocalInstrument))
    if initiation is LocalInstrument.MANU:
        key = st.none()
    elif initiation in (LocalInstrument.DICT, LocalInstrument.QRES, LocalInstrument.QRDN):
        key = pix_keys
    else:
        key = st.none() | pix_keys
    service = draw(st.sampled_from(ServiceLevel))
    return CreditTransfer(
        msg_id=draw(msg_ids),
        created_at=draw(moments),
        sender_ispb=draw(ispbs),
        receiver_ispb=draw(ispbs),
        end_to_end_id=draw(tx_ids("E")),
        amount_cents=draw(cents),
        debtor=draw(parties(name=True, key=st.none())),
        creditor=draw(parties(name=False, key=key)),
        accepted_at=draw(st.none() | moments),
        priority=Priority.HIGH if service is ServiceLevel.PAGPRI else Priority.NORM,
        service_level=service,
        initiation=initiation,
        purpose=draw(st.sampled_from(iso.Purpose)),
        tx_id=draw(st.none() | st.text(ALNUM, min_size=1, max_size=35)),
        remittance_info=draw(st.none() | texts(140)),
    )


@st.composite
def payment_statuses(draw) -> PaymentStatus:
    status = draw(st.sampled_from(TxStatus))
    e2e = draw(tx_ids("E"))
    return PaymentStatus(
        msg_id=draw(msg_ids),
        created_at=draw(moments),
        sender_ispb=draw(ispbs),
        receiver_ispb=draw(ispbs),
        original_end_to_end_id=e2e,
        original_instruction_id=draw(st.sampled_from([None, e2e]) | tx_ids("D")),
        status=status,
        reason_code=draw(st.sampled_from(sorted(iso.STATUS_REASONS)))
        if status is TxStatus.RJCT
        else None,
        additional_info=tuple(draw(st.lists(texts(105), max_size=3))),
        settled_at=draw(st.none() | moments),
        settlement_date=draw(st.none() | st.dates()),
    )


payment_returns = st.builds(
    PaymentReturn,
    msg_id=msg_ids,
    created_at=moments,
    sender_ispb=ispbs,
    receiver_ispb=ispbs,
    return_id=tx_ids("D"),
    original_end_to_end_id=tx_ids("E"),
    amount_cents=cents,
    reason_code=st.sampled_from(iso.ReturnReason),
    debtor_ispb=ispbs,
    creditor_ispb=ispbs,
    priority=st.sampled_from(Priority),
    additional_info=st.none() | texts(105),
    remittance_info=st.none() | texts(140),
)


@settings(deadline=None, max_examples=200)
@given(ct=credit_transfers())
def test_pacs008_round_trip(ct):
    xml = build_pacs008(ct)
    assert parse_pacs008(xml) == ct
    assert parse_message(xml) == ct
    assert build_pacs008(parse_pacs008(xml)) == xml


@settings(deadline=None, max_examples=200)
@given(ps=payment_statuses())
def test_pacs002_round_trip(ps):
    xml = build_pacs002(ps)
    assert parse_pacs002(xml) == ps
    assert parse_message(xml) == ps
    assert build_pacs002(parse_pacs002(xml)) == xml


@settings(deadline=None, max_examples=200)
@given(pr=payment_returns)
def test_pacs004_round_trip(pr):
    xml = build_pacs004(pr)
    assert parse_pacs004(xml) == pr
    assert parse_message(xml) == pr
    assert build_pacs004(parse_pacs004(xml)) == xml


# --- malformed messages: refused, naming the field --------------------------------------------


def _swap(xml: bytes, old: str, new: str) -> bytes:
    assert old.encode() in xml, old
    return xml.replace(old.encode(), new.encode())


CT_XML = build_pacs008(golden_ct())
PS_XML = build_pacs002(golden_status())
PR_XML = build_pacs004(golden_return())
NAME = "<Nm>Maria da Silva</Nm>"

PACS008_CASES = [
    # wrong namespace or message type
    (NS8, "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08", "Envelope", "plain ISO 20022"),
    (NS8, "https://www.bcb.gov.br/pi/pacs.008/1.99", "Envelope", "unsupported"),
    ("pacs.008.spi.1.16", "pacs.008.spi.1.13", "AppHdr/MsgDefIdr", "pacs.008.spi.1.16"),
    # missing or misplaced elements
    (NAME, "", f"{TX8}/Dbtr/Nm", "missing"),
    ("<Purp><Cd>IPAY</Cd></Purp>", "", f"{TX8}/Purp", "missing"),
    ("<ChrgBr>SLEV</ChrgBr>", "", f"{TX8}/ChrgBr", "missing"),
    (NAME, NAME + "<Nm>Outra</Nm>", f"{TX8}/Dbtr/Nm", "more than 1"),
    ("<Purp>", "<Xpto>1</Xpto><Purp>", f"{TX8}/Xpto", "unexpected"),
    ("<Cdtr><Id>", "<Cdtr><Nm>Joao</Nm><Id>", f"{TX8}/Cdtr/Nm", "unexpected"),
    ("<NbOfTxs>1</NbOfTxs>", "<NbOfTxs>2</NbOfTxs>", "GrpHdr/NbOfTxs", "one transaction"),
    ("<ChrgBr>SLEV</ChrgBr>", "<ChrgBr>DEBT</ChrgBr>", f"{TX8}/ChrgBr", "SLEV"),
    ("<Nm>Maria", "<Nm><b>x</b>Maria", f"{TX8}/Dbtr/Nm", "text, not elements"),
    ("<Dbtr>", "<Dbtr>texto", f"{TX8}/Dbtr", "elements, not text"),
    (NAME, "<Nm></Nm>", f"{TX8}/Dbtr/Nm", "empty"),
    (NAME, '<Nm xmlns="urn:x">Maria</Nm>', f"{TX8}/Dbtr/Nm", "namespace"),
    # amount format
    (">150.00<", ">150,00<", f"{TX8}/IntrBkSttlmAmt", "decimal amount"),
    (">150.00<", ">150.001<", f"{TX8}/IntrBkSttlmAmt", "decimal amount"),
    (">150.00<", ">-150.00<", f"{TX8}/IntrBkSttlmAmt", "decimal amount"),
    (">150.00<", ">1.5e2<", f"{TX8}/IntrBkSttlmAmt", "decimal amount"),
    (">150.00<", "> 150.00<", f"{TX8}/IntrBkSttlmAmt", "decimal amount"),
    (">150.00<", ">12345678901234567.00<", f"{TX8}/IntrBkSttlmAmt", "decimal amount"),
    (">150.00<", ">0.00<", f"{TX8}/IntrBkSttlmAmt", "greater than zero"),
    ('Ccy="BRL"', 'Ccy="USD"', f"{TX8}/IntrBkSttlmAmt", "Ccy"),
    ('<IntrBkSttlmAmt Ccy="BRL">', "<IntrBkSttlmAmt>", f"{TX8}/IntrBkSttlmAmt", "attributes"),
    # identifiers
    (E2E, "E12345678202001010830abcdeFGHIJ", f"{TX8}/PmtId/EndToEndId", "32 characters"),
    (E2E, "D" + E2E[1:], f"{TX8}/PmtId/EndToEndId", "endToEndId"),
    (E2E, E2E[:13] + "13" + E2E[15:], f"{TX8}/PmtId/EndToEndId", "not a valid"),
    ("<MmbId>87654321", "<MmbId>8765432", f"{TX8}/CdtrAgt/FinInstnId/ClrSysMmbId/MmbId", "ISPB"),
    (
        f"<Othr><Id>{OURS}</Id>",
        "<Othr><Id>1234567x</Id>",
        "AppHdr/Fr/FIId/FinInstnId/Othr/Id",
        "ISPB",
    ),
    ("<MsgId>M12345678", "<MsgId>X12345678", "AppHdr/BizMsgIdr", "GrpHdr/MsgId"),
    ("M12345678a1B2", "M12345678-1B2", "GrpHdr/MsgId", "msgId"),
    ("<TxId>pedido123<", "<TxId>pedido-123<", f"{TX8}/PmtId/TxId", "a-zA-Z0-9"),
    # CPF / CNPJ and accounts
    ("12345678909", "1234567890", f"{TX8}/Dbtr/Id/PrvtId/Othr/Id", "CPF"),
    ("11222333000181", "1122233300018", f"{TX8}/Cdtr/Id/PrvtId/Othr/Id", "CNPJ"),
    ("11222333000181", "11.222.333/0001-81", f"{TX8}/Cdtr/Id/PrvtId/Othr/Id", "CNPJ"),
    ("<Id>1234567</Id>", "<Id>12-34567</Id>", f"{TX8}/DbtrAcct/Id/Othr/Id", "digits"),
    ("<Issr>0001<", "<Issr>00001<", f"{TX8}/DbtrAcct/Id/Othr/Issr", "digits"),
    ("<Cd>CACC<", "<Cd>CHEQ<", f"{TX8}/DbtrAcct/Tp/Cd", "CACC"),
    # codes and cross-field rules
    ("<Prtry>DICT<", "<Prtry>PIX<", f"{TX8}/MndtRltdInf/Tp/LclInstrm/Prtry", "MANU"),
    ("<Prtry>DICT<", "<Prtry>MANU<", f"{TX8}/CdtrAcct/Prxy/Id", "MANU"),
    ("<InstrPrty>HIGH<", "<InstrPrty>NORM<", "GrpHdr/PmtTpInf/InstrPrty", "PAGPRI"),
    ("<SttlmMtd>CLRG<", "<SttlmMtd>INDA<", "GrpHdr/SttlmInf/SttlmMtd", "CLRG"),
    ("<Cd>IPAY<", "<Cd>GDDS<", f"{TX8}/Purp/Cd", "IPAY"),
    # text lengths
    (NAME, f"<Nm>{'x' * 141}</Nm>", f"{TX8}/Dbtr/Nm", "at most 140"),
    ("Almoço de sexta", "y" * 141, f"{TX8}/RmtInf/Ustrd", "at most 140"),
    ("+5511981047272", "k" * 78, f"{TX8}/CdtrAcct/Prxy/Id", "77"),
    ("+5511981047272", "a b", f"{TX8}/CdtrAcct/Prxy/Id", "without spaces"),
    # timestamps
    ("<CreDtTm>2020-01-01T08:30:12.000Z", "<CreDtTm>2020-01-01T08:30:12Z", "GrpHdr/CreDtTm", "UTC"),
    (
        "<CreDtTm>2020-01-01T08:30:12.000Z",
        "<CreDtTm>2020-01-01T05:30:12.000-03:00",
        "GrpHdr/CreDtTm",
        "UTC",
    ),
    ("<CreDtTm>2020-01-01", "<CreDtTm>2020-02-30", "GrpHdr/CreDtTm", "real date"),
    ("<CreDt>2020-01-01T08:30:12.000Z", "<CreDt>2020-01-01 08:30", "AppHdr/CreDt", "UTC"),
    ("<AccptncDtTm>2020", "<AccptncDtTm>20x0", f"{TX8}/AccptncDtTm", "UTC"),
]


@pytest.mark.parametrize(("old", "new", "field", "why"), PACS008_CASES)
def test_malformed_pacs008_is_refused_naming_the_field(old, new, field, why):
    with pytest.raises(Iso20022Error) as caught:
        parse_pacs008(_swap(CT_XML, old, new))
    assert caught.value.field.endswith(field), caught.value
    assert why in caught.value.message, caught.value
    assert str(caught.value) == f"{caught.value.field}: {caught.value.message}"


def test_a_root_other_than_envelope_is_refused():
    xml = CT_XML.replace(b"<Envelope ", b"<Documento ").replace(b"</Envelope>", b"</Documento>")
    with pytest.raises(Iso20022Error, match="must be Envelope") as caught:
        parse_pacs008(xml)
    assert caught.value.field == "Documento"


TX2 = "Document/FIToFIPmtStsRpt/TxInfAndSts"
TX4 = "Document/PmtRtr/TxInf"

OTHER_CASES = [
    (parse_pacs002, PS_XML, "<TxSts>RJCT", "<TxSts>ACTC", f"{TX2}/TxSts", "ACSP"),
    (parse_pacs002, PS_XML, "<Cd>AC03", "<Cd>XX99", f"{TX2}/StsRsnInf/Rsn/Cd", "unknown"),
    (parse_pacs002, PS_XML, "<Rsn><Cd>AC03</Cd></Rsn>", "", f"{TX2}/StsRsnInf/Rsn/Cd", "RJCT"),
    (
        parse_pacs002,
        PS_XML,
        "<AddtlInf>conta",
        f"<AddtlInf>{'z' * 100}",
        f"{TX2}/StsRsnInf/AddtlInf",
        "105",
    ),
    (
        parse_pacs002,
        PS_XML,
        f"<OrgnlInstrId>{E2E}",
        f"<OrgnlInstrId>{E2E[:-1]}X",
        f"{TX2}/OrgnlInstrId",
        "equal",
    ),
    (
        parse_pacs002,
        PS_XML,
        f"<OrgnlEndToEndId>{E2E}",
        f"<OrgnlEndToEndId>{RTR}",
        f"{TX2}/OrgnlEndToEndId",
        "endToEndId",
    ),
    (
        parse_pacs002,
        PS_XML,
        "<GrpHdr><MsgId>",
        "<GrpHdr><NbOfTxs>1</NbOfTxs><MsgId>",
        "GrpHdr/NbOfTxs",
        "unexpected",
    ),
    (parse_pacs004, PR_XML, "<Cd>MD06", "<Cd>AC03", f"{TX4}/RtrRsnInf/Rsn/Cd", "MD06"),
    (parse_pacs004, PR_XML, ">50.50<", ">50.5.0<", f"{TX4}/RtrdIntrBkSttlmAmt", "decimal"),
    (parse_pacs004, PR_XML, f"<RtrId>{RTR}", f"<RtrId>{E2E}", f"{TX4}/RtrId", "returnId"),
    (parse_pacs004, PR_XML, "<SttlmPrty>HIGH", "<SttlmPrty>URGT", f"{TX4}/SttlmPrty", "HIGH"),
    (
        parse_pacs004,
        PR_XML,
        "<Ustrd>estorno",
        f"<Ustrd>{'e' * 140}",
        f"{TX4}/OrgnlTxRef/RmtInf/Ustrd",
        "140",
    ),
    (
        parse_pacs004,
        PR_XML,
        "<CdtrAgt>",
        "<CdtrAgt><BICFI>X</BICFI>",
        f"{TX4}/OrgnlTxRef/CdtrAgt/BICFI",
        "unexpected",
    ),
]


@pytest.mark.parametrize(("parse", "xml", "old", "new", "field", "why"), OTHER_CASES)
def test_malformed_pacs002_and_pacs004_are_refused_naming_the_field(
    parse, xml, old, new, field, why
):
    with pytest.raises(Iso20022Error) as caught:
        parse(_swap(xml, old, new))
    assert caught.value.field.endswith(field), caught.value
    assert why in caught.value.message, caught.value


@pytest.mark.parametrize(
    ("parse", "xml", "found"),
    [
        (parse_pacs008, PS_XML, "pacs.002"),
        (parse_pacs008, PR_XML, "pacs.004"),
        (parse_pacs002, CT_XML, "pacs.008"),
        (parse_pacs004, PS_XML, "pacs.002"),
    ],
)
def test_the_wrong_message_type_is_refused(parse, xml, found):
    with pytest.raises(Iso20022Error, match=f"this is a {found} message") as caught:
        parse(xml)
    assert caught.value.field == "Envelope"


@pytest.mark.parametrize(
    "xml",
    [
        b"",
        b"not xml at all",
        b"<Envelope><unclosed></Envelope>",
        CT_XML[:-20],
        '<?xml version="1.0" encoding="ISO-8859-1"?><Envelope xmlns="x"/>'.encode("latin-1"),
        "\ufeff<Envelope/>".encode("utf-16"),
    ],
)
def test_not_xml_or_not_utf8_is_refused(xml):
    with pytest.raises(Iso20022Error) as caught:
        parse_message(xml)
    assert caught.value.field in ("xml", "Envelope")


def test_unencodable_str_input_is_refused():
    with pytest.raises(Iso20022Error) as caught:
        parse_message(CT_XML.decode().replace("Maria", "Ma\ud800ria"))
    assert caught.value.field == "xml"


def test_oversized_messages_are_refused_before_parsing():
    padded = CT_XML.replace(
        b"<Document>", b"<!--" + b"x" * iso.MAX_MESSAGE_BYTES + b"--><Document>"
    )
    with pytest.raises(Iso20022Error, match="larger than") as caught:
        parse_pacs008(padded)
    assert caught.value.field == "Envelope"


# --- hostile XML: DTDs and entities never load ------------------------------------------------


def _with_doctype(doctype: str, reference: str = "") -> bytes:
    xml = CT_XML.replace(
        b"<Nm>Maria da Silva</Nm>", f"<Nm>{reference}</Nm>".encode() if reference else NAME.encode()
    )
    return xml.replace(b"?>\n", f"?>\n{doctype}\n".encode(), 1)


def test_xxe_external_file_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xml = _with_doctype(f'<!DOCTYPE Envelope [<!ENTITY xxe SYSTEM "file://{secret}">]>', "&xxe;")
    with pytest.raises(Iso20022Error) as caught:
        parse_pacs008(xml)
    assert caught.value.field == "DOCTYPE"
    assert "TOP-SECRET" not in str(caught.value)
    with pytest.raises(Iso20022Error, match="DTD"):
        parse_message(xml.decode())  # the str path is guarded the same way


def test_xxe_etc_passwd_and_network_entities_are_refused():
    for system in ("file:///etc/passwd", "http://127.0.0.1:9/evil.dtd"):
        xml = _with_doctype(f'<!DOCTYPE Envelope [<!ENTITY xxe SYSTEM "{system}">]>', "&xxe;")
        with pytest.raises(Iso20022Error, match="DTD") as caught:
            parse_pacs008(xml)
        assert "root:" not in str(caught.value)


def test_external_dtd_and_parameter_entities_are_refused():
    for doctype in (
        '<!DOCTYPE Envelope SYSTEM "http://127.0.0.1:9/evil.dtd">',
        '<!DOCTYPE Envelope [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>',
        "<!DOCTYPE Envelope>",  # even a harmless DOCTYPE: SPI messages never carry one
    ):
        with pytest.raises(Iso20022Error, match="DTD") as caught:
            parse_pacs008(_with_doctype(doctype))
        assert caught.value.field == "DOCTYPE"


def test_billion_laughs_is_refused_quickly():
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    xml = _with_doctype(f"<!DOCTYPE Envelope [{''.join(entities)}]>", "&lol9;")
    started = time.perf_counter()
    with pytest.raises(Iso20022Error, match="DTD") as caught:
        parse_pacs008(xml)
    assert caught.value.field == "DOCTYPE"
    assert time.perf_counter() - started < 1.0  # nothing was expanded


def test_quadratic_blowup_entity_is_refused():
    xml = _with_doctype(f'<!DOCTYPE Envelope [<!ENTITY a "{"a" * 5000}">]>', "&a;" * 10)
    with pytest.raises(Iso20022Error, match="DTD"):
        parse_pacs008(xml)


def test_undeclared_entity_reference_is_not_well_formed():
    with pytest.raises(Iso20022Error) as caught:
        parse_pacs008(CT_XML.replace(NAME.encode(), b"<Nm>&xxe;</Nm>"))
    assert caught.value.field == "xml"


# --- construction validates too (field = attribute) -------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "why"),
    [
        ({"created_at": datetime(2020, 1, 1, 8, 30)}, "created_at", "timezone-aware"),
        ({"amount_cents": 150.0}, "amount_cents", "int"),
        ({"amount_cents": True}, "amount_cents", "int"),
        ({"amount_cents": 0}, "amount_cents", "greater than zero"),
        ({"amount_cents": -100}, "amount_cents", "greater than zero"),
        ({"amount_cents": 10**18}, "amount_cents", "too large"),
        ({"end_to_end_id": RTR}, "end_to_end_id", "endToEndId"),
        ({"msg_id": "M123"}, "msg_id", "msgId"),
        ({"sender_ispb": "1234"}, "sender_ispb", "ISPB"),
        ({"priority": "NORM"}, "priority", "HIGH"),
        ({"service_level": "PAGAGD"}, "priority", "NORM"),
        ({"initiation": "QRES", "creditor": None}, "creditor", "Party"),
        ({"settlement_method": "INDA"}, "settlement_method", "CLRG"),
        ({"remittance_info": ""}, "remittance_info", "empty"),
        ({"remittance_info": "a\x00b"}, "remittance_info", "control characters"),
        ({"remittance_info": "a\x1bb"}, "remittance_info", "control characters"),
        ({"tx_id": "x" * 36}, "tx_id", "35"),
    ],
)
def test_credit_transfer_construction_is_validated(changes, field, why):
    with pytest.raises(Iso20022Error) as caught:
        golden_ct(**changes)
    assert caught.value.field == field
    assert why in caught.value.message


def test_party_rules_in_a_credit_transfer():
    ct = golden_ct()
    with pytest.raises(Iso20022Error, match="is required") as caught:
        replace(ct, debtor=replace(ct.debtor, name=None))
    assert caught.value.field == "debtor.name"
    with pytest.raises(Iso20022Error, match="no creditor name") as caught:
        replace(ct, creditor=replace(ct.creditor, name="João"))
    assert caught.value.field == "creditor.name"
    with pytest.raises(Iso20022Error) as caught:
        replace(ct, debtor=replace(ct.debtor, pix_key="x@y.z"))
    assert caught.value.field == "debtor.pix_key"
    with pytest.raises(Iso20022Error, match="required for QRES") as caught:
        replace(ct, initiation="QRES", creditor=replace(ct.creditor, pix_key=None))
    assert caught.value.field == "creditor.pix_key"
    with pytest.raises(Iso20022Error) as caught:
        Party(tax_id="123", ispb=OURS, account_number="1")
    assert caught.value.field == "tax_id"
    # the alphanumeric CNPJ (from 2026) is 14 characters: 12 of [0-9A-Z] and 2 check digits
    assert Party(tax_id="12ABC34501DE35", ispb=OURS, account_number="1").tax_id == "12ABC34501DE35"


@pytest.mark.parametrize(
    ("changes", "field", "why"),
    [
        ({"status": "RJCT", "reason_code": None}, "reason_code", "required"),
        ({"status": "ACSC", "reason_code": "AC03"}, "reason_code", "absent"),
        ({"reason_code": "AC01"}, "reason_code", "unknown"),
        ({"status": "PDNG"}, "status", "ACSP"),
        ({"additional_info": ("x" * 106,)}, "additional_info", "105"),
        ({"additional_info": 5}, "additional_info", "tuple"),
        (
            {"original_instruction_id": "E12345678202001010830zzzzzzzzzzz"},
            "original_instruction_id",
            "equal",
        ),
        ({"settlement_date": datetime(2020, 1, 1, tzinfo=UTC)}, "settlement_date", "date"),
        ({"settled_at": datetime(2020, 1, 1)}, "settled_at", "timezone-aware"),
    ],
)
def test_payment_status_construction_is_validated(changes, field, why):
    with pytest.raises(Iso20022Error) as caught:
        golden_status(**changes)
    assert caught.value.field == field
    assert why in caught.value.message


def test_payment_status_normalises_a_single_string_of_additional_info():
    assert golden_status(additional_info="uma linha").additional_info == ("uma linha",)
    assert golden_status(additional_info=["a", "b"]).additional_info == ("a", "b")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason_code": "AC03"}, "reason_code"),
        ({"return_id": E2E}, "return_id"),
        ({"original_end_to_end_id": RTR}, "original_end_to_end_id"),
        ({"amount_cents": 0}, "amount_cents"),
        ({"debtor_ispb": "x"}, "debtor_ispb"),
        ({"additional_info": "i" * 106}, "additional_info"),
        ({"remittance_info": "r" * 141}, "remittance_info"),
        ({"priority": "LOW"}, "priority"),
    ],
)
def test_payment_return_construction_is_validated(changes, field):
    with pytest.raises(Iso20022Error) as caught:
        golden_return(**changes)
    assert caught.value.field == field


def test_builders_take_only_their_own_message():
    with pytest.raises(TypeError):
        build_pacs008(golden_status())
    with pytest.raises(TypeError):
        build_pacs002(golden_ct())
    with pytest.raises(TypeError):
        build_pacs004(golden_ct())


def test_messages_are_immutable_and_codes_are_enums():
    ct = golden_ct(priority="HIGH", initiation="DICT")
    assert ct.priority is Priority.HIGH and ct.initiation is LocalInstrument.DICT
    with pytest.raises(AttributeError):
        ct.amount_cents = 1  # type: ignore[misc]


def test_error_survives_pickling():
    error = Iso20022Error("Document/x", "is wrong")
    again = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
    assert (again.field, again.message, str(again)) == (
        "Document/x",
        "is wrong",
        "Document/x: is wrong",
    )
    assert isinstance(again, ValueError)


def test_the_codec_does_not_import_django():
    import ast
    import inspect

    from apps.pix.codecs import e2e
    from apps.pix.codecs.iso20022 import messages as iso_messages
    from apps.pix.codecs.iso20022 import xml as iso_xml

    for module in (iso, iso_messages, iso_xml, e2e):
        tree = ast.parse(inspect.getsource(module))
        names = [
            alias.name if isinstance(node, ast.Import) else node.module or ""
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        ]
        assert not [n for n in names if n.split(".")[0] in ("django", "rest_framework")]


def test_a_doctype_cannot_hide_in_another_encoding():
    doctype = '<!DOCTYPE Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    utf16 = (
        _with_doctype(doctype, "&xxe;").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    )
    with pytest.raises(Iso20022Error, match="UTF-8") as caught:
        parse_pacs008(utf16.encode("utf-16"))
    assert caught.value.field == "xml"
    utf7 = CT_XML.replace(b'encoding="UTF-8"', b'encoding="UTF-7"')
    with pytest.raises(Iso20022Error, match="not UTF-7"):
        parse_pacs008(utf7)
