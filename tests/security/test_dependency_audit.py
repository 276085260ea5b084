"""The dependency audit's policy (.ci/dependency_audit.py, run by `make test`): a known
vulnerability fails; a vulnerability service that cannot be reached warns and passes."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "dependency_audit.py"


@pytest.fixture
def audit():
    spec = importlib.util.spec_from_file_location("dependency_audit", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _answers(monkeypatch, audit, by_service):
    """pip-audit, faked: each service answers the JSON report (or the failure) given."""
    monkeypatch.setattr(audit, "stale_pins", lambda: [])

    def run(command, **kwargs):
        service = command[command.index("--vulnerability-service") + 1]
        report = by_service[service]
        if report is None:
            return subprocess.CompletedProcess(command, 1, "", "ConnectionError: unreachable")
        return subprocess.CompletedProcess(command, 0, json.dumps(report), "")

    monkeypatch.setattr(audit.subprocess, "run", run)


def _report(vulns=(), skipped=0, clean=3):
    dependencies = [{"name": f"ok{i}", "version": "1.0", "vulns": []} for i in range(clean)]
    dependencies += [{"name": f"skip{i}", "skip_reason": "not found"} for i in range(skipped)]
    dependencies += [
        {"name": "django", "version": "5.2.0", "vulns": [{"id": v, "fix_versions": ["5.2.1"]}]}
        for v in vulns
    ]
    return {"dependencies": dependencies}


def test_a_known_vulnerability_fails(monkeypatch, audit, capsys):
    _answers(monkeypatch, audit, {"pypi": _report(vulns=["PYSEC-2099-1"]), "osv": None})
    assert audit.main() == 1
    assert "PYSEC-2099-1" in capsys.readouterr().out


def test_a_clean_audit_passes(monkeypatch, audit, capsys):
    _answers(monkeypatch, audit, {"pypi": _report(), "osv": None})
    assert audit.main() == 0
    assert "no known vulnerability" in capsys.readouterr().out


def test_a_service_that_cannot_answer_falls_back_then_warns_and_passes(monkeypatch, audit, capsys):
    # PyPI skips every package (a mirror without the per-release JSON), OSV is unreachable.
    _answers(monkeypatch, audit, {"pypi": _report(skipped=5, clean=0), "osv": None})
    assert audit.main() == 0
    assert "dependency audit NOT DONE" in capsys.readouterr().out
    # ...and when OSV answers instead, its findings count.
    _answers(monkeypatch, audit, {"pypi": _report(skipped=5, clean=0), "osv": _report(["X-1"])})
    assert audit.main() == 1


def test_a_pin_the_virtualenv_does_not_hold_fails(monkeypatch, audit, tmp_path, capsys):
    (tmp_path / "requirements.txt").write_text("Django==0.0.1  # not what is installed\n")
    monkeypatch.setattr(audit, "ROOT", tmp_path)
    monkeypatch.setattr(audit, "REQUIREMENTS", ["requirements.txt"])
    assert audit.main() == 1
    assert "django==0.0.1" in capsys.readouterr().out


def test_the_pins_of_every_requirements_file_are_read(audit):
    pins = audit.pins()
    assert pins["django"] and pins["pip-audit"] and pins["face-recognition"]
