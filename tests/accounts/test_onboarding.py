"""Onboarding ends in an account: once the e-mail is verified and the onboarding screening is
clear (in either order), the customer is active at KYC level 0 with one payment account;
a screening hit keeps them pending in the compliance queue. Operators open and close
further accounts from the admin."""

from __future__ import annotations

import threading

import pytest
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.contrib.admin import helpers
from django.contrib.auth.models import Group
from django.db import connections
from django.test import Client
from django.urls import reverse
from stdnum import luhn

from apps.accounts import registry as onboarding
from apps.accounts import services
from apps.accounts.models import Account, Customer
from apps.compliance.models import ScreeningHit, ScreeningResult, WatchlistEntry
from apps.compliance.services import hit_set_status, invalidate_index
from apps.core import roles
from apps.core.models import AuditEvent
from tests.factories.customers import person
from tests.factories.users import UserFactory

LISTED_NAME = "Viktor Anatolyevich Bout"


@pytest.fixture
def watchlisted():
    WatchlistEntry.objects.create(name=LISTED_NAME, reason="test")
    invalidate_index()
    yield
    invalidate_index()


def sign_up(name: str, capture) -> Customer:
    """Register as the sign-up form does; the onboarding screening runs after the commit."""
    with capture(execute=True):
        customer = person(name)
    EmailAddress.objects.create(
        user=customer.user, email=customer.user.email, primary=True, verified=False
    )
    return customer


def confirm_email(customer: Customer, capture) -> None:
    """What allauth does when the customer follows the link (verify, then the signal)."""
    with capture(execute=True):
        address = EmailAddress.objects.get(user=customer.user)
        address.verified = True
        address.save(update_fields=["verified"])
        email_confirmed.send(sender=EmailAddress, request=None, email_address=address)


def customer_accounts(customer: Customer) -> list[Account]:
    return list(Account.objects.filter(customer=customer, kind=Account.Kind.CUSTOMER))


def assert_onboarded(customer: Customer) -> Account:
    customer.refresh_from_db()
    assert customer.state == Customer.State.ACTIVE
    assert customer.kyc_level == 0
    (account,) = customer_accounts(customer)
    assert account.state == Account.State.ACTIVE
    assert account.branch == "0001"
    # Eight digits from the sequence and a Luhn check digit.
    assert len(account.number) == 9 and account.number.isdigit()
    assert luhn.is_valid(account.number)
    return account


@pytest.mark.django_db
def test_screening_first_then_the_email_confirmation(django_capture_on_commit_callbacks):
    customer = sign_up("Maria Souza Lima", django_capture_on_commit_callbacks)
    assert ScreeningResult.objects.filter(customer=customer, context="onboarding").exists()
    customer.refresh_from_db()
    assert customer.state == Customer.State.PENDING  # the e-mail is not verified yet
    assert onboarding.pending_reasons(customer) == ["email_unverified"]
    assert customer_accounts(customer) == []

    confirm_email(customer, django_capture_on_commit_callbacks)

    assert_onboarded(customer)
    assert AuditEvent.objects.filter(action="accounts.customer_onboarded").count() == 1


@pytest.mark.django_db
def test_email_confirmation_first_then_the_screening(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as screening:
        customer = person("Joana Ribeiro")
    EmailAddress.objects.create(
        user=customer.user, email=customer.user.email, primary=True, verified=False
    )
    confirm_email(customer, django_capture_on_commit_callbacks)
    customer.refresh_from_db()
    assert customer.state == Customer.State.PENDING
    assert onboarding.pending_reasons(customer) == ["screening_pending"]

    for callback in screening:  # the screening, after the registration's commit
        callback()

    assert_onboarded(customer)


@pytest.mark.django_db
def test_completing_twice_opens_one_account(django_capture_on_commit_callbacks):
    customer = sign_up("Maria Souza Lima", django_capture_on_commit_callbacks)
    confirm_email(customer, django_capture_on_commit_callbacks)
    assert services.customer_onboarding_complete(customer_id=customer.pk) is None
    email_confirmed.send(
        sender=EmailAddress,
        request=None,
        email_address=EmailAddress.objects.get(user=customer.user),
    )
    assert_onboarded(customer)


@pytest.mark.django_db
def test_a_screening_hit_keeps_the_customer_pending_until_compliance_clears_it(
    watchlisted, django_capture_on_commit_callbacks, client
):
    customer = sign_up("Viktor Bout Anatolyevich", django_capture_on_commit_callbacks)
    confirm_email(customer, django_capture_on_commit_callbacks)

    customer.refresh_from_db()
    assert customer.state == Customer.State.PENDING
    assert "screening_review" in onboarding.pending_reasons(customer)
    assert customer_accounts(customer) == []
    hits = ScreeningHit.objects.filter(result__customer=customer, status=ScreeningHit.Status.OPEN)
    assert hits.exists()  # the compliance queue's screening alerts

    # The portal says so, in Brazilian Portuguese.
    client.force_login(customer.user)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert "Seu cadastro está em análise pela nossa equipe de compliance" in page

    officer = UserFactory(is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        for hit in list(hits):
            hit_set_status(hit=hit, status=ScreeningHit.Status.CLEARED, actor=officer)

    assert_onboarded(customer)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert "Seu cadastro está em análise" not in page


@pytest.mark.django_db
def test_a_confirmed_hit_never_activates(watchlisted, django_capture_on_commit_callbacks):
    customer = sign_up("Viktor Bout Anatolyevich", django_capture_on_commit_callbacks)
    confirm_email(customer, django_capture_on_commit_callbacks)
    officer = UserFactory(is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        for hit in ScreeningHit.objects.filter(result__customer=customer):
            hit_set_status(hit=hit, status=ScreeningHit.Status.CONFIRMED, actor=officer)
    customer.refresh_from_db()
    assert customer.state == Customer.State.PENDING
    assert customer_accounts(customer) == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_completions_activate_once_and_open_one_account():
    """The e-mail confirmation and the screening finishing at once (both gates clear):
    each caller completes after its own commit; the row lock lets one of them win."""
    customer = person("Maria Souza Lima")  # screened on commit (transactional test)
    EmailAddress.objects.create(
        user=customer.user, email=customer.user.email, primary=True, verified=True
    )
    assert onboarding.pending_reasons(customer) == []

    barrier = threading.Barrier(6)
    results, errors = [], []

    def complete() -> None:
        try:
            barrier.wait()
            results.append(services.customer_onboarding_complete(customer_id=customer.pk))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=complete) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len([r for r in results if r is not None]) == 1
    assert_onboarded(customer)


# --- The admin: activate, open and close accounts ------------------------------------------


def operator_client() -> Client:
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=roles.OPERATOR))
    client = Client()
    client.force_login(user)
    return client


def admin_events(obj):
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.ADMIN_ACTION,
        detail__object_type=obj._meta.model_name,
        detail__object_id=str(obj.pk),
    ).order_by("-pk")


def run(client, model, action: str, objs, reason: str):
    return client.post(
        reverse(f"admin:accounts_{model._meta.model_name}_changelist"),
        {
            "action": action,
            "apply": "yes",
            "reason": reason,
            helpers.ACTION_CHECKBOX_NAME: [o.pk for o in objs],
        },
        follow=True,
    )


@pytest.mark.django_db
def test_operator_activation_opens_the_first_account():
    customer = person("Maria Souza Lima")
    run(operator_client(), Customer, "activate", [customer], "documents checked")
    account = assert_onboarded(customer)
    assert customer.state_reason == "documents checked"
    assert account.customer_id == customer.pk


@pytest.mark.django_db
def test_operator_opens_a_further_account_and_closes_it():
    client = operator_client()
    customer = person("Maria Souza Lima")
    refused = run(client, Customer, "open_account", [customer], "second account")
    messages = [str(m) for m in refused.context["messages"]]
    # The console reads in pt-BR, the state by its label.
    assert any("Somente um cliente ativo" in m and "pendente" in m for m in messages), messages
    assert customer_accounts(customer) == []

    run(client, Customer, "activate", [customer], "documents checked")
    response = run(client, Customer, "open_account", [customer], "a savings pot")
    accounts = sorted(customer_accounts(customer), key=lambda a: a.pk)
    assert len(accounts) == 2
    second = accounts[1]
    assert luhn.is_valid(second.number) and second.number != accounts[0].number
    assert any(f"0001/{second.number}" in str(m) for m in response.context["messages"])
    opened = admin_events(customer).first()
    assert opened is not None and "open_account: a savings pot" in opened.detail["change"]

    run(client, Account, "close", [second], "customer asked")
    second.refresh_from_db()
    assert second.state == Account.State.CLOSED
    closed = admin_events(second).first()
    assert closed is not None and "close: customer asked" in closed.detail["change"]
