"""The ledger console (apps/accounts/admin.py): masked CPF/CNPJ, read-only ledger, admin
actions with a reason, four-eyes reversals, the reconciliation report and alerts."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts import services
from apps.accounts.models import (
    Account,
    Customer,
    Hold,
    JournalEntry,
    LedgerAlert,
    Posting,
    ReconciliationRun,
    ReversalRequest,
)
from apps.core import roles
from apps.core.models import AuditEvent
from tests.factories.ledger import balance_of, funded_account
from tests.factories.users import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

CPF = "52998224725"
CPF_FORMATTED = "529.982.247-25"
CPF_MASKED = "***.982.247-**"


# --- Fixtures and helpers --------------------------------------------------------------------


def staff_member(role: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def operator():
    return staff_member(roles.OPERATOR)


@pytest.fixture
def operator_client(operator):
    return client_for(operator)


@pytest.fixture
def second_operator_client():
    return client_for(staff_member(roles.OPERATOR))


@pytest.fixture
def officer_client():
    return client_for(staff_member(roles.COMPLIANCE_OFFICER))


@pytest.fixture
def admin_client():
    return client_for(staff_member(roles.ADMIN))


@pytest.fixture
def customer():
    return CustomerFactory(full_name="Maria da Silva", tax_id=CPF)


def changelist(model) -> str:
    return reverse(f"admin:accounts_{model._meta.model_name}_changelist")


def change(obj) -> str:
    return reverse(f"admin:accounts_{obj._meta.model_name}_change", args=[obj.pk])


def history(obj) -> str:
    return reverse(f"admin:accounts_{obj._meta.model_name}_history", args=[obj.pk])


def action_names(response) -> set[str]:
    form = response.context["action_form"]
    return set() if form is None else {name for name, _ in form.fields["action"].choices} - {""}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def successes(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level_tag == "success"]


def ask(client, model, action: str, objs):
    """First step of an action with a reason: the intermediate page."""
    return client.post(
        changelist(model),
        {"action": action, "index": "0", helpers.ACTION_CHECKBOX_NAME: [o.pk for o in objs]},
    )


def confirm(client, model, action: str, objs, reason: str):
    """Second step: the reason, posted back from the intermediate page."""
    return client.post(
        changelist(model),
        {
            "action": action,
            "apply": "yes",
            "reason": reason,
            helpers.ACTION_CHECKBOX_NAME: [o.pk for o in objs],
        },
        follow=True,
    )


def run_action(client, model, action: str, objs):
    """An action without an intermediate page."""
    return client.post(
        changelist(model),
        {"action": action, "index": "0", helpers.ACTION_CHECKBOX_NAME: [o.pk for o in objs]},
        follow=True,
    )


def transfer(amount_cents: int) -> tuple[Account, Account, JournalEntry]:
    payer, payee = funded_account(amount_cents), funded_account()
    entry_id = services.book_transfer(
        source_id=payer.pk, destination_id=payee.pk, amount_cents=amount_cents, description="pay"
    )
    return payer, payee, JournalEntry.objects.get(pk=entry_id)


# --- CPF/CNPJ: masked unless allowed, never editable, searchable by exact value ---------------


def test_operator_sees_the_cpf_masked(operator_client, customer):
    page = operator_client.get(change(customer))
    assert page.status_code == 200
    content = page.content.decode()
    assert CPF_MASKED in content
    assert CPF not in content and CPF_FORMATTED not in content
    assert 'name="tax_id"' not in content  # never a form field

    listing = operator_client.get(changelist(Customer)).content.decode()
    assert CPF_MASKED in listing and CPF_FORMATTED not in listing


def test_compliance_officer_sees_the_full_cpf_read_only(officer_client, customer):
    page = officer_client.get(change(customer))
    assert page.status_code == 200
    content = page.content.decode()
    assert CPF_FORMATTED in content
    assert 'name="tax_id"' not in content
    assert b'name="_save"' not in page.content  # view only
    # The list stays masked for everyone.
    assert CPF_FORMATTED not in officer_client.get(changelist(Customer)).content.decode()
    # And a view-only role cannot change the customer.
    refused = officer_client.post(change(customer), {"full_name": "Someone Else"})
    assert refused.status_code == 403


def test_permission_map_gives_full_tax_id_to_officers_not_operators(operator):
    officer = staff_member(roles.COMPLIANCE_OFFICER)
    assert officer.has_perm("accounts.view_full_tax_id")
    assert not operator.has_perm("accounts.view_full_tax_id")
    assert operator.has_perm("accounts.change_hold")


def test_search_by_exact_cpf_or_name_finds_the_customer(operator_client, customer):
    other = CustomerFactory(full_name="Joao Souza")
    for term in (CPF, CPF_FORMATTED):
        found = operator_client.get(changelist(Customer), {"q": term})
        assert list(found.context["cl"].result_list) == [customer]
    by_name = operator_client.get(changelist(Customer), {"q": "maria da"})
    assert list(by_name.context["cl"].result_list) == [customer]
    assert other not in by_name.context["cl"].result_list
    # A partial CPF finds nothing: the column is encrypted, lookup is exact by hash.
    partial = operator_client.get(changelist(Customer), {"q": CPF[:6]})
    assert list(partial.context["cl"].result_list) == []


def test_operator_edits_the_name_only(operator_client, customer):
    management = {"accounts-TOTAL_FORMS": "0", "accounts-INITIAL_FORMS": "0"}
    response = operator_client.post(
        change(customer), {"full_name": "Maria S. Silva", "state": "closed", **management}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.full_name == "Maria S. Silva"
    assert customer.tax_id == CPF
    assert customer.state == Customer.State.PENDING


def test_customer_transition_asks_for_a_reason(operator_client, customer):
    page = ask(operator_client, Customer, "activate", [customer])
    assert page.status_code == 200
    assert b'name="reason"' in page.content

    blank = confirm(operator_client, Customer, "activate", [customer], "   ")
    assert b'name="reason"' in blank.content  # shown again, with the error
    customer.refresh_from_db()
    assert customer.state == Customer.State.PENDING

    done = confirm(operator_client, Customer, "activate", [customer], "documents checked")
    customer.refresh_from_db()
    assert customer.state == Customer.State.ACTIVE
    assert customer.state_reason == "documents checked"
    assert len(successes(done)) == 1

    # An impossible transition is refused per object, with a message; nothing changes.
    refused = confirm(operator_client, Customer, "unblock", [customer], "why not")
    errors = [str(m) for m in refused.context["messages"] if m.level_tag == "error"]
    assert len(errors) == 1 and str(customer) in errors[0]
    customer.refresh_from_db()
    assert customer.state == Customer.State.ACTIVE


def test_compliance_officer_has_no_state_actions(officer_client, customer):
    listing = officer_client.get(changelist(Customer))
    assert action_names(listing) == set()


def test_customer_page_shows_accounts_with_balances(operator_client, customer):
    funded_account(123_456, customer=customer)
    page = operator_client.get(change(customer)).content.decode()
    assert "R$ 1.234,56" in page


def test_customer_history_version_page_cannot_be_posted(officer_client, customer):
    version = customer.history.latest()
    url = reverse("admin:accounts_customer_simple_history", args=[customer.pk, version.history_id])
    assert officer_client.get(url).status_code == 200
    assert officer_client.post(url, {"full_name": "Forged"}).status_code == 403
    customer.refresh_from_db()
    assert customer.full_name == "Maria da Silva"


def test_tax_id_changes_in_history_are_masked_unless_allowed(
    operator_client, officer_client, customer
):
    customer.tax_id = "11144477735"  # a correction made outside the admin
    customer.save()
    operator_history = operator_client.get(history(customer)).content.decode()
    assert CPF_MASKED in operator_history and "***.444.777-**" in operator_history
    assert CPF not in operator_history and "11144477735" not in operator_history
    officer_history = officer_client.get(history(customer)).content.decode()
    assert CPF in officer_history and "11144477735" in officer_history


# --- Accounts -----------------------------------------------------------------------------


def test_account_list_shows_formatted_balances(operator_client):
    account = funded_account(250_075)
    services.hold_place(account_id=account.pk, amount_cents=50_000, reason="card auth")
    listing = operator_client.get(changelist(Account))
    assert listing.status_code == 200
    content = listing.content.decode()
    assert "R$ 2.500,75" in content  # balance
    assert "R$ 500,00" in content  # held
    assert "R$ 2.000,75" in content  # available
    page = operator_client.get(change(account)).content.decode()
    assert f"{reverse('admin:accounts_posting_changelist')}?account={account.pk}" in page
    for field in ("balance", "held", "overdraft_limit", "state"):
        assert f'name="{field}"' not in page


def test_editing_an_account_never_writes_its_balance(operator_client):
    account = funded_account(1_000)
    with CaptureQueriesContext(connection) as captured:
        response = operator_client.post(change(account), {"name": "Conta principal"})
    assert response.status_code == 302
    updates = [q["sql"] for q in captured if q["sql"].startswith('UPDATE "accounts_account"')]
    assert updates and all('"balance"' not in sql and '"held"' not in sql for sql in updates)
    account.refresh_from_db()
    assert account.name == "Conta principal"
    assert balance_of(account.pk) == (1_000, 1_000)


def test_account_add_and_delete_are_disabled(admin_client):
    account = funded_account()
    assert admin_client.get(reverse("admin:accounts_account_add")).status_code == 403
    delete = reverse("admin:accounts_account_delete", args=[account.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert "delete_selected" not in action_names(admin_client.get(changelist(Account)))


def test_account_block_with_reason_shows_in_history(operator_client, operator):
    account = funded_account(1_000)
    confirm(operator_client, Account, "block", [account], "suspected fraud")
    account.refresh_from_db()
    assert account.state == Account.State.BLOCKED
    assert account.state_reason == "suspected fraud"
    assert balance_of(account.pk) == (1_000, 1_000)  # the lock-then-save kept the balance

    page = operator_client.get(history(account))
    assert page.status_code == 200
    assert "suspected fraud" in page.content.decode()

    log = LogEntry.objects.get(object_id=str(account.pk), content_type__model="account")
    assert log.user_id == operator.pk
    assert "suspected fraud" in log.change_message
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ADMIN_ACTION, actor=operator).exists()


def test_account_close_goes_through_the_service(operator_client):
    full, empty = funded_account(500), funded_account()
    response = confirm(operator_client, Account, "close", [full, empty], "customer asked")
    full.refresh_from_db()
    empty.refresh_from_db()
    assert full.state == Account.State.ACTIVE
    assert empty.state == Account.State.CLOSED
    # The console reads in pt-BR (its default language).
    assert any("saldo zero" in m for m in messages_of(response)), messages_of(response)


def test_internal_accounts_are_not_blocked_from_the_admin(admin_client):
    reserves = services.internal_account("reserves_bacen")
    response = confirm(admin_client, Account, "block", [reserves], "oops")
    reserves.refresh_from_db()
    assert reserves.state == Account.State.ACTIVE
    assert any("Contas internas do razão" in m for m in messages_of(response))


def test_postings_filtered_by_account(operator_client):
    payer, payee, entry = transfer(700)
    listing = operator_client.get(changelist(Posting), {"account": payee.pk})
    assert listing.status_code == 200
    assert {p.account_id for p in listing.context["cl"].result_list} == {payee.pk}
    unknown = operator_client.get(changelist(Posting), {"account": "999999"})
    assert list(unknown.context["cl"].result_list) == []
    by_entry = operator_client.get(changelist(Posting), {"q": str(entry.pk)})
    assert {p.entry_id for p in by_entry.context["cl"].result_list} == {entry.pk}


# --- Journal entries: read-only, reversal with four eyes ----------------------------------


def test_entries_are_read_only_even_for_admin(admin_client):
    _, _, entry = transfer(1_000)
    page = admin_client.get(change(entry))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert b"R$ 10,00" in page.content  # amount and postings inline
    assert admin_client.post(change(entry), {"kind": "forged"}).status_code == 403
    delete = reverse("admin:accounts_journalentry_delete", args=[entry.pk])
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert admin_client.get(reverse("admin:accounts_journalentry_add")).status_code == 403
    assert "delete_selected" not in action_names(admin_client.get(changelist(JournalEntry)))
    posting = entry.postings.first()
    assert admin_client.post(change(posting), {"amount": "1"}).status_code == 403
    entry.refresh_from_db()
    assert entry.kind == "book_transfer"


def test_entry_list_shows_amount_and_links(operator_client):
    _, _, entry = transfer(123_45)
    services.entry_reverse(entry_id=entry.pk, reason="test")
    reversal = JournalEntry.objects.get(reverses=entry)
    listing = operator_client.get(changelist(JournalEntry), {"q": f"#{entry.pk}"})
    assert list(listing.context["cl"].result_list) == [entry]
    content = listing.content.decode()
    assert "R$ 123,45" in content
    assert reverse("admin:accounts_journalentry_change", args=[reversal.pk]) in content
    assert reverse("admin:accounts_journalentry_change", args=[entry.pk]) in content
    by_words = operator_client.get(changelist(JournalEntry), {"q": "Reversal of"})
    assert list(by_words.context["cl"].result_list) == [reversal]


def test_reversal_at_or_below_the_threshold_executes_at_once(operator_client):
    payer, payee, entry = transfer(500_000)
    assert balance_of(payer.pk) == (0, 0)

    assert b'id="request-reversal"' in operator_client.get(change(entry)).content
    page = ask(operator_client, JournalEntry, "request_reversal", [entry])
    assert page.status_code == 200
    assert b'name="reason"' in page.content
    assert "R$ 10.000,00" in page.content.decode()

    response = confirm(operator_client, JournalEntry, "request_reversal", [entry], "duplicate")
    request = ReversalRequest.objects.get(entry=entry)
    assert request.state == ReversalRequest.State.EXECUTED
    assert balance_of(payer.pk) == (500_000, 500_000)
    assert balance_of(payee.pk) == (0, 0)
    assert any("estornado na hora" in m for m in messages_of(response))  # pt-BR, the default
    assert b'id="request-reversal"' not in operator_client.get(change(entry)).content


def test_reversal_above_the_threshold_needs_a_second_operator(
    operator_client, second_operator_client
):
    payer, payee, entry = transfer(1_500_000)
    response = confirm(operator_client, JournalEntry, "request_reversal", [entry], "fraud")
    request = ReversalRequest.objects.get(entry=entry)
    assert request.state == ReversalRequest.State.PENDING
    assert balance_of(payer.pk) == (0, 0)
    assert any("segundo operador" in m for m in messages_of(response)), messages_of(response)

    # Pending requests come first in the list.
    small = transfer(100)[2]
    services.entry_reverse(entry_id=small.pk, reason="done")  # no request
    listing = operator_client.get(changelist(ReversalRequest))
    assert list(listing.context["cl"].result_list)[0] == request

    # Approving asks for a reason (and, on the request's page, a confirmation) since #16.
    asked = ask(operator_client, ReversalRequest, "approve", [request])
    assert b'name="reason"' in asked.content and "R$ 15.000,00" in asked.content.decode()
    refused = confirm(operator_client, ReversalRequest, "approve", [request], "looks fine")
    assert any("quatro olhos" in m for m in messages_of(refused)), messages_of(refused)
    request.refresh_from_db()
    assert request.state == ReversalRequest.State.PENDING
    assert balance_of(payer.pk) == (0, 0)

    approved = confirm(
        second_operator_client, ReversalRequest, "approve", [request], "checked with the bank"
    )
    request.refresh_from_db()
    assert request.state == ReversalRequest.State.EXECUTED
    assert balance_of(payer.pk) == (1_500_000, 1_500_000)
    assert balance_of(payee.pk) == (0, 0)
    assert len(successes(approved)) == 1
    assert operator_client.get(history(request)).status_code == 200


def test_reversal_request_can_be_rejected_with_a_reason(operator_client, second_operator_client):
    payer, _, entry = transfer(2_000_000)
    confirm(operator_client, JournalEntry, "request_reversal", [entry], "fraud?")
    request = ReversalRequest.objects.get(entry=entry)
    confirm(second_operator_client, ReversalRequest, "reject", [request], "legit payment")
    request.refresh_from_db()
    assert request.state == ReversalRequest.State.REJECTED
    assert balance_of(payer.pk) == (0, 0)


def test_reversal_of_a_reversal_is_refused_before_any_request(operator_client):
    _, _, entry = transfer(2_000_000)
    reversal = JournalEntry.objects.get(pk=services.entry_reverse(entry_id=entry.pk, reason="x"))
    response = confirm(
        operator_client, JournalEntry, "request_reversal", [reversal, entry], "again"
    )
    assert not ReversalRequest.objects.exists()
    assert any("não pode ser estornado" in m for m in messages_of(response))
    assert any("já foi estornado" in m for m in messages_of(response))


def test_compliance_officer_cannot_request_reversals(officer_client):
    _, _, entry = transfer(1_000)
    listing = officer_client.get(changelist(JournalEntry))
    assert "request_reversal" not in action_names(listing)
    assert b"request-reversal" not in officer_client.get(change(entry)).content


# --- Holds ------------------------------------------------------------------------------


def test_operator_releases_a_hold(operator_client):
    account = funded_account(10_000)
    hold = services.hold_place(account_id=account.pk, amount_cents=4_000, reason="cautionary")
    assert balance_of(account.pk) == (10_000, 6_000)
    confirm(operator_client, Hold, "release", [hold], "cleared by compliance")
    hold.refresh_from_db()
    assert hold.state == Hold.State.RELEASED
    assert balance_of(account.pk) == (10_000, 10_000)
    assert "cleared by compliance" in operator_client.get(history(hold)).content.decode()


# --- Reconciliation and alerts ------------------------------------------------------------


def test_run_reconciliation_from_the_admin_creates_a_report(admin_client):
    transfer(1_000)
    listing = admin_client.get(changelist(ReconciliationRun))
    assert b"run-reconciliation" in listing.content
    run_url = reverse("admin:accounts_reconciliationrun_run")
    assert admin_client.get(run_url).status_code == 405

    response = admin_client.post(run_url)
    run = ReconciliationRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == change(run)
    assert run.ok
    page = admin_client.get(change(run))
    assert page.status_code == 200
    assert LogEntry.objects.filter(object_id=str(run.pk), content_type__model="reconciliationrun")


def test_operator_may_read_reports_but_not_run_them(operator_client):
    listing = operator_client.get(changelist(ReconciliationRun))
    assert listing.status_code == 200
    assert b"run-reconciliation" not in listing.content
    assert operator_client.post(reverse("admin:accounts_reconciliationrun_run")).status_code == 403
    assert not ReconciliationRun.objects.exists()


def test_a_difference_opens_an_alert_that_operators_acknowledge_and_resolve(
    admin_client, operator_client
):
    account = funded_account(1_000)
    with connection.cursor() as cursor:  # corrupt the cached balance behind the ledger's back
        cursor.execute(
            "UPDATE accounts_account SET balance = balance + 7 WHERE id = %s", [account.pk]
        )
    admin_client.post(reverse("admin:accounts_reconciliationrun_run"))
    run = ReconciliationRun.objects.get()
    assert not run.ok
    report = admin_client.get(change(run)).content.decode()
    assert "R$ 0,07" in report  # the difference, in the mismatches table
    account_url = reverse("admin:accounts_account_change", args=[account.pk])
    assert f'<td><a href="{account_url}">{account.pk}</a></td>' in report

    alert = LedgerAlert.objects.get(run=run)
    listing = operator_client.get(changelist(LedgerAlert))
    assert list(listing.context["cl"].result_list)[0] == alert
    assert {"acknowledge", "resolve"} <= action_names(listing)

    confirm(operator_client, LedgerAlert, "acknowledge", [alert], "looking into it")
    alert.refresh_from_db()
    assert alert.state == LedgerAlert.State.ACKNOWLEDGED
    confirm(operator_client, LedgerAlert, "resolve", [alert], "balance fixed by DBA")
    alert.refresh_from_db()
    assert alert.state == LedgerAlert.State.RESOLVED
    page = operator_client.get(history(alert)).content.decode()
    assert "looking into it" in page and "balance fixed by DBA" in page


# --- Lists cost the same number of queries however many rows they show ---------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _some_ledger_activity(requester) -> None:
    payer, payee, entry = transfer(2_000_000)
    services.hold_place(account_id=payee.pk, amount_cents=100, reason="auth")
    services.reversal_request(entry_id=entry.pk, reason="check", actor=requester)
    LedgerAlert.objects.create(kind="reconciliation", message="test")


def test_changelists_have_no_query_per_row(admin_client, operator):
    models = (Customer, Account, JournalEntry, Posting, Hold, ReversalRequest, LedgerAlert)
    _some_ledger_activity(operator)
    before = {m: _queries(admin_client, changelist(m)) for m in models}
    for _ in range(3):
        _some_ledger_activity(operator)
    after = {m: _queries(admin_client, changelist(m)) for m in models}
    assert after == before


# --- Smoke: every page of the console answers -------------------------------------------


def test_every_page_answers_for_admin(admin_client, customer):
    account = funded_account(3_000_000, customer=customer)
    other = funded_account()
    entry_id = services.book_transfer(
        source_id=account.pk, destination_id=other.pk, amount_cents=1_500_000
    )
    hold = services.hold_place(account_id=account.pk, amount_cents=100, reason="auth")
    requester = staff_member(roles.OPERATOR)
    request = services.reversal_request(entry_id=entry_id, reason="check", actor=requester)
    from apps.accounts.reconciliation import reconcile

    run = reconcile()
    alert = LedgerAlert.objects.create(kind="reconciliation", message="test", run=run)
    objects = [
        customer,
        account,
        JournalEntry.objects.get(pk=entry_id),
        Posting.objects.filter(entry_id=entry_id).first(),
        hold,
        request,
        run,
        alert,
    ]
    with_history = (Customer, Account, Hold, ReversalRequest, LedgerAlert)
    for obj in objects:
        model = type(obj)
        assert admin_client.get(changelist(model)).status_code == 200, model
        assert admin_client.get(change(obj)).status_code == 200, model
        if model in with_history:
            assert admin_client.get(history(obj)).status_code == 200, model
    for model, params, expected in (
        (JournalEntry, {"kind": "book_transfer"}, 200),
        (JournalEntry, {"created_at__gte": "2000-01-01 00:00:00+00:00"}, 200),
        (JournalEntry, {"q": "words"}, 200),
        (Posting, {"account": str(account.pk), "kind": "book_transfer"}, 200),
        (Posting, {"q": "x"}, 200),
        (Posting, {"account": "abc"}, 302),  # invalid lookup: back to the list with ?e=1
        (Posting, {"account": "999999"}, 200),
        (Hold, {"account__id__exact": str(account.pk)}, 200),  # the account page's link
        (Customer, {"q": "12.ABC.345/01DE-35"}, 200),
        (Account, {"o": "7"}, 200),  # sorted by balance
    ):
        assert admin_client.get(changelist(model), params).status_code == expected, params
    assert admin_client.get(reverse("admin:app_list", args=["accounts"])).status_code == 200
