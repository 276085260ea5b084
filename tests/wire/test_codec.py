"""The STR message codec: every message round-trips, bad messages are refused naming the tag,
documents never survive masking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.wire.codecs import str_messages as codec

STR0008 = {
    "NumCtrlIF": "W2612021000001A2B3C",
    "ISPBIFDebtd": "13140088",
    "AgDebtd": "0001",
    "TpCtDebtd": "PG",
    "CtDebtd": "1000014",
    "TpPessoaDebtd": "F",
    "CNPJ_CPFCliDebtd": "52998224725",
    "NomCliDebtd": "Maria Souza Lima",
    "ISPBIFCredtd": "18236120",
    "AgCredtd": "0001",
    "TpCtCredtd": "CC",
    "CtCredtd": "123456",
    "TpPessoaCredtd": "J",
    "CNPJ_CPFCliCredtd": "11222333000181",
    "NomCliCredtd": "Padaria Tres Irmaos Ltda",
    "VlrLanc": "1500.25",
    "FinlddCli": "10",
    "DtMovto": "2026-12-02",
}


def message(code: str = "STR0008", **changes) -> codec.Message:
    fields = {**STR0008, **changes}
    return codec.Message(
        code=code, fields=fields, sender="13140088", receiver="00038166", operation="1" * 21
    )


def test_a_ted_message_round_trips_in_the_catalogue_shape():
    xml = codec.build(message())
    assert b"<SISMSG><STR0008><CodMsg>STR0008</CodMsg><NumCtrlIF>" in xml
    assert b'xmlns="http://www.bcb.gov.br/SPB/STR0008.xsd"' in xml
    parsed = codec.parse(xml)
    assert parsed.code == "STR0008"
    assert parsed.fields == STR0008
    assert parsed.amount_cents == 150_025
    assert (parsed.sender, parsed.receiver) == ("13140088", "00038166")


@given(st.integers(min_value=0, max_value=10**17 - 1))
def test_amounts_round_trip_to_the_centavo(cents):
    assert codec.amount_to_cents(codec.cents_to_amount(cents)) == cents
    assert codec.parse(codec.build(message(VlrLanc=codec.cents_to_amount(cents)))).amount_cents == (
        cents
    )


@given(
    st.text(
        alphabet=st.characters(blacklist_characters="<>&", blacklist_categories=("Cc", "Cs")),
        min_size=1,
        max_size=80,
    ).filter(lambda s: s.strip() == s and s.strip())
)
def test_names_round_trip(name):
    assert codec.parse(codec.build(message(NomCliCredtd=name))).get("NomCliCredtd") == name


@pytest.mark.parametrize(
    ("changes", "tag"),
    [
        ({"VlrLanc": "10.5"}, "VlrLanc"),
        ({"VlrLanc": "-1.00"}, "VlrLanc"),
        ({"ISPBIFCredtd": "1823612"}, "ISPBIFCredtd"),
        ({"CtCredtd": "0123"}, "CtCredtd"),
        ({"TpCtCredtd": "XX"}, "TpCtCredtd"),
        ({"NomCliCredtd": ""}, "NomCliCredtd"),
        ({"DtMovto": "02/12/2026"}, "DtMovto"),
    ],
)
def test_a_bad_field_is_refused_naming_its_tag(changes, tag):
    with pytest.raises(codec.StrMessageError) as caught:
        codec.build(message(**changes))
    assert caught.value.where == tag


def test_parse_refuses_out_of_order_unknown_and_dtd():
    xml = codec.build(message())
    swapped = xml.replace(b"<AgDebtd>0001</AgDebtd>", b"").replace(
        b"</TpCtDebtd>", b"</TpCtDebtd><AgDebtd>0001</AgDebtd>"
    )
    with pytest.raises(codec.StrMessageError, match="out of order"):
        codec.parse(swapped)
    with pytest.raises(codec.StrMessageError, match="not a field"):
        codec.parse(
            xml.replace(b"<Hist", b"<Foo").replace(b"<FinlddCli>", b"<Foo>x</Foo><FinlddCli>")
        )
    with pytest.raises(codec.StrMessageError, match="DTD"):
        codec.parse(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><DOC/>')
    with pytest.raises(codec.StrMessageError):
        codec.parse(b"not xml")


def test_an_error_answer_carries_coderro():
    refused = codec.build(
        codec.Message(code="STR0008", fields=STR0008, error_code="EHOR0001", sender="00038166")
    )
    assert codec.parse(refused).error_code == "EHOR0001"


def test_masked_keeps_no_document():
    text = codec.masked(codec.build(message()))
    assert "52998224725" not in text and "11222333000181" not in text
    assert "<CNPJ_CPFCliDebtd>529******25</CNPJ_CPFCliDebtd>" in text


def test_return_messages_round_trip():
    fields = {
        "NumCtrlIF": "W1",
        "ISPBIFDebtd": "13140088",
        "ISPBIFCredtd": "18236120",
        "VlrLanc": "10.00",
        "CodDevTransf": "2",
        "NumCtrlSTROr": "STR20261202000000001",
        "DtMovto": "2026-12-02",
    }
    parsed = codec.parse(codec.build(codec.Message(code="STR0010", fields=fields)))
    assert parsed.fields == fields
    assert codec.str_control_number(__import__("datetime").date(2026, 12, 2), 7) == (
        "STR20261202000000007"
    )
