"""endToEndId / returnId / msgId: BACEN's formats, UTC minutes, randomness, strict parsing."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.core.timezones import BRASILIA
from apps.pix.codecs.e2e import (
    InvalidIdError,
    ParsedId,
    is_valid_end_to_end_id,
    is_valid_ispb,
    new_end_to_end_id,
    new_msg_id,
    new_return_id,
    parse_end_to_end_id,
    parse_msg_id,
    parse_return_id,
)

E2E_RE = re.compile(r"\AE[0-9A-Z]{8}[0-9]{12}[a-zA-Z0-9]{11}\Z")
ISPB = "12345678"

ispbs = st.text(alphabet=string.digits + string.ascii_uppercase, min_size=8, max_size=8)
moments = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30)).flatmap(
    lambda naive: st.sampled_from(
        [UTC, BRASILIA, timezone(timedelta(hours=-3)), timezone(timedelta(hours=9, minutes=30))]
    ).map(lambda tz: naive.replace(tzinfo=tz))
)


def test_end_to_end_id_has_bacens_format():
    now = datetime(2020, 1, 1, 8, 30, 12, tzinfo=UTC)
    e2e = new_end_to_end_id(ISPB, now)
    assert len(e2e) == 32
    assert E2E_RE.match(e2e)
    assert e2e[:21] == "E12345678202001010830"


def test_return_id_has_bacens_format():
    rid = new_return_id(ISPB, datetime(2020, 1, 1, 8, 30, tzinfo=UTC))
    assert len(rid) == 32
    assert rid.startswith("D12345678202001010830")
    assert re.fullmatch(r"[a-zA-Z0-9]{11}", rid[21:])


def test_default_now_is_the_current_utc_minute():
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    kind, ispb, created = parse_end_to_end_id(new_end_to_end_id(ISPB))
    after = datetime.now(UTC)
    assert (kind, ispb) == ("E", ISPB)
    assert before <= created <= after


@pytest.mark.parametrize(
    ("local", "segment"),
    [
        # 23:30 in Brasília on the 15th is 02:30 UTC on the 16th: the id carries the 16th
        (datetime(2024, 3, 15, 23, 30, tzinfo=BRASILIA), "202403160230"),
        (datetime(2024, 3, 15, 23, 59, 59, tzinfo=BRASILIA), "202403160259"),
        (datetime(2024, 3, 16, 0, 0, tzinfo=BRASILIA), "202403160300"),
        (datetime(2024, 3, 16, 0, 10, tzinfo=BRASILIA), "202403160310"),
        # 21:00 in Brasília is UTC midnight: the UTC date changes while Brasília's does not
        (datetime(2024, 3, 15, 20, 59, tzinfo=BRASILIA), "202403152359"),
        (datetime(2024, 3, 15, 21, 0, tzinfo=BRASILIA), "202403160000"),
        # New Year's Eve in Brasília is already next year in UTC
        (datetime(2024, 12, 31, 22, 0, tzinfo=BRASILIA), "202501010100"),
    ],
)
def test_timestamp_segment_is_utc_across_brasilia_midnight(local, segment):
    for make in (new_end_to_end_id, new_return_id):
        value = make(ISPB, local)
        assert value[9:21] == segment
        assert parse_end_to_end_id(value).created_at == local.astimezone(UTC).replace(
            second=0, microsecond=0
        )


def test_naive_now_is_refused():
    with pytest.raises(InvalidIdError, match="timezone-aware"):
        new_end_to_end_id(ISPB, datetime(2024, 3, 15, 23, 30))


def test_100k_ids_are_unique_and_use_the_whole_alphabet():
    now = datetime(2024, 3, 16, 2, 30, tzinfo=UTC)  # all in one minute: only randomness differs
    ids = [new_end_to_end_id(ISPB, now) for _ in range(100_000)]
    assert len(set(ids)) == len(ids)
    assert all(E2E_RE.match(i) for i in ids)
    seen = set("".join(i[21:] for i in ids[:2000]))
    assert seen == set(string.ascii_letters + string.digits)


@pytest.mark.parametrize(
    "ispb", ["1234567", "123456789", "1234567a", "abcdefgh", " 2345678", "", 12345678, None]
)
def test_generators_refuse_a_bad_ispb(ispb):
    assert not is_valid_ispb(ispb)
    for make in (new_end_to_end_id, new_return_id, lambda i, _now=None: new_msg_id(i)):
        with pytest.raises(InvalidIdError, match="ISPB"):
            make(ispb)


def test_bacens_virtual_participants_are_valid_ispbs():
    # BACEN's homologation participants have letters; the catalogue allows [0-9A-Z]{8}
    assert parse_end_to_end_id(new_end_to_end_id("99999A04")).ispb == "99999A04"


def test_parse_returns_kind_ispb_and_utc_minute():
    parsed = parse_end_to_end_id("E9999901020200120123412345678901")
    assert parsed == ParsedId("E", "99999010", datetime(2020, 1, 20, 12, 34, tzinfo=UTC))
    kind, ispb, created = parse_end_to_end_id("D9999901020200120123412345678901")
    assert (kind, ispb, created.tzinfo) == ("D", "99999010", UTC)


def test_kind_restrictions():
    e = new_end_to_end_id(ISPB)
    d = new_return_id(ISPB)
    assert parse_return_id(d).kind == "D"
    with pytest.raises(InvalidIdError, match="returnId"):
        parse_return_id(e)
    with pytest.raises(InvalidIdError, match="endToEndId"):
        parse_end_to_end_id(d, kind="E")
    assert is_valid_end_to_end_id(e)
    assert not is_valid_end_to_end_id(d)
    assert is_valid_end_to_end_id(d, kind=None)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("E1234567820240316023", "32 characters"),
        ("E12345678202403160230abcdefghijk1", "32 characters"),
        ("X12345678202403160230abcdefghijk", "E or D"),
        ("e12345678202403160230abcdefghijk", "E or D"),
        ("E1234567a202403160230abcdefghijk", "E or D"),
        ("E12345678202403160230abcdefghij-", "E or D"),
        ("E12345678202403160230abcdéfghijk", "E or D"),
        ("E12345678202413160230abcdefghijk", "not a valid"),  # month 13
        ("E12345678202402300230abcdefghijk", "not a valid"),  # 30 February
        ("E12345678202403162430abcdefghijk", "not a valid"),  # hour 24
        ("E12345678202403160260abcdefghijk", "not a valid"),  # minute 60
        ("E12345678202403000230abcdefghijk", "not a valid"),  # day 0
        (None, "string"),
        (b"E12345678202403160230abcdefghijk", "string"),
    ],
)
def test_malformed_ids_are_refused(value, why):
    with pytest.raises(InvalidIdError, match=why):
        parse_end_to_end_id(value)


def test_msg_id():
    msg_id = new_msg_id(ISPB)
    assert len(msg_id) == 32
    assert re.fullmatch(r"M12345678[a-zA-Z0-9]{23}", msg_id)
    assert parse_msg_id(msg_id) == ISPB
    for bad in ("M12345678abc", "N12345678" + "a" * 23, "M1234567a" + "a" * 23, None):
        with pytest.raises(InvalidIdError):
            parse_msg_id(bad)


@settings(deadline=None)
@given(ispb=ispbs, now=moments, kind=st.sampled_from("ED"))
def test_parse_inverts_generation(ispb, now, kind):
    value = (new_end_to_end_id if kind == "E" else new_return_id)(ispb, now)
    minute = now.astimezone(UTC).replace(second=0, microsecond=0)
    assert parse_end_to_end_id(value) == (kind, ispb, minute)
