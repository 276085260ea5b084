"""Look-ups in the participant directory, cached per process.

The directory changes a few times a month and every TED, Pix and boleto screen reads it, so
each process keeps a snapshot for `CACHE_SECONDS` (and drops it at once when this process
reloads the list); a reload elsewhere reaches the other processes within that time.
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass

CACHE_SECONDS = 300


@dataclass(frozen=True)
class Bank:
    ispb: str
    compe: str
    name: str
    long_name: str
    cnpj: str
    in_str: bool
    pix_type: str

    @property
    def in_pix(self) -> bool:
        return self.pix_type in ("DRCT", "IDRT")


@dataclass(frozen=True)
class Snapshot:
    by_ispb: dict[str, Bank]
    by_compe: dict[str, Bank]


_cache: dict[str, tuple[float, Snapshot]] = {}


def forget() -> None:
    _cache.clear()


def snapshot() -> Snapshot:
    """The whole directory (one query per process every CACHE_SECONDS)."""
    from apps.wire.models import Participant

    cached = _cache.get("all")
    now = time.monotonic()
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    banks = [
        Bank(
            ispb=p.ispb,
            compe=p.compe,
            name=p.name,
            long_name=p.long_name,
            cnpj=p.cnpj,
            in_str=p.in_str,
            pix_type=p.pix_type,
        )
        for p in Participant.objects.all()
    ]
    if not banks:  # a flushed test database between its flush and post_migrate: not cached
        return Snapshot({}, {})
    found = Snapshot(
        by_ispb={b.ispb: b for b in banks}, by_compe={b.compe: b for b in banks if b.compe}
    )
    _cache["all"] = (now, found)
    return found


def bank_by_code(code: str) -> Bank | None:
    """A 3-digit COMPE code or an 8-character ISPB."""
    code = (code or "").strip().upper()
    found = snapshot()
    if len(code) == 8 and code.isalnum():
        return found.by_ispb.get(code)
    if 1 <= len(code) <= 3 and code.isdigit():
        return found.by_compe.get(code.zfill(3))
    return None


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def banks_search(term: str, *, limit: int = 20, str_only: bool = False) -> list[Bank]:
    """By code (COMPE or ISPB prefix) or by words of the name, case and accent blind, in
    the cached snapshot (five hundred rows: no query)."""
    words = _folded((term or "").strip()[:60]).split()
    exact = words[0] if len(words) == 1 and words[0].isdigit() else None

    def order(bank: Bank) -> tuple:
        # A code typed in full comes first (341 is Itau, not an ISPB starting with 341).
        return (bank.compe != exact and bank.ispb != exact, bank.compe or "999", bank.ispb)

    found = []
    for bank in sorted(snapshot().by_ispb.values(), key=order):
        if str_only and not bank.in_str:
            continue
        haystack = _folded(f"{bank.name} {bank.long_name}")
        if all(
            word in haystack or bank.compe.startswith(word) or bank.ispb.startswith(word)
            for word in words
        ):
            found.append(bank)
            if len(found) >= limit:
                break
    return found
