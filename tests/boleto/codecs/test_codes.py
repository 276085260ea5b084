"""Boleto codes against vectors published by public boleto libraries, and the rules refused.

Every vector names its source: repository, commit (as stored in the public index) and file.
`today` is always passed: a vector's date is read in the window around the day it was issued
(or, for vectors issued after the 2025 reset, around 2026-06-01), never around the real date.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from apps.boleto.codecs.checksums import mod10, mod11_bank, mod11_collection
from apps.boleto.codecs.codes import (
    CodeError,
    DecodedCode,
    bank_barcode,
    barcode_from_linha,
    collection_barcode,
    decode,
    format_linha,
    linha_from_barcode,
)
from apps.boleto.codecs.factor import date_for, factor_for

TODAY = date(2026, 6, 1)

NODE_BOLETO = "pagarme/node-boleto@9506c90 test/integration/bradesco/boleto.spec.js"
MCRVAZ_BANK = "mcrvaz/boleto-brasileiro-validator@35229a9 test/boleto-bancario.js"
MCRVAZ_CONV = "mcrvaz/boleto-brasileiro-validator@35229a9 test/conversor.js"
MCRVAZ_COLL = "mcrvaz/boleto-brasileiro-validator@35229a9 test/boleto-arrecadacao.js"
STOQ = "stoq/stoq@fbddcf9 stoqlib/lib/test/test_boleto.py"
PYBOLETO_ITAU = "eduardocereto/pyboleto@3b5f6ac pyboleto/tests/test_banco_itau.py"
PYBOLETO_HSBC = "eduardocereto/pyboleto@c99713e pyboleto/tests/test_banco_hsbc_com_registro.py"
PYBOLETO_CAIXA = "eduardocereto/pyboleto@35df640 pyboleto/tests/test_banco_caixa.py"
PYTHON_BOLETO_SICREDI = "Trust-Code/python-boleto@c7b39eb tests/test_banco_sicredi.py"
PYTHON_BOLETO_SICOOB = "Trust-Code/python-boleto@3c859a5 tests/test_banco_sicoob.py"
BRAZILIAN_UTILS = "brazilian-utils/brazilian-utils README.md, isValidBoleto example"

# (source, barcode or None, linha or None, today, due date, amount in cents)
# A None barcode or linha: the source gives only the other form.
BANK_VECTORS = [
    # Bradesco; factors 1001, 2000, 1999 and 9999 are after the 2025 reset.
    (NODE_BOLETO, "23794703000000015001229250000000000600004690",
     "23791.22928 50000.000005 06000.046901 4 70300000001500", date(2017, 1, 1),
     date(2017, 1, 5), 1500),
    (NODE_BOLETO, "23798100100000002000001250005663148712345670",
     "23790.00124 50005.663146 87123.456706 8 10010000000200", TODAY, date(2025, 2, 23), 200),
    (NODE_BOLETO, "23792200000000002000001250002201913912345670",
     "23790.00124 50002.201916 39123.456707 2 20000000000200", TODAY, date(2027, 11, 19), 200),
    (NODE_BOLETO, "23797199900000002000001250007550728812345670",
     "23790.00124 50007.550721 88123.456704 7 19990000000200", TODAY, date(2027, 11, 18), 200),
    # 2049-10-13 is factor 9999 of the second cycle: read around a day in 2045 it is that
    # date; around 2026 the same factor is 2025-02-21 (test_factor_9999_is_read_by_window).
    (NODE_BOLETO, "23794999900000002000001250003608445412345670",
     "23790.00124 50003.608440 54123.456706 4 99990000000200", date(2045, 1, 1),
     date(2049, 10, 13), 200),
    # Itau, linha and barcode in two files of the same commit (date from factor 7552)
    (MCRVAZ_BANK + " + " + MCRVAZ_CONV, "23799755200003700003381260007827139500006330",
     "23793.38128 60007.827136 95000.063305 9 75520000370000", date(2018, 6, 1),
     date(2018, 6, 11), 370000),
    # Banco do Brasil, barcode only (date from factor 3737)
    (MCRVAZ_BANK, "00193373700000001000500940144816060680935031", None, date(2008, 1, 1),
     date(2007, 12, 31), 100),
    # Banrisul, due 2000-07-04: factor 1001 of the first cycle
    (STOQ, "04198100100000550002111029000150228325634059",
     "04192.11107 29000.150226 83256.340593 8 10010000055000", date(2000, 7, 1),
     date(2000, 7, 4), 55000),
    (STOQ, "00196490000002952950000007777777000008765418",
     "00190.00009 07777.777009 00087.654182 6 49000000295295", date(2011, 3, 1),
     date(2011, 3, 8), 295295),
    (STOQ, "23794486900008280000278060000212552500392320",
     "23790.27804 60000.212559 25003.923205 4 48690000828000", date(2011, 1, 18),
     date(2011, 2, 5), 828000),
    (STOQ, "23791490100002952951172060007589645204030050",
     "23791.17209 60007.589645 52040.300502 1 49010000295295", date(2011, 3, 1),
     date(2011, 3, 9), 295295),
    (STOQ, "23793490100002952952752090007589645200149780", None, date(2011, 3, 1),
     date(2011, 3, 9), 295295),
    (STOQ, "10497486900000355008019525086156500000000414",
     "10498.01952 25086.156509 00000.004143 7 48690000035500", date(2011, 1, 18),
     date(2011, 2, 5), 35500),
    (STOQ, "34196166700000123451101234567880057123457000",
     "34191.10121 34567.880058 71234.570001 6 16670000012345", date(2002, 5, 1),
     date(2002, 5, 1), 12345),
    (STOQ, "35698486900000355000531570585390000000000123",
     "35690.53154 70585.390001 00000.001230 8 48690000035500", date(2011, 1, 18),
     date(2011, 2, 5), 35500),
    (STOQ, "03396522000002952959070707700000123456790102",
     "03399.07073 07700.000123 34567.901029 6 52200000295295", date(2012, 1, 1),
     date(2012, 1, 22), 295295),
    (PYBOLETO_CAIXA, "10497486900000355008019525086156500000000414",
     "10498.01952 25086.156509 00000.004143 7 48690000035500", date(2011, 1, 18),
     date(2011, 2, 5), 35500),
    (PYBOLETO_ITAU, "34199439500000029801090000015710293013280000",
     "34191.09008 00015.710296 30132.800001 9 43950000002980", date(2009, 10, 19),
     date(2009, 10, 19), 2980),
    (PYBOLETO_HSBC, "39991477800000335851716057195001415000252001",
     "39991.71600 57195.001417 50002.520018 1 47780000033585", date(2010, 11, 6),
     date(2010, 11, 6), 33585),
    (PYTHON_BOLETO_SICREDI, "74891741500000090751118324121904340836699106",
     "74891.11836 24121.904346 08366.991068 1 74150000009075", date(2017, 11, 24),
     date(2018, 1, 25), 9075),
    # Sicoob, linha only (the source's test is skipped there, the linha is still valid)
    (PYTHON_BOLETO_SICOOB, None, "75693.30694 03000.022503 00000.350017 3 67860000009750",
     date(2016, 4, 8), date(2016, 5, 6), 9750),
    (BRAZILIAN_UTILS, None, "00190000090114971860168524522114675860000102656",
     date(2018, 7, 1), date(2018, 7, 15), 102656),
]  # fmt: skip

RIVOCODE = "@rivocode/ui docs, boleto section (public index file id 69140156890)"
# (source, barcode or None, linha or None, module, amount in cents)
COLLECTION_VECTORS = [
    (MCRVAZ_COLL + " + " + MCRVAZ_CONV, "83620000000667800481001809756573100158963608",
     "836200000005 667800481000 180975657313 001589636081", "mod10", 6678),
    (MCRVAZ_COLL, "84890000000404201622018060519042958603411122",
     "848900000002404201622015806051904292586034111220", "mod11", 4042),
    # The source lists this linha twice: ending "-0" as valid (general check) and "-1" as
    # valid when blocks are checked. Block 4 (83148300001) has weighted sum 166, remainder
    # 1, so its DV is 0 under the arrecadacao rule (remainder 0 or 1 -> 0); "-1" would be
    # the bank rule's mapping. We follow FEBRABAN: "-0" is valid, "-1" is refused below.
    (MCRVAZ_COLL, None, "85890000460-9 52460179160-5 60759305086-5 83148300001-0", "mod11",
     4605246),
    (RIVOCODE, None, "84630000000-3 29990296202-4 00410136000-8 00200644114-7", "mod10",
     2999),
]  # fmt: skip


def _digits(code: str) -> str:
    return code.replace(".", "").replace(" ", "").replace("-", "")


def test_there_are_enough_published_vectors():
    assert len(BANK_VECTORS) >= 15
    assert len({barcode or linha[:3] for _, barcode, linha, *_ in BANK_VECTORS}) >= 15
    assert len({(barcode or _digits(linha))[:3] for _, barcode, linha, *_ in BANK_VECTORS}) >= 8
    assert {module for *_, module, _ in COLLECTION_VECTORS} == {"mod10", "mod11"}


@pytest.mark.parametrize(
    ("source", "barcode", "linha", "today", "due", "amount"),
    BANK_VECTORS,
    ids=[f"{i}-{v[0].split('@')[0]}" for i, v in enumerate(BANK_VECTORS)],
)
def test_bank_vector(source, barcode, linha, today, due, amount):
    forms = [form for form in (barcode, linha) if form]
    decoded = [decode(form, today=today) for form in forms]
    assert decoded[0] == decoded[-1]  # barcode and linha read the same
    code = decoded[0]
    assert code.kind == "bank"
    if barcode:
        assert code.barcode == barcode
        assert linha_from_barcode(barcode) == code.linha
    if linha:
        assert code.linha == _digits(linha)
        assert barcode_from_linha(linha) == code.barcode
    assert code.due_date == due
    assert code.amount_cents == amount
    assert code.bank_code == code.barcode[:3]
    assert code.currency == "9"
    assert code.factor == factor_for(due)
    assert code.free_field == code.barcode[19:]
    assert (code.segment, code.value_id) == (None, None)
    # Issuing the same boleto again gives the same barcode.
    assert (
        bank_barcode(
            bank_code=code.bank_code,
            amount_cents=amount,
            due_date=due,
            free_field=code.free_field,
        )
        == code.barcode
    )


def test_printed_forms_of_the_vectors_are_ours():
    for _, _, linha, *_ in BANK_VECTORS:
        if linha and "." in linha:
            assert format_linha(linha) == linha
    assert format_linha(COLLECTION_VECTORS[2][2]) == COLLECTION_VECTORS[2][2]


@pytest.mark.parametrize(
    ("source", "barcode", "linha", "module", "amount"),
    COLLECTION_VECTORS,
    ids=[f"{i}-{v[3]}" for i, v in enumerate(COLLECTION_VECTORS)],
)
def test_collection_vector(source, barcode, linha, module, amount):
    code = decode(linha, today=TODAY)
    assert code.kind == "collection"
    assert code.linha == _digits(linha)
    if barcode:
        assert code.barcode == barcode
        assert decode(barcode, today=TODAY) == code
    assert linha_from_barcode(code.barcode) == code.linha
    assert barcode_from_linha(linha) == code.barcode
    assert code.value_id in ({"mod10": "67", "mod11": "89"}[module])
    assert code.amount_cents == amount
    assert code.segment == code.barcode[1]
    assert code.free_field == code.barcode[15:]
    assert (code.bank_code, code.currency, code.factor, code.due_date) == (None,) * 4
    rebuilt = collection_barcode(
        segment=code.segment,
        value_id=code.value_id,
        value=int(code.barcode[4:15]),
        free_field=code.free_field,
    )
    assert rebuilt == code.barcode


def test_decoded_code_is_frozen_and_slotted():
    code = decode(BANK_VECTORS[1][1], today=TODAY)
    assert isinstance(code, DecodedCode)
    with pytest.raises(AttributeError):
        code.amount_cents = 1  # type: ignore[misc]
    assert not hasattr(code, "__dict__")


# --- refused codes ----------------------------------------------------------------------------

ITAU_LINHA = "23793381286000782713695000063305975520000370000"


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        # general DV 4 instead of 9 (mcrvaz test/boleto-bancario.js "boleto inválido")
        ("23793.38128 60007.827136 95000.063305 4 75520000370000", "general_check_digit"),
        # barcode with DV 5 instead of 3 (mcrvaz test/boleto-bancario.js)
        ("00153373700000001000500940144816060680935031", "general_check_digit"),
        # one digit missing (mcrvaz: "tamanho inválido")
        ("23793.38128 6007.827136 95000.063305 4 75520000370000", "length"),
        ("0015337300000001000500940144816060680935031", "length"),
        (ITAU_LINHA[:9] + "4" + ITAU_LINHA[10:], "field_1_check_digit"),
        (ITAU_LINHA[:20] + "7" + ITAU_LINHA[21:], "field_2_check_digit"),
        (ITAU_LINHA[:31] + "6" + ITAU_LINHA[32:], "field_3_check_digit"),
        # a field digit changed with the field DV left as printed
        (ITAU_LINHA[:5] + "9" + ITAU_LINHA[6:], "field_1_check_digit"),
        # the amount changed: only the general DV catches it
        (ITAU_LINHA[:-1] + "1", "general_check_digit"),
        ("2379338128600078271369500006330597552000037000O", "characters"),
        ("23793.38128/60007.827136 95000.063305 9 75520000370000", "characters"),
        ("23793.38128\t60007.827136 95000.063305 9 75520000370000", "characters"),
        (
            "２３７９３３８１２８６０００７８２７１３６９５００００６３３０５９７５５２００００３７００００",
            "characters",
        ),
        ("", "length"),
        ("...", "length"),
        # mcrvaz test/boleto-arrecadacao.js invalid ones
        ("85890000460-9 52460179160-5 60759305086-5 83148300001-1", "block_4_check_digit"),
        ("836200000005667800481800180975657313001589636081", "block_2_check_digit"),
        ("848900000002404201622015809051904292586034111220", "block_3_check_digit"),
        ("842900000002404201622015806051904292586034111220", "collection_value_id"),
        ("83620000000667800481001809756573800158963608", "general_check_digit"),
        ("84240000000873500240300150349033470804040612", "collection_value_id"),
        ("536400000011331201380002812884627116080136181551", "product_id"),
        ("53640000001133120180002812884627116080136181551", "field_1_check_digit"),
    ],
)
def test_refused_with_the_rule(code, rule):
    with pytest.raises(CodeError) as caught:
        decode(code, today=TODAY)
    assert caught.value.rule == rule
    assert rule in str(caught.value)


def test_collection_with_value_id_5_is_refused():
    body = "835" + "0" * 11 + "1" * 29  # 43 digits: product, segment, value id 5, ...
    for dv in "0123456789":
        barcode = body[:3] + dv + body[3:]
        with pytest.raises(CodeError) as caught:
            decode(barcode, today=TODAY)
        assert caught.value.rule == "collection_value_id"
    # and in a linha whose block DVs are right under either module
    blocks = [barcode[i : i + 11] for i in range(0, 44, 11)]
    for module in (mod10, mod11_collection):
        linha = "".join(f"{block}{module(block)}" for block in blocks)
        with pytest.raises(CodeError) as caught:
            decode(linha, today=TODAY)
        assert caught.value.rule == "collection_value_id"


def test_bank_currency_must_be_9_or_0():
    free = "1234567890123456789012345"
    zero = bank_barcode(
        bank_code="332", amount_cents=100, due_date=TODAY, free_field=free, currency="0"
    )
    assert decode(zero, today=TODAY).currency == "0"
    body = "3325" + zero[5:]  # currency 5, with a DV that is right for it
    five = body[:4] + str(mod11_bank(body)) + body[4:]
    with pytest.raises(CodeError) as caught:
        decode(five, today=TODAY)
    assert caught.value.rule == "currency"


def test_amount_zero_and_no_due_date():
    barcode = bank_barcode(
        bank_code="332", amount_cents=0, due_date=None, free_field="0" * 24 + "7"
    )
    code = decode(barcode, today=TODAY)
    assert (code.factor, code.due_date, code.amount_cents) == (0, None, None)
    assert barcode[5:19] == "0" * 14


def test_collection_reference_quantity_has_no_amount():
    for value_id in "79":
        barcode = collection_barcode(
            segment="1", value_id=value_id, value=12345, free_field="9" * 29
        )
        assert decode(barcode, today=TODAY).amount_cents is None
    for value_id in "68":
        barcode = collection_barcode(segment="1", value_id=value_id, value=0, free_field="9" * 29)
        assert decode(barcode, today=TODAY).amount_cents is None  # zero: payer chooses
        barcode = collection_barcode(
            segment="1", value_id=value_id, value=12345, free_field="9" * 29
        )
        assert decode(barcode, today=TODAY).amount_cents == 12345


def test_a_factor_outside_the_window_is_refused():
    # factor 7000 names 2016-12-04 (more than 3000 days before 2026-06-01) or 2041-03-...
    # (more than 5500 days after): no reading in the window.
    due = date(1997, 10, 7) + timedelta(days=7000)
    barcode = bank_barcode(bank_code="332", amount_cents=1, due_date=due, free_field="5" * 25)
    assert barcode[5:9] == "7000"
    assert TODAY - timedelta(days=3000) > due
    assert TODAY + timedelta(days=5500) < due + timedelta(days=9000)
    with pytest.raises(CodeError) as caught:
        decode(barcode, today=TODAY)
    assert caught.value.rule == "due_factor"
    assert decode(barcode, today=due - timedelta(days=20)).due_date == due


def test_non_string_is_refused():
    with pytest.raises(CodeError) as caught:
        decode(12345, today=TODAY)  # type: ignore[arg-type]
    assert caught.value.rule == "characters"


def test_linha_helpers_want_their_own_length():
    barcode = BANK_VECTORS[1][1]
    with pytest.raises(CodeError):
        barcode_from_linha(barcode)
    with pytest.raises(CodeError):
        linha_from_barcode(_digits(BANK_VECTORS[1][2]))
    with pytest.raises(CodeError):
        format_linha(barcode)


def test_bank_barcode_refuses_what_the_layout_cannot_hold():
    good = {"bank_code": "332", "amount_cents": 1, "due_date": TODAY, "free_field": "0" * 25}
    for change in (
        {"bank_code": "33"},
        {"bank_code": "33a"},
        {"amount_cents": -1},
        {"amount_cents": 10**10},
        {"free_field": "0" * 24},
        {"currency": "1"},
        {"due_date": date(2000, 7, 2)},
    ):
        with pytest.raises(ValueError):
            bank_barcode(**(good | change))
    with pytest.raises(TypeError):
        bank_barcode(**(good | {"amount_cents": 1.5}))


# --- due-date factor ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factor", "due"),
    [(1001, date(2025, 2, 23)), (9999, date(2025, 2, 21)), (8981, date(2022, 5, 10)),
     (3737, date(2032, 8, 21)), (5000, date(2036, 2, 5))],
)  # fmt: skip
def test_factor_read_around_2026_06_01(factor, due):
    assert date_for(factor, today=TODAY) == due


@pytest.mark.parametrize(
    ("due", "factor"),
    [
        # pagarme/node-boleto@9506c90 test/integration/bradesco/boleto.spec.js
        (date(2025, 2, 23), 1001), (date(2027, 11, 18), 1999), (date(2027, 11, 19), 2000),
        (date(2049, 10, 13), 9999),
        # FEBRABAN "Manual Operacional do Fator de Vencimento" v01 examples
        (date(2000, 7, 3), 1000), (date(2000, 7, 4), 1001), (date(2012, 4, 27), 5316),
        (date(2025, 2, 20), 9998), (date(2025, 2, 21), 9999),
        # the reset day, and the wrap of the second cycle
        (date(2025, 2, 22), 1000), (date(2049, 10, 14), 1000),
    ],
)  # fmt: skip
def test_factor_for(due, factor):
    assert factor_for(due) == factor


def test_factor_round_trips_in_the_window():
    for offset in range(-3000, 5501, 7):
        due = date.fromordinal(TODAY.toordinal() + offset)
        if due >= date(2000, 7, 3):
            assert date_for(factor_for(due), today=TODAY) == due


def test_factor_9999_is_read_by_window():
    assert date_for(9999, today=TODAY) == date(2025, 2, 21)
    assert date_for(9999, today=date(2045, 1, 1)) == date(2049, 10, 13)
    assert date_for(0, today=TODAY) is None


def test_factor_errors():
    with pytest.raises(ValueError):
        factor_for(date(2000, 7, 2))
    for factor in (-1, 10000, 7000):
        with pytest.raises(ValueError):
            date_for(factor, today=TODAY)


# --- the hot path agrees with the plain check digit functions ------------------------------


def _reference_sum(digits: str) -> int:
    return sum(int(d) * (2 + i % 8) for i, d in enumerate(reversed(digits)))


def _reference_mod10(digits: str) -> int:
    total = 0
    for i, d in enumerate(reversed(digits)):
        product = int(d) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def test_checksums_match_a_plain_reading_of_the_rules():
    import random

    rng = random.Random(12)
    for _ in range(3000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 50)))
        remainder = _reference_sum(digits) % 11
        assert mod10(digits) == _reference_mod10(digits)
        assert mod11_bank(digits) == (1 if 11 - remainder in (0, 10, 11) else 11 - remainder)
        assert mod11_collection(digits) == (
            0 if remainder in (0, 1) else 1 if remainder == 10 else 11 - remainder
        )
    # FEBRABAN worked examples from the reference (BB barcode of mcrvaz, fields of its linha)
    assert [mod10("001905009"), mod10("4014481606"), mod10("0680935031")] == [5, 9, 4]
    assert mod11_bank("0019373700000001000500940144816060680935031") == 3
