"""The import contracts of docs/architecture.md hold, and breaking one fails `lint-imports`.

`make test` runs `lint-imports` before pytest; these tests prove the contracts are live: a
copy of the code with one forbidden import added must be refused, naming the contract.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def code_copy(tmp_path: Path) -> Path:
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "migrations")
    for package in ("apps", "athena"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_every_contract():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "apps/pix/transfers/probe.py",
            "import apps.simulators.dict\n",
            "Domain code never imports a simulator",
        ),
        (
            "apps/core/probe.py",
            "from apps.accounts import services\n",
            "The shared kernel (apps.core) imports no domain app",
        ),
        (
            "apps/kyc/probe.py",
            "from apps.accounts import ledger\n",
            "Apps reach each other through services, selectors, errors, models and registry only",
        ),
        (
            "apps/accounts/probe.py",
            "from apps.accounts import services\n",  # services imports it back, below
            "No import cycles between the modules and sub-packages of an app",
        ),
    ],
)
def test_breaking_a_contract_fails_lint_imports(code_copy: Path, module, line, contract):
    target = code_copy / module
    assert target.parent.is_dir(), f"{target.parent} is gone: update this test with the map"
    target.write_text(line)
    if module == "apps/accounts/probe.py":
        services = code_copy / "apps/accounts/services.py"
        services.write_text(services.read_text() + "\nfrom apps.accounts import probe  # noqa\n")
    result = _lint(code_copy)
    assert result.returncode != 0
    broken = " ".join(result.stdout.split("Broken contracts", 1)[-1].split())  # unwrapped
    assert contract in broken, result.stdout
