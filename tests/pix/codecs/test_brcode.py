"""Pix BR Code codec: published vectors, rules, mutations, hypothesis round trips, QR images.

Pure tests: no database.
"""

from __future__ import annotations

import base64
import io
import string
import uuid

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from PIL import Image

from apps.pix.codecs.brcode import (
    RULES,
    BRCode,
    BRCodeError,
    crc16_ccitt_false,
    decode,
    encode_dynamic,
    encode_static,
    max_description_length,
    plain_ascii,
)
from apps.pix.codecs.qr import qr_data_uri, qr_png, qr_png_base64, qr_svg
from tests.support.brcode import (
    BACEN_BRCODE_MANUAL,
    BACEN_COMPOSITE_DYNAMIC,
    BACEN_COMPOSITE_STATIC,
    BACEN_DYNAMIC,
    BACEN_STATIC,
    STARK_DYNAMIC,
    STARK_STATIC,
    STARK_WITHDRAWAL,
    amounts,
    digits,
    human_text,
    names,
    pix_keys,
    txids,
    urls,
)

EVP = "123e4567-e12b-12d1-a456-426655440000"

# A widely copied explanation of the fields (uppercase GUI, 26 of 77).
GIST_DYNAMIC = (
    "00020101021226770014BR.GOV.BCB.PIX2555pix.example.com/qr/93598be0-1bd0-4997-8318-"
    "81776a1d8a995204000053039865802BR5907EMPRESA6009SAO PAULO62070503***6304EEAB"
)

VECTORS = [
    BACEN_STATIC,
    BACEN_DYNAMIC,
    BACEN_COMPOSITE_STATIC,
    BACEN_COMPOSITE_DYNAMIC,
    BACEN_BRCODE_MANUAL,
    STARK_STATIC,
    STARK_WITHDRAWAL,
    STARK_DYNAMIC,
    GIST_DYNAMIC,
]


def with_crc(body: str) -> str:
    """A code body (everything before "6304") completed with its right CRC."""
    payload = body + "6304"
    return payload + crc16_ccitt_false(payload.encode("utf-8"))


def tlv(tag: str, value: str, length: int | None = None) -> str:
    return f"{tag}{len(value) if length is None else length:02d}{value}"


def fields(code: BRCode) -> dict:
    return {
        "type": code.type,
        "key": code.key,
        "url": code.url,
        "amount_cents": code.amount_cents,
        "merchant_name": code.merchant_name,
        "merchant_city": code.merchant_city,
        "txid": code.txid,
        "description": code.description,
        "postal_code": code.postal_code,
        "point_of_initiation": code.point_of_initiation,
    }


def rule_of(text: str) -> str:
    with pytest.raises(BRCodeError) as caught:
        decode(text)
    assert caught.value.rule in RULES
    return caught.value.rule


# --- CRC ------------------------------------------------------------------------------------


def test_crc_check_value():
    assert crc16_ccitt_false(b"123456789") == "29B1"  # the catalogued check value
    assert crc16_ccitt_false(b"") == "FFFF"
    assert crc16_ccitt_false("Brasília".encode()) != crc16_ccitt_false(b"Brasilia")


@pytest.mark.parametrize("code", VECTORS)
def test_published_crcs(code):
    assert crc16_ccitt_false(code[:-4].encode("utf-8")) == code[-4:]


# --- Known vectors --------------------------------------------------------------------------


def test_bacen_static():
    code = decode(BACEN_STATIC)
    assert fields(code) == {
        "type": "static",
        "key": EVP,
        "url": None,
        "amount_cents": None,
        "merchant_name": "Fulano de Tal",
        "merchant_city": "BRASILIA",
        "txid": None,
        "description": None,
        "postal_code": None,
        "point_of_initiation": None,
    }
    assert code.mcc == "0000"
    assert code.unreserved_templates == {} and code.extra_fields == {}


def test_bacen_dynamic():
    code = decode(BACEN_DYNAMIC)
    assert code.type == "dynamic"
    assert code.url == "pix.example.com/8b3da2f39a4140d1a91abd93113bd441"
    assert code.key is None
    assert code.point_of_initiation == "12" and code.single_use
    assert (code.merchant_name, code.merchant_city, code.txid) == (
        "Fulano de Tal",
        "BRASILIA",
        None,
    )


@pytest.mark.parametrize(
    "text, kind", [(BACEN_COMPOSITE_STATIC, "static"), (BACEN_COMPOSITE_DYNAMIC, "dynamic")]
)
def test_bacen_composite_keeps_the_recurrence_template(text, kind):
    code = decode(text)
    assert code.type == kind
    assert code.unreserved_templates == {
        "80": "0014br.gov.bcb.pix2552pix.example.com/rec/2353c790eefb11eaadc10242ac120002"
    }
    assert code.recurrence_url == "pix.example.com/rec/2353c790eefb11eaadc10242ac120002"
    if kind == "static":
        assert code.amount_cents == 10050 and code.key == EVP
    else:
        assert code.url == "pix.example.com/8b3da2f39a4140d1a91abd93113bd441"


def test_bacen_brcode_manual_with_other_arrangements():
    code = decode(BACEN_BRCODE_MANUAL)
    assert code.type == "static"
    assert code.key == EVP  # GUI in upper case
    assert code.amount_cents == 12345
    assert code.merchant_name == "NOME DO RECEBEDOR"
    assert code.postal_code == "70074900"
    assert code.txid == "RP12345678-2019"
    assert code.extra_fields == {"04": "12345678901234", "27": "0012BR.COM.OUTRO01100123456789"}
    assert code.unreserved_templates == {"80": "0012BR.COM.OUTRO01190123.ABCD.3456.WXYZ"}
    assert code.recurrence_url is None


def test_stark_vectors():
    static = decode(STARK_STATIC)
    assert (static.key, static.amount_cents, static.txid) == (
        "arya@stark.com",
        12500,
        "verylongreconciliationidt",
    )
    assert static.merchant_city == "Pindamonhangaba"
    withdrawal = decode(STARK_WITHDRAWAL)
    assert withdrawal.description == "Jornada pagador 85176"
    assert withdrawal.extra_fields == {"26.03": "99999008"}  # FSS of Pix Saque/Troco
    dynamic = decode(STARK_DYNAMIC)
    assert dynamic.url == "invoice.starkbank.com/f5333103-3279-4db2-8389-5efe335ba93d"
    assert dynamic.txid == "5656565656565656"


def test_gist_dynamic():
    code = decode(GIST_DYNAMIC)
    assert code.url == "pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99"
    assert code.merchant_city == "SAO PAULO"


def test_a_published_code_with_a_wrong_length_is_refused():
    # Copied around with "62 08" before a 7-character template: its CRC is right, its
    # structure is not (62 swallows the "6" of 6304).
    text = (
        "00020126360014BR.GOV.BCB.PIX0114+5511943214321520400005303986540566.665802BR"
        "5907EMPRESA6008BRASILIA62080503***6304170E"
    )
    assert crc16_ccitt_false(text[:-4].encode()) == "170E"
    with pytest.raises(BRCodeError) as caught:
        decode(text)
    assert caught.value.rule == "length" and caught.value.field == "62"


def test_encoder_reproduces_bacen_examples():
    assert (
        encode_static(key=EVP, merchant_name="Fulano de Tal", merchant_city="BRASILIA")
        == BACEN_STATIC
    )
    assert (
        encode_dynamic(
            url="pix.example.com/8b3da2f39a4140d1a91abd93113bd441",
            merchant_name="Fulano de Tal",
            merchant_city="BRASILIA",
        )
        == BACEN_DYNAMIC
    )
    assert (
        encode_static(
            key=EVP,
            merchant_name="Fulano de Tal",
            merchant_city="BRASILIA",
            amount_cents=10050,
            unreserved_templates={
                "80": "0014br.gov.bcb.pix2552pix.example.com/rec/2353c790eefb11eaadc10242ac120002"
            },
        )
        == BACEN_COMPOSITE_STATIC
    )


@pytest.mark.parametrize("code", VECTORS)
def test_decoding_tolerates_surrounding_whitespace_and_lowercase_crc(code):
    expected = fields(decode(code))
    assert fields(decode(f"  {code}\r\n")) == expected
    assert fields(decode(code[:-4] + code[-4:].lower())) == expected


# --- Amounts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, cents",
    [
        ("10", 1000),
        ("10.5", 1050),
        ("0.10", 10),
        ("123.45", 12345),
        ("0", 0),
        ("9999999999.99", 999999999999),
    ],
)
def test_amounts_decode(amount, cents):
    body = BACEN_STATIC[: BACEN_STATIC.index("5802BR")] + tlv("54", amount)
    body += BACEN_STATIC[BACEN_STATIC.index("5802BR") : -8]
    assert decode(with_crc(body)).amount_cents == cents


@pytest.mark.parametrize(
    "amount",
    [
        "",
        "1,00",
        "-1.00",
        "+1.00",
        "1.234",
        "1.",
        ".50",
        "R$3.45",
        "1e3",
        "12345678901.00",
        " 1.00",
    ],
)
def test_bad_amounts_are_refused(amount):
    body = BACEN_STATIC[: BACEN_STATIC.index("5802BR")] + tlv("54", amount)
    body += BACEN_STATIC[BACEN_STATIC.index("5802BR") : -8]
    assert rule_of(with_crc(body)) == "amount"


# --- Accented text --------------------------------------------------------------------------


def _accented(count_bytes: bool) -> str:
    def field(tag: str, value: str) -> str:
        size = len(value.encode()) if count_bytes else len(value)
        return f"{tag}{size:02d}{value}"

    account = field("00", "br.gov.bcb.pix") + field("01", EVP) + field("02", "Pão de açúcar")
    body = (
        "000201"
        + field("26", account)
        + "52040000530398654041.005802BR"
        + field("59", "João Açaí Comércio Ltda")
        + field("60", "São Paulo")
        + field("62", field("05", "***"))
    )
    return with_crc(body)


@pytest.mark.parametrize("count_bytes", [False, True], ids=["characters", "utf8-bytes"])
def test_accented_lengths_in_characters_or_bytes_both_decode(count_bytes):
    code = decode(_accented(count_bytes))
    assert code.merchant_name == "João Açaí Comércio Ltda"
    assert code.merchant_city == "São Paulo"
    assert code.description == "Pão de açúcar"
    assert code.amount_cents == 100


def test_accented_limits_count_characters():
    # 25 characters, 28 bytes: within the limit whichever way the lengths were counted.
    name = "Ação Ótica Irmãos São Zé"
    assert len(name) <= 25 < len(name.encode())
    for size in (len(name), len(name.encode())):
        body = BACEN_STATIC[: BACEN_STATIC.index("5913")] + f"59{size:02d}{name}"
        body += BACEN_STATIC[BACEN_STATIC.index("6008") : -8]
        assert decode(with_crc(body)).merchant_name == name


def test_a_length_that_fits_neither_unit_is_refused():
    body = BACEN_STATIC[: BACEN_STATIC.index("6008")] + "6011São Paulo"
    body += BACEN_STATIC[BACEN_STATIC.index("6207") : -8]
    # read as characters, "São Paulo62" then a stray field 07 and no 62: refused all the same
    assert rule_of(with_crc(body)) != "crc"


@pytest.mark.parametrize(
    "text, plain",
    [
        ("São João do Caruaru", "Sao Joao do Caruaru"),
        ("  Açaí   & Cia\tLtda ", "Acai & Cia Ltda"),
        ("Straße Øster Æbelø", "Strasse Oster AEbelo"),
        ("Café “Bom” – Ltda", 'Cafe "Bom" - Ltda'),
        ("ＦＵＬＡＮＯ", "FULANO"),  # full width, NFKD
        ("北京", ""),
    ],
)
def test_plain_ascii(text, plain):
    assert plain_ascii(text) == plain


def test_encoder_writes_plain_ascii_cut_to_the_limits():
    text = encode_static(
        key=EVP,
        merchant_name="Tenda Espírita Caboclo Ubirajara e Pai João",
        merchant_city="São José dos Campos",
        description="Doação — Março",
    )
    assert text.isascii()
    code = decode(text)
    assert code.merchant_name == "Tenda Espirita Caboclo Ub"
    assert code.merchant_city == "Sao Jose dos Ca"
    assert code.description == "Doacao - Marco"


def test_cut_does_not_leave_a_trailing_space():
    code = decode(encode_static(key=EVP, merchant_name="Fulano", merchant_city="Rio de Janeiro RJ"))
    assert code.merchant_city == "Rio de Janeiro"


# --- Rules, one by one ----------------------------------------------------------------------

STATIC_PARTS = {
    "00": "01",
    "26": tlv("00", "br.gov.bcb.pix") + tlv("01", EVP),
    "52": "0000",
    "53": "986",
    "54": "10.00",
    "58": "BR",
    "59": "Fulano de Tal",
    "60": "BRASILIA",
    "62": tlv("05", "***"),
}


def build(parts: dict[str, str], order: list[str] | None = None) -> str:
    return with_crc("".join(tlv(tag, parts[tag]) for tag in (order or list(parts))))


def test_parts_build_a_valid_code():
    assert decode(build(STATIC_PARTS)).amount_cents == 1000


@pytest.mark.parametrize(
    "tag, rule",
    [
        ("00", "payload_format"),
        ("26", "missing_field"),
        ("52", "missing_field"),
        ("53", "missing_field"),
        ("58", "missing_field"),
        ("59", "missing_field"),
        ("60", "missing_field"),
        ("62", "missing_field"),
    ],
)
def test_missing_mandatory_fields(tag, rule):
    parts = {k: v for k, v in STATIC_PARTS.items() if k != tag}
    with pytest.raises(BRCodeError) as caught:
        decode(build(parts))
    assert caught.value.rule == rule
    assert caught.value.field == tag


def test_missing_crc():
    assert rule_of(BACEN_STATIC[:-8]) == "missing_field"


def test_missing_reference_label():
    parts = {**STATIC_PARTS, "62": tlv("01", "NF123")}
    assert rule_of(build(parts)) == "missing_field"


def test_missing_key_and_url():
    parts = {**STATIC_PARTS, "26": tlv("00", "br.gov.bcb.pix") + tlv("02", "hello")}
    assert rule_of(build(parts)) == "missing_field"


@pytest.mark.parametrize(
    "tag, value, rule",
    [
        ("00", "02", "payload_format"),
        ("52", "00A0", "mcc"),
        ("52", "000", "mcc"),
        ("53", "840", "currency"),
        ("58", "AR", "country"),
        ("58", "br", "country"),
        ("59", "F" * 26, "name_length"),
        ("59", " ", "name_length"),
        ("60", "C" * 16, "city_length"),
        ("60", "", "city_length"),
        ("62", tlv("05", "A" * 26), "txid"),
        ("62", tlv("05", ""), "txid"),
        ("62", tlv("05", "mês2026"), "txid"),
        ("26", tlv("00", "br.com.outro") + tlv("01", EVP), "gui"),
        ("26", tlv("00", "br.gov.bcb.pix") + tlv("01", ""), "key"),
        ("26", tlv("00", "br.gov.bcb.pix") + tlv("25", ""), "url"),
    ],
)
def test_field_rules(tag, value, rule):
    assert rule_of(build({**STATIC_PARTS, tag: value})) == rule


def test_templates_need_a_gui_and_reserved_ids_are_refused():
    order = [*STATIC_PARTS, "27"]
    assert rule_of(build({**STATIC_PARTS, "27": tlv("01", "0123456789")}, order)) == "gui"
    order = [*STATIC_PARTS, "85"]
    assert (
        rule_of(build({**STATIC_PARTS, "85": tlv("01", "0123456789")}, order))
        == "unreserved_template"
    )
    order = [*STATIC_PARTS, "70"]
    assert rule_of(build({**STATIC_PARTS, "70": "0010"}, order)) == "unknown_field"
    # a primitive in 02-25 (card schemes' account numbers) is fine and kept
    order = ["00", "04", *[t for t in STATIC_PARTS if t != "00"]]
    code = decode(build({**STATIC_PARTS, "04": "12345678901234"}, order))
    assert code.extra_fields == {"04": "12345678901234"}


def test_gui_is_case_insensitive():
    parts = {**STATIC_PARTS, "26": tlv("00", "Br.Gov.Bcb.Pix") + tlv("01", EVP)}
    assert decode(build(parts)).key == EVP


def test_point_of_initiation():
    order = ["00", "01", *[t for t in STATIC_PARTS if t != "00"]]
    for value, ok in (("11", True), ("12", True), ("13", False), ("1", False)):
        text = build({**STATIC_PARTS, "01": value}, order)
        if ok:
            assert decode(text).point_of_initiation == value
        else:
            assert rule_of(text) == "point_of_initiation"


def test_payload_format_must_come_first():
    order = ["52", "00", *[t for t in STATIC_PARTS if t not in ("00", "52")]]
    assert rule_of(build(STATIC_PARTS, order)) == "payload_format"


def test_other_fields_may_come_in_any_order():
    order = ["00", "62", "60", "59", "58", "54", "53", "52", "26"]
    assert decode(build(STATIC_PARTS, order)).merchant_city == "BRASILIA"


def test_duplicate_field():
    body = "".join(tlv(t, v) for t, v in STATIC_PARTS.items()) + tlv("59", "Outro")
    assert rule_of(with_crc(body)) == "duplicate_field"
    sub = {**STATIC_PARTS, "26": STATIC_PARTS["26"] + tlv("01", "12345678909")}
    assert rule_of(build(sub)) == "duplicate_field"


def test_two_pix_templates():
    parts = {**STATIC_PARTS, "27": STATIC_PARTS["26"]}
    order = ["00", "26", "27", *[t for t in STATIC_PARTS if t not in ("00", "26")]]
    assert rule_of(build(parts, order)) == "duplicate_field"


def test_pix_template_found_by_gui_not_by_id():
    parts = {
        **STATIC_PARTS,
        "26": tlv("00", "br.com.outro") + tlv("01", "X1"),
        "31": STATIC_PARTS["26"],
    }
    order = ["00", "26", "31", *[t for t in STATIC_PARTS if t not in ("00", "26")]]
    code = decode(build(parts, order))
    assert code.key == EVP
    assert code.extra_fields == {"26": tlv("00", "br.com.outro") + tlv("01", "X1")}


def test_dynamic_txid_is_not_policed():
    parts = {
        **STATIC_PARTS,
        "26": tlv("00", "br.gov.bcb.pix") + tlv("25", "pix.example.com/qr/v2/abc"),
        "62": tlv("05", "a" * 35),
    }
    assert decode(build(parts)).txid == "a" * 35


def test_additional_data_subfields_kept():
    parts = {
        **STATIC_PARTS,
        "62": tlv("05", "ABC123") + tlv("50", tlv("00", "br.gov.bcb.brcode") + tlv("01", "1.0.0")),
    }
    code = decode(build(parts))
    assert code.txid == "ABC123"
    assert code.extra_fields == {"62.50": "0017br.gov.bcb.brcode01051.0.0"}


@pytest.mark.parametrize(
    "text, rule",
    [
        ("", "syntax"),
        ("   ", "syntax"),
        ("pix copia e cola", "syntax"),
        ("10491443385511900000200000000141325230000093423", "length"),  # a boleto
        ("0002016304" + "ZZZZ", "crc"),
        ("000X016304EAB2", "length"),  # right CRC, length "0X"
        (BACEN_STATIC[:-4] + "1D3E", "crc"),
        (BACEN_STATIC[:-4] + "ZZZZ", "crc"),
        (BACEN_STATIC[:-8] + "63051D3D0", "crc"),
        (BACEN_STATIC[:-8] + "6303" + "1D3", "crc"),
        (BACEN_STATIC + "0", "trailing_data"),
        (BACEN_STATIC + "ABC", "trailing_data"),
        (
            BACEN_STATIC + "6304" + crc16_ccitt_false((BACEN_STATIC + "6304").encode()),
            "trailing_data",
        ),
        (BACEN_STATIC * 2, "trailing_data"),
        ("0" * 513, "too_long"),
    ],
)
def test_malformed_codes(text, rule):
    assert rule_of(text) == rule


def test_not_text():
    assert rule_of(BACEN_STATIC[:50] + "\ud800" + BACEN_STATIC[51:]) == "syntax"
    for value in (None, 20250101, b"000201", ["000201"]):
        with pytest.raises(BRCodeError) as caught:
            decode(value)  # type: ignore[arg-type]
        assert caught.value.rule == "syntax"


def test_error_carries_rule_field_and_message():
    with pytest.raises(BRCodeError) as caught:
        decode(build({**STATIC_PARTS, "53": "840"}))
    error = caught.value
    assert (error.rule, error.field) == ("currency", "53")
    assert "840" in error.message and str(error).startswith("currency: ")
    assert isinstance(error, ValueError)


def test_long_names_accepted_when_not_strict():
    text = build({**STATIC_PARTS, "60": "Presidente Prudente"})
    assert rule_of(text) == "city_length"
    assert decode(text, strict_limits=False).merchant_city == "Presidente Prudente"


# --- Mutations ------------------------------------------------------------------------------

MUTATION_VECTORS = [
    BACEN_STATIC,
    BACEN_DYNAMIC,
    BACEN_COMPOSITE_DYNAMIC,
    BACEN_BRCODE_MANUAL,
    STARK_WITHDRAWAL,
    encode_static(
        key="+5561912345678",
        merchant_name="Padaria Pão Quente",
        merchant_city="Brasília",
        amount_cents=123456,
        txid="PEDIDO42",
        description="Pao frances 10 unidades",
        postal_code="70040010",
        point_of_initiation="12",
    ),
    encode_static(
        key="52998224725",
        merchant_name="Loja 1234",
        merchant_city="Sao Paulo 2",
        amount_cents=100,
        txid="20260101000123",
        postal_code="01310100",
    ),
    encode_dynamic(
        url="pix.example.com/qr/v2/cobv/9d36b84fc70b478fb95c12729b90ca25",
        merchant_name="Fulano de Tal",
        merchant_city="BRASILIA",
        amount_cents=99,
        txid="0123456789",
    ),
]


def _flip(char: str) -> str:
    return "1" if char == "0" else "0"


@pytest.mark.parametrize("code", MUTATION_VECTORS)
def test_every_flipped_character_is_caught(code):
    for index in range(len(code)):
        for replacement in {_flip(code[index]), "X", "*"} - {code[index]}:
            mutated = code[:index] + replacement + code[index + 1 :]
            rule = rule_of(mutated)
            if index < len(code) - 8 or index >= len(code) - 4:
                # the tail still reads as a CRC: corruption anywhere shows as "crc"
                assert rule == "crc", (index, replacement, rule)
            # inside "6304" itself the structure breaks first: any rule, never a decode


def _length_positions(code: str) -> list[tuple[int, int, str]]:
    """(position of the 2-digit length, declared length, path) for every field, every level."""
    out = []

    def walk(start: int, end: int, path: str, nested: bool) -> None:
        pos = start
        while pos < end:
            tag, size = code[pos : pos + 2], int(code[pos + 2 : pos + 4])
            fpath = f"{path}.{tag}" if path else tag
            out.append((pos + 2, size, fpath))
            number = int(tag)
            if not nested and (26 <= number <= 51 or number in (62, 64) or 80 <= number <= 99):
                walk(pos + 4, pos + 4 + size, fpath, True)
            pos += 4 + size

    walk(0, len(code), "", False)
    return out


@pytest.mark.parametrize("code", MUTATION_VECTORS)
def test_every_wrong_length_with_a_right_crc_is_caught(code):
    body = code[:-8]
    original = fields(decode(code))
    positions = [p for p in _length_positions(code) if p[2] != "63"]
    assert len(positions) >= 10
    for pos, size, path in positions:
        for wrong in {0, 1, 99, *range(max(0, size - 5), size + 6)} - {size}:
            mutated = with_crc(body[:pos] + f"{wrong:02d}" + body[pos + 2 :])
            try:
                decoded = decode(mutated)
            except BRCodeError as error:
                assert error.rule != "crc", (path, wrong)
                assert error.rule in RULES
            else:  # pragma: no cover - would be a silent misread
                raise AssertionError(
                    f"{path} {size}->{wrong} decoded: {fields(decoded)} vs {original}"
                )


def test_byte_counted_length_of_an_accented_field_reads_the_same():
    # The one "wrong length" that is right: UTF-8 bytes instead of characters.
    chars, utf8 = _accented(False), _accented(True)
    assert chars != utf8
    assert fields(decode(chars)) == fields(decode(utf8))


@pytest.mark.parametrize("code", MUTATION_VECTORS)
def test_every_truncation_is_caught(code):
    for end in range(len(code)):
        rule_of(code[:end])


@given(st.text(alphabet=st.one_of(st.characters(), st.sampled_from("\ud800\udfff")), max_size=300))
def test_decode_raises_only_brcode_errors(text):
    try:
        decode(text)
    except BRCodeError as error:
        assert error.rule in RULES


@given(st.sampled_from(MUTATION_VECTORS), st.data())
def test_random_splices_raise_only_brcode_errors(code, data):
    start = data.draw(st.integers(0, len(code)))
    end = data.draw(st.integers(start, len(code)))
    insert = data.draw(st.text(alphabet="0123456789ABCDEF*.ã ", max_size=8))
    mutated = code[:start] + insert + code[end:]
    assume(mutated.strip() != code and insert != code[start:end])
    try:
        decode(mutated)
    except BRCodeError as error:
        assert error.rule in RULES


# --- Encoder guards -------------------------------------------------------------------------


def _static(**overrides) -> str:
    arguments = {"key": EVP, "merchant_name": "Fulano", "merchant_city": "Brasilia"}
    return encode_static(**{**arguments, **overrides})


@pytest.mark.parametrize(
    "overrides, rule",
    [
        ({"key": ""}, "key"),
        ({"key": "not a key"}, "key"),
        ({"key": "5511912345678"}, "key"),  # a phone without +
        ({"key": "a" * 70 + "@b.com.br"}, "key"),
        ({"merchant_name": "   "}, "name_length"),
        ({"merchant_name": "北京"}, "name_length"),
        ({"merchant_city": ""}, "city_length"),
        ({"amount_cents": 0}, "amount"),
        ({"amount_cents": -1}, "amount"),
        ({"amount_cents": 10**12}, "amount"),
        ({"amount_cents": True}, "amount"),
        ({"amount_cents": 1.5}, "amount"),
        ({"txid": "MENS-2026"}, "txid"),
        ({"txid": "A" * 26}, "txid"),
        ({"txid": "mês2026"}, "txid"),
        ({"description": "x" * 38}, "description"),
        ({"postal_code": "70040-010-99"}, "postal_code"),
        ({"point_of_initiation": "13"}, "point_of_initiation"),
        ({"mcc": "12"}, "mcc"),
        ({"unreserved_templates": {"79": "0002ab"}}, "unreserved_template"),
        ({"unreserved_templates": {"80": "0005ab"}}, "unreserved_template"),
        ({"unreserved_templates": {"80": "0002ãb"}}, "unreserved_template"),
        ({"unreserved_templates": {"80": "0102ab"}}, "unreserved_template"),
    ],
)
def test_encoder_refuses(overrides, rule):
    with pytest.raises(BRCodeError) as caught:
        _static(**overrides)
    assert caught.value.rule == rule


def test_description_limit_depends_on_the_key():
    assert max_description_length(EVP) == 37
    assert decode(_static(description="d" * 37)).description == "d" * 37
    assert decode(_static(key="12345678909", description="d" * 62)).description == "d" * 62
    assert decode(_static(description="   ")).description is None


@pytest.mark.parametrize(
    "url, rule",
    [
        ("https://pix.example.com/qr/v2/abc", "url"),
        ("", "url"),
        ("pix.example.com/qr v2", "url"),
        ("pix.example.com/" + "a" * 62, "url"),
    ],
)
def test_dynamic_encoder_refuses(url, rule):
    with pytest.raises(BRCodeError) as caught:
        encode_dynamic(url=url, merchant_name="Fulano", merchant_city="Brasilia")
    assert caught.value.rule == rule


def test_dynamic_url_of_77_characters_fits():
    url = "pix.example.com/" + "a" * 61
    assert decode(encode_dynamic(url=url, merchant_name="F", merchant_city="B")).url == url


def test_too_many_templates():
    templates = {str(tag): tlv("00", "x" * 95) for tag in range(80, 86)}
    with pytest.raises(BRCodeError) as caught:
        _static(unreserved_templates=templates)
    assert caught.value.rule == "too_long"


# --- Hypothesis round trips -----------------------------------------------------------------


descriptions = st.one_of(st.none(), human_text)
postal_codes = st.one_of(st.none(), st.text(alphabet=digits, min_size=8, max_size=8))


def expected_text(text: str, limit: int) -> str:
    return plain_ascii(text)[:limit].rstrip()


@given(
    key=pix_keys,
    name=names,
    city=names,
    amount=amounts,
    txid=txids,
    description=descriptions,
    postal_code=postal_codes,
    poi=st.sampled_from([None, "11", "12"]),
)
def test_static_round_trip(key, name, city, amount, txid, description, postal_code, poi):
    if description is not None:
        assume(len(plain_ascii(description)) <= max_description_length(key))
    text = encode_static(
        key=key,
        merchant_name=name,
        merchant_city=city,
        amount_cents=amount,
        txid=txid,
        description=description,
        postal_code=postal_code,
        point_of_initiation=poi,
    )
    assert text.isascii() and len(text) <= 512
    assert crc16_ccitt_false(text[:-4].encode()) == text[-4:]
    code = decode(text)
    assert fields(code) == {
        "type": "static",
        "key": key,
        "url": None,
        "amount_cents": amount,
        "merchant_name": expected_text(name, 25),
        "merchant_city": expected_text(city, 15),
        "txid": txid,
        "description": plain_ascii(description) or None if description is not None else None,
        "postal_code": postal_code,
        "point_of_initiation": poi,
    }
    # encoding what we decoded gives the same code back
    again = encode_static(
        key=code.key,
        merchant_name=code.merchant_name,
        merchant_city=code.merchant_city,
        amount_cents=code.amount_cents,
        txid=code.txid,
        description=code.description,
        postal_code=code.postal_code,
        point_of_initiation=code.point_of_initiation,
    )
    assert again == text


@given(url=urls, name=names, city=names, amount=amounts, txid=txids)
def test_dynamic_round_trip(url, name, city, amount, txid):
    text = encode_dynamic(
        url=url, merchant_name=name, merchant_city=city, amount_cents=amount, txid=txid
    )
    code = decode(text)
    assert (code.type, code.url, code.key, code.point_of_initiation) == ("dynamic", url, None, "12")
    assert code.amount_cents == amount and code.txid == txid
    assert code.merchant_name == expected_text(name, 25)
    assert code.merchant_city == expected_text(city, 15)


@given(key=pix_keys, name=names, data=st.data())
def test_round_trip_survives_any_single_ascii_corruption(key, name, data):
    text = encode_static(key=key, merchant_name=name, merchant_city="Recife")
    index = data.draw(st.integers(0, len(text) - 1))
    char = data.draw(st.sampled_from(string.printable.strip()))
    assume(char.upper() != text[index].upper() or index < len(text) - 4)
    assume(char != text[index])
    with pytest.raises(BRCodeError):
        decode(text[:index] + char + text[index + 1 :])


def test_every_key_type_round_trips():
    for key in (
        "52998224725",
        "11222333000181",
        "12ABC34501DE35",
        "+5561912345678",
        "fulano@example.com",
        str(uuid.uuid4()),
    ):
        assert decode(_static(key=key)).key == key


# --- QR images ------------------------------------------------------------------------------


def _modules(png: bytes, box_size: int = 8, border: int = 4) -> list[list[bool]]:
    image = Image.open(io.BytesIO(png)).convert("L")
    width, height = image.size
    assert width == height and width % box_size == 0
    count = width // box_size - 2 * border
    assert count >= 21 and (count - 21) % 4 == 0  # a QR version's size
    return [
        [
            image.getpixel(
                ((border + c) * box_size + box_size // 2, (border + r) * box_size + box_size // 2)
            )
            < 128
            for c in range(count)
        ]
        for r in range(count)
    ]


def _error_correction_level(modules: list[list[bool]]) -> str:
    """Read the format information (ISO/IEC 18004 §7.9) beside the top-left finder."""
    n = len(modules)
    # first copy: bits 14..9 along row 8 (columns 0-5), then (8,7), (8,8), (7,8), then
    # column 8 upwards (rows 5..0)
    cells = (
        [(8, c) for c in range(6)] + [(8, 7), (8, 8), (7, 8)] + [(r, 8) for r in range(5, -1, -1)]
    )
    bits = int("".join("1" if modules[r][c] else "0" for r, c in cells), 2) ^ 0b101010000010010
    # second copy: column 8 from the bottom (bits 14..8), row 8 from column n-8 (bits 7..0)
    cells2 = [(n - 1 - i, 8) for i in range(7)] + [(8, n - 8 + i) for i in range(8)]
    bits2 = int("".join("1" if modules[r][c] else "0" for r, c in cells2), 2) ^ 0b101010000010010
    assert bits == bits2
    return {0b01: "L", 0b00: "M", 0b11: "Q", 0b10: "H"}[bits >> 13]


@pytest.mark.parametrize("code", [BACEN_STATIC, BACEN_DYNAMIC, BACEN_BRCODE_MANUAL])
def test_qr_png_is_error_correction_m(code):
    png = qr_png(code)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    modules = _modules(png)
    # finder patterns in three corners
    for r0, c0 in ((0, 0), (0, len(modules) - 7), (len(modules) - 7, 0)):
        assert all(modules[r0][c0 + i] and modules[r0 + 6][c0 + i] for i in range(7))
        assert modules[r0 + 3][c0 + 3]
    assert _error_correction_level(modules) == "M"


def test_qr_base64_data_uri_and_svg():
    png = qr_png(BACEN_STATIC)
    assert base64.b64decode(qr_png_base64(BACEN_STATIC)) == png
    assert qr_data_uri(BACEN_STATIC) == "data:image/png;base64," + qr_png_base64(BACEN_STATIC)
    svg = qr_svg(BACEN_STATIC)
    assert svg.startswith("<svg") and "<path" in svg


def test_qr_refuses_an_invalid_code_unless_told():
    with pytest.raises(BRCodeError):
        qr_png(BACEN_STATIC[:-1] + "E")
    assert qr_png("hello", validate=False).startswith(b"\x89PNG")
