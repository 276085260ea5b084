"""The participant directory: the fixed API, search, reloading, and Pix reading it."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from rest_framework.test import APIClient

from apps.pix import selectors as pix_selectors
from apps.wire import selectors
from apps.wire.directory.selectors import forget
from apps.wire.models import Participant
from apps.wire.services import directory_load

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_messages():
    # These tests read the messages' English wording (the portal's second language); the
    # pt-BR catalog is checked by tests/core/test_untranslated.py.
    with translation.override("en"):
        yield


def test_compe_and_ispb_answer_the_same_participant_to_anyone():
    client = APIClient()
    by_compe = client.get("/api/v1/banks/260")
    by_ispb = client.get("/api/v1/banks/18236120")
    assert by_compe.status_code == by_ispb.status_code == 200
    assert by_compe.json() == by_ispb.json()
    assert by_compe.json()["compe"] == "260"
    assert by_compe.json()["ispb"] == "18236120"
    assert "NU PAGAMENTOS" in by_compe.json()["name"]


@pytest.mark.parametrize("code", ["999", "12345678", "abc", "26", "%00", "1" * 300])
def test_an_unknown_code_is_404_with_the_error_shape(code):
    response = APIClient().get(f"/api/v1/banks/{code}")
    assert response.status_code in (400, 404)
    assert response["Content-Type"].startswith("application/problem+json")


def test_bank_of_brazil_keeps_its_leading_zeros():
    response = APIClient().get("/api/v1/banks/001")
    assert response.json()["ispb"] == "00000000"
    assert APIClient().get("/api/v1/banks/00000000").json()["compe"] == "001"


def test_search_by_name_accents_and_code():
    names = [b["name"] for b in APIClient().get("/api/v1/banks", {"search": "itau"}).json()]
    assert any("ITAÚ UNIBANCO" in name for name in names)
    assert APIClient().get("/api/v1/banks", {"search": "341"}).json()[0]["compe"] == "341"
    assert APIClient().get("/api/v1/banks", {"limit": "0"}).status_code == 400


def test_pix_reads_the_same_directory():
    assert pix_selectors.by_ispb("18236120").compe == "260"
    Participant.objects.filter(ispb="18236120").update(name="NUBANK RENAMED")
    forget()
    try:
        assert pix_selectors.by_ispb("18236120").name == "NUBANK RENAMED"
    finally:
        forget()  # the rename is rolled back with the test; the cache must not keep it


def test_refresh_reloads_and_a_bad_file_changes_nothing(tmp_path):
    before = Participant.objects.count()
    bad = tmp_path / "bancos.csv"
    bad.write_text(
        "COMPE,ISPB,ShortName,LongName,Network,PixType\n260,18236120,NU,,RSFN,DRCT\nXX1,1,,,,\n"
    )
    with pytest.raises(CommandError, match="Line 3"):
        call_command("refresh_banks", file=str(bad))
    assert Participant.objects.count() == before
    good = tmp_path / "small.csv"
    good.write_text(
        "COMPE,ISPB,ShortName,LongName,Network,PixType\n260,18236120,NU,Nu Pagamentos,RSFN,DRCT\n"
    )
    result = directory_load(text=good.read_text())
    assert (result.created, result.updated, result.removed) == (0, 1, before - 1)
    assert selectors.bank_by_code("001") is None
    directory_load()
    assert Participant.objects.count() == before
    assert selectors.bank_by_code("001").ispb == "00000000"
