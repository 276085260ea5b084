"""CNAB 240 cobrança codec: the spec against the FEBRABAN positions, fixed files checked
position by position, a published return file, and malformed files refused at the right place.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from apps.boleto.codecs.cnab240 import (
    RETURN_OCCURRENCES,
    CnabError,
    FileHeader,
    ReturnItem,
    Title,
    parse_remittance,
    parse_return,
    spec,
    write_remittance,
    write_return,
    writer,
)

# -- builders ---------------------------------------------------------------------------------


def header(kind: str = "remittance", **changes) -> FileHeader:
    values = {
        "bank_code": "332",
        "company_tax_id": "12345678000195",
        "company_name": "Athena Pagamentos S.A.",
        "agreement": "CONV123",
        "agency": "00001",
        "account": "000000123456",
        "file_kind": kind,
        "generated_at": datetime(2026, 12, 6, 10, 11, 12),
        "sequence": 7,
        "bank_name": "ATHENA PAY",
        "agency_digit": "9",
        "account_digit": "X",
    }
    values.update(changes)
    return FileHeader(**values)


def title(**changes) -> Title:
    values = {
        "nosso_numero": "12345678901234567890",
        "seu_numero": "FAT-2026/001",
        "due_date": date(2027, 1, 10),
        "amount_cents": 12345,
        "issue_date": date(2026, 12, 6),
        "interest_code": 1,
        "interest_date": date(2027, 1, 11),
        "interest_value": 33,
        "discount_code": 1,
        "discount_date": date(2027, 1, 5),
        "discount_value": 500,
        "rebate_cents": 100,
        "payer_kind": 1,
        "payer_tax_id": "12345678909",
        "payer_name": "José da Conceição Araújo",
        "payer_address": "Rua da Consolação, 1000 ap 12",
        "payer_district": "Consolação",
        "payer_zip": "01302000",
        "payer_city": "São Paulo",
        "payer_state": "SP",
        "fine_code": 2,
        "fine_date": date(2027, 1, 11),
        "fine_value": 200,
    }
    values.update(changes)
    return Title(**values)


def item(**changes) -> ReturnItem:
    values = {
        "nosso_numero": "12345678901234567890",
        "seu_numero": "FAT-2026/001",
        "movement": "06",
        "due_date": date(2027, 1, 10),
        "face_value": 12345,
        "bank_code": "001",
        "collecting_agency": "01234",
        "fee_cents": 150,
        "motives": (),
        "payer_tax_id": "12345678909",
        "payer_name": "JOSE DA CONCEICAO ARAUJO",
        "interest_cents": 66,
        "discount_cents": 0,
        "rebate_cents": 0,
        "iof_cents": 0,
        "paid_cents": 12411,
        "net_cents": 12261,
        "other_expenses": 0,
        "other_credits": 0,
        "occurrence_date": date(2027, 1, 12),
        "credit_date": date(2027, 1, 13),
    }
    values.update(changes)
    return ReturnItem(**values)


def lines_of(text: str) -> list[str]:
    assert text.endswith("\r\n")
    lines = text[:-2].split("\r\n")
    assert all(len(line) == 240 for line in lines)
    return lines


# -- the spec ---------------------------------------------------------------------------------


@pytest.mark.parametrize("record", spec.RECORDS, ids=lambda r: r.name)
def test_every_record_tiles_positions_1_to_240(record):
    position = 1
    for field in record.fields:
        assert field.start == position, field
        position = field.end + 1
    assert position == 241


# Reference: /work/shared/reference/boleto-ted-loans.md section 2.1 (FEBRABAN v10 positions).
@pytest.mark.parametrize(
    ("record", "name", "start", "end"),
    [
        (spec.FILE_HEADER, "company_tax_id", 19, 32),
        (spec.FILE_HEADER, "agreement", 33, 52),
        (spec.FILE_HEADER, "company_name", 73, 102),
        (spec.FILE_HEADER, "file_kind", 143, 143),
        (spec.FILE_HEADER, "generated_date", 144, 151),
        (spec.FILE_HEADER, "sequence", 158, 163),
        (spec.FILE_HEADER, "layout_version", 164, 166),
        (spec.LOTE_HEADER, "operation", 9, 9),
        (spec.LOTE_HEADER, "service", 10, 11),
        (spec.LOTE_HEADER, "layout_version", 14, 16),
        (spec.LOTE_HEADER, "company_tax_id", 19, 33),
        (spec.LOTE_HEADER, "agreement", 34, 53),
        (spec.LOTE_HEADER, "company_name", 74, 103),
        (spec.LOTE_HEADER, "file_number", 184, 191),
        (spec.LOTE_HEADER, "recorded_date", 192, 199),
        (spec.SEGMENT_P, "movement", 16, 17),
        (spec.SEGMENT_P, "nosso_numero", 38, 57),
        (spec.SEGMENT_P, "seu_numero", 63, 77),
        (spec.SEGMENT_P, "due_date", 78, 85),
        (spec.SEGMENT_P, "amount", 86, 100),
        (spec.SEGMENT_P, "title_kind", 107, 108),
        (spec.SEGMENT_P, "issue_date", 110, 117),
        (spec.SEGMENT_P, "interest_code", 118, 118),
        (spec.SEGMENT_P, "interest_date", 119, 126),
        (spec.SEGMENT_P, "interest_value", 127, 141),
        (spec.SEGMENT_P, "discount_code", 142, 142),
        (spec.SEGMENT_P, "iof_amount", 166, 180),
        (spec.SEGMENT_P, "rebate_amount", 181, 195),
        (spec.SEGMENT_P, "company_use", 196, 220),
        (spec.SEGMENT_P, "currency", 228, 229),
        (spec.SEGMENT_Q, "payer_kind", 18, 18),
        (spec.SEGMENT_Q, "payer_tax_id", 19, 33),
        (spec.SEGMENT_Q, "payer_name", 34, 73),
        (spec.SEGMENT_Q, "payer_address", 74, 113),
        (spec.SEGMENT_Q, "payer_district", 114, 128),
        (spec.SEGMENT_Q, "payer_city", 137, 151),
        (spec.SEGMENT_Q, "payer_state", 152, 153),
        (spec.SEGMENT_R, "fine_code", 66, 66),
        (spec.SEGMENT_R, "fine_date", 67, 74),
        (spec.SEGMENT_R, "fine_value", 75, 89),
        (spec.SEGMENT_T, "movement", 16, 17),
        (spec.SEGMENT_T, "nosso_numero", 38, 57),
        (spec.SEGMENT_T, "wallet", 58, 58),
        (spec.SEGMENT_T, "seu_numero", 59, 73),
        (spec.SEGMENT_T, "due_date", 74, 81),
        (spec.SEGMENT_T, "face_amount", 82, 96),
        (spec.SEGMENT_T, "bank", 97, 99),
        (spec.SEGMENT_T, "collecting_agency", 100, 104),
        (spec.SEGMENT_T, "company_use", 106, 130),
        (spec.SEGMENT_T, "payer_name", 149, 188),
        (spec.SEGMENT_T, "fee_amount", 199, 213),
        (spec.SEGMENT_T, "motives", 214, 223),
        (spec.SEGMENT_U, "interest_amount", 18, 32),
        (spec.SEGMENT_U, "discount_amount", 33, 47),
        (spec.SEGMENT_U, "rebate_amount", 48, 62),
        (spec.SEGMENT_U, "iof_amount", 63, 77),
        (spec.SEGMENT_U, "paid_amount", 78, 92),
        (spec.SEGMENT_U, "net_amount", 93, 107),
        (spec.SEGMENT_U, "other_expenses", 108, 122),
        (spec.SEGMENT_U, "other_credits", 123, 137),
        (spec.SEGMENT_U, "occurrence_date", 138, 145),
        (spec.SEGMENT_U, "credit_date", 146, 153),
        (spec.LOTE_TRAILER, "record_count", 18, 23),
        (spec.FILE_TRAILER, "lote_count", 18, 23),
        (spec.FILE_TRAILER, "record_count", 24, 29),
    ],
)
def test_spec_positions_match_the_febraban_table(record, name, start, end):
    field = record.field(name)
    assert (field.start, field.end) == (start, end)


# -- a remittance, position by position -------------------------------------------------------


def test_remittance_fixed_example_position_by_position():
    text = write_remittance(header(), [title(), title(nosso_numero="42", amount_cents=1)])
    lines = lines_of(text)
    assert len(lines) == 1 + 1 + 2 * 3 + 1 + 1
    file_header, lote_header, p, q, r = lines[:5]
    lote_trailer, file_trailer = lines[-2:]

    assert file_header[0:3] == "332"
    assert file_header[3:7] == "0000"
    assert file_header[7] == "0"
    assert file_header[17] == "2"  # CNPJ
    assert file_header[18:32] == "12345678000195"
    assert file_header[32:52] == "CONV123".ljust(20)
    assert file_header[52:57] == "00001"
    assert file_header[57] == "9"
    assert file_header[58:70] == "000000123456"
    assert file_header[70] == "X"
    assert file_header[72:102] == "ATHENA PAGAMENTOS S.A.".ljust(30)
    assert file_header[102:132] == "ATHENA PAY".ljust(30)
    assert file_header[142] == "1"  # remessa
    assert file_header[143:151] == "06122026"
    assert file_header[151:157] == "101112"
    assert file_header[157:163] == "000007"
    assert file_header[163:166] == "107"

    assert lote_header[3:7] == "0001"
    assert lote_header[7] == "1"
    assert lote_header[8] == "R"
    assert lote_header[9:11] == "01"
    assert lote_header[13:16] == "045"
    assert lote_header[17] == "2"
    assert lote_header[18:33] == "012345678000195"
    assert lote_header[183:191] == "00000007"
    assert lote_header[191:199] == "06122026"

    assert p[0:14] == "3320001300001P"
    assert p[15:17] == "01"  # entrada de títulos
    assert p[37:57] == "12345678901234567890"
    assert p[62:77] == "FAT-2026/001   "
    assert p[77:85] == "10012027"  # vencimento DDMMAAAA
    assert p[85:100] == "000000000012345"  # valor, 13 + 2 decimals
    assert p[108] == "N"
    assert p[109:117] == "06122026"
    assert p[117] == "1"
    assert p[118:126] == "11012027"
    assert p[126:141] == "000000000000033"
    assert p[141] == "1"
    assert p[142:150] == "05012027"
    assert p[150:165] == "000000000000500"
    assert p[180:195] == "000000000000100"
    assert p[227:229] == "09"

    assert q[0:14] == "3320001300002Q"
    assert q[17] == "1"
    assert q[18:33] == "000012345678909"
    assert q[33:73] == "JOSE DA CONCEICAO ARAUJO".ljust(40)
    assert q[73:113] == "RUA DA CONSOLACAO, 1000 AP 12".ljust(40)
    assert q[113:128] == "CONSOLACAO     "
    assert q[128:136] == "01302000"
    assert q[136:151] == "SAO PAULO      "
    assert q[151:153] == "SP"

    assert r[0:14] == "3320001300003R"
    assert r[65] == "2"
    assert r[66:74] == "11012027"
    assert r[74:89] == "000000000000200"

    assert lines[5][37:57] == "42".ljust(20)
    assert lines[5][85:100] == "000000000000001"

    assert lote_trailer[7] == "5"
    assert lote_trailer[17:23] == "000008"  # lote header + 6 segments + trailer
    assert lote_trailer[23:29] == "000002"
    assert lote_trailer[29:46] == "00000000000012346"
    assert file_trailer[3:8] == "99999"
    assert file_trailer[17:23] == "000001"
    assert file_trailer[23:29] == "000010"


def test_remittance_round_trips():
    titles = [
        title(),
        title(
            nosso_numero="1",
            interest_date=None,
            discount_code=0,
            discount_date=None,
            discount_value=0,
            fine_code=0,
            fine_date=None,
            fine_value=0,
            payer_kind=2,
            payer_tax_id="11222333000181",
        ),
    ]
    parsed = parse_remittance(write_remittance(header(), titles))
    assert parsed.header == header(company_name="ATHENA PAGAMENTOS S.A.")
    assert parsed.titles[1] == titles[1].__class__(
        **{
            **_as_dict(titles[1]),
            "payer_name": "JOSE DA CONCEICAO ARAUJO",
            "payer_address": "RUA DA CONSOLACAO, 1000 AP 12",
            "payer_district": "CONSOLACAO",
            "payer_city": "SAO PAULO",
            "seu_numero": "FAT-2026/001",
        }
    )
    assert parsed.titles[0].fine_date == date(2027, 1, 11)


def _as_dict(value) -> dict:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


# -- a return, position by position -----------------------------------------------------------


def test_return_fixed_example_position_by_position():
    paid = item()
    rejected = item(
        nosso_numero="77",
        movement="03",
        motives=("09", "16"),
        due_date=None,
        paid_cents=0,
        net_cents=0,
        interest_cents=0,
        credit_date=None,
        payer_tax_id="11222333000181",
        fee_cents=0,
    )
    lines = lines_of(write_return(header("return"), [paid, rejected]))
    assert len(lines) == 2 + 4 + 2
    assert lines[0][142] == "2"  # retorno
    assert lines[1][8] == "T"
    t, u, t2, u2 = lines[2:6]
    assert t[0:14] == "3320001300001T"
    assert t[15:17] == "06"
    assert t[37:57] == "12345678901234567890"
    assert t[58:73] == "FAT-2026/001   "
    assert t[73:81] == "10012027"
    assert t[81:96] == "000000000012345"
    assert t[96:99] == "001"
    assert t[99:104] == "01234"
    assert t[132] == "1"
    assert t[133:148] == "000012345678909"
    assert t[148:188] == "JOSE DA CONCEICAO ARAUJO".ljust(40)
    assert t[198:213] == "000000000000150"
    assert t[213:223] == " " * 10
    assert u[0:14] == "3320001300002U"
    assert u[15:17] == "06"
    assert u[17:32] == "000000000000066"
    assert u[77:92] == "000000000012411"
    assert u[92:107] == "000000000012261"
    assert u[137:145] == "12012027"
    assert u[145:153] == "13012027"
    assert t2[15:17] == "03"
    assert t2[73:81] == "00000000"
    assert t2[132] == "2"
    assert t2[213:223] == "0916      "
    assert u2[145:153] == "00000000"

    parsed = parse_return("\r\n".join(lines) + "\r\n")
    assert parsed.line_count == 8
    first, second = parsed.items
    assert first == item(line_t=3, line_u=4)
    assert second == ReturnItem(**{**_as_dict(rejected), "line_t": 5, "line_u": 6})
    assert second.motives == ("09", "16")


def test_return_occurrence_table_has_the_codes_we_act_on():
    for code in ("02", "03", "06", "09", "17", "28"):
        assert RETURN_OCCURRENCES[code].en and RETURN_OCCURRENCES[code].pt
    assert all(len(code) == 2 and code.isdigit() for code in RETURN_OCCURRENCES)


# -- a published return file -------------------------------------------------------------------

# Source: github.com/eduardokum/laravel-boleto, commit 6a5d36e2e29f6bf242736b979f8ddc0fa6f90feb,
# tests/Retorno/files/cnab240/banco_brasil.ret (Banco do Brasil, cobrança retorno, 2011).
# As published, line 2 (lote header) has 241 characters: one extra blank inside the message
# area (positions 104-183) pushes 184-191 one place right. We remove that one blank; every
# other character is as published. BB writes blanks for the unused payer-occurrence date
# (U 158-165), which the spec's D0 kind accepts as "no date".
BB_RETURN_AS_PUBLISHED = [
    (
        "00100000         2026599530001760032948600014       0032860000000075367 SAPATARIA E "
        "CONFECSOES JIBA   BANCO DO BRASIL                         22103201102475000025703000"
        "000909214318PROCESSAMEN                                                 "
    ),
    (
        "00100011T0100020 20026599530001760032948600014       0032860000000075367 SAPATARIA E"
        " CONFECSOES JIBA                                                                    "
        "                000000002103201100000000  000000000                      "
    ),
    (
        "0010001300001T 060032860000000075367 32948600000000196   1               23032011000"
        "000000004000237009880                         09000000000000000000000000000000000000"
        "00000000000000000   000000000000000000000050000        180273294860     "
    ),
    (
        "0010001300002U 060000000000000000000000000000000000000000000000000000000000000000000"
        "000040000000000000035000000000000000000000000000000002103201123032011            000"
        "000000000000                              000                           "
    ),
    (
        "0010001300003T 060032860000000075367 32948600000000236   1               25032011000"
        "000000003000033045680                         09000000000000000000000000000000000000"
        "00000000000000000   000000000000000000000050000        180273294860     "
    ),
    (
        "0010001300004U 060000000000000000000000000000000000000000000000000000000000000000000"
        "000030000000000000025000000000000000000000000000000002103201123032011            000"
        "000000000000                              000                           "
    ),
    (
        "0010001300005T 060032860000000075367 32948600000000244   1               23032011000"
        "000000001500104004900                         09000000000000000000000000000000000000"
        "00000000000000000   000000000000000000000050000        180273294860     "
    ),
    (
        "0010001300006U 060000000000000000000000000000000000000000000000000000000000000000000"
        "000015000000000000010000000000000000000000000000000002103201123032011            000"
        "000000000000                              000                           "
    ),
    (
        "0010001300007T 060032860000000075367 32948600000000249   1               23032011000"
        "000000001500104022660                         09000000000000000000000000000000000000"
        "00000000000000000   000000000000000000000050000        180273294860     "
    ),
    (
        "0010001300008U 060000000000000000000000000000000000000000000000000000000000000000000"
        "000015000000000000010000000000000000000000000000000002103201123032011            000"
        "000000000000                              000                           "
    ),
    (
        "0010001300009T 060032860000000075367 32948600000005048   1               01042011000"
        "000000002880033002570                         09000000000000000000000000000000000000"
        "00000000000000000   000000000000000000000050000        180273294860     "
    ),
    (
        "0010001300010U 060000000000000000000000000000000000000000000000000000000000000000000"
        "000028800000000000023800000000000000000000000000000002103201123032011            000"
        "000000000000                              000                           "
    ),
    (
        "00100015         0000120000000000000000000000000000000000000000000000000000000000000"
        "00000000000000000000000000000000000000000000000000000000000000                      "
        "                                                                        "
    ),
    (
        "00199999         000001000014000000                                                 "
        "                                                                                    "
        "                       00000000000000000000000000000                    "
    ),
]


def _bb_file() -> str:
    lines = list(BB_RETURN_AS_PUBLISHED)
    assert len(lines[1]) == 241 and lines[1][103] == " "
    lines[1] = lines[1][:103] + lines[1][104:]  # the one repair described above
    return "\n".join(lines) + "\n"


def test_published_banco_do_brasil_return_parses():
    text = _bb_file()
    assert all(len(line) == 240 for line in text.splitlines())
    parsed = parse_return(text)
    assert parsed.header.bank_code == "001"
    assert parsed.header.company_tax_id == "02659953000176"
    assert parsed.header.company_name == "SAPATARIA E CONFECSOES JIBA"
    assert parsed.header.generated_at == datetime(2011, 3, 21, 2, 47, 50)
    assert parsed.header.sequence == 257
    assert parsed.line_count == 14
    assert [i.nosso_numero for i in parsed.items] == [
        "32948600000000196",
        "32948600000000236",
        "32948600000000244",
        "32948600000000249",
        "32948600000005048",
    ]
    first = parsed.items[0]
    assert first.movement == "06"
    assert first.due_date == date(2011, 3, 23)
    assert first.face_value == 4000
    assert first.paid_cents == 4000
    assert first.net_cents == 3500
    assert first.fee_cents == 500
    assert first.bank_code == "237"
    assert first.collecting_agency == "00988"
    assert first.occurrence_date == date(2011, 3, 21)
    assert first.credit_date == date(2011, 3, 23)
    assert first.payer_tax_id == ""  # BB leaves the payer out (type 0, zeros)
    assert sum(i.paid_cents for i in parsed.items) == 12880
    assert sum(i.net_cents for i in parsed.items) == 10380


def test_published_file_as_published_is_refused_at_its_long_line():
    with pytest.raises(CnabError) as caught:
        parse_return("\n".join(BB_RETURN_AS_PUBLISHED) + "\n")
    assert (caught.value.line, caught.value.field) == (2, "record_length")


# -- line ends ---------------------------------------------------------------------------------


def test_lf_and_crlf_and_no_final_line_end_are_accepted():
    text = write_return(header("return"), [item()])
    lf = text.replace("\r\n", "\n")
    assert parse_return(lf).items == parse_return(text).items
    assert parse_return(text[:-2]).items == parse_return(text).items


def test_empty_writes_are_valid_files():
    text = write_return(header("return"), [])
    assert len(lines_of(text)) == 2
    assert parse_return(text).items == ()
    assert parse_remittance(write_remittance(header(), [])).titles == ()


def test_large_files_are_split_into_lotes(monkeypatch):
    # A lote holds at most 99,999 details (five-digit sequence); shrink the limit to see the split.
    monkeypatch.setattr(writer, "MAX_DETAILS_PER_LOTE", 7)  # 3 items (T+U) or 2 titles (P+Q+R)
    text = write_return(header("return"), [item(seu_numero=str(n)) for n in range(7)])
    lines = lines_of(text)
    parsed = parse_return(text)
    assert [i.seu_numero for i in parsed.items] == [str(n) for n in range(7)]
    assert lines[-1][17:23] == "000003"  # lotes of 3, 3 and 1 items
    assert [line[3:7] for line in lines if line[7] == "1"] == ["0001", "0002", "0003"]
    assert parsed.items[-1].line_u == len(lines) - 2
    remittance = write_remittance(header(), [title(seu_numero=str(n)) for n in range(5)])
    assert [t.seu_numero for t in parse_remittance(remittance).titles] == [str(n) for n in range(5)]
    assert lines_of(remittance)[-1][17:23] == "000003"


# -- writing refuses what it cannot represent -------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"amount_cents": 10**15},  # 15 digits of centavos do not fit 13+2
        {"amount_cents": -1},
        {"nosso_numero": "1" * 21},
        {"nosso_numero": "12A"},
        {"payer_zip": "0130200"},
        {"payer_kind": 2},  # with an 11-digit CPF
        {"interest_value": 10**15},
        {"movement": 100},
    ],
)
def test_writer_refuses_values_that_do_not_fit(changes):
    with pytest.raises(ValueError):
        write_remittance(header(), [title(**changes)])


def test_writer_refuses_the_wrong_file_kind():
    with pytest.raises(ValueError):
        write_remittance(header("return"), [title()])
    with pytest.raises(ValueError):
        write_return(header("remittance"), [item()])


def test_largest_amount_fits():
    big = 10**15 - 1  # 13 digits of reais and 2 of centavos
    parsed = parse_remittance(write_remittance(header(), [title(amount_cents=big)]))
    assert parsed.titles[0].amount_cents == big


# -- malformed files are refused at the right line and field ------------------------------------


def _return_lines() -> list[str]:
    return lines_of(write_return(header("return"), [item(), item(nosso_numero="2")]))


def _join(lines: list[str]) -> str:
    return "\r\n".join(lines) + "\r\n"


def _set(line: str, start: int, text: str) -> str:
    """Overwrite `line` from 1-based position `start`."""
    return line[: start - 1] + text + line[start - 1 + len(text) :]


def _renumber(lines: list[str]) -> list[str]:
    """Fix sequence numbers and trailer counts after a test removed a segment."""
    out = []
    sequence = 0
    for line in lines:
        if line[7] == "1":
            sequence = 0
        elif line[7] == "3":
            sequence += 1
            line = _set(line, 9, f"{sequence:05d}")
        elif line[7] == "5":
            line = _set(line, 18, f"{sequence + 2:06d}")
        elif line[7] == "9":
            line = _set(line, 24, f"{len(lines):06d}")
        out.append(line)
    return out


def _refused(lines: list[str]) -> CnabError:
    with pytest.raises(CnabError) as caught:
        parse_return(_join(lines))
    return caught.value


def test_short_line():
    lines = _return_lines()
    lines[3] = lines[3][:239]
    error = _refused(lines)
    assert (error.line, error.field) == (4, "record_length")
    assert str(error) == "line 4, field record_length: 239 characters, expected 240"


def test_letter_in_a_numeric_field():
    lines = _return_lines()
    lines[3] = _set(lines[3], 78, "000000000012a45")
    error = _refused(lines)
    assert (error.line, error.field) == (4, "segment_u.paid_amount")
    assert str(error) == ("line 4, field segment_u.paid_amount: not a number ('000000000012a45')")


def test_bad_date():
    lines = _return_lines()
    lines[2] = _set(lines[2], 74, "31022027")
    error = _refused(lines)
    assert (error.line, error.field) == (3, "segment_t.due_date")


def test_required_date_cannot_be_zero():
    lines = _return_lines()
    lines[3] = _set(lines[3], 138, "00000000")
    error = _refused(lines)
    assert (error.line, error.field) == (4, "segment_u.occurrence_date")


def test_t_without_u():
    lines = _return_lines()
    del lines[3]  # the first U
    error = _refused(_renumber(lines))
    assert error.line == 4  # the next T, where the U should be
    assert error.field == "segment_u.segment"


def test_t_without_u_at_the_end_of_the_lote():
    lines = _return_lines()
    del lines[5]  # the last U
    error = _refused(_renumber(lines))
    assert (error.line, error.field) == (6, "record_type")  # the lote trailer


def test_u_without_t():
    lines = _return_lines()
    del lines[2]
    error = _refused(_renumber(lines))
    assert (error.line, error.field) == (3, "segment_t.segment")


def test_wrong_lote_trailer_count():
    lines = _return_lines()
    lines[6] = _set(lines[6], 18, "000007")
    error = _refused(lines)
    assert (error.line, error.field) == (7, "lote_trailer.record_count")


def test_wrong_file_trailer_counts():
    lines = _return_lines()
    lines[7] = _set(lines[7], 24, "000009")
    assert (_refused(lines).line, _refused(lines).field) == (8, "file_trailer.record_count")
    lines = _return_lines()
    lines[7] = _set(lines[7], 18, "000002")
    assert (_refused(lines).line, _refused(lines).field) == (8, "file_trailer.lote_count")


def test_unknown_record_type():
    lines = _return_lines()
    lines[3] = _set(lines[3], 8, "4")
    error = _refused(lines)
    assert (error.line, error.field) == (4, "record_type")


def test_unknown_segment():
    lines = _return_lines()
    lines[3] = _set(lines[3], 14, "Y")
    error = _refused(lines)
    assert (error.line, error.field) == (4, "detail.segment")


def test_line_after_trailer():
    lines = _return_lines()
    lines.append(lines[-1])
    error = _refused(lines)
    assert (error.line, error.field) == (9, "record_type")


def test_missing_file_trailer():
    lines = _return_lines()[:-1]
    error = _refused(lines)
    assert (error.line, error.field) == (7, "record_type")


def test_wrong_bank_code():
    lines = _return_lines()
    lines[4] = _set(lines[4], 1, "001")
    error = _refused(lines)
    assert (error.line, error.field) == (5, "segment_t.bank_code")


def test_wrong_lote_number_inside_a_lote():
    lines = _return_lines()
    lines[4] = _set(lines[4], 4, "0002")
    error = _refused(lines)
    assert (error.line, error.field) == (5, "segment_t.lote")


def test_wrong_sequence_number():
    lines = _return_lines()
    lines[4] = _set(lines[4], 9, "00004")
    error = _refused(lines)
    assert (error.line, error.field) == (5, "segment_t.sequence")


def test_u_with_another_movement_than_its_t():
    lines = _return_lines()
    lines[3] = _set(lines[3], 16, "02")
    error = _refused(lines)
    assert (error.line, error.field) == (4, "segment_u.movement")


def test_bom_is_refused():
    lines = _return_lines()
    lines[0] = "\ufeff" + lines[0]
    error = _refused(lines)
    assert (error.line, error.field) == (1, "charset")


def test_non_ascii_character_is_refused():
    lines = _return_lines()
    lines[2] = _set(lines[2], 150, "É")
    error = _refused(lines)
    assert (error.line, error.field) == (3, "charset")


def test_control_character_is_refused():
    lines = _return_lines()
    lines[2] = _set(lines[2], 150, "\t")
    error = _refused(lines)
    assert (error.line, error.field) == (3, "charset")


def test_two_trailing_empty_lines_are_refused():
    text = _join(_return_lines()) + "\r\n"
    with pytest.raises(CnabError) as caught:
        parse_return(text)
    assert (caught.value.line, caught.value.field) == (9, "record_length")


def test_empty_file_is_refused():
    with pytest.raises(CnabError) as caught:
        parse_return("")
    assert caught.value.line == 1


def test_remittance_is_not_a_return_and_back():
    with pytest.raises(CnabError) as caught:
        parse_return(write_remittance(header(), [title()]))
    assert (caught.value.line, caught.value.field) == (1, "file_header.file_kind")
    with pytest.raises(CnabError) as caught:
        parse_remittance(write_return(header("return"), [item()]))
    assert (caught.value.line, caught.value.field) == (1, "file_header.file_kind")


def test_lote_header_operation_must_match_the_file_kind():
    lines = _return_lines()
    lines[1] = _set(lines[1], 9, "R")
    error = _refused(lines)
    assert (error.line, error.field) == (2, "lote_header.operation")


def test_remittance_p_without_q():
    lines = lines_of(write_remittance(header(), [title(), title()]))
    del lines[3]  # the first Q
    with pytest.raises(CnabError) as caught:
        parse_remittance(_join(_renumber(lines)))
    assert (caught.value.line, caught.value.field) == (4, "segment_q.segment")  # R after P


def test_remittance_without_segment_r_is_accepted():
    lines = lines_of(write_remittance(header(), [title(fine_code=0, fine_date=None, fine_value=0)]))
    del lines[4]  # R
    parsed = parse_remittance(_join(_renumber(lines)))
    assert parsed.titles[0].fine_code == 0


def test_error_is_a_value_error_and_pickles():
    import pickle

    error = CnabError(57, "segment_u.paid_amount", "not a number ('12a45')")
    assert isinstance(error, ValueError)
    again = pickle.loads(pickle.dumps(error))  # noqa: S301  # nosec B301 (our own bytes)
    assert (again.line, again.field, again.message) == (57, "segment_u.paid_amount", error.message)
    assert str(again) == "line 57, field segment_u.paid_amount: not a number ('12a45')"
