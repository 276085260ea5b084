"""Our BR Codes against starkbank-brcode (test-only dependency, imported as `brcode`).

Its API (brcode 1.1.0): `brcode.static.fromJson({key, name, city, txid, amount?,
description?, cashierBankCode?})` and `brcode.dynamic.fromJson({url, name, city, txid,
amount?})` build a code; `brcode.utils.brcodeId.jsonFromBrcode(text)` parses one into
{"26": {"00": ..., "01": ...}, "54": "12.34", ...}, checking the CRC and each length.

Pure tests: no database.
"""

from __future__ import annotations

import string

import pytest
from brcode import dynamic as stark_dynamic
from brcode import static as stark_static
from brcode.utils.brcodeId import jsonFromBrcode
from hypothesis import assume, given
from hypothesis import strategies as st

from apps.pix.codecs.brcode import decode, encode_dynamic, encode_static, max_description_length
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
    names,
    pix_keys,
    txids,
    urls,
)


def test_the_installed_brcode_is_starkbanks():
    import brcode

    assert brcode.version == "1.1.0"
    assert callable(stark_static.fromJson) and callable(jsonFromBrcode)


def _cents(text: str | None) -> int | None:
    if text is None:
        return None
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def stark_fields(text: str) -> dict:
    """What starkbank-brcode reads from a code, in our field names."""
    parsed = jsonFromBrcode(text)
    account = parsed["26"]
    reference = parsed.get("62", {}).get("05")
    return {
        "type": "dynamic" if "25" in account else "static",
        "key": account.get("01"),
        "url": account.get("25"),
        "amount_cents": _cents(parsed.get("54")),
        "merchant_name": parsed["59"],
        "merchant_city": parsed["60"],
        "txid": None if reference == "***" else reference,
        "description": account.get("02"),
        "postal_code": parsed.get("61"),
        "point_of_initiation": parsed.get("01"),
    }


def our_fields(text: str) -> dict:
    code = decode(text)
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


@pytest.mark.parametrize(
    "text",
    [
        BACEN_STATIC,
        BACEN_DYNAMIC,
        BACEN_COMPOSITE_STATIC,
        BACEN_COMPOSITE_DYNAMIC,
        BACEN_BRCODE_MANUAL,
        STARK_STATIC,
        STARK_WITHDRAWAL,
        STARK_DYNAMIC,
    ],
)
def test_both_read_the_published_codes_alike(text):
    assert our_fields(text) == stark_fields(text)


# Names and cities both libraries write the same way: ASCII, single spaces, no edges to trim.
ascii_words = st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=12)
ascii_names = st.lists(ascii_words, min_size=1, max_size=4).map(" ".join)
descriptions = st.one_of(
    st.none(),
    st.lists(ascii_words, min_size=1, max_size=4).map(" ".join),
)


@given(
    key=pix_keys,
    name=ascii_names,
    city=ascii_names,
    amount=amounts,
    txid=txids,
    description=descriptions,
)
def test_static_codes_are_identical_and_read_alike(key, name, city, amount, txid, description):
    if description is not None:
        assume(len(description) <= max_description_length(key))
    ours = encode_static(
        key=key,
        merchant_name=name,
        merchant_city=city,
        amount_cents=amount,
        txid=txid,
        description=description,
    )
    theirs = stark_static.fromJson(
        {
            "key": key,
            "name": name,
            "city": city,
            "txid": txid or "",
            "amount": amount,
            "description": description,
        }
    )
    # Stark cuts name and city without trimming the space a cut can leave at the end.
    if not (name[:25].endswith(" ") or city[:15].endswith(" ")):
        assert ours == theirs
    assert stark_fields(ours) == our_fields(ours)
    assert our_fields(theirs) == stark_fields(theirs)


@given(url=urls, name=ascii_names, city=ascii_names, amount=amounts, txid=txids)
def test_dynamic_codes_are_identical_and_read_alike(url, name, city, amount, txid):
    ours = encode_dynamic(
        url=url, merchant_name=name, merchant_city=city, amount_cents=amount, txid=txid
    )
    theirs = stark_dynamic.fromJson(
        {"url": url, "name": name, "city": city, "txid": txid or "", "amount": amount}
    )
    if not (name[:25].endswith(" ") or city[:15].endswith(" ")):
        assert ours == theirs
    assert stark_fields(ours) == our_fields(ours)
    assert our_fields(theirs) == stark_fields(theirs)


@given(key=pix_keys, name=names, city=names, amount=amounts, txid=txids)
def test_accented_input_both_ways(key, name, city, amount, txid):
    """Any text in: our ASCII code parses in Stark; Stark's (accents removed its way, maybe
    cut mid-space) decodes in ours to what Stark itself reads."""
    ours = encode_static(
        key=key, merchant_name=name, merchant_city=city, amount_cents=amount, txid=txid
    )
    assert stark_fields(ours) == our_fields(ours)
    theirs = stark_static.fromJson(
        {"key": key, "name": name, "city": city, "txid": txid or "", "amount": amount}
    )
    read = stark_fields(theirs)
    assume(read["merchant_name"].strip() and read["merchant_city"].strip())
    assume(read["merchant_name"].isascii() and read["merchant_city"].isascii())
    assert our_fields(theirs) == read


def test_withdrawal_code_from_stark_keeps_the_cashier():
    theirs = stark_static.fromJson(
        {
            "key": "4004901d-bd85-4769-8e52-cb4c42c506dc",
            "amount": 58205,
            "name": "Pix",
            "city": "BRASILIA",
            "txid": "87ea69f3ce744ce19d90787f1",
            "cashierBankCode": "99999008",
            "description": "Jornada pagador 85176",
        }
    )
    assert theirs == STARK_WITHDRAWAL
    assert decode(theirs).extra_fields == {"26.03": "99999008"}
