"""Brazilian taxpayer numbers (CPF, CNPJ including the alphanumeric CNPJ) via validate-docbr.

validate-docbr rejects repeated-digit CPFs such as 111.111.111-11, which python-stdnum accepts.
"""

from __future__ import annotations

import re

from validate_docbr import CNPJ, CPF

_cpf = CPF()
_cnpj = CNPJ()


def normalize_tax_id(value: str) -> str:
    """Strip punctuation and upper-case: "12.abc.345/01de-35" -> "12ABC34501DE35"."""
    return re.sub(r"[^0-9A-Za-z]", "", value or "").upper()


def tax_id_kind(value: str) -> str | None:
    """'person' for a valid CPF, 'company' for a valid CNPJ, None otherwise."""
    normalized = normalize_tax_id(value)
    if len(normalized) == 11 and normalized.isdigit() and _cpf.validate(normalized):
        return "person"
    if len(normalized) == 14 and _cnpj.validate(normalized):
        return "company"
    return None


def mask_tax_id(value: str) -> str:
    """Show only the middle digits, as BACEN's DICT does: ***.456.789-** / **.345.678/0001-**."""
    n = normalize_tax_id(value)
    if len(n) == 11:
        return f"***.{n[3:6]}.{n[6:9]}-**"
    if len(n) == 14:
        return f"**.{n[2:5]}.{n[5:8]}/{n[8:12]}-**"
    return "***"


def synthetic_cpf(n: int, *, salt: int = 0) -> str:
    """A valid CPF derived from n (and a salt, to keep separate series apart), for demo,
    test and benchmark data: distinct n give distinct CPFs within a series, repeatable runs
    give the same ones. (validate-docbr's generator is random, which repeats under
    hypothesis' seeded random and cannot be reproduced.)"""
    base = f"{(n * 104_729 + 314_159_265 + salt * 7_919) % 10**9:09d}"
    for _ in range(2):
        weights = range(len(base) + 1, 1, -1)
        rest = sum(int(d) * w for d, w in zip(base, weights, strict=True)) % 11
        base += "0" if rest < 2 else str(11 - rest)
    return base


def _check_digit(digits: str, weights: list[int]) -> str:
    rest = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "0" if rest < 2 else str(11 - rest)


def fake_cpf(rng) -> str:
    """A valid CPF drawn from `rng` (a random.Random): seeded generators give repeatable
    fake people (the DICT simulator's directory, test factories, benchmarks)."""
    while True:
        base = "".join(str(rng.randint(0, 9)) for _ in range(9))
        if len(set(base)) > 1:
            break
    base += _check_digit(base, list(range(10, 1, -1)))
    return base + _check_digit(base, list(range(11, 1, -1)))


def fake_cnpj(rng) -> str:
    """A valid (numeric, head office "0001") CNPJ drawn from `rng`, as fake_cpf."""
    base = "".join(str(rng.randint(0, 9)) for _ in range(8)) + "0001"
    base += _check_digit(base, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    return base + _check_digit(base, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
