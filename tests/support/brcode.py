"""BR Codes published by BACEN and Stark Bank, and hypothesis strategies for BR Code fields,
shared by the BR Code tests."""

from __future__ import annotations

import string

from hypothesis import strategies as st

from apps.pix.codecs.brcode import (
    plain_ascii,
)

# BACEN, Manual de Padrões para Iniciação do Pix: static (key only), dynamic, and the two
# composite examples (Pix Automático: an 80 template carrying the recurrence URL).
BACEN_STATIC = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
    "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)


BACEN_DYNAMIC = (
    "00020101021226700014br.gov.bcb.pix2548pix.example.com/8b3da2f39a4140d1a91abd93113bd441"
    "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***630464E4"
)


BACEN_COMPOSITE_STATIC = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
    "5204000053039865406100.505802BR5913Fulano de Tal6008BRASILIA62070503***"
    "80740014br.gov.bcb.pix2552pix.example.com/rec/2353c790eefb11eaadc10242ac120002"
    "63042875"
)


BACEN_COMPOSITE_DYNAMIC = (
    "00020101021226700014br.gov.bcb.pix2548pix.example.com/8b3da2f39a4140d1a91abd93113bd441"
    "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***"
    "80740014br.gov.bcb.pix2552pix.example.com/rec/2353c790eefb11eaadc10242ac120002"
    "6304FB42"
)


# BACEN, Manual do BR Code: Pix next to other arrangements (04, 27, 80), a postal code and a
# reference label with a hyphen.
BACEN_BRCODE_MANUAL = (
    "000201041412345678901234"
    "26580014BR.GOV.BCB.PIX0136123e4567-e12b-12d1-a456-426655440000"
    "27300012BR.COM.OUTRO01100123456789"
    "5204000053039865406123.455802BR5917NOME DO RECEBEDOR6008BRASILIA6108700749006219"
    "0515RP12345678-201980390012BR.COM.OUTRO01190123.ABCD.3456.WXYZ6304AD38"
)


# starkbank-brcode's own test vectors.
STARK_STATIC = (
    "00020126360014br.gov.bcb.pix0114arya@stark.com5204000053039865406125.005802BR"
    "5925Arya Stark with a very lo6015Pindamonhangaba62290525verylongreconciliationidt630405B7"
)


STARK_WITHDRAWAL = (
    "00020126950014br.gov.bcb.pix01364004901d-bd85-4769-8e52-cb4c42c506dc0221Jornada pagador"
    " 851760308999990085204000053039865406582.055802BR5903Pix6008BRASILIA62290525"
    "87ea69f3ce744ce19d90787f16304A76D"
)


STARK_DYNAMIC = (
    "00020101021226800014br.gov.bcb.pix2558invoice.starkbank.com/f5333103-3279-4db2-8389-"
    "5efe335ba93d5204000053039865802BR5925Arya Stark with a very lo6015Pindamonhangaba6220"
    "05165656565656565656630435F6"
)


def _cpf_check(numbers: list[int]) -> list[int]:
    for _ in range(2):
        total = sum(n * w for n, w in zip(numbers, range(len(numbers) + 1, 1, -1), strict=True))
        numbers = [*numbers, (total * 10 % 11) % 10]
    return numbers


LATIN = "áàâãäçéêëíîïñóôõöúûüÁÀÂÃÇÉÊÍÓÔÕÚÜ"


digits = "0123456789"


cpfs = st.lists(st.integers(0, 9), min_size=9, max_size=9).map(
    lambda ns: "".join(map(str, _cpf_check(ns)))
)


cnpjs = st.one_of(
    st.text(alphabet=digits, min_size=14, max_size=14),
    st.builds(
        lambda head, tail: head + tail,
        st.text(alphabet=string.ascii_uppercase + digits, min_size=12, max_size=12),
        st.text(alphabet=digits, min_size=2, max_size=2),
    ),
)


phones = st.builds(
    lambda ddd, number: f"+55{ddd}9{number}",
    st.integers(11, 99),
    st.text(alphabet=digits, min_size=8, max_size=8),
)


emails = st.emails().filter(lambda e: len(e) <= 77 and e.isascii() and " " not in e)


evps = st.uuids().map(str)


human_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(string.ascii_letters + digits + " .,-&'/" + LATIN),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    min_size=1,
    max_size=40,
)


pix_keys = st.one_of(cpfs, cnpjs, phones, emails, evps)


names = human_text.filter(lambda t: plain_ascii(t) != "")


amounts = st.one_of(st.none(), st.integers(1, 999_999_999_999))


txids = st.one_of(
    st.none(), st.text(alphabet=string.ascii_letters + digits, min_size=1, max_size=25)
)


urls = st.builds(
    lambda host, path: f"{host}/{path}",
    st.sampled_from(["pix.example.com/qr/v2", "qr.athena.example/cob", "pix.bank.com.br/v2/cobv"]),
    st.text(alphabet=string.ascii_lowercase + digits + "-", min_size=1, max_size=40),
)
