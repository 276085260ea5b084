"""The core admin: users with history, a read-only audit trail, the outbox retry action,
and the database refusing to rewrite the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from apps.core.audit import record_event
from apps.core.models import (
    AuditEvent,
    IdempotencyRecord,
    OutboxMessage,
    StateTransitionLog,
    User,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return User.objects.create_superuser(
        username="root", email="root@athena.example", password="secret-pass-123"
    )


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def event(admin_user):
    return record_event(
        AuditEvent.Action.DATA_EXPORT,
        actor=admin_user,
        detail={"format": "csv", "what": "statement"},
    )


def _changelist(model) -> str:
    return reverse(f"admin:core_{model._meta.model_name}_changelist")


def _actions(response) -> set[str]:
    form = response.context["action_form"]
    return set() if form is None else {name for name, _ in form.fields["action"].choices}


def _change(obj) -> str:
    return reverse(f"admin:core_{obj._meta.model_name}_change", args=[obj.pk])


# --- Audit trail ---------------------------------------------------------------------------


def test_admin_sees_the_audit_list_with_filters_and_search(admin_client, event):
    response = admin_client.get(_changelist(AuditEvent))
    assert response.status_code == 200
    assert event in response.context["cl"].result_list
    assert b"root@athena.example" in response.content

    filtered = admin_client.get(_changelist(AuditEvent), {"action__exact": "data_export"})
    assert list(filtered.context["cl"].result_list) == [event]
    other = admin_client.get(_changelist(AuditEvent), {"action__exact": "login_failed"})
    assert list(other.context["cl"].result_list) == []

    today = timezone.localdate()
    dated = admin_client.get(
        _changelist(AuditEvent),
        {"at__year": today.year, "at__month": today.month, "at__day": today.day},
    )
    assert dated.status_code == 200
    assert event in dated.context["cl"].result_list

    by_actor = admin_client.get(_changelist(AuditEvent), {"q": "root@athena"})
    assert event in by_actor.context["cl"].result_list
    by_object = admin_client.get(_changelist(AuditEvent), {"q": "nobody-like-this"})
    assert list(by_object.context["cl"].result_list) == []


def test_audit_event_cannot_be_added_changed_or_deleted_even_by_a_superuser(admin_client, event):
    # The change page is a read-only view.
    page = admin_client.get(_change(event))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert page.context["has_delete_permission"] is False
    assert b'name="_save"' not in page.content

    changed = admin_client.post(_change(event), {"action": "login", "actor_label": "forged"})
    assert changed.status_code == 403
    add = reverse("admin:core_auditevent_add")
    assert admin_client.get(add).status_code == 403
    delete = reverse("admin:core_auditevent_delete", args=[event.pk])
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403

    # No bulk delete either: the action is not offered, and posting it does nothing.
    listing = admin_client.get(_changelist(AuditEvent))
    assert "delete_selected" not in _actions(listing)
    admin_client.post(
        _changelist(AuditEvent),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    event.refresh_from_db()
    assert event.action == AuditEvent.Action.DATA_EXPORT
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "model", [AuditEvent, StateTransitionLog, OutboxMessage, IdempotencyRecord]
)
def test_evidence_models_are_read_only(admin_client, model):
    from django.contrib import admin

    model_admin = admin.site._registry[model]
    request = admin_client.get(_changelist(model)).wsgi_request
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_staff_without_view_permission_cannot_read_the_audit_trail(client, event):
    staff = User.objects.create_user(
        username="op", email="op@athena.example", password="secret-pass-123", is_staff=True
    )
    client.force_login(staff)
    assert client.get(_changelist(AuditEvent)).status_code == 403


# --- Admin actions land in the audit trail -------------------------------------------------


def test_changing_a_user_in_the_admin_records_an_admin_action(admin_client, admin_user):
    customer = User.objects.create_user(
        username="maria", email="maria@example.com", password="secret-pass-123"
    )
    operators, _ = Group.objects.get_or_create(name="operator")
    page = admin_client.get(_change(customer))
    assert page.status_code == 200
    data = {
        "email": customer.email,
        "username": customer.username,
        "full_name": "Maria da Silva",
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "groups": [operators.pk],
    }
    response = admin_client.post(_change(customer), data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    customer.refresh_from_db()
    assert customer.full_name == "Maria da Silva"
    assert list(customer.groups.values_list("name", flat=True)) == ["operator"]

    entry = LogEntry.objects.get(object_id=str(customer.pk), action_flag=CHANGE)
    event = AuditEvent.objects.filter(action=AuditEvent.Action.ADMIN_ACTION).latest("id")
    assert event.actor_id == admin_user.pk
    assert str(event.detail["object_id"]) == str(customer.pk)
    assert event.detail["object_type"] == "user"
    assert event.detail["object_repr"] == entry.object_repr == "maria@example.com"
    assert "Full name" in entry.change_message  # stored untranslated
    assert event.detail["change"]

    # The history tab shows the change and who made it.
    latest = customer.history.latest()
    assert latest.full_name == "Maria da Silva"
    assert latest.history_user_id == admin_user.pk
    history = admin_client.get(reverse("admin:core_user_history", args=[customer.pk]))
    assert history.status_code == 200
    assert b"root@athena.example" in history.content


def test_user_admin_lists_searches_and_adds_users(admin_client, admin_user):
    User.objects.create_user(
        username="joao", email="joao@example.com", full_name="Joao Souza", password="x-pass-123"
    )
    listing = admin_client.get(_changelist(User), {"q": "Souza"})
    assert listing.status_code == 200
    assert [u.email for u in listing.context["cl"].result_list] == ["joao@example.com"]

    add = admin_client.post(
        reverse("admin:core_user_add"),
        {
            "email": "ana@example.com",
            "username": "ana",
            "full_name": "Ana Lima",
            "usable_password": "true",
            "password1": "a-Strong-pass-9876",
            "password2": "a-Strong-pass-9876",
        },
    )
    assert add.status_code == 302, add.context["adminform"].form.errors
    created = User.objects.get(email="ana@example.com")
    assert created.full_name == "Ana Lima"
    assert created.check_password("a-Strong-pass-9876")
    added = AuditEvent.objects.filter(action=AuditEvent.Action.ADMIN_ACTION).latest("id")
    assert str(added.detail["object_id"]) == str(created.pk)


# --- Outbox: read-only, with a "retry now" action ------------------------------------------


def test_outbox_retry_now_makes_pending_messages_due(admin_client, settings):
    settings.OUTBOX_KICK_ON_COMMIT = False
    later = timezone.now() + timedelta(hours=1)
    failing = OutboxMessage.objects.create(
        topic="test.none", available_at=later, attempts=3, last_error="boom"
    )
    done_at = timezone.now() - timedelta(minutes=5)
    processed = OutboxMessage.objects.create(
        topic="test.none", available_at=later, processed_at=done_at
    )

    page = admin_client.get(_changelist(OutboxMessage))
    assert page.status_code == 200
    assert "retry_now" in _actions(page)

    before = timezone.now()
    response = admin_client.post(
        _changelist(OutboxMessage),
        {"action": "retry_now", "_selected_action": [str(failing.pk), str(processed.pk)]},
    )
    assert response.status_code == 302
    failing.refresh_from_db()
    processed.refresh_from_db()
    assert before <= failing.available_at <= timezone.now()
    assert failing.processed_at is None
    assert processed.available_at == later  # processed messages are left alone
    assert processed.processed_at == done_at
    assert LogEntry.objects.filter(object_id=str(failing.pk), action_flag=CHANGE).exists()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.ADMIN_ACTION, detail__object_id=str(failing.pk)
    ).exists()

    # Searchable by id (a text that is no UUID is not an error) and filterable by state.
    found = admin_client.get(_changelist(OutboxMessage), {"q": str(failing.pk)})
    assert list(found.context["cl"].result_list) == [failing]
    assert admin_client.get(_changelist(OutboxMessage), {"q": "not-a-uuid"}).status_code == 200
    failing_only = admin_client.get(_changelist(OutboxMessage), {"state": "failing"})
    assert list(failing_only.context["cl"].result_list) == [failing]

    # Read-only otherwise.
    assert admin_client.get(_change(failing)).context["has_change_permission"] is False
    assert admin_client.post(_change(failing), {"topic": "x"}).status_code == 403


def test_outbox_retry_needs_the_change_permission(client, settings):
    from django.contrib.auth.models import Permission

    settings.OUTBOX_KICK_ON_COMMIT = False
    viewer = User.objects.create_user(
        username="viewer", email="viewer@athena.example", password="x-pass-123", is_staff=True
    )
    viewer.user_permissions.add(Permission.objects.get(codename="view_outboxmessage"))
    client.force_login(viewer)
    later = timezone.now() + timedelta(hours=1)
    message = OutboxMessage.objects.create(topic="test.none", available_at=later)

    page = client.get(_changelist(OutboxMessage))
    assert page.status_code == 200
    assert "retry_now" not in _actions(page)
    client.post(
        _changelist(OutboxMessage),
        {"action": "retry_now", "_selected_action": [str(message.pk)]},
    )
    message.refresh_from_db()
    assert message.available_at == later


# --- The database itself refuses to rewrite the audit log ----------------------------------


def test_raw_update_of_an_audit_event_is_refused_by_the_trigger(event):
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE core_auditevent SET actor_label = 'forged' WHERE id = %s", [event.pk]
        )
    event.refresh_from_db()
    assert event.actor_label == "root@athena.example"


def test_raw_delete_of_an_audit_event_is_refused_by_the_trigger(event):
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_orm_update_and_delete_are_refused_too(event):
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="login")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == AuditEvent.Action.DATA_EXPORT
