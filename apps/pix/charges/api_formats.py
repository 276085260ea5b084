"""Formats shared by BACEN's API Pix answers: RFC 3339 moments and `paginacao` pages.

The charges (cob, cobv, loc) and the received-Pix (pix, devolucao, webhook) endpoints list
and date things the same way; their selectors and serializers use these."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet


def rfc3339(moment: dt.datetime | None) -> str | None:
    """UTC with milliseconds and "Z", as the standard's examples write moments."""
    if moment is None:
        return None
    # A query's 9999-12-31T23:00-03:00 has no UTC form: it keeps its offset.
    with contextlib.suppress(OverflowError):
        moment = moment.astimezone(dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    def as_paginacao(self) -> dict:
        return {
            "paginaAtual": self.page,
            "itensPorPagina": self.per_page,
            "quantidadeDePaginas": self.pages,
            "quantidadeTotalDeItens": self.total,
        }


def paginate(queryset: QuerySet, *, page: int, per_page: int) -> Page:
    """One page (from 0) of an ordered queryset; a page past the end is empty."""
    total = queryset.count()
    offset = page * per_page
    items = list(queryset[offset : offset + per_page]) if offset < total else []
    return Page(items=items, page=page, per_page=per_page, total=total)
