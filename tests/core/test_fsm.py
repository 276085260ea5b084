import pytest
from django.db import connection

from apps.accounts.models import Customer
from apps.core.fsm import InvalidTransition, apply_transition, transitions_of
from tests.factories.users import CustomerFactory, UserFactory


@pytest.mark.django_db
def test_transition_is_logged_with_actor_and_history():
    officer = UserFactory()
    customer = CustomerFactory()
    apply_transition(customer, "activate", by=officer, reason="documents ok")
    apply_transition(customer, "block", by="fraud-engine", reason="suspicious login")
    customer.refresh_from_db()
    assert customer.state == Customer.State.BLOCKED
    log = list(transitions_of(customer))
    assert [(t.source_state, t.target_state) for t in log] == [
        ("pending", "active"),
        ("active", "blocked"),
    ]
    assert log[0].actor == officer and log[0].reason == "documents ok"
    assert log[1].actor is None and log[1].actor_label == "fraud-engine"
    reasons = list(
        customer.history.order_by("history_id").values_list("history_change_reason", flat=True)
    )
    assert reasons[-2:] == ["activate: documents ok", "block: suspicious login"]


@pytest.mark.django_db
def test_invalid_transition_is_a_conflict():
    customer = CustomerFactory()
    with pytest.raises(InvalidTransition):
        apply_transition(customer, "unblock", by=None)


@pytest.mark.django_db
def test_state_field_is_protected():
    customer = CustomerFactory()
    with pytest.raises(AttributeError):
        customer.state = Customer.State.ACTIVE


@pytest.mark.django_db
def test_concurrent_transition_is_detected():
    customer = CustomerFactory()
    stale = Customer.objects.get(pk=customer.pk)
    apply_transition(customer, "activate", by=None)
    with pytest.raises(InvalidTransition):
        apply_transition(stale, "close", by=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT state FROM accounts_customer WHERE id = %s", [customer.pk])
        assert cursor.fetchone()[0] == "active"
