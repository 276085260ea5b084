"""The IDOR matrix (issue #11): no customer reaches another customer's object.

Customer A builds one object of every kind through the APIs and services (account and
statement, Pix sent, received, scheduled and refunded, keys, a claim, an infraction report, a
cob, a cobv, a location, a webhook, a KYC request with a document, privacy requests, an API
client, a loan offer). Then customer B:
- asks every object endpoint of the schema, and every portal URL with an object in its path,
  with A's ids and a body that would be valid for A: each answer must be 404 or 403;
- asks every list (each GET without a path parameter, API and portal): no answer may carry any
  of A's identifying strings.

The endpoints are enumerated from the schema and the URL resolver: a new object endpoint
with no entry in the matrix below (and no reason to be outside it) fails the suite, so
nobody adds an endpoint without covering it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from apps.accounts.models import Customer
from apps.cards.services import AuthRequest, authorize, card_issue
from apps.core.api_clients import api_client_create
from apps.core.due_amounts import B3, next_business_day
from apps.kyc.models import KycRequest
from apps.loans.models import Loan
from apps.loans.services import loan_apply, loan_decide_by_person, loan_reopen_for_review
from apps.pix.keys.services import key_register
from apps.pix.models import InfractionReport
from apps.wire.services.favourites import favourite_save
from tests.factories.customers import new_cpf
from tests.factories.ledger import funded_account
from tests.support.boletos import boleto_elsewhere
from tests.support.kyc import document_photo
from tests.support.pix_keys import owner_as_dict, person, register_elsewhere
from tests.support.pix_med import reported
from tests.support.pix_received import Receiver, receive_pix
from tests.support.pix_transfers import key_elsewhere

pytestmark = pytest.mark.django_db

A_NAME = "Ana Vitima Pereira"
HOOK = "https://a-hooks.example.com/pix/webhook/"
V2 = "/api/pix/v2"

# Each object endpoint of the API: (METHOD, path) -> the body B sends (valid for A).
# The path's {parameters} are filled from A's world (World.params).
API_OBJECTS: dict[tuple[str, str], dict | None] = {
    ("GET", "/api/v1/accounts/{account_id}/statement"): None,
    ("GET", "/api/v1/accounts/{account_id}/statement.csv"): None,
    ("GET", "/api/v1/accounts/{account_id}/statement.ofx"): None,
    ("GET", "/api/v1/accounts/{account_id}/statement.pdf"): None,
    ("GET", "/api/v1/kyc/documents/{document_id}"): None,
    ("GET", "/api/v1/kyc/requests/{request_id}"): None,
    ("POST", "/api/v1/kyc/requests/{request_id}/documents"): {"kind": "selfie"},
    ("POST", "/api/v1/kyc/requests/{request_id}/submit"): {},
    ("POST", "/api/v1/kyc/review/{request_id}/approve"): {"reason": "ok"},
    ("POST", "/api/v1/kyc/review/{request_id}/needs-info"): {"reason": "more"},
    ("POST", "/api/v1/kyc/review/{request_id}/reject"): {"reason": "no"},
    ("POST", "/api/v1/pix/claims/{claim_id}/cancel"): {},
    ("POST", "/api/v1/pix/claims/{claim_id}/confirm"): {},
    ("POST", "/api/v1/pix/infractions/{report_id}/cancel"): {},
    ("DELETE", "/api/v1/pix/keys/{key_id}"): None,
    ("POST", "/api/v1/pix/keys/{key_id}/confirm"): {"code": "123456"},
    ("POST", "/api/v1/pix/med/blocks/{block_id}/release"): {"reason": "x"},
    ("POST", "/api/v1/pix/med/reports/{report_id}/acknowledge"): {},
    ("POST", "/api/v1/pix/med/reports/{report_id}/close"): {"result": "AGREED", "details": "x"},
    ("GET", "/api/v1/pix/transfers/{end_to_end_id}"): None,
    ("POST", "/api/v1/pix/transfers/{end_to_end_id}/infractions"): {
        "situation": "SCAM",
        "details": "x",
    },
    ("POST", "/api/v1/pix/transfers/{transfer_id}/cancel"): {},
    ("GET", "/api/v1/boletos/{boleto_id}"): None,
    ("POST", "/api/v1/boletos/{boleto_id}/cancel"): {},
    ("GET", "/api/v1/boletos/{boleto_id}/pdf"): None,
    ("GET", "/api/v1/boletos/payments/{payment_id}"): None,
    ("POST", "/api/v1/boletos/payments/{payment_id}/cancel"): {},
    ("GET", "/api/v1/cards/{card_id}"): None,
    ("POST", "/api/v1/cards/{card_id}/activate"): {},
    ("POST", "/api/v1/cards/{card_id}/block"): {},
    ("POST", "/api/v1/cards/{card_id}/unblock"): {},
    ("PATCH", "/api/v1/cards/{card_id}/controls"): {"per_purchase_limit": "10.00"},
    ("POST", "/api/v1/cards/{card_id}/controls"): {"per_purchase_limit": "10.00"},
    ("GET", "/api/v1/cards/{card_id}/transactions"): None,
    ("GET", "/api/v1/wires/{wire_id}"): None,
    ("POST", "/api/v1/wires/{wire_id}/cancel"): {},
    ("GET", "/api/v1/loans/{loan_id}"): None,
    ("GET", "/api/v1/loans/{loan_id}/ccb"): None,
    ("POST", "/api/v1/loans/{loan_id}/contract"): {},
    ("POST", "/api/v1/loans/{loan_id}/cancel"): {},
    ("POST", "/api/v1/loans/{loan_id}/pay"): {},
    ("POST", "/api/v1/loans/{loan_id}/prepay"): {"installments": 1},
    ("POST", "/api/v1/loans/{loan_id}/payoff"): {},
    ("GET", V2 + "/cob/{txid}"): None,
    ("PATCH", V2 + "/cob/{txid}"): {"valor": {"original": "1.00"}},
    ("GET", V2 + "/cobv/{txid}"): None,
    ("PATCH", V2 + "/cobv/{txid}"): {"valor": {"original": "1.00"}},
    ("GET", V2 + "/loc/{id}"): None,
    ("DELETE", V2 + "/loc/{id}/txid"): None,
    ("GET", V2 + "/pix/{e2eid}"): None,
    ("GET", V2 + "/pix/{e2eid}/devolucao/{id}"): None,
    ("PUT", V2 + "/pix/{e2eid}/devolucao/{id}"): {"valor": "1.00"},
    ("GET", V2 + "/webhook/{chave}"): None,
    ("PUT", V2 + "/webhook/{chave}"): {"webhookUrl": "https://b-hooks.example.com/x"},
    ("DELETE", V2 + "/webhook/{chave}"): None,
}
# Refusals other than 403/404 that reveal nothing, with the reason.
API_OTHER_REFUSALS = {
    # BACEN's WebhookOperacaoInvalida: the answer for any key that is not the caller's own.
    ("PUT", V2 + "/webhook/{chave}"): 400,
}
# A PUT that creates under a name the caller picks. BACEN: a txid is unique per receiver,
# so B may create its own charge under the same txid, but A's charge must stay untouched and
# B must never see it.
API_CREATE_WITH_ID = {("PUT", V2 + "/cob/{txid}"), ("PUT", V2 + "/cobv/{txid}")}
# Path parameters that name no customer's object, with the reason.
API_NOT_OBJECTS = {
    ("GET", "/api/v1/pix/keys/lookup/{key}"): "a DICT look-up: any key, by design (masked)",
    ("GET", "/qr/v2/{token}"): "the payer's app fetches the JWS payload unauthenticated",
    ("GET", "/api/v1/banks/{code}"): "the participant directory: public data, no customer's",
    ("GET", "/qr/v2/cobv/{token}"): "the payer's app fetches the JWS payload unauthenticated",
}

# Portal URLs (name -> method) with an object in the path, filled from A's world by
# parameter name.
PORTAL_OBJECTS: dict[str, str] = {
    "statement": "GET",
    "statement_lines": "GET",
    "pix:key_code": "POST",
    "pix:key_reveal": "POST",
    "pix:key_resend": "POST",
    "pix:key_delete": "POST",
    "pix:detail": "GET",
    "pix:refund": "POST",
    "pix:cancel": "POST",
    "pix:api_client_revoke": "POST",
    "kyc:detail": "GET",
    "kyc:document": "GET",
    "boleto:payment_detail": "GET",
    "boleto:payment_cancel": "POST",
    "boleto:issued_detail": "GET",
    "boleto:issued_pdf": "GET",
    "boleto:issued_cancel": "POST",
    "cards:detail": "GET",
    "cards:activate": "POST",
    "cards:block": "POST",
    "cards:unblock": "POST",
    "cards:report": "POST",
    "cards:reveal": "POST",
    "cards:controls": "POST",
    "cards:pin": "POST",
    "cards:transactions": "GET",
    "cards:it_was_me": "POST",
    "ted:detail": "GET",
    "ted:cancel": "POST",
    "ted:receipt_pdf": "GET",
    "ted:favourite_delete": "POST",
    "loans:detail": "GET",
    "loans:ccb": "GET",
    "loans:contract": "POST",
    "loans:cancel": "POST",
    "loans:pay": "POST",
    "loans:prepay": "POST",
    "loans:payoff": "POST",
    "loans:review": "POST",
}
# One-time tokens kept in the owner's session: another session cannot hold them.
PORTAL_SESSION_TOKENS = {
    "transfer_confirm",
    "transfer_receipt",
    "pix:send_confirm",
    "pix:send_receipt",
    "boleto:pay_confirm",
    "boleto:pay_receipt",
    "ted:confirm",
}
PORTAL_SKIP_PREFIXES = ("admin/", "accounts/", "oidc/", "api/", "qr/", "i18n/")


def _schema_operations() -> list[tuple[str, str]]:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _portal_patterns(patterns=None, prefix: str = "", namespace: str = ""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            space = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _portal_patterns(entry.url_patterns, prefix + str(entry.pattern), space)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            if not route.startswith(PORTAL_SKIP_PREFIXES):
                name = namespace + (entry.name or "")
                yield name.removeprefix("portal:"), route


OPERATIONS = _schema_operations()
ACCOUNT_LISTS = {"/api/v1/pix/transfers", "/api/v1/pix/keys", "/api/v1/pix/limits"}
PORTAL = list(_portal_patterns())


def _has_parameter(path: str) -> bool:
    return "{" in path


# --- the enumeration guards the matrix ------------------------------------------------------


def test_every_object_endpoint_of_the_schema_is_in_the_matrix():
    object_endpoints = {op for op in OPERATIONS if _has_parameter(op[1])}
    covered = set(API_OBJECTS) | API_CREATE_WITH_ID | set(API_NOT_OBJECTS)
    missing = object_endpoints - covered
    assert not missing, f"object endpoints with no IDOR factory in the matrix: {sorted(missing)}"
    stale = covered - object_endpoints
    assert not stale, f"matrix entries the schema no longer has: {sorted(stale)}"


def test_every_portal_url_with_an_object_is_in_the_matrix():
    with_object = {name for name, route in PORTAL if "<" in route or "(?P<" in route}
    covered = set(PORTAL_OBJECTS) | PORTAL_SESSION_TOKENS
    assert not with_object - covered, f"portal URLs not in the matrix: {with_object - covered}"
    assert not covered - with_object, f"stale portal entries: {covered - with_object}"


# --- A's world --------------------------------------------------------------------------------


def _api(user) -> APIClient:
    client = APIClient()
    client.default_format = "json"
    client.force_authenticate(user)
    return client


def _idem() -> dict:
    return {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}


def _created(response, *statuses: int) -> dict:
    assert response.status_code in (statuses or (200, 201)), response.content[:2000]
    return response.json() if response.content else {}


def _approved_loan(customer: Customer, account) -> Loan:
    """An approved offer of `customer`'s: a strong application, or a credit analyst's
    approval when the policy refuses an account opened today."""
    Customer.objects.filter(pk=customer.pk).update(kyc_level=2)
    KycRequest.objects.create(
        customer=customer,
        target_level=2,
        declared_name=A_NAME,
        birth_date=dt.date(1966, 5, 1),
        state=KycRequest.State.APPROVED,
        decided_at=timezone.now(),
    )
    loan = loan_apply(
        customer=Customer.objects.get(pk=customer.pk),
        account_id=account.pk,
        amount="5000.00",
        installments=6,
        purpose="electronics",
        declared_income="25000.00",
        employment_years=12,
        housing="own",
        actor=customer.user,
    )
    if loan.state != Loan.State.APPROVED:
        loan = loan_reopen_for_review(loan=loan, actor="analyst", reason="IDOR matrix")
        loan = loan_decide_by_person(loan=loan, actor="analyst", approve=True, reason="ok")
    assert loan.state == Loan.State.APPROVED
    return loan


@pytest.fixture
def world(settings, django_capture_on_commit_callbacks) -> dict:
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    a = person(A_NAME)
    account = funded_account(1_000_000, customer=a)
    key = key_register(account=account, key_type="EVP", actor=a.user)
    key.refresh_from_db()
    api = _api(a.user)
    markers = {A_NAME, a.tax_id, key.key, HOOK}

    received = receive_pix(Receiver(customer=a, account=account, key=key), 50_000)
    refund_id = "D" + uuid.uuid4().hex[:30]
    _created(api.put(f"{V2}/pix/{received.end_to_end_id}/devolucao/{refund_id}", {"valor": "1.00"}))
    with django_capture_on_commit_callbacks(execute=True):
        sent = _created(
            api.post(
                "/api/v1/pix/transfers",
                {"account": account.pk, "key": key_elsewhere(), "amount": "10.00"},
                **_idem(),
            )
        )
    scheduled = _created(
        api.post(
            "/api/v1/pix/transfers",
            {
                "account": account.pk,
                "key": key_elsewhere(),
                "amount": "11.00",
                "scheduled_for": (dt.date.today() + dt.timedelta(days=3)).isoformat(),
            },
            **_idem(),
        )
    )
    infraction = _created(
        api.post(
            f"/api/v1/pix/transfers/{sent['end_to_end_id']}/infractions",
            {"situation": "SCAM", "details": "Falso parente"},
            **_idem(),
        )
    )
    med_report: InfractionReport = reported(received)
    # The report's delivery put a cautionary block on the received Pix (MED).
    block = {"id": med_report.cautionary_blocks.get().pk}
    register_elsewhere(key_type="CPF", key=a.tax_id, owner=owner_as_dict(a))
    claim = _created(
        api.post(
            "/api/v1/pix/claims",
            {"key": a.tax_id, "type": "PORTABILITY", "account": account.pk},
            **_idem(),
        )
    )

    txid, txid_v = uuid.uuid4().hex, uuid.uuid4().hex
    _created(
        api.put(
            f"{V2}/cob/{txid}",
            {"calendario": {"expiracao": 3600}, "valor": {"original": "37.00"}, "chave": key.key},
        )
    )
    due = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    _created(
        api.put(
            f"{V2}/cobv/{txid_v}",
            {
                "calendario": {"dataDeVencimento": due, "validadeAposVencimento": 30},
                "devedor": {"cpf": a.tax_id, "nome": A_NAME},
                "valor": {"original": "123.45"},
                "chave": key.key,
            },
        )
    )
    location = _created(api.post(f"{V2}/loc", {"tipoCob": "cob"}))
    _created(api.put(f"{V2}/webhook/{key.key}", {"webhookUrl": HOOK}))

    kyc_request = _created(
        api.post(
            "/api/v1/kyc/requests",
            {"target_level": 2, "declared_name": A_NAME, "birth_date": "1990-05-01"},
        )
    )
    document = _created(
        api.post(
            f"/api/v1/kyc/requests/{kyc_request['id']}/documents",
            {"kind": "cnh", "file": SimpleUploadedFile("cnh.png", document_photo())},
            format="multipart",
        )
    )
    _created(api.post("/api/v1/privacy/requests", {"kind": "access", "details": "Quero tudo"}))
    api_client, _secret = api_client_create(user=a.user, name="ERP da Ana", scope=["cob.read"])

    boleto = _created(
        api.post(
            "/api/v1/boletos",
            {
                "account": account.pk,
                "amount": "150.00",
                "due_date": due,
                "payer_name": "Pagador da Ana",
                "payer_tax_id": new_cpf(),
            },
            **_idem(),
        )
    )
    bill_day = next_business_day(dt.date.today() + dt.timedelta(days=2), B3)
    bill = boleto_elsewhere(payer_customer=a, due_date=bill_day + dt.timedelta(days=5))
    boleto_payment = _created(
        api.post(
            "/api/v1/boletos/payments",
            {"account": account.pk, "code": bill.barcode, "scheduled_for": bill_day.isoformat()},
            **_idem(),
        )
    )
    markers |= {boleto["nosso_numero"], boleto["barcode"], "Pagador da Ana"}
    # A TED scheduled for a business day ahead (TED needs KYC level 1).
    Customer.objects.filter(pk=a.pk).update(kyc_level=1)
    wire = _created(
        api.post(
            "/api/v1/wires",
            {
                "account": account.pk,
                "bank": "341",
                "branch": "1500",
                "account_number": "998877",
                "holder_name": "Favorecido da Ana",
                "holder_tax_id": new_cpf(),
                "amount": "12.00",
                "scheduled_for": bill_day.isoformat(),
            },
            **_idem(),
        )
    )
    favourite = favourite_save(
        customer=a,
        nickname="Conta do Favorecido",
        bank_ispb="60701190",
        branch="1500",
        account_number="998877",
        holder_name="Favorecido da Ana",
        holder_tax_id=new_cpf(),
    )
    markers |= {wire["control_number"], "Favorecido da Ana", "Conta do Favorecido"}
    # A virtual card with a purchase the fraud engine flagged (its "it was me" is A's).
    issued = card_issue(
        customer=Customer.objects.get(pk=a.pk), account_id=account.pk, kind="virtual"
    )
    card_auth = authorize(
        AuthRequest(
            mti="0100",
            pan=issued.pan,
            amount_cents=1_234,
            stan="000001",
            rrn="000000000001",
            terminal_id="TERMA001",
            merchant_name="LOJA DA ANA",
            mcc="5411",
            expiry=issued.expiry,
        )
    )
    markers |= {issued.card.token, issued.card.last4 + " ", "LOJA DA ANA"}
    # An approved loan offer (loans need KYC level 2 and a verified birth date).
    loan = _approved_loan(a, account)
    markers.add(str(loan.public_id))
    markers |= {received.end_to_end_id, sent["end_to_end_id"], txid, txid_v, refund_id}
    markers |= {api_client.client_id, "ERP da Ana", "Quero tudo", "Falso parente"}
    params = {
        "account_id": account.pk,
        "document_id": document["id"],
        "request_id": kyc_request["id"],
        "claim_id": claim["id"],
        "report_id": infraction["id"],
        "key_id": key.pk,
        "block_id": block["id"],
        "end_to_end_id": sent["end_to_end_id"],
        "transfer_id": scheduled["id"],
        "txid": txid,
        "id": location["id"],
        "e2eid": received.end_to_end_id,
        "chave": key.key,
        "client_id": api_client.pk,
        "boleto_id": boleto["id"],
        "payment_id": boleto_payment["id"],
        "wire_id": wire["id"],
        "card_id": str(issued.card.public_id),
        "loan_id": str(loan.public_id),
    }
    per_path = {
        # MED queue actions name a report received against A's Pix, not A's own report.
        "/api/v1/pix/med/reports/{report_id}/acknowledge": {"report_id": med_report.pk},
        "/api/v1/pix/med/reports/{report_id}/close": {"report_id": med_report.pk},
        V2 + "/cobv/{txid}": {"txid": txid_v},
        V2 + "/pix/{e2eid}/devolucao/{id}": {"id": refund_id},
    }
    return {
        "a": a,
        "markers": {str(m) for m in markers if m},
        "params": params,
        "per_path": per_path,
        "portal_params": {
            "account_id": account.pk,
            "key_id": key.pk,
            "transfer_id": received.pk,
            "client_id": api_client.pk,
            "request_id": kyc_request["id"],
            "document_id": document["id"],
            "boleto_id": boleto["id"],
            "payment_id": boleto_payment["id"],
            "wire_id": wire["id"],
            "favourite_id": favourite.pk,
            "card_id": str(issued.card.public_id),
            "authorization_id": card_auth.authorization_id,
            "public_id": str(loan.public_id),
        },
    }


@pytest.fixture
def customer_b():
    b = person("Bruno Curioso Alves")
    funded_account(1_000, customer=b)
    return b


def _fill(path: str, world: dict) -> str:
    values = {**world["params"], **world["per_path"].get(path, {})}
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def _call(client, method: str, url: str, body):
    send = getattr(client, method.lower())
    if method == "GET":
        return send(url)
    return send(url, body if body is not None else {}, format="json", **_idem())


# --- B against A's objects ---------------------------------------------------------------------


def test_customer_b_gets_404_or_403_for_each_of_a_s_objects(world, customer_b):
    # The ids are A's real objects: A reads each of them (else B's 404 would prove nothing).
    a = _api(world["a"].user)
    for method, path in API_OBJECTS:
        if method == "GET":
            url = _fill(path, world)
            assert a.get(url).status_code == 200, f"A cannot read {url}: fix the matrix"
    b = _api(customer_b.user)
    leaks = []
    for (method, path), body in API_OBJECTS.items():
        url = _fill(path, world)
        response = _call(b, method, url, body)
        allowed = {403, 404, API_OTHER_REFUSALS.get((method, path))}
        if response.status_code not in allowed:
            leaks.append(f"{method} {url} -> {response.status_code} {response.content[:200]!r}")
    assert not leaks, "B reached A's objects:\n" + "\n".join(leaks)
    # A still owns and sees everything B poked at.
    hooks = a.get(V2 + "/webhook").json()["webhooks"]
    assert [hook["webhookUrl"] for hook in hooks] == [HOOK]
    assert world["params"]["chave"] in a.get("/api/v1/pix/keys").content.decode()


def test_customer_b_cannot_take_a_s_txid(world, customer_b):
    b = _api(customer_b.user)
    key = key_register(account=customer_b.accounts.get(), key_type="EVP", actor=customer_b.user)
    key.refresh_from_db()
    for method, path in sorted(API_CREATE_WITH_ID):
        url = _fill(path, world)
        before = _api(world["a"].user).get(url).json()
        body = {"calendario": {"expiracao": 60}, "valor": {"original": "1.00"}, "chave": key.key}
        if "cobv" in path:
            due = (dt.date.today() + dt.timedelta(days=5)).isoformat()
            body = {**body, "calendario": {"dataDeVencimento": due}}
            body["devedor"] = {"cpf": customer_b.tax_id, "nome": "Bruno Curioso Alves"}
        response = _call(b, method, url, body)
        assert response.status_code in (201, 400, 403, 404, 409), (url, response.content[:500])
        assert _api(world["a"].user).get(url).json() == before
        if response.status_code == 201:  # B's own charge under the same txid
            assert not _leaked(b.get(url).content, world["markers"] - {url.rsplit("/", 1)[1]})


def test_portal_object_urls_answer_404_or_403_to_b(world, customer_b):
    owner, browser = Client(), Client()
    owner.force_login(world["a"].user)
    browser.force_login(customer_b.user)
    leaks = []
    for name, route in PORTAL:
        if name not in PORTAL_OBJECTS:
            continue
        url = "/" + re.sub(
            r"<(?:\w+:)?(\w+)>", lambda m: str(world["portal_params"][m.group(1)]), route
        )
        method = PORTAL_OBJECTS[name]
        if method == "GET":
            assert owner.get(url).status_code == 200, f"A cannot read {url}: fix the matrix"
        response = browser.get(url) if method == "GET" else browser.post(url, {"amount": "1,00"})
        if response.status_code not in (403, 404):
            leaks.append(f"{method} {url} ({name}) -> {response.status_code}")
    assert not leaks, "B reached A's objects in the portal:\n" + "\n".join(leaks)


# --- lists ---------------------------------------------------------------------------------------


def _leaked(content: bytes, markers: set[str]) -> list[str]:
    text = content.decode("utf-8", "replace")
    return sorted(marker for marker in markers if marker in text)


def test_no_list_shows_a_s_objects_to_b(world, customer_b):
    b = _api(customer_b.user)
    lists = [path for method, path in OPERATIONS if method == "GET" and not _has_parameter(path)]
    assert "/api/v1/pix/transfers" in lists and V2 + "/cob" in lists
    found = []
    period = {"inicio": "2000-01-01T00:00:00Z", "fim": "2100-01-01T00:00:00Z"}
    own, theirs = customer_b.accounts.get().pk, world["params"]["account_id"]
    for path in lists:
        base = period if path.startswith(V2) else {}
        # Lists that take an account: B's own, and A's named in the query (an IDOR too).
        variants = [{**base, "account": own}, {**base, "account": theirs}]
        for query in variants if path in ACCOUNT_LISTS else [base]:
            response = b.get(path, query)
            assert response.status_code < 500, (path, response.status_code)
            leaked = _leaked(response.content, world["markers"])
            if leaked:
                found.append(f"GET {path} {query} -> {leaked}")
    # A sees their own objects in the same lists, so the markers are the right ones.
    a_view = _api(world["a"].user).get("/api/v1/pix/keys").content
    assert _leaked(a_view, world["markers"]), "A's own list carries none of A's markers"
    assert not found, "B's lists show A's objects:\n" + "\n".join(found)


def test_no_portal_page_shows_a_s_objects_to_b(world, customer_b):
    browser = Client()
    browser.force_login(customer_b.user)
    found = []
    for name, route in PORTAL:
        if "<" in route or "(?P<" in route:
            continue
        response = browser.get("/" + route)
        assert response.status_code < 500, (route, response.status_code)
        leaked = _leaked(response.content, world["markers"])
        if leaked:
            found.append(f"GET /{route} ({name}) -> {leaked}")
    assert not found, "B's portal pages show A's objects:\n" + "\n".join(found)
