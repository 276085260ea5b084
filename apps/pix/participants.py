"""Pix participants (PSPs) from `data/bancos.csv` (BancosBrasileiros, Unlicense).

Loaded once per process and cached. `by_ispb` / `by_compe` look one up; `pix_participants`
lists those taking part in Pix (PixType DRCT: direct, IDRT: indirect). Our own ISPB
(settings.ATHENA_ISPB) is shown under our own name (settings.PIX_PARTICIPANT_NAME).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings

DATA_FILE = Path(settings.BASE_DIR) / "data" / "bancos.csv"


@dataclass(frozen=True)
class Participant:
    ispb: str
    compe: str
    short_name: str
    long_name: str
    document: str
    pix_type: str  # "DRCT", "IDRT" or "" (not in Pix)

    @property
    def name(self) -> str:
        return self.short_name or self.long_name

    @property
    def in_pix(self) -> bool:
        return self.pix_type in ("DRCT", "IDRT")


@lru_cache(maxsize=1)
def _load() -> tuple[dict[str, Participant], dict[str, Participant]]:
    by_ispb: dict[str, Participant] = {}
    by_compe: dict[str, Participant] = {}
    with DATA_FILE.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            ispb = (row.get("ISPB") or "").strip().zfill(8)
            if not ispb.isdigit():
                continue
            compe = (row.get("COMPE") or "").strip()
            participant = Participant(
                ispb=ispb,
                compe=compe if compe.isdigit() else "",
                short_name=(row.get("ShortName") or "").strip(),
                long_name=(row.get("LongName") or "").strip(),
                document=(row.get("Document") or "").strip(),
                pix_type=(row.get("PixType") or "").strip().upper(),
            )
            by_ispb[ispb] = participant
            if participant.compe:
                by_compe[participant.compe.zfill(3)] = participant
    return by_ispb, by_compe


def own_ispb() -> str:
    return settings.ATHENA_ISPB


def _ours(participant: Participant | None) -> Participant:
    name = settings.PIX_PARTICIPANT_NAME
    return Participant(
        ispb=own_ispb(),
        compe=participant.compe if participant else "",
        short_name=name,
        long_name=name,
        document=participant.document if participant else "",
        pix_type="DRCT",
    )


def by_ispb(ispb: str) -> Participant | None:
    ispb = (ispb or "").strip().zfill(8)
    found = _load()[0].get(ispb)
    if ispb == own_ispb():
        return _ours(found)
    return found


def by_compe(compe: str) -> Participant | None:
    found = _load()[1].get((compe or "").strip().zfill(3))
    if found is not None and found.ispb == own_ispb():
        return _ours(found)
    return found


def name_of(ispb: str) -> str:
    participant = by_ispb(ispb)
    return participant.name if participant else f"ISPB {ispb}"


def pix_participants(*, include_ours: bool = False) -> list[Participant]:
    """Participants with PixType DRCT/IDRT, ordered by ISPB."""
    rows = [p for p in _load()[0].values() if p.in_pix]
    if not include_ours:
        rows = [p for p in rows if p.ispb != own_ispb()]
    return sorted(rows, key=lambda p: p.ispb)
