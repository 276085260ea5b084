"""The audit log as a hash chain: written by the database trigger, verified by Python, broken
by any row changed, deleted or inserted by hand, linear under concurrent writers."""

from __future__ import annotations

import io
import threading
from contextlib import contextmanager
from datetime import UTC

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from apps.core.audit import record_event
from apps.core.audit_chain import verify_and_alert, verify_chain
from apps.core.audit_hash import GENESIS_HASH, canonical_text, hash_text
from apps.core.models import AuditEvent, SystemAlert, User
from apps.core.tasks import verify_audit_chain_task
from tests.support.audit_chain import chain_at_once, empty_audit_log  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("empty_audit_log", "chain_at_once"),
]

# Strings PostgreSQL and Python must escape alike, numbers they must print alike, keys whose
# jsonb order (shorter first) differs from Python's sorted order.
AWKWARD_DETAIL = {
    "zz": 'quote " backslash \\ slash / newline \n tab \t bell \x07 del \x7f',
    "a_long_key": {"ção": "ü € 𝄞 \u2028", "b": [1, -2, 3.5, 1e20, 0.1, True, None, []]},
    "k": 12345678901234567890,
    "": {},
}


def _events(n: int, **detail) -> list[AuditEvent]:
    return [
        record_event(
            AuditEvent.Action.BUSINESS, actor_label=f"writer {i}", detail={"i": i, **detail}
        )
        for i in range(n)
    ]


@contextmanager
def _as_attacker():
    """What someone with the table owner's rights can do: switch the append-only trigger off."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only")
        try:
            yield cursor
        finally:
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_append_only")


def _run_verify_command() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit_chain", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


# --- How rows are chained -------------------------------------------------------------------


def test_each_event_carries_the_hash_of_the_one_before():
    events = _events(3)
    for event in events:
        event.refresh_from_db()
    first, second, third = events
    assert first.seq == 1 and first.prev_hash == GENESIS_HASH
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert (third.seq, third.prev_hash) == (3, second.hash)
    assert len({e.hash for e in events}) == 3


def test_a_client_cannot_write_the_chain_columns_either():
    """The append-only trigger lets only the chain trigger fill in an unchained row."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS core_auditevent_chain DEFERRED")  # not chained yet
    event = record_event(AuditEvent.Action.LOGIN, actor_label="someone")
    assert AuditEvent.objects.get(pk=event.pk).seq is None
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE core_auditevent SET seq = 1, prev_hash = %s, hash = %s WHERE id = %s",
            [GENESIS_HASH, "f" * 64, event.pk],
        )


def test_python_rebuilds_exactly_the_text_postgresql_hashed():
    user = User.objects.create_user(username="u", email="u@athena.example", password="x" * 12)
    event = record_event(AuditEvent.Action.BUSINESS, actor=user, detail=AWKWARD_DETAIL)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT athena_audit_canonical(e), e.detail::text FROM core_auditevent e WHERE id = %s",
            [event.pk],
        )
        in_sql, detail_text = cursor.fetchone()
    event.refresh_from_db()
    rebuilt = canonical_text(
        seq=event.seq,
        prev_hash=event.prev_hash,
        event={
            "id": event.pk,
            "at": event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "action": event.action,
            "actor_id": user.pk,
            "actor_label": event.actor_label,
            "ip": None,
            "user_agent": "",
            "request_id": event.request_id,
            "object_type": "",
            "object_id": "",
            "object_repr": "",
        },
        detail_text=detail_text,
    )
    assert rebuilt == in_sql
    assert hash_text(rebuilt) == event.hash
    assert verify_chain().ok


def test_a_request_event_with_an_ipv6_address_verifies(rf):
    request = rf.get("/", HTTP_USER_AGENT='Mozilla/5.0 "quoted"', REMOTE_ADDR="2001:DB8::1")
    request.user = None
    record_event(AuditEvent.Action.LOGIN_FAILED, request=request, actor_label="x")
    result = verify_chain()
    assert result.ok, result.broken
    assert result.checked == 1


def test_the_migration_backfill_computes_the_same_chain_as_the_trigger():
    from importlib import import_module

    backfill = import_module("apps.core.migrations.0008_audit_hash_chain").BACKFILL
    events = _events(4, note="old")
    with _as_attacker() as cursor:
        cursor.execute("UPDATE core_auditevent SET hash = '', prev_hash = ''")
    assert not verify_chain().ok
    with connection.cursor() as cursor:
        cursor.execute(backfill)
    result = verify_chain()
    assert result.ok and result.checked == 4
    assert result.head_hash == AuditEvent.objects.get(pk=events[-1].pk).hash


# --- Tampering ------------------------------------------------------------------------------


def test_changing_one_row_by_hand_breaks_the_chain_at_that_row():
    events = _events(5)
    victim = events[2]
    assert verify_chain().ok
    with _as_attacker() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET actor_label = 'someone else' WHERE id = %s", [victim.pk]
        )
    result = verify_chain()
    assert not result.ok
    assert result.broken.id == victim.pk
    assert result.broken.seq == 3
    assert "does not match the row's contents" in result.broken.problems[0]
    assert result.checked == 2  # the two events before it still verify

    code, _out, err = _run_verify_command()
    assert code == 1
    assert f"id={victim.pk} seq=3" in err


def test_changing_a_row_and_recomputing_its_hash_breaks_the_next_row():
    events = _events(4)
    victim, following = events[1], events[2]
    victim.refresh_from_db()
    forged = canonical_text(
        seq=victim.seq,
        prev_hash=victim.prev_hash,
        event={
            "id": victim.pk,
            "at": victim.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "action": victim.action,
            "actor_id": None,
            "actor_label": "forged",
            "ip": None,
            "user_agent": "",
            "request_id": victim.request_id,
            "object_type": "",
            "object_id": "",
            "object_repr": "",
        },
        detail_text='{"i": 1}',
    )
    with _as_attacker() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET actor_label = 'forged', hash = %s WHERE id = %s",
            [hash_text(forged), victim.pk],
        )
    result = verify_chain()
    assert result.broken.id == following.pk
    assert "not the hash of the event before it" in result.broken.problems[0]


def test_a_deleted_row_breaks_the_chain_at_the_row_after_it():
    events = _events(4)
    with _as_attacker() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    result = verify_chain()
    assert result.broken.id == events[2].pk
    assert "events 2..2 are missing" in result.broken.problems[0]
    assert any("not the hash of the event before it" in p for p in result.broken.problems)
    code, _out, err = _run_verify_command()
    assert code == 1 and f"id={events[2].pk}" in err


def test_a_row_inserted_behind_the_trigger_breaks_the_chain():
    """The attacker slips a forged event in after the second one, renumbering the rest and
    giving the forgery a correct hash: the event displaced after it no longer verifies."""
    events = _events(4)
    second = AuditEvent.objects.get(pk=events[1].pk)
    at = second.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with _as_attacker() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # no chain trigger
        cursor.execute("UPDATE core_auditevent SET seq = seq + 100 WHERE seq > 2")
        cursor.execute("UPDATE core_auditevent SET seq = seq - 99 WHERE seq > 100")
        cursor.execute("SELECT nextval(pg_get_serial_sequence('core_auditevent', 'id'))")
        forged_id = cursor.fetchone()[0]
        fields = {
            "id": forged_id,
            "at": at,
            "action": "login",
            "actor_id": None,
            "actor_label": "forged",
            "ip": None,
            "user_agent": "",
            "request_id": "",
            "object_type": "",
            "object_id": "",
            "object_repr": "",
        }
        forged_hash = hash_text(
            canonical_text(seq=3, prev_hash=second.hash, event=fields, detail_text="{}")
        )
        cursor.execute(
            "INSERT INTO core_auditevent (id, at, action, actor_label, user_agent, request_id,"
            " object_type, object_id, object_repr, detail, seq, prev_hash, hash)"
            " VALUES (%s, %s, 'login', 'forged', '', '', '', '', '', '{}', 3, %s, %s)",
            [forged_id, second.at, second.hash, forged_hash],
        )
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    result = verify_chain()
    assert not result.ok
    assert result.broken.id == events[2].pk  # the event the forgery pushed aside
    assert result.checked == 3  # the forgery itself hashes right: it is the next row that tells


def test_a_row_inserted_without_the_chain_trigger_is_reported_unchained():
    events = _events(2)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # triggers off
        cursor.execute(
            "INSERT INTO core_auditevent (at, action, actor_label, user_agent, request_id,"
            " object_type, object_id, object_repr, detail)"
            " VALUES (now(), 'login', 'ghost', '', '', '', '', '', '{}') RETURNING id"
        )
        ghost = cursor.fetchone()[0]
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    result = verify_chain()
    assert result.broken.id == ghost
    assert "not chained" in result.broken.problems[0]
    assert result.checked == len(events)


def test_a_trusted_head_catches_a_rewritten_tail():
    events = _events(3)
    head = verify_chain()
    _events(2)
    assert verify_chain(anchors={head.head_seq: head.head_hash}).ok
    with _as_attacker() as cursor:  # the tail rewritten, every hash recomputed by the backfill
        cursor.execute(
            "UPDATE core_auditevent SET actor_label = 'rewritten' WHERE id = %s", [events[2].pk]
        )
        from importlib import import_module

        cursor.execute(import_module("apps.core.migrations.0008_audit_hash_chain").BACKFILL)
    assert verify_chain().ok  # the chain alone cannot tell...
    result = verify_chain(anchors={head.head_seq: head.head_hash})
    assert not result.ok  # ...the head logged before can
    assert result.broken.id == events[2].pk
    code = 0
    try:
        call_command(
            "verify_audit_chain",
            expect=[f"{head.head_seq}:{head.head_hash}"],
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    except SystemExit as exc:
        code = exc.code
    assert code == 1


def test_the_command_prints_the_head_when_the_chain_is_whole():
    _events(3)
    code, out, _err = _run_verify_command()
    head = AuditEvent.objects.order_by("-seq").first()
    assert code == 0
    assert f"OK: 3 events; head seq 3 {head.hash}" in out


# --- The scheduled check and its alert ------------------------------------------------------


def test_the_daily_task_raises_one_alert_for_a_break_and_none_when_whole():
    from athena.celery import app

    assert app.conf.beat_schedule["verify-audit-chain"]["task"] == (
        "apps.core.tasks.verify_audit_chain_task"
    )
    events = _events(3)
    assert verify_audit_chain_task() is True
    assert not SystemAlert.objects.exists()

    with _as_attacker() as cursor:
        cursor.execute("UPDATE core_auditevent SET detail = '{}' WHERE id = %s", [events[1].pk])
    assert verify_audit_chain_task() is False
    alert = SystemAlert.objects.get()
    assert alert.kind == SystemAlert.Kind.AUDIT_CHAIN
    assert alert.state == SystemAlert.State.OPEN
    assert alert.detail["event_id"] == events[1].pk
    assert str(events[1].pk) in alert.message
    verify_and_alert()  # the next run does not pile up a second alert for the same break
    assert SystemAlert.objects.count() == 1


def test_staff_acknowledge_the_alert_in_the_admin(client):
    staff = User.objects.create_superuser(
        username="root", email="root@athena.example", password="secret-pass-123"
    )
    client.force_login(staff)
    alert = SystemAlert.objects.create(
        kind=SystemAlert.Kind.AUDIT_CHAIN, message="broken at 7", detail={"event_id": 7}
    )
    page = client.get("/admin/core/systemalert/")
    assert page.status_code == 200 and b"broken at 7" in page.content
    response = client.post(
        "/admin/core/systemalert/",
        {"action": "acknowledge", "_selected_action": [alert.pk], "apply": "1", "reason": "seen"},
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.state == SystemAlert.State.ACKNOWLEDGED
    assert alert.history.first().history_user == staff


# --- Concurrent writers ---------------------------------------------------------------------


def _head_seq() -> int:
    """Rows other tests committed (and left) may precede ours: count from the head."""
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@pytest.mark.django_db(transaction=True)
def test_an_event_is_chained_when_its_transaction_commits():
    base = _head_seq()
    with transaction.atomic():
        first = record_event(AuditEvent.Action.LOGIN, actor_label="a")
        second = record_event(AuditEvent.Action.LOGOUT, actor_label="a")
        assert AuditEvent.objects.get(pk=first.pk).seq is None  # not before the commit
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(AuditEvent.Action.LOGIN, actor_label="rolled back")
        raise RuntimeError
    third = record_event(AuditEvent.Action.LOGIN, actor_label="b")  # autocommit
    chained = {e.pk: e for e in AuditEvent.objects.all()}
    assert [chained[e.pk].seq for e in (first, second, third)] == [base + 1, base + 2, base + 3]
    assert chained[third.pk].prev_hash == chained[second.pk].hash
    result = verify_chain()
    assert result.ok, result.broken
    assert result.checked == base + 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_linear_chain():
    base = _head_seq()
    threads, per_thread = 6, 8
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    record_event(AuditEvent.Action.BUSINESS, detail={"t": n, "i": i})
                    record_event(AuditEvent.Action.BUSINESS, detail={"t": n, "i": i, "b": 1})
                # A rolled-back event must leave no hole in the chain.
                try:
                    with transaction.atomic():
                        record_event(AuditEvent.Action.BUSINESS, detail={"rolled": "back"})
                        raise RuntimeError("roll back")
                except RuntimeError:
                    pass
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors, errors
    result = verify_chain()
    assert result.ok, result.broken
    total = threads * per_thread * 2
    assert result.checked == base + total
    assert list(
        AuditEvent.objects.filter(seq__gt=base).order_by("seq").values_list("seq", flat=True)
    ) == list(range(base + 1, base + total + 1))
    assert not AuditEvent.objects.filter(detail__rolled="back").exists()
