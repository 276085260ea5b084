"""Many-to-one (funnel) and one-to-many (dispersion): distinct counterparties in a window.

A counterparty is the other customer of a book transfer or internal Pix, or the external
account of a Pix (ISPB + account number, from the Pix transfer the entry references).
Entries whose other side is only an internal account with no reference (a deposit) have
no identifiable counterparty and are not counted.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.accounts.models import JournalEntry, Posting

from . import Hit, Movement, RuleContext, RuleSpec, window


def counterparties(movements: list[Movement], customer_id: int) -> dict[int, str]:
    """posting id -> a stable counterparty label, for the movements that have one."""
    entry_ids = {m.entry_id for m in movements}
    other_customers: dict[int, set[int]] = {}
    for entry_id, other in (
        Posting.objects.filter(entry_id__in=entry_ids, account__customer__isnull=False)
        .exclude(account__customer_id=customer_id)
        .values_list("entry_id", "account__customer_id")
    ):
        other_customers.setdefault(entry_id, set()).add(other)
    references = dict(
        JournalEntry.objects.filter(pk__in=entry_ids, reference_type="pix_transfer").values_list(
            "pk", "reference_id"
        )
    )
    external: dict[str, str] = {}
    if references:
        from apps.pix.models import PixTransfer

        for pk, ispb, number in PixTransfer.objects.filter(
            pk__in=[r for r in references.values() if r.isdigit()]
        ).values_list("pk", "counterparty_ispb", "counterparty_account_number"):
            external[str(pk)] = f"pix:{ispb}:{number}"
    labels: dict[int, str] = {}
    for m in movements:
        others = other_customers.get(m.entry_id)
        if others:
            labels[m.posting_id] = f"customer:{min(others)}"
        elif m.entry_id in references and references[m.entry_id] in external:
            labels[m.posting_id] = external[references[m.entry_id]]
    return labels


def _fan(ctx: RuleContext, params: dict[str, Any], *, incoming: bool) -> Hit | None:
    movements = [
        m
        for m in ctx.movements(since=window(ctx, days=float(params["window_days"])))
        if (m.amount > 0) == incoming and abs(m.amount) >= int(params.get("min_amount_cents", 0))
    ]
    labels = counterparties(movements, ctx.customer.pk)
    counted = [m for m in movements if m.posting_id in labels]
    distinct = sorted({labels[m.posting_id] for m in counted})
    if len(distinct) < int(params["min_counterparties"]):
        return None
    total = sum(abs(m.amount) for m in counted)
    template = (
        _("%(n)d distinct payers in %(days)s days")
        if incoming
        else _("%(n)d distinct payees in %(days)s days")
    )
    return Hit(
        score=min(100, 40 + 5 * len(distinct)),
        summary=str(template % {"n": len(distinct), "days": params["window_days"]}),
        movements=counted,
        facts={"counterparties": distinct, "total": total},
    )


def many_to_one(ctx: RuleContext, params: dict[str, Any]) -> Hit | None:
    return _fan(ctx, params, incoming=True)


def one_to_many(ctx: RuleContext, params: dict[str, Any]) -> Hit | None:
    return _fan(ctx, params, incoming=False)


_DEFAULTS = {"window_days": 3, "min_counterparties": 10, "min_amount_cents": 0}

MANY_TO_ONE = RuleSpec(
    code="many_to_one",
    name=_("Many to one"),
    description=_("Money from at least min_counterparties distinct payers in window_days days."),
    defaults=dict(_DEFAULTS),
    function=many_to_one,
)
ONE_TO_MANY = RuleSpec(
    code="one_to_many",
    name=_("One to many"),
    description=_("Money to at least min_counterparties distinct payees in window_days days."),
    defaults=dict(_DEFAULTS),
    function=one_to_many,
)
