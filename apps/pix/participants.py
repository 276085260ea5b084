"""Pix participants (PSPs): the participant directory of apps/wire (loaded from the public
list in `data/bancos.csv`, BancosBrasileiros, Unlicense; `manage.py refresh_banks`).

`by_ispb` / `by_compe` look one up; `pix_participants` lists those taking part in Pix
(PixType DRCT: direct, IDRT: indirect). Our own ISPB (settings.ATHENA_ISPB) is shown under
our own name (settings.PIX_PARTICIPANT_NAME). The directory's snapshot is cached per
process (apps.wire.directory.selectors), so a look-up costs no query.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from apps.wire import selectors as directory


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


_built: dict[str, object] = {}


def _participant(bank: directory.Bank) -> Participant:
    return Participant(
        ispb=bank.ispb,
        compe=bank.compe,
        short_name=bank.name,
        long_name=bank.long_name,
        document=bank.cnpj,
        pix_type=bank.pix_type,
    )


def _load() -> tuple[dict[str, Participant], dict[str, Participant]]:
    """The directory's snapshot as Pix participants, rebuilt when the snapshot changes."""
    snapshot = directory.snapshot()
    if _built.get("snapshot") is not snapshot:
        by_ispb = {ispb: _participant(bank) for ispb, bank in snapshot.by_ispb.items()}
        by_compe = {compe: by_ispb[bank.ispb] for compe, bank in snapshot.by_compe.items()}
        _built.update(snapshot=snapshot, maps=(by_ispb, by_compe))
    return _built["maps"]  # type: ignore[return-value]


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
