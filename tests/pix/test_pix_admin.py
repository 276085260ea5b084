"""The Pix console (apps/pix/admin.py) and webhook deliveries (apps/core/admin.py): who sees
which page, masked CPF/CNPJ, secrets never shown, ISO 20022 messages escaped, the MED queue
and the actions (retry send, cancel scheduled, MED decisions, retry delivery), audited."""

from __future__ import annotations

import random
import re
import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.admin import helpers
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.core import roles
from apps.core.admin_masking import mask_tax_ids_in_data, mask_tax_ids_in_text, pretty_xml
from apps.core.documents import fake_cpf, mask_tax_id
from apps.core.models import AuditEvent, WebhookAttempt, WebhookDelivery
from apps.core.webhooks import webhook_enqueue
from apps.pix.charges import services as charges
from apps.pix.charges import webhooks as pix_webhooks
from apps.pix.codecs.keys import KeyType
from apps.pix.keys import services as pix_services
from apps.pix.med import blocks as med_blocks
from apps.pix.models import (
    CautionaryBlock,
    InfractionReport,
    PixCharge,
    PixLimitSettings,
    PixRefund,
    PixTransfer,
    PixWebhook,
)
from apps.pix.transfers import limits as pix_limits
from apps.pix.transfers.services.receive import pix_receive
from apps.pix.transfers.services.refunds import refund_request
from apps.pix.transfers.services.send import pix_send
from apps.simulators.dict.other_psps import report_infraction_as_other_psp
from apps.simulators.models import SpiSimulatedMessage
from apps.simulators.spi.simulator import SpiSimulator
from tests.factories.ledger import funded_account
from tests.factories.users import UserFactory
from tests.support.pix_keys import BB, new_cpf, person
from tests.support.pix_transfers import key_elsewhere, maria
from tests.support.webhook_receiver import running_receiver

pytestmark = pytest.mark.django_db

DELIVERY_SECRET = "hmac-key-never-shown-2d8e4f6a0c"
SCRIPT = "<script>alert('pix')</script>"


@pytest.fixture
def receiver():
    """An integrator's webhook endpoint: a real HTTP server in a thread."""
    with running_receiver() as running:
        yield running


@pytest.fixture(autouse=True)
def _fast_spi(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0


# --- Staff and pages ---------------------------------------------------------------------------


def staff_client(role: str) -> Client:
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def operator():
    return staff_client(roles.OPERATOR)


@pytest.fixture
def officer():
    return staff_client(roles.COMPLIANCE_OFFICER)


@pytest.fixture
def admin():
    return staff_client(roles.ADMIN)


def changelist(model) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


def change(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def history(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])


def action_names(response) -> set[str]:
    form = response.context["action_form"]
    return set() if form is None else {name for name, _ in form.fields["action"].choices} - {""}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def run_action(client, model, action: str, objs, *, query: str = ""):
    """An action without an intermediate page (or the first step of one with a reason)."""
    return client.post(
        changelist(model) + query,
        {"action": action, "index": "0", helpers.ACTION_CHECKBOX_NAME: [o.pk for o in objs]},
        follow=True,
    )


def confirm(client, model, action: str, objs, reason: str, *, query: str = ""):
    """Second step of an action with a reason: the reason posted back."""
    return client.post(
        changelist(model) + query,
        {
            "action": action,
            "apply": "yes",
            "reason": reason,
            helpers.ACTION_CHECKBOX_NAME: [o.pk for o in objs],
        },
        follow=True,
    )


def audited(obj, text: str) -> bool:
    """An admin log entry about `obj` mentioning `text`, and its audit event."""
    entries = LogEntry.objects.filter(object_id=str(obj.pk), change_message__contains=text)
    return (
        entries.exists()
        and AuditEvent.objects.filter(
            action=AuditEvent.Action.ADMIN_ACTION,
            detail__object_id=str(obj.pk),
            detail__change__icontains=text,
        ).exists()
    )


# --- Data, through the services ----------------------------------------------------------------


def sent_pix(settings, capture, *, answered: bool) -> PixTransfer:
    """An outbound Pix to another PSP; without an answer from the SPI it stays SENT."""
    settings.PIX_SPI_TIMEOUT_RATE = 0.0 if answered else 1.0
    with capture(execute=True):
        transfer = pix_send(
            account=maria(100_000), key=key_elsewhere(), amount_cents=15_000, description="aluguel"
        )
    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    transfer.refresh_from_db()
    return transfer


def received_pix(
    *, amount_cents: int = 10_000, remittance: str | None = None, payer_tax_id: str = ""
):
    account = funded_account(customer=person("Joana Alves Costa"))
    xml = SpiSimulator().inbound_credit_transfer(
        to_ispb=django_settings.ATHENA_ISPB,
        creditor_branch=account.branch,
        creditor_account=account.number,
        creditor_tax_id=account.customer.tax_id,
        amount_cents=amount_cents,
        payer_name="Carlos Pereira Dias",
        payer_tax_id=payer_tax_id or new_cpf(),
        payer_ispb=BB,
        remittance=remittance,
    )
    return pix_receive(xml)


def refund_of(transfer: PixTransfer, capture) -> PixRefund:
    with capture(execute=True):
        refund = refund_request(
            transfer=transfer, refund_id="admin1", amount_cents=1_000, description="devolve"
        )
    refund.refresh_from_db()
    return refund


def charge_with_location() -> PixCharge:
    """A cob with its location and a debtor (CPF), created as the API Pix creates it."""
    account = funded_account(customer=person("Loja Boa Vista Silva"))
    pix_key = pix_services.key_register(account=account, key_type=KeyType.EVP)
    charge, _created = charges.charge_create(
        customer=account.customer,
        kind="cob",
        data=charges.ChargeInput(
            key=pix_key.key,
            amount=12_345,
            debtor={"cpf": "52998224725", "nome": "Fulano de Tal"},
        ),
    )
    return charge


def webhook() -> tuple[PixWebhook, str]:
    """An integrator's webhook on one of its keys, and its secret (shown once, at creation)."""
    account = funded_account(customer=person("Integradora Souza Lima"))
    pix_key = pix_services.key_register(account=account, key_type=KeyType.EVP)
    hook, secret, _created = pix_webhooks.webhook_configure(
        customer=account.customer, key=pix_key.key, url="https://integrator.example/hooks"
    )
    return hook, secret


def delivery(url: str = "https://integrator.example/hooks/pix", payload=None) -> WebhookDelivery:
    return webhook_enqueue(
        source="pix",
        source_id=str(uuid.uuid4().int)[:12],
        event_key=f"E{uuid.uuid4().hex}"[:32],
        url=url,
        secret=DELIVERY_SECRET,
        payload=payload or {"pix": [{"endToEndId": "E1", "valor": "1.00"}]},
    )


def failed_delivery(url: str) -> WebhookDelivery:
    """A delivery whose attempts ran out against a receiver that kept failing."""
    found = delivery(url=url)
    WebhookDelivery.objects.filter(pk=found.pk).update(
        state=WebhookDelivery.State.FAILED, attempts=8, last_error="HTTP 500"
    )
    WebhookAttempt.objects.create(
        delivery=found, number=8, started_at=timezone.now(), status_code=500, error="HTTP 500"
    )
    found.refresh_from_db()
    return found


def infraction(transfer: PixTransfer) -> InfractionReport:
    """The payer's institution reports a Pix our customer received, through the (simulated)
    DICT: the report arrives OPEN and what is left of the money is blocked."""
    return report_infraction_as_other_psp(
        reporter=transfer.counterparty_ispb,
        end_to_end_id=transfer.end_to_end_id,
        situation=InfractionReport.Situation.SCAM,
        details="golpe do falso parente",
    )


def block(transfer: PixTransfer, actor) -> CautionaryBlock:

    return med_blocks.cautionary_block_place(
        transfer=transfer, amount_cents=transfer.amount, reason="suspeita de golpe", actor=actor
    )


def limit_settings() -> PixLimitSettings:
    account = funded_account(customer=person("Paula Rocha Melo"))
    return pix_limits.night_limit_change(account=account, limit_cents=50_000, starts_at_hour=22)


def spi_message() -> SpiSimulatedMessage:
    transfer = received_pix()
    return SpiSimulatedMessage.objects.get(end_to_end_id=transfer.end_to_end_id)


# --- Who sees which page -----------------------------------------------------------------------

OPERATOR_SEES = {
    "pixtransfer",
    "pixrefund",
    "pixcharge",
    "pixlocation",
    "pixwebhook",
    "webhookdelivery",
}
OFFICER_SEES = OPERATOR_SEES | {"infractionreport", "cautionaryblock"}
ADMIN_SEES = OFFICER_SEES | {"pixlimitsettings", "spisimulatedmessage"}


@pytest.fixture
def every_row(settings, django_capture_on_commit_callbacks, admin):
    inbound = received_pix(remittance="parabens")
    return [
        inbound,
        refund_of(inbound, django_capture_on_commit_callbacks),
        charge := charge_with_location(),
        charge.location,
        webhook()[0],
        delivery(),
        infraction(inbound),
        block(received_pix(), admin.user),
        limit_settings(),
        SpiSimulatedMessage.objects.get(end_to_end_id=inbound.end_to_end_id),
    ]


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        (roles.OPERATOR, OPERATOR_SEES),
        (roles.COMPLIANCE_OFFICER, OFFICER_SEES),
        (roles.ADMIN, ADMIN_SEES),
    ],
)
def test_each_role_sees_the_pages_its_permissions_allow(role, visible, every_row):
    client = staff_client(role)
    assert {type(row)._meta.model_name for row in every_row} == ADMIN_SEES
    for row in every_row:
        name = type(row)._meta.model_name
        expected = 200 if name in visible else 403
        assert client.get(changelist(type(row))).status_code == expected, (role, name)
        assert client.get(change(row)).status_code == expected, (role, name)
        if hasattr(type(row), "history") and name in visible:
            assert client.get(history(row)).status_code == 200, (role, name)
        if name in visible:
            # Nobody edits these rows from the console: view only, no add, no delete.
            page = client.get(change(row))
            assert b'name="_save"' not in page.content, (role, name)
            opts = type(row)._meta
            add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
            assert client.get(add).status_code == 403, (role, name)
            assert client.post(change(row), {}).status_code == 403, (role, name)


def test_customers_and_staff_without_a_role_see_nothing(every_row):
    bare_staff = Client()
    bare_staff.force_login(UserFactory(is_staff=True))
    for row in every_row:
        assert bare_staff.get(changelist(type(row))).status_code == 403
    customer = Client()
    customer.force_login(UserFactory())
    response = customer.get(changelist(PixTransfer))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- Secrets are never shown -------------------------------------------------------------------


def test_webhook_secrets_never_appear_in_any_admin_html(admin):
    hook, webhook_secret = webhook()
    sent = delivery()
    stored = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM pix_pixwebhook WHERE id = %s", [hook.pk])
        stored.append(cursor.fetchone()[0])
        cursor.execute("SELECT secret FROM core_webhookdelivery WHERE id = %s", [sent.pk])
        stored.append(cursor.fetchone()[0])
    assert webhook_secret not in stored[0] and DELIVERY_SECRET not in stored[1]  # encrypted
    pages = [changelist(PixWebhook), change(hook), changelist(WebhookDelivery), change(sent)]
    for url in pages:
        response = admin.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for secret in (webhook_secret, DELIVERY_SECRET, *stored):
            assert secret not in html, url
    # Nor can a secret be guessed through the search box.
    for model, secret in ((PixWebhook, webhook_secret), (WebhookDelivery, DELIVERY_SECRET)):
        searched = admin.get(changelist(model), {"q": secret})
        assert list(searched.context["cl"].result_list) == []
    assert "https://integrator.example/hooks" in admin.get(change(hook)).content.decode()


# --- CPF/CNPJ masking --------------------------------------------------------------------------


def test_operator_sees_the_counterparty_masked_officer_in_full(
    settings, django_capture_on_commit_callbacks, operator, officer
):
    transfer = sent_pix(settings, django_capture_on_commit_callbacks, answered=True)
    cpf = transfer.counterparty_tax_id
    assert transfer.counterparty_key == cpf  # paid to a CPF key: in the pacs.008 twice

    for_operator = operator.get(change(transfer)).content.decode()
    assert mask_tax_id(cpf) in for_operator
    assert cpf not in for_operator

    for_officer = officer.get(change(transfer)).content.decode()
    assert cpf in for_officer
    assert f"&lt;Id&gt;{cpf}&lt;/Id&gt;" in for_officer  # the message, unmasked

    # The list masks the counterparty for everyone, names included.
    for client in (operator, officer):
        listing = client.get(changelist(PixTransfer)).content.decode()
        assert mask_tax_id(cpf) in listing and cpf not in listing
        assert "Carlos P. D." in listing


def test_history_and_charge_debtor_are_masked_for_operators(operator, officer):
    charge = charge_with_location()
    for_operator = operator.get(change(charge)).content.decode()
    assert "52998224725" not in for_operator and mask_tax_id("52998224725") in for_operator
    assert "52998224725" in officer.get(change(charge)).content.decode()

    inbound = received_pix(payer_tax_id="52998224725")
    page = operator.get(history(inbound))
    assert page.status_code == 200
    assert "52998224725" not in page.content.decode()
    # One version of the history, as the history tab links it: read-only, masked too.
    version = inbound.history.earliest("history_date")
    url = reverse("admin:pix_pixtransfer_simple_history", args=[inbound.pk, version.history_id])
    for client, shown in ((operator, False), (officer, True)):
        old_version = client.get(url)
        assert old_version.status_code == 200
        assert ("52998224725" in old_version.content.decode()) is shown
        assert client.post(url, {}).status_code == 403


# --- Messages: pretty-printed, escaped ---------------------------------------------------------


def test_pacs_messages_are_pretty_printed_and_escaped(
    admin, settings, django_capture_on_commit_callbacks
):
    inbound = received_pix(remittance=SCRIPT)
    html = admin.get(change(inbound)).content.decode()
    assert SCRIPT not in html and "<script>alert" not in html
    # The XML's own escaping (&lt;) is shown as text, escaped once more for HTML.
    assert "&amp;lt;script&amp;gt;" in html
    assert re.search(r'<pre class="iso20022"[^>]*>&lt;Envelope', html)
    assert "\n  &lt;AppHdr&gt;" in html  # indented, one element per line

    outbound = sent_pix(settings, django_capture_on_commit_callbacks, answered=True)
    page = admin.get(change(outbound)).content.decode()
    assert "pacs.002" in page and "ACSC" in page

    refund = refund_of(inbound, django_capture_on_commit_callbacks)
    refund_page = admin.get(change(refund)).content.decode()
    assert "&lt;PmtRtr&gt;" in refund_page and "ACSC" in refund_page


def test_a_message_with_a_dtd_is_shown_as_stored_never_expanded():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "AAAAAAAAAA">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>'
    )
    shown = pretty_xml(bomb, full_tax_ids=True)
    assert "AAAAAAAAAAAAAAAAAAAA" not in shown  # never expanded
    assert "&lt;!DOCTYPE" in shown and "&amp;b;" in shown
    assert pretty_xml("<not xml", full_tax_ids=True).count("&lt;not xml") == 1
    assert pretty_xml("", full_tax_ids=False) == "-"


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.text())
def test_pretty_xml_never_lets_markup_through(text):
    shown = str(pretty_xml(text, full_tax_ids=False))
    if not text:
        return
    inner = re.fullmatch(r'<pre class="iso20022"[^>]*>(.*)</pre>', shown, flags=re.DOTALL)
    assert inner is not None
    assert "<" not in inner.group(1) and ">" not in inner.group(1)


cpfs = st.integers(min_value=0, max_value=2**32).map(lambda n: fake_cpf(random.Random(n)))
# Text around a tax id: anything, ending (before) or starting (after) with a separator, so
# the tax id is a word of its own ("52998224725b" is no CPF).
_words = st.text(alphabet=" abcxyz:-<>/\n", max_size=20)
_separator = st.sampled_from([" ", "\n", ">", "<", ":", "(", '"', "/"])
before_text = st.one_of(st.just(""), st.tuples(_words, _separator).map("".join))
after_text = st.one_of(st.just(""), st.tuples(_separator, _words).map("".join))


@hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cpf=cpfs,
    before=before_text,
    after=after_text,
    formatted=st.booleans(),
)
def test_every_valid_cpf_in_text_is_masked(cpf, before, after, formatted):
    shown = f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}" if formatted else cpf
    masked = mask_tax_ids_in_text(before + shown + after)
    assert cpf not in masked and shown not in masked
    assert masked == before + mask_tax_id(cpf) + after
    data = mask_tax_ids_in_data({"devedor": {"cpf": cpf, "nomes": [shown]}, "n": 1})
    assert data == {"devedor": {"cpf": mask_tax_id(cpf), "nomes": [mask_tax_id(cpf)]}, "n": 1}


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[0-9]{1,10}|[0-9]{12,13}|[0-9A-Za-z]{15,40}|E[0-9]{10}", fullmatch=True))
def test_ids_that_are_not_tax_ids_stay_readable(value):
    assert mask_tax_ids_in_text(f"<Id>{value}</Id>") == f"<Id>{value}</Id>"


# --- Search ------------------------------------------------------------------------------------


def test_transfers_are_found_by_exact_end_to_end_id_or_txid(operator):
    first, second = received_pix(), received_pix()
    found = operator.get(changelist(PixTransfer), {"q": first.end_to_end_id})
    assert list(found.context["cl"].result_list) == [first]
    assert second not in found.context["cl"].result_list
    partial = operator.get(changelist(PixTransfer), {"q": first.end_to_end_id[:20]})
    assert list(partial.context["cl"].result_list) == []
    PixTransfer.objects.filter(pk=second.pk).update(tx_id="pedido123")
    by_txid = operator.get(changelist(PixTransfer), {"q": "pedido123"})
    assert list(by_txid.context["cl"].result_list) == [second]
    filtered = operator.get(changelist(PixTransfer), {"direction__exact": "out"})
    assert list(filtered.context["cl"].result_list) == []


# --- Transfers: send again, cancel scheduled ---------------------------------------------------


def test_admin_sends_an_unanswered_pix_again_and_it_is_audited(
    settings, django_capture_on_commit_callbacks, admin
):
    transfer = sent_pix(settings, django_capture_on_commit_callbacks, answered=False)
    assert transfer.state == PixTransfer.State.SENT
    listing = admin.get(changelist(PixTransfer))
    assert {"retry_send", "cancel_scheduled"} <= action_names(listing)

    response = run_action(admin, PixTransfer, "retry_send", [transfer])

    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.SETTLED
    assert "ACSC" in transfer.pacs002
    assert any(transfer.end_to_end_id in m for m in messages_of(response))
    assert audited(transfer, "retry_send")


def test_send_again_leaves_alone_what_is_not_waiting_for_the_spi(
    settings, django_capture_on_commit_callbacks, admin
):
    settled = sent_pix(settings, django_capture_on_commit_callbacks, answered=True)
    inbound = received_pix()
    response = run_action(admin, PixTransfer, "retry_send", [settled, inbound])
    assert sum("só um Pix enviado ao SPI" in m for m in messages_of(response)) == 2  # pt-BR
    settled.refresh_from_db()
    assert settled.state == PixTransfer.State.SETTLED
    assert not LogEntry.objects.filter(object_id__in=[str(settled.pk), str(inbound.pk)]).exists()


def test_send_again_after_a_lost_answer_never_gives_back_money_the_spi_moved(
    settings, django_capture_on_commit_callbacks, admin
):
    from apps.pix.adapters.spi import spi_client
    from tests.factories.ledger import balance_of

    transfer = sent_pix(settings, django_capture_on_commit_callbacks, answered=False)
    # The earlier attempt did reach the SPI, which settled it; only its answer was lost.
    spi_client().send_credit_transfer(transfer.pacs008.encode())
    assert SpiSimulatedMessage.objects.get(end_to_end_id=transfer.end_to_end_id).status == "ACSC"

    run_action(admin, PixTransfer, "retry_send", [transfer])

    transfer.refresh_from_db()
    # The resend is DUPL; the SPI's status query tells the real outcome: settled.
    assert transfer.state == PixTransfer.State.SETTLED and "ACSC" in transfer.pacs002
    assert transfer.return_entry_id is None
    assert balance_of(transfer.account_id)[0] == 100_000 - 15_000
    assert audited(transfer, "retry_send")


def test_admin_cancels_a_scheduled_pix_with_a_reason(
    admin, settings, django_capture_on_commit_callbacks
):
    from tests.factories.ledger import balance_of

    account = maria(100_000)
    scheduled = pix_send(
        account=account,
        key=key_elsewhere(),
        amount_cents=20_000,
        scheduled_for=timezone.localdate() + timedelta(days=3),
    )
    settled = sent_pix(settings, django_capture_on_commit_callbacks, answered=True)
    listing = admin.get(changelist(PixTransfer)).content.decode()
    assert f"(scheduled #{scheduled.pk})" in listing or f"#{scheduled.pk}" in listing

    asked = run_action(admin, PixTransfer, "cancel_scheduled", [scheduled])
    assert b'name="reason"' in asked.content
    response = confirm(
        admin, PixTransfer, "cancel_scheduled", [scheduled, settled], "cliente pediu por telefone"
    )

    scheduled.refresh_from_db()
    assert scheduled.state == PixTransfer.State.CANCELLED
    assert balance_of(account.pk)[0] == 100_000  # nothing had moved, nothing moves
    assert audited(scheduled, "cliente pediu por telefone")
    settled.refresh_from_db()
    assert settled.state == PixTransfer.State.SETTLED
    assert any(str(settled) in m for m in messages_of(response))  # refused, per object
    assert not LogEntry.objects.filter(object_id=str(settled.pk)).exists()


def test_operators_and_officers_cannot_send_again_or_cancel(
    settings, django_capture_on_commit_callbacks, operator, officer
):
    transfer = sent_pix(settings, django_capture_on_commit_callbacks, answered=False)
    for client in (operator, officer):
        assert not {"retry_send", "cancel_scheduled"} & action_names(
            client.get(changelist(PixTransfer))
        )
        run_action(client, PixTransfer, "retry_send", [transfer])
        transfer.refresh_from_db()
        assert transfer.state == PixTransfer.State.SENT
    assert not LogEntry.objects.filter(object_id=str(transfer.pk)).exists()


# --- Webhook deliveries: retry now -------------------------------------------------------------


def test_operator_retries_a_failed_delivery_and_sees_every_attempt(
    receiver,
    operator,
    django_capture_on_commit_callbacks,
):
    failed = failed_delivery(receiver.url + "/pix")
    page = operator.get(change(failed)).content.decode()
    assert "HTTP 500" in page and "500" in page  # the attempt inline

    assert "retry_now" in action_names(operator.get(changelist(WebhookDelivery)))
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(operator, WebhookDelivery, "retry_now", [failed])

    assert any("1 delivery is due now" in m or "1 entrega" in m for m in messages_of(response))
    received = receiver.wait_for(1)
    assert received[0].headers["X-Athena-Event-Id"] == str(failed.pk)
    failed.refresh_from_db()
    assert failed.state == WebhookDelivery.State.DELIVERED
    assert failed.attempts == 9
    assert audited(failed, "retry now")
    page = operator.get(change(failed)).content.decode()
    assert "received" in page  # the receiver's answer, excerpted on the attempt
    assert DELIVERY_SECRET not in page


def test_retry_now_skips_delivered_ones_and_officers_may_not_retry(
    receiver,
    operator,
    officer,
    django_capture_on_commit_callbacks,
):
    done = delivery(url=receiver.url + "/pix")
    WebhookDelivery.objects.filter(pk=done.pk).update(
        state=WebhookDelivery.State.DELIVERED, delivered_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(operator, WebhookDelivery, "retry_now", [done])
    assert any("skipped" in m or "ignorad" in m for m in messages_of(response))
    assert receiver.requests == []

    assert "retry_now" not in action_names(officer.get(changelist(WebhookDelivery)))
    failed = failed_delivery(receiver.url + "/pix")
    with django_capture_on_commit_callbacks(execute=True):
        run_action(officer, WebhookDelivery, "retry_now", [failed])
    failed.refresh_from_db()
    assert failed.state == WebhookDelivery.State.FAILED
    assert receiver.requests == []


def test_delivery_state_filter(operator):
    pending, failed = delivery(), failed_delivery("https://integrator.example/x")
    by_state = operator.get(changelist(WebhookDelivery), {"state": "failed"})
    assert list(by_state.context["cl"].result_list) == [failed]
    pending_only = operator.get(changelist(WebhookDelivery), {"state": "pending"})
    assert list(pending_only.context["cl"].result_list) == [pending]
    bogus = operator.get(changelist(WebhookDelivery), {"state": "nonsense"})
    assert bogus.status_code == 200 and list(bogus.context["cl"].result_list) == []


# --- The MED queue -----------------------------------------------------------------------------


def test_the_queue_lists_open_reports_oldest_first(officer):
    from apps.pix.med import services as med

    old, newer, closed = (infraction(received_pix()) for _ in range(3))
    med.infraction_report_close(
        report=closed,
        result=InfractionReport.Result.DISAGREED,
        details="cliente comprovou a venda",
        actor=officer.user,
    )
    InfractionReport.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))

    queue = officer.get(changelist(InfractionReport))
    assert list(queue.context["cl"].result_list) == [old, newer]
    everything = officer.get(changelist(InfractionReport), {"queue": "all"})
    assert set(everything.context["cl"].result_list) == {old, newer, closed}
    only_closed = officer.get(changelist(InfractionReport), {"queue": "CLOSED"})
    assert list(only_closed.context["cl"].result_list) == [closed]
    bogus = officer.get(changelist(InfractionReport), {"queue": "nope"})
    assert bogus.status_code == 302 and "e=1" in bogus["Location"]
    assert {"acknowledge", "close_agreed", "close_disagreed"} <= action_names(queue)

    blocks = officer.get(changelist(CautionaryBlock))
    assert {b.infraction_id for b in blocks.context["cl"].result_list} == {old.pk, newer.pk}
    assert "release_block" in action_names(blocks)


def test_officer_acknowledges_then_closes_agreed_and_the_payer_gets_the_money_back(
    officer, django_capture_on_commit_callbacks
):
    from tests.factories.ledger import balance_of

    transfer = received_pix(amount_cents=10_000)
    report = infraction(transfer)
    assert report.cautionary_blocks.get().state == CautionaryBlock.State.ACTIVE

    run_action(officer, InfractionReport, "acknowledge", [report])
    report.refresh_from_db()
    assert report.state == InfractionReport.State.ACKNOWLEDGED
    assert audited(report, "acknowledge")
    assert AuditEvent.objects.filter(
        detail__event="pix.med.report_acknowledged", object_id=str(report.pk)
    ).exists()

    asked = run_action(officer, InfractionReport, "close_agreed", [report])
    assert b'name="reason"' in asked.content  # the intermediate page asks why
    with django_capture_on_commit_callbacks(execute=True):
        done = confirm(
            officer, InfractionReport, "close_agreed", [report], "golpe confirmado pelo cliente"
        )
    assert done.status_code == 200
    report.refresh_from_db()
    assert report.state == InfractionReport.State.CLOSED
    assert report.analysis_result == InfractionReport.Result.AGREED
    assert report.analysis_details == "golpe confirmado pelo cliente"
    assert report.analysed_by == officer.user
    assert report.refund.amount == 10_000 and report.refund.reason_code == "FR01"
    assert report.cautionary_blocks.get().state == CautionaryBlock.State.USED
    assert balance_of(transfer.account_id)[0] == 0
    assert audited(report, "golpe confirmado pelo cliente")
    assert AuditEvent.objects.filter(
        detail__event="pix.med.report_closed", object_id=str(report.pk)
    ).exists()
    page = officer.get(change(report)).content.decode()
    assert report.refund.return_id in page and "close" in page  # refund link, transitions


def test_close_disagreed_releases_the_block_and_needs_a_reason(officer):
    from tests.factories.ledger import balance_of

    transfer = received_pix(amount_cents=7_000)
    report = infraction(transfer)
    assert balance_of(transfer.account_id) == (7_000, 0)

    blank = confirm(officer, InfractionReport, "close_disagreed", [report], "   ")
    assert b'name="reason"' in blank.content  # refused: asked again
    report.refresh_from_db()
    assert report.state == InfractionReport.State.OPEN

    confirm(officer, InfractionReport, "close_disagreed", [report], "venda legitima comprovada")
    report.refresh_from_db()
    assert report.state == InfractionReport.State.CLOSED
    assert report.analysis_result == InfractionReport.Result.DISAGREED
    assert report.cautionary_blocks.get().state == CautionaryBlock.State.RELEASED
    assert balance_of(transfer.account_id) == (7_000, 7_000)


def test_officer_releases_a_block_with_a_reason(officer, admin):
    from tests.factories.ledger import balance_of

    transfer = received_pix(amount_cents=5_000)
    placed = block(transfer, admin.user)
    assert balance_of(transfer.account_id) == (5_000, 0)

    asked = run_action(officer, CautionaryBlock, "release_block", [placed])
    assert b'name="reason"' in asked.content
    response = confirm(officer, CautionaryBlock, "release_block", [placed], "cliente identificado")

    placed.refresh_from_db()
    assert placed.state == CautionaryBlock.State.RELEASED
    assert balance_of(transfer.account_id) == (5_000, 5_000)
    assert any("R$ 50,00" in m for m in messages_of(response))
    assert audited(placed, "cliente identificado")
    assert AuditEvent.objects.filter(
        detail__event="pix.med.block_released", object_id=str(placed.pk)
    ).exists()
    # Releasing it again is refused per object (a released block cannot take "release"
    # since #16, before the service is asked), with an error message, not a 500.
    again = confirm(
        officer, CautionaryBlock, "release_block", [placed], "de novo", query="?queue=all"
    )
    assert again.status_code == 200
    errors = [str(m) for m in again.context["messages"] if m.level_tag == "error"]
    assert len(errors) == 1 and str(placed) in errors[0]


def test_our_own_reports_are_not_decided_here(
    officer, settings, django_capture_on_commit_callbacks
):
    """A REPORTER report (our customer contests a Pix they sent) is analysed elsewhere: the
    service refuses, the console says so and nothing changes."""
    from apps.pix.med import services as med

    transfer = sent_pix(settings, django_capture_on_commit_callbacks, answered=True)
    ours = med.infraction_report_open(
        transfer=transfer,
        situation=InfractionReport.Situation.SCAM,
        details="nao reconheco",
        actor=transfer.account.customer.user,
    )
    response = confirm(officer, InfractionReport, "close_agreed", [ours], "tentativa")
    assert response.status_code == 200
    assert any(str(ours) in m for m in messages_of(response))
    ours.refresh_from_db()
    assert ours.state == InfractionReport.State.OPEN
    assert not LogEntry.objects.filter(object_id=str(ours.pk)).exists()


def test_operators_see_no_med_queue_and_cannot_decide(operator):
    report = infraction(received_pix())
    assert operator.get(changelist(InfractionReport)).status_code == 403
    assert operator.get(changelist(CautionaryBlock)).status_code == 403
    refused = operator.post(
        changelist(InfractionReport),
        {
            "action": "close_agreed",
            "apply": "yes",
            "reason": "x",
            helpers.ACTION_CHECKBOX_NAME: [report.pk],
        },
    )
    assert refused.status_code == 403
    report.refresh_from_db()
    assert report.state == InfractionReport.State.OPEN
    # Nor does the transfer page of an operator show MED links.
    page = operator.get(change(report.transfer)).content.decode()
    assert "MED" not in page


def test_charge_page_shows_its_payments_and_location(operator):
    from apps.simulators.spi.inbound import Recipient, simulate_inbound_pix

    charge = charge_with_location()
    paid = simulate_inbound_pix(
        recipient=Recipient(account=charge.account, key=None),
        amount_cents=charge.amount,
        txid=charge.txid,
        payer_name="Beatriz Nunes Araujo",
    )
    charge.refresh_from_db()
    assert charge.status == PixCharge.Status.CONCLUIDA

    page = operator.get(change(charge)).content.decode()
    assert paid.end_to_end_id in page and "R$ 123,45" in page  # the payments inline
    assert "Beatriz N. A." in page
    found = operator.get(changelist(PixCharge), {"q": charge.txid})
    assert list(found.context["cl"].result_list) == [charge]
    concluded = operator.get(changelist(PixCharge), {"status__exact": "ATIVA"})
    assert charge not in concluded.context["cl"].result_list

    location_page = operator.get(change(charge.location)).content.decode()
    assert charge.location.uuid.hex in location_page
    assert charge.txid in location_page  # linked to its charge
