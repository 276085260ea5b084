"""Loading the participant directory from the public list (BancosBrasileiros' `bancos.csv`,
shipped in data/ with its source and licence; its COMPE, ISPB, names, network and PixType).

`directory_load` replaces the directory by the file's rows in one transaction (institutions
that left the list are removed), and is what `manage.py refresh_banks [--file F]` and the
post_migrate hook (an empty table after a flush or a fresh database) call. A file that is
not the expected list is refused with the line that failed, and changes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from apps.core.audit import record_event
from apps.core.errors import ValidationFailed
from apps.core.models import AuditEvent
from apps.wire.directory import selectors
from apps.wire.models import Participant

DATA_FILE = Path(settings.BASE_DIR) / "data" / "bancos.csv"
REQUIRED_COLUMNS = {"COMPE", "ISPB", "ShortName", "LongName", "Network", "PixType"}


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    removed: int


def _rows(text: str) -> list[Participant]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = REQUIRED_COLUMNS - set(reader.fieldnames or [])
    if missing:
        raise ValidationFailed(
            _("Line 1: the header lacks %(columns)s."),
            params={"columns": ", ".join(sorted(missing))},
            field="file",
        )
    found: dict[str, Participant] = {}
    for line, row in enumerate(reader, start=2):
        ispb = (row.get("ISPB") or "").strip().zfill(8)
        compe = (row.get("COMPE") or "").strip()
        name = (row.get("ShortName") or row.get("LongName") or "").strip()
        if not ispb.isalnum() or len(ispb) != 8:
            raise ValidationFailed(
                _("Line %(line)d: ISPB %(ispb)r is not 8 characters."),
                params={"line": line, "ispb": ispb},
                field="file",
            )
        if compe and not (compe.isdigit() and len(compe) <= 3):
            raise ValidationFailed(
                _("Line %(line)d: COMPE %(compe)r is not a code."),
                params={"line": line, "compe": compe},
                field="file",
            )
        if not name:
            raise ValidationFailed(
                _("Line %(line)d: no name."), params={"line": line}, field="file"
            )
        found[ispb] = Participant(
            ispb=ispb,
            compe=compe.zfill(3) if compe else "",
            name=name[:120],
            long_name=(row.get("LongName") or "").strip()[:200],
            cnpj=(row.get("Document") or "").strip()[:18],
            in_str=(row.get("Network") or "").strip().upper() == "RSFN",
            pix_type=(row.get("PixType") or "").strip().upper()[:4],
        )
    if not found:
        raise ValidationFailed(_("The file lists no participant."), field="file")
    return list(found.values())


def directory_load(
    *, text: str | None = None, actor: Any = None, actor_label: str = ""
) -> LoadResult:
    """Replace the directory by the list in `text` (the shipped file by default). A reload
    someone asked for (the admin, the command) is written to the audit trail."""
    rows = _rows(text if text is not None else DATA_FILE.read_text(encoding="utf-8-sig"))
    fields = ["compe", "name", "long_name", "cnpj", "in_str", "pix_type"]
    with transaction.atomic():
        existing = set(Participant.objects.values_list("ispb", flat=True))
        incoming = {row.ispb for row in rows}
        removed, _ = Participant.objects.exclude(ispb__in=incoming).delete()
        Participant.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["ispb"], update_fields=fields
        )
        transaction.on_commit(selectors.forget)
    selectors.forget()
    result = LoadResult(
        created=len(incoming - existing), updated=len(incoming & existing), removed=removed
    )
    if actor is not None or actor_label:
        record_event(
            AuditEvent.Action.BUSINESS,
            actor=actor,
            actor_label=actor_label,
            detail={"event": "wire.directory.reloaded", **result.__dict__},
        )
    return result


def directory_ensure() -> None:
    """Load the shipped list when the directory is empty (a new or flushed database)."""
    if not Participant.objects.exists():
        directory_load()
