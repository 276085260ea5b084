"""Personal data at rest (issue #11): Pix keys, SPI messages, COAF communications and stored
API responses are encrypted in their columns (history tables too), keys are still found
by equality, and the data migrations encrypt existing rows and decrypt them back."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import FieldError
from django.db import IntegrityError, connection, transaction

from apps.core import crypto
from apps.core.crypto_migrations import JSON, LOOKUP, TEXT, decrypt_columns, encrypt_columns
from apps.core.models import IdempotencyRecord
from apps.pix.models import PixKey
from apps.simulators.dict.models import DictEntry
from tests.support.pix_keys import account_of, api_client, idem, person
from tests.support.pix_transfers import key_elsewhere


def raw(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_lookup_encryption_is_deterministic_and_reversible():
    token = crypto.encrypt_for_lookup("52998224725")
    assert token == crypto.encrypt_for_lookup("52998224725")
    assert token != crypto.encrypt_for_lookup("52998224726")
    assert "52998224725" not in token
    assert crypto.decrypt_for_lookup(token) == "52998224725"
    longest = crypto.encrypt_for_lookup("a" * 77)
    assert len(longest) <= crypto.lookup_token_length(77)


def test_a_token_made_with_another_key_does_not_decrypt(settings):
    token = crypto.encrypt_for_lookup("52998224725")
    settings.FIELD_HASH_KEY = "another hash key"
    with pytest.raises(ValueError):
        crypto.LookupEncryptedField().from_db_value(token, None, connection)


@pytest.mark.django_db
def test_pix_keys_are_encrypted_in_the_table_and_its_history_and_found_by_equality():
    customer = person()
    account = account_of(customer)
    response = api_client(customer).post(
        "/api/v1/pix/keys",
        {"account": account.pk, "type": "CPF", "key": customer.tax_id},
        format="json",
        **idem(),
    )
    assert response.status_code == 201, response.json()
    assert response.json()["key"] == customer.tax_id
    for table in ("pix_pixkey", "pix_historicalpixkey", "pix_dictentry"):
        stored = [row[0] for row in raw(f"SELECT key FROM {table}")]
        assert stored and all(value.startswith("siv:") for value in stored), table
        assert not any(customer.tax_id in value for value in stored)
    # Look-ups by the value (the DICT simulator's, the key services') still find the row.
    assert PixKey.objects.get(key=customer.tax_id).customer == customer
    assert PixKey.objects.filter(key__in=[customer.tax_id, "x"]).count() == 1
    assert DictEntry.objects.filter(key__iexact=customer.tax_id).count() == 1  # admin search
    with pytest.raises(FieldError):
        PixKey.objects.filter(key__contains=customer.tax_id[:5]).count()
    # The stored response of the idempotent request names the key: encrypted too.
    (body,) = raw("SELECT response_body::text FROM core_idempotencyrecord")[0]
    assert customer.tax_id not in body and isinstance(json.loads(body), str)
    record = IdempotencyRecord.objects.get()
    assert record.response_body["key"] == customer.tax_id


@pytest.mark.django_db
def test_the_data_migration_encrypts_clear_rows_and_decrypts_them_back():
    """What 0011 (pix), 0003 (simulators) and 0009 (core) do to rows written in clear."""
    cpf = key_elsewhere()  # a DictEntry
    (entry_id,) = raw("SELECT id FROM pix_dictentry")[0]
    record = IdempotencyRecord.objects.create(
        scope="s", key="k", fingerprint="f", status_code=201, response_body={"a": 1}
    )
    # As before the migrations: the columns in clear.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE pix_dictentry SET key = %s WHERE id = %s", [cpf, entry_id])
        cursor.execute(
            "UPDATE core_idempotencyrecord SET response_body = %s::jsonb WHERE id = %s",
            [json.dumps({"key": cpf}), record.pk],
        )
    tables = [
        ("pix_dictentry", "id", {"key": LOOKUP}),
        ("core_idempotencyrecord", "id", {"response_body": JSON}),
        ("pix_spisimulatedmessage", "id", {"xml": TEXT}),
    ]
    # Rows still in clear read as they are (no error while the migration has not run).
    assert IdempotencyRecord.objects.get(pk=record.pk).response_body == {"key": cpf}

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    encrypt_columns(tables)(None, editor)
    encrypt_columns(tables)(None, editor)  # twice: encrypted rows are left alone
    assert raw("SELECT key FROM pix_dictentry")[0][0].startswith("siv:")
    assert cpf not in raw("SELECT response_body::text FROM core_idempotencyrecord")[0][0]
    assert DictEntry.objects.get(key=cpf).pk == entry_id
    assert IdempotencyRecord.objects.get(pk=record.pk).response_body == {"key": cpf}

    decrypt_columns(tables)(None, editor)
    assert raw("SELECT key FROM pix_dictentry")[0][0] == cpf
    assert json.loads(raw("SELECT response_body::text FROM core_idempotencyrecord")[0][0]) == {
        "key": cpf
    }


@pytest.mark.django_db
def test_the_coaf_migration_rewrites_a_finalized_report_and_its_guard_stays_on(settings):
    """monitoring 0003: a finalized communication is immutable (a trigger); its columns are
    encrypted all the same, and the guard is back on afterwards."""
    from apps.monitoring import services as monitoring
    from apps.monitoring.models import CoafReport
    from tests.support.monitoring import (
        alerts_of,
        drain_all,
        funded_account,
        officer,
        only_rules,
        transfer,
    )

    settings.OUTBOX_KICK_ON_COMMIT = False
    only_rules("structuring")
    payer, payee = funded_account(5_000_000), funded_account(0)
    drain_all()
    for cents in (950_000, 920_000, 999_999):
        transfer(payer, payee, cents)
    drain_all()
    alert = alerts_of(payer, "structuring").get()
    first, second = officer(), officer()
    monitoring.alert_transition(alert=alert, name="start_analysis", actor=first)
    monitoring.alert_transition(alert=alert, name="escalate", actor=first, reason="x")
    report = monitoring.coaf_report_prepare(alert=alert, actor=first, reasoning="y")
    report = monitoring.coaf_report_approve(report=report, actor=second)
    assert report.state == CoafReport.State.FINALIZED
    cpf = payer.customer.tax_id
    tables = [("monitoring_coafreport", "id", {"parties": JSON, "data": JSON})]
    guard = [("monitoring_coafreport", "monitoring_coafreport_final_guard")]

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    decrypt_columns(tables, disable_triggers=guard)(None, editor)  # as before 0003
    assert cpf in raw("SELECT parties::text FROM monitoring_coafreport")[0][0]
    encrypt_columns(tables, disable_triggers=guard)(None, editor)
    assert cpf not in raw("SELECT parties::text || data::text FROM monitoring_coafreport")[0][0]
    assert CoafReport.objects.get(pk=report.pk).parties[0]["cpf_cnpj"] == cpf
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE monitoring_coafreport SET reasoning = 'z' WHERE id = %s", [report.pk]
        )
