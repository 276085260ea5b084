"""Account statements: selector, API and portal page."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, date, datetime

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from apps.accounts import services, statements
from apps.accounts.models import Account, BalanceCheckpoint, Posting
from apps.accounts.statements import StatementFilters
from apps.core.documents import synthetic_cpf
from apps.core.errors import ValidationFailed
from tests.factories.users import CustomerFactory, UserFactory

# --- Building data -----------------------------------------------------------------------


def owner_with_account(initial_cents: int = 0, *, name: str = "Maria Souza"):
    user = UserFactory()
    customer = services.customer_register(
        user=user, full_name=name, tax_id=synthetic_cpf(user.pk, salt=4)
    )
    account = services.account_open(customer=customer)
    if initial_cents:
        services.deposit(account_id=account.pk, amount_cents=initial_cents, description="TED in")
    account.refresh_from_db()
    return user, account


def other_account(initial_cents: int = 0) -> Account:
    account = services.account_open(customer=CustomerFactory())
    if initial_cents:
        services.deposit(account_id=account.pk, amount_cents=initial_cents, description="funding")
    return account


def backdated_deposit(account_id: int, amount: int, at: datetime, description: str = "") -> int:
    """A balanced deposit entry stamped `at`.

    The ledger function stamps every entry with the transaction's now(), so postings on
    other days cannot be made through it; this writes the same rows it would (entry, both
    legs, the balances) with another time. Use it before any service posting on the
    account, so ids follow time.
    """
    reserves = services.internal_account("reserves_bacen").pk
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_account SET balance = balance + %s WHERE id = %s",
            [amount, account_id],
        )
        cursor.execute(
            "INSERT INTO accounts_journalentry (kind, description, reference_type,"
            " reference_id, metadata, created_at) VALUES ('deposit', %s, '', '', '{}', %s)"
            " RETURNING id",
            [description, at],
        )
        entry_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO accounts_posting (entry_id, account_id, amount, kind, created_at)"
            " VALUES (%s, %s, %s, 'deposit', %s), (%s, %s, %s, 'deposit', %s)",
            [entry_id, reserves, -amount, at, entry_id, account_id, amount, at],
        )
        cursor.execute(
            "INSERT INTO accounts_balanceshard AS s (account_id, shard, amount)"
            " VALUES (%s, 0, %s) ON CONFLICT (account_id, shard)"
            " DO UPDATE SET amount = s.amount + EXCLUDED.amount",
            [reserves, -amount],
        )
    return entry_id


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def statement_url(account_id: int, suffix: str = "") -> str:
    return f"/api/v1/accounts/{account_id}/statement{suffix}"


def token(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def assert_running_balance(lines: list[dict]) -> None:
    """Each line's balance minus its amount is the next older line's balance."""
    for newer, older in zip(lines, lines[1:], strict=False):
        before = cents(newer["balance_after"]) - cents(newer["amount"])
        assert before == cents(older["balance_after"]), (newer, older)


def cents(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    whole, frac = text.lstrip("-").split(".")
    return sign * (int(whole) * 100 + int(frac))


# --- Selector ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_lines_are_newest_first_with_running_balance():
    user, mine = owner_with_account(100_000)
    other = other_account(50_000)
    services.book_transfer(
        source_id=mine.pk, destination_id=other.pk, amount_cents=12_345, description="rent"
    )
    services.book_transfer(
        source_id=other.pk, destination_id=mine.pk, amount_cents=2_000, description="refund"
    )
    services.deposit(account_id=mine.pk, amount_cents=7, description="cashback", kind="pix_in")

    page = statements.statement_page(account_id=mine.pk)
    assert [line.amount for line in page.lines] == [7, 2_000, -12_345, 100_000]
    assert [line.balance_after for line in page.lines] == [89_662, 89_655, 87_655, 100_000]
    assert [line.kind for line in page.lines] == [
        "pix_in",
        "book_transfer",
        "book_transfer",
        "deposit",
    ]
    # Rendered from kind and parameters; a book transfer's note (the customer's own words)
    # follows; a deposit's description is the back office's and is never shown.
    with translation.override("en"):
        page = statements.statement_page(account_id=mine.pk)
    assert [line.description for line in page.lines] == [
        "Pix received",
        "Transfer received · refund",
        "Transfer sent · rent",
        "Deposit",
    ]
    assert [line.note for line in page.lines] == ["", "refund", "rent", ""]
    ids = [line.id for line in page.lines]
    assert ids == sorted(ids, reverse=True)
    assert page.next_before_id is None
    mine.refresh_from_db()
    assert page.lines[0].balance_after == mine.total_balance
    postings = Posting.objects.filter(account_id=mine.pk)
    assert {line.entry_id for line in page.lines} == set(
        postings.values_list("entry_id", flat=True)
    )


@pytest.mark.django_db
def test_selector_pages_without_gaps_or_repeats():
    _, account = owner_with_account(1_000_000)
    for n in range(1, 23):
        services.deposit(account_id=account.pk, amount_cents=n, description=f"d{n}")
    expected = list(
        Posting.objects.filter(account_id=account.pk).order_by("-id").values_list("id", flat=True)
    )
    assert len(expected) == 23
    seen: list[int] = []
    before_id = None
    pages = 0
    while True:
        page = statements.statement_page(account_id=account.pk, before_id=before_id, limit=5)
        pages += 1
        seen += [line.id for line in page.lines]
        if page.next_before_id is None:
            break
        before_id = page.next_before_id
    assert seen == expected
    assert pages == 5


@pytest.mark.django_db
def test_exact_page_boundary_has_no_empty_last_page():
    _, account = owner_with_account(100)
    services.deposit(account_id=account.pk, amount_cents=1, description="x")
    first = statements.statement_page(account_id=account.pk, limit=2)
    assert len(first.lines) == 2 and first.next_before_id is None


def test_cursor_tokens_round_trip_and_reject_garbage():
    assert statements.decode_cursor(statements.encode_cursor(123)) == 123
    assert statements.decode_cursor(token({"id": 9})) == 9
    for bad in [
        "",
        "!!!",
        "not base64 at all",
        statements.encode_cursor(5) + "!!",
        statements.encode_cursor(5) + "==",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        token([1, 2]),
        token({"id": "12"}),
        token({"id": 0}),
        token({"id": -5}),
        token({"id": True}),
        token({"id": 1.5}),
        token({"id": 2**70}),
        token({"pk": 3}),
        "x" * 500,
    ]:
        with pytest.raises(ValidationFailed):
            statements.decode_cursor(bad)


def test_period_bounds_are_sao_paulo_calendar_days():
    start, end = StatementFilters(date_from=date(2024, 3, 9), date_to=date(2024, 3, 10)).bounds()
    assert start == datetime(2024, 3, 9, 3, 0, tzinfo=UTC)
    assert end == datetime(2024, 3, 11, 3, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_filters_by_period_in_brasilia_days_and_by_kind():
    user, account = owner_with_account()
    # 23:30 in Brasília on 9 March is 02:30 UTC on the 10th: it belongs to the 9th.
    late_on_9th = backdated_deposit(
        account.pk, 1_000, datetime(2024, 3, 10, 2, 30, tzinfo=UTC), "late"
    )
    on_10th = backdated_deposit(account.pk, 2_000, datetime(2024, 3, 10, 15, 0, tzinfo=UTC))
    services.deposit(account_id=account.pk, amount_cents=300, description="today", kind="pix_in")
    services.deposit(account_id=account.pk, amount_cents=400, description="today 2")

    def entries(**kwargs):
        page = statements.statement_page(account_id=account.pk, filters=StatementFilters(**kwargs))
        return [line.entry_id for line in page.lines]

    assert entries(date_from=date(2024, 3, 9), date_to=date(2024, 3, 9)) == [late_on_9th]
    assert entries(date_from=date(2024, 3, 10), date_to=date(2024, 3, 10)) == [on_10th]
    assert entries(date_to=date(2024, 3, 10)) == [on_10th, late_on_9th]
    assert len(entries(date_from=date(2024, 3, 11))) == 2
    assert len(entries(kind="deposit")) == 3
    assert [
        line.amount
        for line in statements.statement_page(
            account_id=account.pk, filters=StatementFilters(kind="pix_in")
        ).lines
    ] == [300]
    assert entries(kind="deposit", date_from=date(2024, 3, 10), date_to=date(2024, 3, 10)) == [
        on_10th
    ]
    # The running balance is the account's balance, also across backdated lines.
    page = statements.statement_page(account_id=account.pk)
    assert [line.balance_after for line in page.lines] == [3_700, 3_300, 3_000, 1_000]


def explain(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def bulk_entries(debit_id: int, credit_id: int, count: int) -> None:
    """`count` one-centavo entries from one account to another, written set-based (as
    bench/statement.py does at scale): a ledger-sized table in a second."""
    with connection.cursor() as cursor:
        # The plans of the triggers' lookups (the entry foreign key, the balancing check)
        # were cached while the test tables were nearly empty: a sequential scan per row,
        # quadratic here. Drop them, and have them planned as on a ledger-sized table.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("DISCARD PLANS")
        cursor.execute(
            "WITH e AS (INSERT INTO accounts_journalentry (kind, description, reference_type,"
            " reference_id, metadata, created_at) SELECT 'deposit', 'bulk', '', i::text, '{}',"
            " now() FROM generate_series(1, %s) AS i ORDER BY i RETURNING id)"
            " INSERT INTO accounts_posting (entry_id, account_id, amount, kind, created_at)"
            " SELECT e.id, x.account_id, x.amount, 'deposit', now()"
            " FROM e CROSS JOIN (VALUES (%s, -1), (%s, 1)) AS x(account_id, amount)"
            " ORDER BY e.id, x.amount",
            [count, debit_id, credit_id],
        )
        cursor.execute(
            "INSERT INTO accounts_balanceshard AS s (account_id, shard, amount)"
            " VALUES (%s, 0, %s), (%s, 0, %s) ON CONFLICT (account_id, shard)"
            " DO UPDATE SET amount = s.amount + EXCLUDED.amount",
            [debit_id, -count, credit_id, count],
        )
        cursor.execute("SET LOCAL enable_seqscan = on")


@pytest.mark.django_db
def test_first_and_deep_pages_are_index_range_scans_with_limit():
    """EXPLAIN: the first and a deep page read `posting_account_id_idx` in order and stop
    at the limit, and their running balances sum a short range of the same index; nothing
    sorts the account's postings."""
    _, account = owner_with_account()
    reserves = services.internal_account("reserves_bacen").pk
    # The account is a small share of a ledger-sized table, as every account is in
    # production (on a table of one account, scanning the primary key is as good a plan).
    bulk_entries(services.internal_account("suspense").pk, reserves, 30_000)
    bulk_entries(reserves, account.pk, 600)
    for n in range(1, 21):
        services.deposit(account_id=account.pk, amount_cents=n, description=f"d{n}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_posting")
        cursor.execute("ANALYZE accounts_journalentry")
    ids = list(
        Posting.objects.filter(account_id=account.pk).order_by("-id").values_list("id", flat=True)
    )
    for before_id in (None, ids[-60]):
        plan = explain(*statements.statement_query_sql(account_id=account.pk, before_id=before_id))
        assert plan.lstrip().startswith("Limit"), plan
        assert "posting_account_id_idx" in plan, plan
        assert "Sort" not in plan, plan
    for lo, hi in ((ids[49], ids[0]), (ids[-11], ids[-60])):
        plan = explain(*statements.running_balance_sql(account_id=account.pk, lo=lo, hi=hi))
        assert "posting_account_id_idx" in plan, plan
        assert "Sort" not in plan, plan
    page = statements.statement_page(account_id=account.pk, before_id=ids[-60])
    assert [line.balance_after for line in page.lines[-3:]] == [12, 11, 10]
    assert all(type(line.balance_after) is int for line in page.lines)


def brute_force_balance(account_id: int, posting_id: int) -> int:
    return Posting.objects.filter(account_id=account_id, id__lte=posting_id).aggregate(
        total=Sum("amount")
    )["total"]


def checkpoint_now() -> None:
    """Run the checkpoint job as beat would, until every posting so far is final (it waits
    for transactions older than its mark; other suites share this server's xids)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM accounts_posting")
        upto = cursor.fetchone()[0]
        for _ in range(300):
            cursor.execute("SELECT athena_checkpoint_balances()")
            if cursor.fetchone()[0] >= upto:
                return
            time.sleep(0.1)
    pytest.fail("the checkpoint job could not make the postings final in 30 s")


@pytest.mark.django_db(transaction=True)
def test_running_balances_from_checkpoints_match_the_sums_of_postings():
    _, account = owner_with_account(500_000)
    other = other_account(500_000)
    for batch in range(3):
        for n in range(1, 26):
            if n % 4 == 0:
                services.book_transfer(
                    source_id=other.pk, destination_id=account.pk, amount_cents=n * 10 + batch
                )
            else:
                services.book_transfer(
                    source_id=account.pk, destination_id=other.pk, amount_cents=n + batch
                )
        if batch < 2:
            checkpoint_now()
    checkpoints = list(
        BalanceCheckpoint.objects.filter(account_id=account.pk).values_list(
            "upto_posting_id", "balance"
        )
    )
    assert len(checkpoints) == 2
    for upto, balance in checkpoints:
        assert balance == brute_force_balance(account.pk, upto)

    anchors = set()
    before_id = None
    lines = []
    while True:
        page = statements.statement_page(account_id=account.pk, before_id=before_id, limit=7)
        sql, params = statements.running_balance_sql(
            account_id=account.pk, lo=page.lines[-1].id, hi=page.lines[0].id
        )
        anchors.add(params.get("anchor", "now"))
        lines += page.lines
        if page.next_before_id is None:
            break
        before_id = page.next_before_id
    assert len(lines) == 76
    for line in lines:
        assert line.balance_after == brute_force_balance(account.pk, line.id), line
    assert lines[0].balance_after == Account.objects.get(pk=account.pk).total_balance
    # The first pages start from the balance now, the oldest from zero, the middle ones
    # from the checkpoints.
    assert "now" in anchors
    assert min(lines[-1].id, *(upto for upto, _ in checkpoints)) - 1 in anchors
    assert anchors & {upto for upto, _ in checkpoints}


# --- API -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_statement_shape_and_running_balance():
    user, account = owner_with_account(123_456)
    other = other_account()
    services.book_transfer(
        source_id=account.pk, destination_id=other.pk, amount_cents=100_001, description="rent"
    )
    response = api(user).get(statement_url(account.pk), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "private, no-store"
    body = response.json()
    assert body["account"] == {
        "id": account.pk,
        "branch": "0001",
        "number": account.number,
        "name": "Maria Souza",
        "state": "active",
        "balance": "234.55",
        "available_balance": "234.55",
    }
    assert body["next_cursor"] is None
    first, second = body["lines"]
    assert first["amount"] == "-1000.01" and first["balance_after"] == "234.55"
    assert first["kind"] == "book_transfer" and first["description"] == "Transfer sent · rent"
    assert second["amount"] == "1234.56" and second["balance_after"] == "1234.56"
    assert second["kind"] == "deposit" and second["description"] == "Deposit"
    assert set(first) == {
        "id",
        "created_at",
        "kind",
        "description",
        "amount",
        "balance_after",
        "entry_id",
    }
    assert first["created_at"].endswith("-03:00")  # Brasília time
    posting = Posting.objects.get(pk=first["id"])
    assert posting.entry_id == first["entry_id"] and posting.account_id == account.pk
    assert_running_balance(body["lines"])


@pytest.mark.django_db
def test_api_pages_with_cursor_without_gaps_or_repeats():
    user, account = owner_with_account(10_000)
    other = other_account(10_000)
    for n in range(1, 13):
        if n % 3:
            services.book_transfer(source_id=account.pk, destination_id=other.pk, amount_cents=n)
        else:
            services.book_transfer(source_id=other.pk, destination_id=account.pk, amount_cents=n)
    client = api(user)
    lines: list[dict] = []
    cursor = None
    requests = 0
    while True:
        params = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        response = client.get(statement_url(account.pk), params)
        assert response.status_code == 200, response.content
        requests += 1
        body = response.json()
        assert len(body["lines"]) <= 4
        lines += body["lines"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert requests == 4  # 13 lines in pages of 4
    ids = [line["id"] for line in lines]
    assert ids == list(
        Posting.objects.filter(account_id=account.pk).order_by("-id").values_list("id", flat=True)
    )
    assert len(set(ids)) == 13
    assert_running_balance(lines)
    account.refresh_from_db()
    assert cents(lines[0]["balance_after"]) == account.total_balance
    assert cents(lines[-1]["balance_after"]) == cents(lines[-1]["amount"])  # the first deposit


@pytest.mark.django_db
def test_api_filters_by_kind_and_period():
    user, account = owner_with_account()
    backdated_deposit(account.pk, 5_000, datetime(2024, 1, 31, 12, 0, tzinfo=UTC), "january")
    services.deposit(account_id=account.pk, amount_cents=100, description="pix", kind="pix_in")
    client = api(user)
    body = client.get(statement_url(account.pk), {"kind": "pix_in"}).json()
    assert [line["amount"] for line in body["lines"]] == ["1.00"]
    body = client.get(statement_url(account.pk), {"from": "2024-01-31", "to": "2024-01-31"}).json()
    assert [line["amount"] for line in body["lines"]] == ["50.00"]
    assert body["lines"][0]["balance_after"] == "50.00"
    body = client.get(statement_url(account.pk), {"from": "2024-02-01"}).json()
    assert [line["amount"] for line in body["lines"]] == ["1.00"]
    assert body["lines"][0]["balance_after"] == "51.00"


@pytest.mark.django_db
def test_api_only_the_owner_sees_a_statement():
    user, account = owner_with_account(1_000)
    stranger = CustomerFactory().user
    for who, account_id in ((stranger, account.pk), (user, account.pk + 10_000)):
        response = api(who).get(statement_url(account_id))
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == 404
    reserves = services.internal_account("reserves_bacen")
    assert api(user).get(statement_url(reserves.pk)).status_code == 404
    anonymous = APIClient().get(statement_url(account.pk))
    assert anonymous.status_code in (401, 403)
    assert anonymous["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params, field",
    [
        ({"cursor": "!!!"}, "cursor"),
        ({"cursor": "eyJpZCI6"}, "cursor"),  # truncated JSON
        ({"cursor": token({"id": "1"})}, "cursor"),
        ({"cursor": token({"id": -1})}, "cursor"),
        ({"cursor": "a" * 101}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"from": "2024-13-01"}, "from"),
        ({"from": "01/02/2024"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2024-02-02", "to": "2024-02-01"}, "to"),
        ({"kind": "DROP TABLE"}, "kind"),
        ({"kind": "x" * 41}, "kind"),
    ],
)
def test_api_bad_parameters_are_400_problems(params, field):
    user, account = owner_with_account(1_000)
    response = api(user).get(statement_url(account.pk), params)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert [v["propriedade"] for v in body["violacoes"]] == [field]


@pytest.mark.django_db
def test_api_limit_bounds_are_accepted():
    user, account = owner_with_account(1_000)
    for limit in ("1", "200"):
        assert api(user).get(statement_url(account.pk), {"limit": limit}).status_code == 200


# --- Portal ----------------------------------------------------------------------------------


def test_brl_filter():
    template = Template("{% load money %}{{ a|brl }}|{{ b|brl }}|{{ c|brl }}|{{ d|brl }}")
    text = template.render(Context({"a": 123_456, "b": -5, "c": None, "d": 1.5}))
    assert text == "R$ 1.234,56|-R$ 0,05||"


@pytest.mark.django_db
def test_portal_statement_page(client):
    user, account = owner_with_account(123_456)
    other = other_account()
    services.book_transfer(
        source_id=account.pk, destination_id=other.pk, amount_cents=100, description="café"
    )
    client.force_login(user)
    url = reverse("portal:statement", args=[account.pk])
    assert url == f"/statement/{account.pk}/"
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert account.number in html
    assert "R$ 1.234,56" in html and "R$ 1.233,56" in html and "-R$ 1,00" in html
    assert "Transferência enviada<br>" in html and "café" in html
    assert html.index("café") < html.index("<td>Depósito</td>")  # newest first
    assert f"/api/v1/accounts/{account.pk}/statement.csv" in html
    assert f"/api/v1/accounts/{account.pk}/statement.pdf" in html
    assert f"/api/v1/accounts/{account.pk}/statement.ofx" in html
    assert 'name="from"' in html and 'name="to"' in html and 'name="kind"' in html
    assert "hx-get" not in html  # one page only: no "load more"


@pytest.mark.django_db
def test_portal_load_more_with_htmx(client):
    user, account = owner_with_account(1_000)
    for n in range(1, 60):
        services.deposit(account_id=account.pk, amount_cents=n, description=f"deposit {n}")
    client.force_login(user)
    response = client.get(reverse("portal:statement", args=[account.pk]), {"kind": "deposit"})
    html = response.content.decode()
    # Lines told apart by amount: each deposit of n centavos.
    assert "R$ 0,59</td>" in html and "R$ 0,10</td>" in html and "R$ 0,09</td>" not in html
    lines_url = reverse("portal:statement_lines", args=[account.pk])
    assert f'hx-get="{lines_url}?kind=deposit&amp;cursor=' in html
    assert 'hx-swap="outerHTML"' in html
    next_url = html.split('hx-get="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    partial = client.get(next_url, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    rows = partial.content.decode()
    assert "<html" not in rows
    assert "R$ 0,09</td>" in rows and "R$ 0,01</td>" in rows and "R$ 10,00</td>" in rows
    assert "R$ 0,10</td>" not in rows
    assert "hx-get" not in rows  # the last page


@pytest.mark.django_db
def test_portal_statement_is_owner_only(client):
    user, account = owner_with_account(1_000)
    url = reverse("portal:statement", args=[account.pk])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and reverse("account_login") in anonymous["Location"]
    client.force_login(CustomerFactory().user)
    assert client.get(url).status_code == 404
    assert client.get(reverse("portal:statement_lines", args=[account.pk])).status_code == 404


@pytest.mark.django_db
def test_portal_bad_filters_and_cursor(client):
    user, account = owner_with_account(1_000)
    client.force_login(user)
    url = reverse("portal:statement", args=[account.pk])
    response = client.get(url, {"from": "2024-02-02", "to": "2024-02-01"})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert client.get(url, {"cursor": "garbage!"}).status_code == 400
    lines_url = reverse("portal:statement_lines", args=[account.pk])
    assert client.get(lines_url, {"cursor": "garbage!"}).status_code == 400
    assert client.get(lines_url, {"kind": "no-such-kind"}).status_code == 400
