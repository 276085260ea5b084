"""Acceptance (issue 5, LGPD): a customer's data export contains their data and nobody
else's; after an erasure request their personal data is gone from the live tables and
history except what the retention rule keeps."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps as django_apps
from django.contrib.sessions.models import Session
from django.db import connection, models
from django.test import Client
from django.utils import timezone, translation
from PIL import Image

from apps.accounts.models import Account, Customer, Posting
from apps.accounts.services import deposit
from apps.core.crypto import LookupEncryptedField
from apps.core.models import AuditEvent, User
from apps.kyc import services as kyc_services
from apps.kyc.models import KycDocument
from apps.pix.codecs.keys import KeyType
from apps.pix.keys import services as pix_services
from apps.pix.models import PixKey, PixTransfer
from apps.pix.transfers.services.send import pix_send
from apps.privacy import services
from apps.privacy.models import DataSubjectRequest, Erasure, RetainedRecord
from apps.privacy.selectors import customer_data_export
from tests.factories.users import UserFactory
from tests.support.pix_keys import _clean_sms_outbox, mail_code, new_cpf, sms_code  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the default language is pt-BR."""
    with translation.override("en"):
        yield


def _png(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (seed * 40 % 256, 80, 120)).save(buffer, format="PNG")
    return buffer.getvalue()


def _customer_everywhere(
    capture, *, name: str, email: str, phone: str, key_email: str, amount: int
):
    """A customer with data in every table we know: user, customer, account and postings,
    phone/e-mail/random Pix keys, an MFA device, a verified address, a live session."""
    from apps.accounts.services import customer_activate, customer_register

    user = UserFactory(email=email, full_name=name)
    cpf = new_cpf()
    customer = customer_register(user=user, full_name=name, tax_id=cpf)
    # Onboarded: active at KYC level 0 with its payment account (only an active customer
    # may pay).
    customer_activate(customer_id=customer.pk, reason="onboarding complete")
    customer.refresh_from_db()
    account = Account.objects.get(customer=customer)
    deposit(account_id=account.pk, amount_cents=amount, description="deposito inicial")
    with capture(execute=True):
        phone_key = pix_services.key_register(account=account, key_type=KeyType.PHONE, key=phone)
    pix_services.key_confirm_ownership(pix_key=phone_key, code=sms_code())
    with capture(execute=True):
        mail_key = pix_services.key_register(account=account, key_type=KeyType.EMAIL, key=key_email)
    pix_services.key_confirm_ownership(pix_key=mail_key, code=mail_code())
    evp = pix_services.key_register(account=account, key_type=KeyType.EVP)
    kyc = kyc_services.kyc_request_create(customer=customer, target_level=2, declared_name=name)
    selfie = kyc_services.kyc_document_add(request=kyc, kind="selfie", content=_png(1))
    rg = kyc_services.kyc_document_add(request=kyc, kind="rg_front", content=_png(2))
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client = Client()
    client.force_login(user)
    return {
        "customer": customer,
        "user": user,
        "account": account,
        "cpf": cpf,
        "name": name,
        "email": email,
        "phone": phone,
        "key_email": key_email,
        "evp": evp.key,
        "client": client,
        "kyc": kyc,
        "selfie": selfie,
        "rg": rg,
    }


@pytest.fixture
def two_customers(django_capture_on_commit_callbacks):
    ana = _customer_everywhere(
        django_capture_on_commit_callbacks,
        name="Ana Beatriz Quintela",
        email="ana.quintela@example.com",
        phone="+5511987650001",
        key_email="ana.pix@example.com",
        amount=10_000,
    )
    bruno = _customer_everywhere(
        django_capture_on_commit_callbacks,
        name="Bruno Teixeira Vasconcelos",
        email="bruno.vasconcelos@example.com",
        phone="+5521912340002",
        key_email="bruno.pix@example.com",
        amount=50_000,
    )
    # Money both ways between them: each appears in the other's Pix history.
    pix_send(account=bruno["account"], key=ana["phone"], amount_cents=2_500, description="aluguel")
    pix_send(account=ana["account"], key=bruno["key_email"], amount_cents=12_500, description="x")
    return ana, bruno


def _secrets_of(person: dict) -> list[str]:
    cpf = person["cpf"]
    formatted = f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"
    return [
        person["name"],
        person["email"],
        person["phone"],
        person["key_email"],
        person["evp"],
        cpf,
        formatted,
        person["account"].number,
    ]


def test_export_contains_their_data_and_nobody_elses(two_customers):
    ana, bruno = two_customers
    data = customer_data_export(ana["customer"])
    text = json.dumps(data, ensure_ascii=False)
    for secret in _secrets_of(ana)[:-2]:
        assert secret in text, secret
    for secret in _secrets_of(bruno):
        assert secret not in text, secret
    assert data["customer"]["tax_id"] == ana["cpf"]
    assert {k["type"] for k in data["pix"]["keys"]} == {"PHONE", "EMAIL", "EVP"}
    assert len(data["pix"]["transfers"]) == 2
    directions = sorted(t["direction"] for t in data["pix"]["transfers"])
    assert directions == ["in", "out"]
    # The counterparty shows as the statement would: institution and masked document.
    for transfer in data["pix"]["transfers"]:
        assert transfer["counterparty"]["document"].startswith("***.")
    assert len(data["postings"]) == Posting.objects.filter(account=ana["account"]).count()
    assert len(data["user"]["sessions"]) == 1
    assert data["user"]["mfa_authenticators"][0]["type"] == "totp"
    assert "secret" not in json.dumps(data["user"]["mfa_authenticators"])
    # KYC: the request and the documents' metadata with a link, never their bytes.
    assert [r["id"] for r in data["kyc"]["requests"]] == [ana["kyc"].pk]
    documents = {d["kind"]: d for d in data["kyc"]["documents"]}
    assert set(documents) == {"selfie", "rg_front"}
    assert documents["selfie"]["download_url"].endswith(f"/kyc/documents/{ana['selfie'].pk}")
    assert "content_encrypted" not in documents["selfie"]


def _text_columns(model) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, (models.CharField, models.TextField, models.EmailField))
    ]


def _lookup_encrypted(model) -> set[str]:
    return {f.attname for f in model._meta.concrete_fields if isinstance(f, LookupEncryptedField)}


def _rows_holding(value: str) -> dict[str, int]:
    """Every table (live and historical) with a text column equal to or containing value."""
    found: dict[str, int] = {}
    tables = set(connection.introspection.table_names())
    for model in django_apps.get_models():
        if model._meta.proxy or not model._meta.managed or model._meta.db_table not in tables:
            continue
        columns = _text_columns(model)
        if not columns:
            continue
        query = models.Q()
        for column in columns:
            # An encrypted key column holds whole keys, found by equality only.
            lookup = "exact" if column in _lookup_encrypted(model) else "contains"
            query |= models.Q(**{f"{column}__{lookup}": value})
        count = model._default_manager.filter(query).count()
        if count:
            found[model._meta.label] = count
    return found


def test_erasure_removes_personal_data_and_keeps_retained_records(two_customers):
    ana, bruno = two_customers
    customer = ana["customer"]
    postings_before = set(
        Posting.objects.filter(account=ana["account"]).values_list("pk", flat=True)
    )
    assert Account.objects.with_balances().get(pk=ana["account"].pk).total_balance == 0
    officer = UserFactory(is_staff=True)

    services.privacy_request_create(
        customer=customer, kind="correction", field="full_name", new_value=ana["name"] + " Jr"
    )
    req = services.privacy_request_create(customer=customer, kind="erasure", actor=ana["user"])
    assert req.state == "received"
    req = services.customer_erase(req=req, actor=officer)
    assert req.state == "completed", req.answer
    assert req.answered_at is not None and req.handled_by == officer

    # Live tables and every history table: the name, login e-mail and phone/e-mail keys
    # are nowhere, except the records the law keeps (audit trail, Pix messages of others).
    retained_tables = {
        "core.AuditEvent",
        "pix.PixTransfer",
        "pix.HistoricalPixTransfer",
        "kyc.KycRequest",
        "kyc.HistoricalKycRequest",
    }
    for secret in (ana["name"], ana["email"], ana["phone"], ana["key_email"]):
        holding = _rows_holding(secret)
        assert set(holding) <= retained_tables, (secret, holding)

    user = User.objects.get(pk=ana["user"].pk)
    assert user.email.endswith(".invalid") and user.full_name == services.ERASED_NAME
    assert not user.is_active and not user.has_usable_password()
    assert Customer.objects.get(pk=customer.pk).full_name == services.ERASED_NAME
    assert Customer.objects.get(pk=customer.pk).state == Customer.State.CLOSED
    assert not PixKey.objects.filter(customer=customer, state=PixKey.State.ACTIVE).exists()
    assert not PixKey.objects.filter(key__in=[ana["phone"], ana["key_email"]]).exists()
    assert not PixKey.history.filter(key__in=[ana["phone"], ana["key_email"]]).exists()
    assert not User.history.filter(email=ana["email"]).exists()
    assert not Customer.history.filter(full_name=ana["name"]).exists()
    assert not Authenticator.objects.filter(user=user).exists()
    assert not EmailAddress.objects.filter(user=user).exists()
    for session in Session.objects.all():
        assert session.get_decoded().get("_auth_user_id") != str(user.pk)
    assert ana["client"].get("/").status_code in (302, 200)
    assert "_auth_user_id" not in ana["client"].session

    # The ledger stays, flagged retained for 10 years after the relationship ended.
    postings_after = set(
        Posting.objects.filter(account=ana["account"]).values_list("pk", flat=True)
    )
    assert postings_after == postings_before
    flagged = RetainedRecord.objects.filter(model="accounts.Posting")
    assert set(flagged.values_list("object_id", flat=True)) == {str(pk) for pk in postings_before}
    erasure = Erasure.objects.get(customer=customer)
    ten_years = timezone.localdate().replace(year=timezone.localdate().year + 10)
    assert erasure.retention_until == ten_years
    assert all(r.retention_until == ten_years for r in flagged)
    assert (
        RetainedRecord.objects.filter(
            model="pix.PixTransfer",
            object_id__in=[str(t.pk) for t in PixTransfer.objects.all()],
        ).count()
        == 2
    )
    assert Account.objects.get(pk=ana["account"].pk).state == Account.State.CLOSED
    # KYC: identification retained and blocked; the selfie's biometric bytes are gone.
    selfie = KycDocument.objects.get(pk=ana["selfie"].pk)
    assert bytes(selfie.content_encrypted) == b"" and selfie.size == 0
    assert bytes(KycDocument.objects.get(pk=ana["rg"].pk).content_encrypted) != b""
    assert RetainedRecord.objects.filter(model="kyc.KycDocument", object_id=str(ana["rg"].pk))
    assert RetainedRecord.objects.filter(model="kyc.KycRequest", object_id=str(ana["kyc"].pk))

    # The other customer is untouched.
    bruno_customer = Customer.objects.get(pk=bruno["customer"].pk)
    assert bruno_customer.full_name == bruno["name"]
    assert PixKey.objects.filter(key=bruno["phone"], state=PixKey.State.ACTIVE).exists()
    assert User.objects.get(pk=bruno["user"].pk).email == bruno["email"]

    # The request and its answer are recorded, and the erasure audited.
    assert DataSubjectRequest.history.filter(id=req.pk).count() >= 2
    assert AuditEvent.objects.filter(
        object_type="privacy.DataSubjectRequest",
        object_id=str(req.pk),
        detail__event="privacy.erased",
    ).exists()


def test_erasure_refused_while_money_remains(two_customers):
    _ana, bruno = two_customers
    req = services.privacy_request_create(customer=bruno["customer"], kind="erasure")
    assert req.state == "refused"
    assert "close the account" in req.answer
    assert req.answered_at is not None
    assert Customer.objects.get(pk=bruno["customer"].pk).full_name == bruno["name"]
    assert not Erasure.objects.exists()
    # An erasure requested before the money arrived is refused when it is carried out.
    deposit(account_id=bruno["account"].pk, amount_cents=1, description="x")
    assert req.due_at - req.requested_at == timedelta(days=15)
