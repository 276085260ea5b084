import pytest
from django.db import connection

from apps.accounts.services import customer_register
from apps.core.documents import mask_tax_id, tax_id_kind
from apps.core.errors import Conflict, ValidationFailed
from tests.factories.users import UserFactory


@pytest.mark.django_db
def test_tax_id_is_encrypted_at_rest_and_found_by_keyed_hash():
    customer = customer_register(
        user=UserFactory(), full_name="Maria  Silva", tax_id="529.982.247-25"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tax_id, tax_id_hash FROM accounts_customer WHERE id=%s", [customer.pk]
        )
        stored, digest = cursor.fetchone()
    assert "52998224725" not in stored
    assert len(digest) == 64 and "52998224725" not in digest
    customer.refresh_from_db()
    assert customer.tax_id == "52998224725"
    assert customer.full_name == "Maria Silva"


@pytest.mark.django_db
def test_duplicate_document_is_refused_whatever_the_punctuation():
    customer_register(user=UserFactory(), full_name="Maria Silva", tax_id="52998224725")
    with pytest.raises(Conflict):
        customer_register(user=UserFactory(), full_name="Outra Pessoa", tax_id="529.982.247-25")


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("529.982.247-25", "person"),
        ("111.111.111-11", None),
        ("12.ABC.345/01DE-35", "company"),
        ("12abc34501de35", "company"),
        ("11.222.333/0001-81", "company"),
        ("11.222.333/0001-80", None),
        ("", None),
    ],
)
def test_tax_id_kind(value, kind):
    assert tax_id_kind(value) == kind


def test_mask():
    assert mask_tax_id("52998224725") == "***.982.247-**"


@pytest.mark.django_db
def test_invalid_document_refused():
    with pytest.raises(ValidationFailed):
        customer_register(user=UserFactory(), full_name="Fulano", tax_id="111.111.111-11")
