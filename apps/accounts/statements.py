"""Account statements ("extrato"): reads for the API, the portal and the exports.

Lines are an account's postings, newest first, ordered by posting id. Paging is keyset on
that id: a page is `WHERE account_id = ? AND id < cursor ORDER BY id DESC LIMIT n`, an index
range scan on `posting_account_id_idx` (account, -id) that reads n rows whatever the depth.
Offsets are never used.

The account is matched as `account_id = ANY(ARRAY[?])` and the order is `account_id, id
DESC`: written as an equality, the planner may walk the primary key backwards and filter
by account (cheaper on paper with the default random_page_cost), which reads the whole
table for an account with no recent postings. An order that starts with the account can
only come from the account's own index.

What a line says is rendered from its entry's kind, metadata and reference in the reader's
language (`ledger_lines`), once per page; the entry's `description` is the back office's and
is never read here.

The API hands the cursor out as an opaque token (base64url of `{"id": 123}`); a token that
does not decode is a `ValidationFailed` (400), never a 500.

Running balance
---------------
Postings carry no "balance after" (a credit lands in a balance shard without locking the
account, so none exists at insert time). The balance after a line is the sum of the
account's postings up to and including its id, computed per page from the nearest anchor
whose balance is known exactly:

* below the page: the latest `BalanceCheckpoint` under it (its balance covers every
  posting up to `upto_posting_id`), or the account's first posting (balance 0 before it);
* above the page: the earliest checkpoint over it, or the account's balance right now
  (row + shards, read in the same statement as the postings it is compared with).

One window query then sums from the anchor across the page (`sum(amount) OVER (ORDER BY
id)`, again an index range scan). The cost is the page plus the gap to the anchor: nothing
for the first page (anchored on the current balance) or the oldest pages (anchored on
zero), and at most half the spacing of checkpoints in between, so an account with 10^6
postings pages like one with 10^3 (bench/statement.py measures it) as long as
`athena_checkpoint_balances()` runs periodically. Lines above the statement watermark may
still gain an older neighbour from a transaction that has not committed; their balances
are what the database shows at the time of the read.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ValidationFailed

from .ledger_lines import KIND_LABELS, LedgerLine, kind_label, render_lines
from .models import Account, Posting

__all__ = ["KIND_LABELS", "kind_label"]  # kept importable from here (filters, exports)

# Statement days are calendar days in Brasília time, whatever the server's zone.
STATEMENT_TZ = ZoneInfo("America/Sao_Paulo")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Exports read the whole period; without one they cover the last 90 days (as Brazilian
# banks' statement downloads do), and a period may span at most a year.
EXPORT_DEFAULT_DAYS = 90
EXPORT_MAX_DAYS = 366
EXPORT_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class StatementFilters:
    """Inclusive calendar days in Brasília time, and an entry kind; None means any."""

    date_from: date | None = None
    date_to: date | None = None
    kind: str | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) as aware datetimes: midnight of `date_from`, midnight after `date_to`."""
        start = end = None
        if self.date_from is not None:
            start = datetime.combine(self.date_from, time.min, tzinfo=STATEMENT_TZ)
        if self.date_to is not None:
            end = datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=STATEMENT_TZ)
        return start, end


@dataclass(frozen=True, slots=True)
class StatementLine:
    id: int
    created_at: datetime
    kind: str
    label: str  # the line rendered in the reader's language (ledger_lines)
    note: str  # the customer's own words on the movement (a transfer's message), or ""
    amount: int  # centavos, signed: positive is a credit to the account
    balance_after: int | None  # centavos; the running balance after this line
    entry_id: int

    @property
    def description(self) -> str:
        """What the API and the files show: the rendered line, then the note."""
        return f"{self.label} · {self.note}" if self.note else self.label

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def local_time(self) -> datetime:
        return self.created_at.astimezone(STATEMENT_TZ)


@dataclass(frozen=True, slots=True)
class StatementPage:
    lines: list[StatementLine]
    next_before_id: int | None  # pass as `before_id` for the next (older) page; None: last


@dataclass(frozen=True, slots=True)
class StatementExport:
    """A whole period, for the CSV, PDF and OFX renderers."""

    account: Account
    filters: StatementFilters  # with both dates set
    lines: list[StatementLine]  # newest first
    opening_balance: int  # before the first day of the period
    closing_balance: int  # at the end of the period (or now, if it has not ended)
    closing_at: datetime
    generated_at: datetime


# --- Cursor tokens ---------------------------------------------------------------------


_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,100}")


def encode_cursor(before_id: int) -> str:
    raw = json.dumps({"id": before_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> int:
    """The posting id in a cursor token; ValidationFailed (400) for anything else."""
    invalid = ValidationFailed("Invalid cursor.", field="cursor", value=token[:100])
    if not _TOKEN.fullmatch(token):
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw.decode())
    except (binascii.Error, ValueError):  # bad base64, bad UTF-8, bad JSON
        raise invalid from None
    value = payload.get("id") if isinstance(payload, dict) else None
    if type(value) is not int or not 0 < value < 2**63:
        raise invalid
    return value


# --- Selectors -------------------------------------------------------------------------

_LINE_FIELDS = (
    "id",
    "created_at",
    "kind",
    "amount",
    "entry_id",
    "entry__metadata",
    "entry__reference_type",
    "entry__reference_id",
)


def _of_account(account_id: int) -> RawSQL:
    return RawSQL(
        '"accounts_posting"."account_id" = ANY(%s::bigint[])',
        ([account_id],),
        output_field=BooleanField(),
    )


def _postings(*, account_id: int, filters: StatementFilters, before_id: int | None):
    queryset = Posting.objects.filter(_of_account(account_id))
    if before_id is not None:
        queryset = queryset.filter(id__lt=before_id)
    start, end = filters.bounds()
    if start is not None:
        queryset = queryset.filter(created_at__gte=start)
    if end is not None:
        queryset = queryset.filter(created_at__lt=end)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    return queryset.order_by("account_id", "-id").values_list(*_LINE_FIELDS)


_ANCHORS_SQL = """
SELECT below.upto_posting_id, below.balance, above.upto_posting_id, above.balance,
       oldest.id, newest.id
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (
        SELECT upto_posting_id, balance FROM accounts_balancecheckpoint
         WHERE account_id = %(account)s AND upto_posting_id < %(lo)s
         ORDER BY upto_posting_id DESC LIMIT 1) AS below ON true
  LEFT JOIN LATERAL (
        SELECT upto_posting_id, balance FROM accounts_balancecheckpoint
         WHERE account_id = %(account)s AND upto_posting_id >= %(hi)s
         ORDER BY upto_posting_id LIMIT 1) AS above ON true
  LEFT JOIN LATERAL (
        SELECT id FROM accounts_posting WHERE account_id = ANY(%(accounts)s::bigint[])
         ORDER BY account_id DESC, id LIMIT 1) AS oldest ON true
  LEFT JOIN LATERAL (
        SELECT id FROM accounts_posting WHERE account_id = ANY(%(accounts)s::bigint[])
         ORDER BY account_id, id DESC LIMIT 1) AS newest ON true
"""

# Summing up from an anchor below the page: balance(id) = anchor + sum(anchor < p <= id).
_FROM_BELOW_SQL = """
SELECT id, balance FROM (
    SELECT id, (%(base)s::bigint + sum(amount) OVER (ORDER BY account_id DESC, id))::bigint
               AS balance
      FROM accounts_posting
     WHERE account_id = ANY(%(accounts)s::bigint[]) AND id > %(anchor)s AND id <= %(hi)s
) AS window_ WHERE id >= %(lo)s
"""

# Summing down from an anchor above: balance(id) = anchor - sum(id < p <= anchor). The
# anchor is a checkpoint, or the current balance read by this same statement.
_FROM_ABOVE_SQL = """
SELECT id, balance FROM (
    SELECT p.id, (top.balance - coalesce(sum(p.amount) OVER (
               ORDER BY p.account_id, p.id DESC
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))::bigint
               AS balance
      FROM accounts_posting AS p, ({top}) AS top
     WHERE p.account_id = ANY(%(accounts)s::bigint[]) AND p.id >= %(lo)s {upto}
) AS window_ WHERE id <= %(hi)s
"""
_CHECKPOINT_TOP = "SELECT %(base)s::bigint AS balance"
_CURRENT_TOP = """SELECT a.balance + coalesce((SELECT sum(s.amount) FROM accounts_balanceshard s
                                    WHERE s.account_id = a.id), 0) AS balance
                    FROM accounts_account AS a WHERE a.id = %(account)s"""


def running_balance_sql(*, account_id: int, lo: int, hi: int) -> tuple[str, dict]:
    """The window query that gives the balance after each posting of the account with an
    id in [lo, hi], anchored on the nearest known balance (see the module docstring)."""
    params = {"account": account_id, "accounts": [account_id], "lo": lo, "hi": hi}
    with connection.cursor() as cursor:
        cursor.execute(_ANCHORS_SQL, params)
        below_id, below_balance, above_id, above_balance, oldest_id, newest_id = cursor.fetchone()
    # Gaps in ids: a proxy for the postings to sum on each side.
    cost_below = lo - (below_id if below_id is not None else (oldest_id or lo))
    cost_above = (above_id if above_id is not None else (newest_id or hi)) - hi
    if cost_below < cost_above:
        if below_id is None:  # from zero, before the account's first posting
            below_id, below_balance = oldest_id - 1, 0
        return _FROM_BELOW_SQL, params | {"anchor": below_id, "base": below_balance}
    if above_id is not None:
        sql = _FROM_ABOVE_SQL.format(top=_CHECKPOINT_TOP, upto="AND p.id <= %(anchor)s")
        return sql, params | {"anchor": above_id, "base": above_balance}
    return _FROM_ABOVE_SQL.format(top=_CURRENT_TOP, upto=""), params


def running_balances(*, account_id: int, lo: int, hi: int) -> dict[int, int]:
    """{posting id: balance after it} for the account's postings with ids in [lo, hi]."""
    if lo > hi:
        return {}
    sql, params = running_balance_sql(account_id=account_id, lo=lo, hi=hi)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def _lines(account_id: int, rows: list[tuple]) -> list[StatementLine]:
    if not rows:
        return []
    balances = running_balances(account_id=account_id, lo=rows[-1][0], hi=rows[0][0])
    rendered = render_lines(
        LedgerLine(
            kind=row[2],
            amount=row[3],
            metadata=row[5] or {},
            reference_type=row[6],
            reference_id=row[7],
        )
        for row in rows
    )
    return [
        StatementLine(
            id=row[0],
            created_at=row[1],
            kind=row[2],
            label=shown.text,
            note=shown.note,
            amount=row[3],
            balance_after=balances.get(row[0]),
            entry_id=row[4],
        )
        for row, shown in zip(rows, rendered, strict=True)
    ]


def statement_page(
    *,
    account_id: int,
    filters: StatementFilters | None = None,
    before_id: int | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> StatementPage:
    """One page of lines, newest first, older than `before_id` (the previous page's cursor),
    each with the balance after it.

    Three short queries: the page (plus one row, to know whether another follows), the
    anchors around it, and the window sum from the nearer anchor.
    """
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationFailed(
            _("limit must be between 1 and %(max)d."),
            params={"max": MAX_PAGE_SIZE},
            field="limit",
            value=limit,
        )
    filters = filters or StatementFilters()
    rows = list(_postings(account_id=account_id, filters=filters, before_id=before_id)[: limit + 1])
    lines = _lines(account_id, rows[:limit])
    next_before_id = lines[-1].id if len(rows) > limit else None
    return StatementPage(lines=lines, next_before_id=next_before_id)


def statement_query_sql(
    *,
    account_id: int,
    filters: StatementFilters | None = None,
    before_id: int | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> tuple[str, tuple]:
    """The SQL and parameters of a page (for EXPLAIN in tests and the benchmark)."""
    queryset = _postings(
        account_id=account_id, filters=filters or StatementFilters(), before_id=before_id
    )[: limit + 1]
    return queryset.query.sql_with_params()


def statement_lines(
    *, account_id: int, filters: StatementFilters, max_lines: int
) -> list[StatementLine]:
    """Every line of a period, newest first, read in keyset chunks; more than `max_lines`
    is a 400 asking for a shorter period (a statement file is not a data dump)."""
    rows: list[tuple] = []
    before_id = None
    while True:
        chunk = list(
            _postings(account_id=account_id, filters=filters, before_id=before_id)[:EXPORT_CHUNK]
        )
        rows += chunk
        if len(rows) > max_lines:
            raise ValidationFailed(
                _("The period has more than %(lines)d lines; choose a shorter period."),
                params={"lines": max_lines},
                field="from",
            )
        if len(chunk) < EXPORT_CHUNK:
            return _lines(account_id, rows)
        before_id = chunk[-1][0]


def balance_before(*, account_id: int, moment: datetime | None) -> int:
    """The account's balance after its last posting made before `moment` (0 if none);
    with no moment, after its last posting."""
    postings = Posting.objects.filter(account_id=account_id)
    if moment is not None:
        postings = postings.filter(created_at__lt=moment)
    last_id = postings.order_by("-id").values_list("id", flat=True).first()
    if last_id is None:
        return 0
    return running_balances(account_id=account_id, lo=last_id, hi=last_id)[last_id]


def export_filters(filters: StatementFilters, *, today: date | None = None) -> StatementFilters:
    """Fill in an export's period: the last 90 days by default; at most 366 days (an open
    end stops a year after the start)."""
    today = today or timezone.now().astimezone(STATEMENT_TZ).date()
    date_to = filters.date_to
    date_from = filters.date_from
    if date_to is None:  # up to today, or a year after `from` if that comes first
        date_to = today
        if date_from is not None:
            date_to = max(date_from, min(today, date_from + timedelta(days=EXPORT_MAX_DAYS - 1)))
    if date_from is None:
        date_from = date_to - timedelta(days=EXPORT_DEFAULT_DAYS - 1)
    if date_from > date_to:
        raise ValidationFailed(_("'from' must not be after 'to'."), field="from")
    if (date_to - date_from).days + 1 > EXPORT_MAX_DAYS:
        raise ValidationFailed(
            _("An export covers at most %(days)d days; choose a shorter period."),
            params={"days": EXPORT_MAX_DAYS},
            field="from",
        )
    return StatementFilters(date_from=date_from, date_to=date_to, kind=filters.kind)


def statement_export(
    *, account: Account, filters: StatementFilters, max_lines: int
) -> StatementExport:
    """A whole period for an export (the last 90 days when none is given)."""
    filters = export_filters(filters)
    lines = statement_lines(account_id=account.pk, filters=filters, max_lines=max_lines)
    start, end = filters.bounds()
    now = timezone.now()
    if end > now:  # a period that has not ended closes on the balance now
        closing_at = now
        closing_balance = balance_before(account_id=account.pk, moment=None)
    else:
        closing_at = end
        closing_balance = balance_before(account_id=account.pk, moment=end)
    return StatementExport(
        account=account,
        filters=filters,
        lines=lines,
        opening_balance=balance_before(account_id=account.pk, moment=start),
        closing_balance=closing_balance,
        closing_at=closing_at,
        generated_at=now,
    )
