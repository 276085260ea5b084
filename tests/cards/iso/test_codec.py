"""The codec: published ISO 8583:1987 ASCII samples decode, our profile's fields (track 2,
DE 48 subelements, the format 0 PIN block, DE 90) read back, and what may be logged holds
no PAN, track 2, PIN block or CVV2."""

from __future__ import annotations

import json

import pytest

from apps.cards.iso import codec

# Sample messages published in pyiso8583's documentation (README and docs/howto.rst,
# https://github.com/knovichikhin/pyiso8583), `default_ascii` spec, with their decoded form.
PUBLISHED = [
    (b"02004000000000000000101234567890", {"t": "0200", "2": "1234567890"}),
    (
        b"0200600008000000000014cardholder PAN111111021",
        {"t": "0200", "2": "cardholder PAN", "3": "111111", "21": "021"},
    ),
    (
        b"02008000080000000000000000000400000005106111111",
        {"t": "0200", "21": "051", "102": "111111"},
    ),
    (b"02008000000000000000000000000400000006111111", {"t": "0200", "102": "111111"}),
    (b"02000000080000000000051", {"t": "0200", "21": "051"}),
]


@pytest.mark.parametrize(("raw", "expected"), PUBLISHED)
def test_published_samples_decode_and_encode_back(raw, expected):
    assert codec.decode(raw) == expected
    assert codec.encode(expected) == raw


def test_a_full_authorization_request_round_trips():
    doc = {
        "t": "0100",
        "2": "5067271234567894",
        "3": "000000",
        "4": "000000012345",
        "7": "1124093015",
        "11": "000123",
        "12": "093015",
        "13": "1124",
        "14": "2912",
        "18": "5411",
        "22": "051",
        "37": "532809000123",
        "41": "TERM0001",
        "42": "MERCHANT000001 ",
        "43": "PADARIA TRES IRMAOS      SAO PAULO    BR",
        "49": "986",
        "70": "301",
    }
    raw = codec.encode(doc)
    assert raw[:4] == b"0100"
    assert codec.decode(raw) == doc
    framed = codec.frame(raw)
    assert int.from_bytes(framed[:2], "big") == len(raw)


def test_track2_pin_block_and_subelements():
    assert codec.track2("5067271234567894=29121010000000") == codec.Track2(
        "5067271234567894", "2912"
    )
    assert codec.track2("5067271234567894D2912101") == codec.Track2("5067271234567894", "2912")
    assert codec.track2("nonsense") is None
    block = codec.pin_block("4826", "5067271234567894")
    assert len(block) == 16 and block != "04" + "4826" + "F" * 10
    assert codec.pin_from_block(block, "5067271234567894") == "4826"
    with pytest.raises(codec.FormatError):
        codec.pin_from_block("0123456789ABCDEZ", "5067271234567894")
    with pytest.raises(codec.FormatError):  # read with another PAN: not a format 0 block
        codec.pin_from_block(block, "5067279999999991")
    de48 = codec.build_subelements({"92": "123", "99": "device-1"})
    assert de48 == "9203123" + "9908device-1"
    assert codec.subelements(de48) == [("92", "123"), ("99", "device-1")]
    assert codec.subelements("92") is None and codec.subelements("9209123") is None


def test_answer_mti():
    assert codec.answer_mti("0100") == "0110"
    assert codec.answer_mti("0101") == "0110"
    assert codec.answer_mti("0200") == "0210"
    assert codec.answer_mti("0400") == "0410"
    assert codec.answer_mti("0421") == "0430"
    assert codec.answer_mti("0800") == "0810"
    assert codec.answer_mti("0110") is None
    assert codec.answer_mti("garb") is None


def test_what_is_logged_holds_no_card_secret():
    pan = "5067271234567894"
    doc = {
        "t": "0100",
        "2": pan,
        "35": f"{pan}=29121010000000",
        "48": codec.build_subelements({"92": "123", "99": "dev"}),
        "52": codec.pin_block("4826", pan),
        "11": "000001",
    }
    text = json.dumps(codec.loggable(doc))
    assert pan not in text and "4826" not in text and "123" not in text
    assert "506727******7894" in text and '"11": "000001"' in text
    assert codec.loggable({"48": "not subelements 123"})["48"] == "***"


def test_garbage_is_a_format_error_never_a_crash():
    for raw in (b"", b"0", b"0100", b"0100ZZZZZZZZZZZZZZZZ", b"\xff\xfe\x00" * 10, b"01004"):
        with pytest.raises(codec.FormatError):
            codec.decode(raw)
