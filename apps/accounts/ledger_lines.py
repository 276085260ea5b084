"""What a customer reads about a ledger movement: rendered when shown, never stored as prose.

A journal entry carries a `kind`, its parameters (`metadata`) and a reference (the transfer,
hold or entry it belongs to); `description` is the back office's copy (an operator's reason,
an internal id) and is never shown to a customer. When a statement, an export or the
dashboard shows a line, each kind's renderer turns it into text in the reader's language
(the active language: the request's, in a view or the API):

    register_line("book_transfer", _book_transfer)         # in accounts, below
    register_line("pix_in", _pix_in, load=_pix_transfers)  # in PixConfig.ready()

A renderer gets a `LedgerLine` (the kind, the signed amount on the reader's account, the
metadata, the reference and, when the kind registered a loader, the referenced object) and
returns the text, or a `RenderedLine` when the line also carries a note: the customer's own
words (a transfer's message), shown as typed beside the text. A loader gets every line of
its kind on a page at once and returns {reference_id: object}, one query per kind and page.

A kind nobody registered is rendered by its label (`KIND_LABELS`), or its code: a new
product's lines list before its renderer exists, and never with stored prose.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Entry kinds people see, in the portal's filter and as the fallback text of a line.
KIND_LABELS = {
    "deposit": gettext_lazy("Deposit"),
    "cash_deposit": gettext_lazy("Cash deposit"),
    "book_transfer": gettext_lazy("Transfer between Athena accounts"),
    "pix_in": gettext_lazy("Pix received"),
    "pix_out": gettext_lazy("Pix sent"),
    "pix_refund": gettext_lazy("Pix refund"),
    "pix_refund_return": gettext_lazy("Pix refund not completed (money back)"),
    "pix_internal": gettext_lazy("Pix between Athena accounts"),
    "pix_return": gettext_lazy("Pix returned"),
    "pix_med_refund": gettext_lazy("Pix refund (MED)"),
    "ted_in": gettext_lazy("TED received"),
    "ted_out": gettext_lazy("TED sent"),
    "ted_fee": gettext_lazy("TED fee"),
    "ted_return": gettext_lazy("TED returned"),
    "ted_fee_refund": gettext_lazy("TED fee refunded"),
    "boleto_payment": gettext_lazy("Boleto payment"),
    "boleto_received": gettext_lazy("Boleto received"),
    "card_purchase": gettext_lazy("Card purchase"),
    "card_refund": gettext_lazy("Card refund"),
    "loan_disbursement": gettext_lazy("Loan disbursement"),
    "loan_installment": gettext_lazy("Loan installment"),
    "loan_collection": gettext_lazy("Loan installment collected"),
    "fee": gettext_lazy("Fee"),
    "reversal": gettext_lazy("Reversal"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind.replace("_", " ")))


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """One entry as one account sees it."""

    kind: str
    amount: int  # centavos on the reader's account, signed: positive is money in
    metadata: dict = field(default_factory=dict)
    reference_type: str = ""
    reference_id: str = ""
    reference: Any = None  # what the kind's loader found for reference_id, or None


@dataclass(frozen=True, slots=True)
class RenderedLine:
    text: str  # in the reader's language
    note: str = ""  # the customer's own words, as typed (never translated)

    def __str__(self) -> str:
        return f"{self.text} · {self.note}" if self.note else self.text


Renderer = Callable[[LedgerLine], "str | RenderedLine"]
Loader = Callable[[list[LedgerLine]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _Registration:
    renderer: Renderer
    load: Loader | None


_registry: dict[str, _Registration] = {}


def register_line(kind: str, renderer: Renderer, *, load: Loader | None = None) -> None:
    """How lines of `kind` read; `load` fetches their references in one query per page."""
    _registry[kind] = _Registration(renderer, load)


def registered_kinds() -> set[str]:
    return set(_registry)


def render_lines(lines: Iterable[LedgerLine]) -> list[RenderedLine]:
    """The lines rendered in the active language, in order."""
    lines = list(lines)
    by_kind: dict[str, list[int]] = defaultdict(list)
    for index, line in enumerate(lines):
        by_kind[line.kind].append(index)
    for kind, indexes in by_kind.items():
        registration = _registry.get(kind)
        if registration is None or registration.load is None:
            continue
        found = registration.load([lines[i] for i in indexes])
        for i in indexes:
            lines[i] = replace(lines[i], reference=found.get(lines[i].reference_id))
    return [_render_one(line) for line in lines]


def render_line(line: LedgerLine) -> RenderedLine:
    return render_lines([line])[0]


def _render_one(line: LedgerLine) -> RenderedLine:
    registration = _registry.get(line.kind)
    rendered = registration.renderer(line) if registration else kind_label(line.kind)
    if isinstance(rendered, RenderedLine):
        return RenderedLine(str(rendered.text), rendered.note)
    return RenderedLine(str(rendered))


def note_of(line: LedgerLine) -> str:
    """The customer's own words carried in the metadata (book transfers), if any."""
    note = line.metadata.get("note") if isinstance(line.metadata, dict) else None
    return note if isinstance(note, str) else ""


# --- The accounts domain's own kinds ------------------------------------------------------


def _book_transfer(line: LedgerLine) -> RenderedLine:
    text = _("Transfer sent") if line.amount < 0 else _("Transfer received")
    return RenderedLine(text, note_of(line))


def _original_entries(lines: list[LedgerLine]) -> dict[str, Any]:
    from .models import JournalEntry

    ids = [int(line.reference_id) for line in lines if line.reference_id.isdigit()]
    entries = JournalEntry.objects.filter(pk__in=ids).only(
        "kind", "metadata", "reference_type", "reference_id"
    )
    return {str(entry.pk): entry for entry in entries}


def _reversal(line: LedgerLine) -> RenderedLine:
    """ "Reversal: <the original line>", as the reader saw the original; the operator's
    reason and the entry ids stay in the back office."""
    original = line.reference
    if original is None or original.kind == "reversal":
        return RenderedLine(_("Reversal"))
    shown = render_line(
        LedgerLine(
            kind=original.kind,
            amount=-line.amount,  # the original moved the other way on this account
            metadata=original.metadata,
            reference_type=original.reference_type,
            reference_id=original.reference_id,
        )
    )
    return RenderedLine(_("Reversal: %(line)s") % {"line": shown.text}, shown.note)


register_line("book_transfer", _book_transfer)
register_line("reversal", _reversal, load=_original_entries)
for _kind in ("deposit", "cash_deposit", "fee"):
    register_line(_kind, lambda line: kind_label(line.kind))
