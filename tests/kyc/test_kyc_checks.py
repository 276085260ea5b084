"""Each automatic KYC check on its own, the upload validation (no garbage gets through,
none makes a 500) and the face match on real photos."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from PIL import Image

from apps.core.documents import synthetic_cpf
from apps.core.errors import ValidationFailed
from apps.kyc import checks
from apps.kyc.uploads import MAX_UPLOAD_BYTES, check_upload
from tests.support.kyc import (
    document_photo,
    no_face,
    pdf_bytes,
    selfie_other_person,
    selfie_same_person,
)

# --- identity ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the default language is pt-BR."""
    with translation.override("en"):
        yield


def test_tax_id_check_digits():
    assert checks.check_tax_id(tax_id=synthetic_cpf(7), kind="person").passed
    assert checks.check_tax_id(tax_id="111.111.111-11", kind="person").outcome == checks.FAIL
    bad = synthetic_cpf(7)[:-1] + str((int(synthetic_cpf(7)[-1]) + 1) % 10)
    assert checks.check_tax_id(tax_id=bad, kind="person").outcome == checks.FAIL
    assert checks.check_tax_id(tax_id="12.ABC.345/01DE-35", kind="company").passed
    assert checks.check_tax_id(tax_id="12.ABC.345/01DE-35", kind="person").outcome == checks.FAIL


def test_name_consistency_ignores_accents_case_and_spacing():
    assert checks.check_name(declared="joão  da SILVA", holder="João da Silva").passed
    assert checks.check_name(declared="Joao da Silva", holder="João da Silva").passed
    assert not checks.check_name(declared="João Silva", holder="João da Silva").passed
    assert not checks.check_name(declared="  ", holder="João da Silva").passed


@given(st.text(max_size=40))
def test_normalized_names_are_plain_upper_ascii(name):
    normalized = checks.normalize_name(name)
    assert normalized == normalized.strip() and "  " not in normalized
    assert all(c == " " or ("A" <= c <= "Z") for c in normalized)
    assert checks.normalize_name(normalized) == normalized


def test_birth_date_makes_an_adult():
    today = date(2026, 6, 15)
    assert checks.check_birth_date(birth_date=date(2008, 6, 15), today=today).passed
    assert not checks.check_birth_date(birth_date=date(2008, 6, 16), today=today).passed
    assert not checks.check_birth_date(birth_date=None, today=today).passed
    assert not checks.check_birth_date(birth_date=date(2027, 1, 1), today=today).passed
    assert not checks.check_birth_date(birth_date=date(1850, 1, 1), today=today).passed


def _anniversary(born: date, years: int) -> date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February in a common year: the birthday is 1 March
        return date(born.year + years, 3, 1)


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2090, 1, 1)),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2090, 1, 1)),
)
def test_age_is_whole_years_since_birth(born, today):
    if born > today:
        born, today = today, born
    age = checks.age_on(born, today)
    assert age >= 0
    assert _anniversary(born, age) <= today < _anniversary(born, age + 1)


# --- screening ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_screening_is_clear_for_an_unlisted_name_and_flags_a_watchlisted_one():
    from apps.compliance.models import WatchlistEntry
    from apps.compliance.services import invalidate_index
    from tests.support.kyc import holder

    clear = checks.check_screening(customer=holder("Maria Souza Lima"))
    assert clear.outcome == checks.PASS
    WatchlistEntry.objects.create(name="Joaquim Teixeira Barbosa", reason="test list")
    invalidate_index()
    try:
        hit = checks.check_screening(customer=holder("Joaquim Teixeira Barbosa"))
    finally:
        invalidate_index()
    assert hit.outcome == checks.FAIL
    assert hit.data["hits"] and "Joaquim" in str(hit.data["hits"][0])


@pytest.mark.django_db
def test_kyc_screening_is_recorded_with_its_context_and_the_declared_birth_date():
    from apps.compliance.models import ScreeningResult
    from tests.support.kyc import BIRTH, holder

    customer = holder("Maria Souza Lima")
    assert checks.check_screening(customer=customer, birth_date=BIRTH).passed
    recorded = ScreeningResult.objects.filter(customer=customer, context="kyc").get()
    assert recorded.birth_date == BIRTH and recorded.hit_count == 0


# --- uploads ------------------------------------------------------------------------------


def test_png_jpeg_and_pdf_are_recognised_from_their_bytes():
    assert check_upload(kind="cnh", content=document_photo()).content_type == "image/png"
    assert check_upload(kind="selfie", content=selfie_same_person()).content_type == "image/jpeg"
    proof = check_upload(kind="proof_of_income", content=pdf_bytes())
    assert proof.content_type == "application/pdf"


@pytest.mark.parametrize(
    "kind,content,message",
    [
        ("cnh", b"", "empty"),
        ("cnh", b"not an image at all", "PNG or JPEG"),
        ("cnh", None, "PDF"),  # a PDF where a photo is needed
        ("selfie", b"GIF89a" + b"\x00" * 50, "PNG or JPEG"),
        ("selfie", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PNG or JPEG"),  # truncated PNG
        ("proof_of_address", b"<html>hi</html>", "PDF"),
    ],
)
def test_bad_uploads_are_refused_with_a_field_error(kind, content, message):
    content = pdf_bytes() if content is None else content
    with pytest.raises(ValidationFailed) as caught:
        check_upload(kind=kind, content=content)
    assert caught.value.field == "file" and message in caught.value.message


def test_other_image_formats_and_oversize_files_are_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="BMP")
    with pytest.raises(ValidationFailed):
        check_upload(kind="cnh", content=buffer.getvalue())
    with pytest.raises(ValidationFailed) as caught:
        check_upload(kind="cnh", content=b"\xff\xd8" + b"0" * MAX_UPLOAD_BYTES)
    assert "5 MB" in caught.value.message


@hsettings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048), st.sampled_from(["cnh", "selfie", "proof_of_address"]))
def test_garbage_never_escapes_as_anything_but_a_validation_error(content, kind):
    try:
        result = check_upload(kind=kind, content=content)
    except ValidationFailed as exc:
        assert exc.field == "file"
    else:
        assert result.content_type in {"image/png", "image/jpeg", "application/pdf"}


# --- face match (real photos) -------------------------------------------------------------


def test_same_person_resized_and_cropped_matches(settings):
    settings.KYC_FACE_MATCH_THRESHOLD = 0.6
    outcome = checks.check_face_match(selfie=selfie_same_person(), document=document_photo())
    assert outcome.passed
    assert outcome.data["threshold"] == 0.6 and outcome.data["distance"] < 0.6


def test_different_person_does_not_match():
    outcome = checks.check_face_match(selfie=selfie_other_person(), document=document_photo())
    assert outcome.outcome == checks.FAIL and outcome.data["distance"] > 0.6


def test_threshold_comes_from_settings(settings):
    settings.KYC_FACE_MATCH_THRESHOLD = 0.05
    outcome = checks.check_face_match(selfie=selfie_same_person(), document=document_photo())
    assert outcome.outcome == checks.FAIL
    assert outcome.data["threshold"] == 0.05 and outcome.data["distance"] > 0.05


def test_no_face_is_said_so():
    outcome = checks.check_face_match(selfie=no_face(), document=document_photo())
    assert outcome.outcome == checks.FAIL and "No face found in the selfie" in outcome.detail
    outcome = checks.check_face_match(selfie=selfie_same_person(), document=no_face())
    assert "No face found in the document" in outcome.detail
    assert checks.check_face_match(selfie=None, document=document_photo()).outcome == checks.FAIL
