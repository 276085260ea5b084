"""An exported period of the audit chain verifies offline, and a tampered one does not."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from apps.core.audit import record_event
from apps.core.audit_chain import export_period
from apps.core.audit_hash import GENESIS_HASH, verify_export
from apps.core.models import AuditEvent
from tests.support.audit_chain import chain_at_once, empty_audit_log  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("empty_audit_log", "chain_at_once"),
]

AUDIT_HASH_SCRIPT = Path(settings.BASE_DIR) / "apps" / "core" / "audit_hash.py"


@pytest.fixture
def period():
    """Two events before the period, three inside it (one with awkward text)."""
    before = [record_event(AuditEvent.Action.LOGIN, actor_label=f"early {i}") for i in range(2)]
    start = timezone.now()
    inside = [
        record_event(AuditEvent.Action.BUSINESS, actor_label="a", detail={"n": 1}),
        record_event(
            AuditEvent.Action.DATA_EXPORT,
            actor_label='ç "q" \n',
            detail={"what": "extrato", "list": [1, 2.5, None], "nested": {"zz": 1, "a": "b"}},
        ),
        record_event(AuditEvent.Action.LOGOUT, actor_label="c"),
    ]
    end = timezone.now() + timedelta(seconds=1)
    return before, inside, start, end


def _export(start, end) -> list[str]:
    out = io.StringIO()
    export_period(out, start=start, end=end)
    return out.getvalue().splitlines()


def _tamper(lines: list[str], index: int, change) -> list[str]:
    record = json.loads(lines[index])
    change(record)
    return [*lines[:index], json.dumps(record, ensure_ascii=False), *lines[index + 1 :]]


def test_a_period_exports_its_events_with_the_anchor_before_it(period):
    before, inside, start, end = period
    lines = _export(start, end)
    anchor, *events, last = (json.loads(line) for line in lines)
    before_last = AuditEvent.objects.get(pk=before[-1].pk)
    assert anchor == {"type": "anchor", "seq": before_last.seq, "hash": before_last.hash}
    assert [e["id"] for e in events] == [e.pk for e in inside]
    assert events[1]["event"]["actor_label"] == 'ç "q" \n'
    assert events[1]["event"]["detail"]["nested"] == {"zz": 1, "a": "b"}
    assert last == {"type": "end", "count": 3, "last_hash": events[-1]["hash"]}

    result = verify_export(lines, trusted_anchor=before_last.hash)
    assert result.ok, result.problems
    assert (result.events, result.last_seq) == (3, events[-1]["seq"])


def test_a_period_from_the_first_event_is_anchored_at_genesis(period):
    before, _inside, start, end = period
    lines = _export(start - timedelta(days=1), end)
    assert json.loads(lines[0])["hash"] == GENESIS_HASH
    assert verify_export(lines).events == 5


def test_an_empty_period_still_exports_an_anchor(period):
    _b, _i, _start, end = period
    lines = _export(end + timedelta(days=1), end + timedelta(days=2))
    assert verify_export(lines).ok
    assert verify_export(lines).events == 0


@pytest.mark.parametrize(
    ("what", "tamper", "message"),
    [
        (
            "a field of the readable event",
            lambda lines: _tamper(lines, 2, lambda r: r["event"].update(actor_label="x")),
            "differ from its canonical text",
        ),
        (
            "the hashed text",
            lambda lines: _tamper(
                lines, 2, lambda r: r.update(canonical=r["canonical"].replace("extrato", "nada"))
            ),
            "hash does not match",
        ),
        (
            "both, with the hash recomputed",
            lambda lines: _tamper(
                lines,
                2,
                lambda r: r.update(
                    canonical=r["canonical"].replace("extrato", "nada"),
                    hash=__import__("hashlib")
                    .sha256(r["canonical"].replace("extrato", "nada").encode())
                    .hexdigest(),
                    event={**r["event"], "detail": {**r["event"]["detail"], "what": "nada"}},
                ),
            ),
            "prev_hash does not match",
        ),
        ("a removed event", lambda lines: [*lines[:2], *lines[3:]], "expected seq"),
        ("a cut tail", lambda lines: lines[:-2], "truncated"),
        (
            "a changed anchor",
            lambda lines: _tamper(lines, 0, lambda r: r.update(hash="f" * 64)),
            "prev_hash does not match",
        ),
    ],
)
def test_a_tampered_export_fails_offline(period, what, tamper, message):
    _before, _inside, start, end = period
    lines = _export(start, end)
    assert verify_export(lines).ok
    result = verify_export(tamper(lines))
    assert not result.ok, what
    assert message in result.first_problem, result.problems


def test_a_trusted_anchor_that_differs_is_refused(period):
    _before, _inside, start, end = period
    result = verify_export(_export(start, end), trusted_anchor="0" * 64)
    assert not result.ok
    assert "trusted" in result.first_problem


def test_the_commands_export_and_verify_a_file(period, tmp_path):
    _before, inside, start, end = period
    path = tmp_path / "audit.jsonl"
    err = io.StringIO()
    call_command(
        "export_audit_chain",
        "--from",
        start.isoformat(),
        "--to",
        (end + timedelta(hours=1)).isoformat(),  # the command's own event falls inside
        "-o",
        str(path),
        stderr=err,
    )
    # The export is itself audited; recorded before the period is read, so it is in it.
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DATA_EXPORT, detail__what="audit chain"
    ).exists()
    assert "4 events exported" in err.getvalue()
    out = io.StringIO()
    call_command("verify_audit_export", str(path), stdout=out)
    assert out.getvalue().startswith("OK: 4 events")

    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text(
        "\n".join(_tamper(lines, 1, lambda r: r["event"].update(action="login"))) + "\n",
        encoding="utf-8",
    )
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit_export", str(path), stderr=err)
    assert exit_info.value.code == 1
    assert f"event id={inside[0].pk}" in err.getvalue()


def test_the_standalone_script_needs_no_django(period, tmp_path):
    """What an auditor runs: the module as a plain script, no settings, no database."""
    _before, _inside, start, end = period
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(_export(start, end)) + "\n", encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    lines = good.read_text(encoding="utf-8").splitlines()
    bad.write_text("\n".join([*lines[:2], *lines[3:]]) + "\n", encoding="utf-8")
    clean_env = {"PATH": "/usr/bin:/bin"}  # no DJANGO_SETTINGS_MODULE, no DATABASE_URL

    ok = subprocess.run(
        [sys.executable, "-I", str(AUDIT_HASH_SCRIPT), str(good)],
        capture_output=True,
        text=True,
        env=clean_env,
        cwd=tmp_path,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK: 3 events")
    broken = subprocess.run(
        [sys.executable, "-I", str(AUDIT_HASH_SCRIPT), str(bad)],
        capture_output=True,
        text=True,
        env=clean_env,
        cwd=tmp_path,
        check=False,
    )
    assert broken.returncode == 1
    assert "BROKEN" in broken.stderr
