"""Statement files: CSV, PDF and OFX open in their tools (ofxparse, pypdf, a CSV reader)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from ofxparse import OfxParser
from pypdf import PdfReader

from apps.accounts import exports, services, statement_api, statements
from apps.accounts.exports import render_ofx
from apps.accounts.statements import StatementFilters
from apps.core.models import AuditEvent
from tests.accounts.test_statements import (
    api,
    backdated_deposit,
    other_account,
    owner_with_account,
    statement_url,
)
from tests.factories.users import CustomerFactory

# ofxparse still calls BeautifulSoup's findAll.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ofxparse")


def account_with_movements():
    """R$ 1.234,56 in; R$ 100,01 out ("=cmd" as its note); R$ 0,05 in by Pix."""
    user, account = owner_with_account(123_456)
    other = other_account(10_000)
    services.book_transfer(
        source_id=account.pk,
        destination_id=other.pk,
        amount_cents=10_001,
        description='=HYPERLINK("http://x")',
    )
    services.deposit(
        account_id=account.pk, amount_cents=5, description="Pix de João", kind="pix_in"
    )
    account.refresh_from_db()
    return user, account


def exports_of(user) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action=AuditEvent.Action.DATA_EXPORT, actor=user).order_by("pk")
    )


# --- CSV -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_csv_is_excel_brazil_shaped_and_audited():
    user, account = account_with_movements()
    response = api(user).get(statement_url(account.pk, ".csv"))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert f"extrato-0001-{account.number}-" in disposition and disposition.endswith('.csv"')
    content = response.content
    assert content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    header, *lines = rows
    assert len(header) == 8
    assert len(lines) == 3
    newest, transfer, first = lines
    # Rendered in the reader's language (pt-BR by default), never the stored description.
    assert newest[3] == "Pix recebido" and newest[4] == "0,05" and newest[5] == "1134,60"
    assert newest[2] == "Pix recebido"
    # The customer's note follows the rendered text, so it can never lead a cell; a cell
    # that would start a formula is still quoted.
    assert transfer[3] == 'Transferência enviada · =HYPERLINK("http://x")'
    assert exports._spreadsheet_safe('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert first[3] == "Depósito"
    assert transfer[4] == "-100,01" and transfer[5] == "1134,55"
    assert first[4] == "1234,56" and first[5] == "1234,56"
    datetime.strptime(newest[0] + " " + newest[1], "%d/%m/%Y %H:%M:%S")
    (event,) = exports_of(user)
    assert event.detail["format"] == "csv"
    assert event.object_id == str(account.pk)
    assert "account statement" in event.detail["what"] and "3 lines" in event.detail["what"]


@pytest.mark.django_db
def test_format_query_parameter_gives_the_same_files():
    user, account = account_with_movements()
    client = api(user)
    for export_format, content_type in (
        ("csv", "text/csv; charset=utf-8"),
        ("pdf", "application/pdf"),
        ("ofx", "application/x-ofx"),
    ):
        response = client.get(statement_url(account.pk), {"format": export_format})
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == content_type
    assert [e.detail["format"] for e in exports_of(user)] == ["csv", "pdf", "ofx"]
    assert client.get(statement_url(account.pk), {"format": "json"}).json()["lines"]
    unknown = client.get(statement_url(account.pk), {"format": "xlsx"})
    assert unknown.status_code == 404
    assert unknown["Content-Type"] == "application/problem+json"


# --- OFX -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ofx_parses_with_ofxparse():
    user, account = account_with_movements()
    response = api(user).get(statement_url(account.pk, ".ofx"))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/x-ofx"
    body = response.content
    assert body.startswith(b"OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102")
    ofx = OfxParser.parse(io.BytesIO(body))
    assert ofx.account.routing_number == settings.ATHENA_ISPB
    assert ofx.account.account_id == f"0001{account.number}"
    assert ofx.account.curdef == "BRL"
    statement = ofx.account.statement
    assert statement.balance == Decimal("1134.60")
    assert statement.balance == Decimal(account.total_balance) / 100
    by_id = {t.id: t for t in statement.transactions}
    page = statements.statement_page(account_id=account.pk)
    assert set(by_id) == {str(line.id) for line in page.lines}
    for line in page.lines:
        transaction = by_id[str(line.id)]
        assert transaction.amount == Decimal(line.amount) / 100
        assert transaction.type == ("credit" if line.amount > 0 else "debit")
        assert transaction.checknum == str(line.entry_id)
        # ofxparse gives naive UTC: DTPOSTED carried the Brasília offset.
        assert transaction.date == line.created_at.astimezone(UTC).replace(
            tzinfo=None, microsecond=0
        )
    assert by_id[str(page.lines[0].id)].memo == "Pix recebido"
    assert by_id[str(page.lines[1].id)].memo == 'Transferência enviada · =HYPERLINK("http://x")'
    assert [e.detail["format"] for e in exports_of(user)] == ["ofx"]


@pytest.mark.django_db
def test_ofx_of_a_past_period_closes_on_that_periods_balance():
    user, account = owner_with_account()
    backdated_deposit(account.pk, 10_000, datetime(2024, 1, 10, 15, tzinfo=UTC), "jan 10")
    backdated_deposit(account.pk, 2_500, datetime(2024, 2, 5, 15, tzinfo=UTC), "feb 5 <b>&")
    backdated_deposit(account.pk, 700, datetime(2024, 3, 1, 15, tzinfo=UTC), "march")
    services.deposit(account_id=account.pk, amount_cents=1, description="today")
    response = api(user).get(
        statement_url(account.pk, ".ofx"), {"from": "2024-02-01", "to": "2024-02-29"}
    )
    assert response.status_code == 200, response.content
    ofx = OfxParser.parse(io.BytesIO(response.content))
    statement = ofx.account.statement
    assert [(t.memo, t.amount) for t in statement.transactions] == [("Depósito", Decimal("25"))]
    assert statement.balance == Decimal("125.00")  # after 5 February, before March
    assert statement.start_date == datetime(2024, 2, 1, 3, 0)  # midnight in Brasília
    assert statement.end_date == datetime(2024, 3, 1, 3, 0)
    assert statement.balance_date == datetime(2024, 3, 1, 3, 0)


def test_ofx_renderer_escapes_markup_and_survives_any_text():
    class FakeAccount:
        pk = 1
        branch = "0001"
        number = "001000014"
        name = "Fulano"
        customer = None

    now = datetime(2025, 6, 1, 12, tzinfo=UTC)
    line = statements.StatementLine(
        id=7,
        created_at=now,
        kind="pix_in",
        label="Pix recebido de </MEMO><TRNAMT>999999.00",
        note="😀 ação",
        amount=-1_50,
        balance_after=0,
        entry_id=3,
    )
    export = statements.StatementExport(
        account=FakeAccount(),
        filters=StatementFilters(date_from=date(2025, 6, 1), date_to=date(2025, 6, 1)),
        lines=[line],
        opening_balance=150,
        closing_balance=0,
        closing_at=now,
        generated_at=now,
    )
    ofx = OfxParser.parse(io.BytesIO(render_ofx(export)))
    (transaction,) = ofx.account.statement.transactions
    assert transaction.amount == Decimal("-1.50")
    assert transaction.memo.startswith("Pix recebido de </MEMO><TRNAMT>999999.00")
    assert "ação" in transaction.memo


# --- PDF -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pdf_renders_with_account_number_and_amounts():
    user, account = account_with_movements()
    response = api(user).get(statement_url(account.pk, ".pdf"))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert account.number in text
    assert "R$ 1.234,56" in text  # the first deposit, and the opening of the table
    assert "-R$ 100,01" in text
    assert "R$ 1.134,60" in text  # closing balance
    assert "Pix recebido" in text and "Transferência enviada · =HYPERLINK" in text
    assert [e.detail["format"] for e in exports_of(user)] == ["pdf"]


@pytest.mark.django_db
def test_pdf_of_many_lines_has_several_pages():
    user, account = owner_with_account(1_000_000)
    for n in range(1, 121):
        services.deposit(account_id=account.pk, amount_cents=n, description=f"line {n}")
    response = api(user).get(statement_url(account.pk, ".pdf"))
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 3
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "R$ 0,01" in text and "R$ 1,20" in text  # the first and the last deposit


# --- Access and validation -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", [".csv", ".pdf", ".ofx"])
def test_exports_are_owner_only_and_not_audited_when_refused(suffix):
    user, account = account_with_movements()
    stranger = CustomerFactory().user
    response = api(stranger).get(statement_url(account.pk, suffix))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404
    assert exports_of(stranger) == []
    assert api(user).get(statement_url(account.pk + 10_000, suffix)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params, field",
    [
        ({"from": "2024-02-30"}, "from"),
        ({"from": "2024-03-01", "to": "2024-02-01"}, "to"),
        ({"from": "2023-01-01", "to": "2024-12-31"}, "from"),  # more than 366 days
        ({"kind": "Pix In"}, "kind"),
    ],
)
def test_export_bad_parameters_are_400_problems(params, field):
    user, account = account_with_movements()
    for suffix in (".csv", ".pdf", ".ofx"):
        response = api(user).get(statement_url(account.pk, suffix), params)
        assert response.status_code == 400, response.content
        assert response["Content-Type"] == "application/problem+json"
        assert [v["propriedade"] for v in response.json()["violacoes"]] == [field]
    assert exports_of(user) == []


@pytest.mark.django_db
def test_export_with_too_many_lines_asks_for_a_shorter_period(monkeypatch):
    user, account = account_with_movements()
    monkeypatch.setitem(statement_api.MAX_EXPORT_LINES, "csv", 2)
    response = api(user).get(statement_url(account.pk, ".csv"))
    assert response.status_code == 400
    assert "escolha um período menor" in response.json()["detail"]  # the API answers in pt-BR
    assert exports_of(user) == []


def test_export_period_defaults_to_the_last_90_days():
    today = date(2025, 5, 20)
    filters = statements.export_filters(StatementFilters(), today=today)
    assert (filters.date_from, filters.date_to) == (today - timedelta(days=89), today)
    filters = statements.export_filters(StatementFilters(date_to=date(2025, 1, 31)), today=today)
    assert filters.date_from == date(2024, 11, 3)
    filters = statements.export_filters(StatementFilters(date_from=date(2025, 5, 1)), today=today)
    assert filters.date_to == today
    filters = statements.export_filters(StatementFilters(date_from=date(2023, 5, 1)), today=today)
    assert filters.date_to == date(2024, 4, 30)  # 366 days


@pytest.mark.django_db
def test_export_honours_kind_and_period_filters():
    user, account = owner_with_account()
    backdated_deposit(account.pk, 4_000, datetime(2024, 5, 2, 12, tzinfo=UTC), "may")
    services.deposit(account_id=account.pk, amount_cents=300, description="pix", kind="pix_in")
    client = api(user)
    response = client.get(statement_url(account.pk, ".csv"), {"kind": "pix_in"})
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))[1:]
    assert [(line[3], line[4]) for line in lines] == [("Pix recebido", "3,00")]
    assert lines[0][5] == "43,00"  # the running balance counts every posting, not only Pix
    response = client.get(
        statement_url(account.pk, ".csv"), {"from": "2024-05-01", "to": "2024-05-31"}
    )
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))[1:]
    assert [(line[3], line[4]) for line in lines] == [("Depósito", "40,00")]
    assert lines[0][0] == "02/05/2024" and lines[0][1] == "09:00:00"  # Brasília time


@pytest.mark.django_db
def test_portal_page_links_exports_with_its_filters(client):
    user, account = account_with_movements()
    client.force_login(user)
    since = (date.today() - timedelta(days=10)).isoformat()
    response = client.get(f"/statement/{account.pk}/", {"kind": "pix_in", "from": since})
    html = response.content.decode()
    assert f"/api/v1/accounts/{account.pk}/statement.ofx?from={since}&amp;kind=pix_in" in html
    # The session that shows the page downloads the file.
    download = client.get(f"/api/v1/accounts/{account.pk}/statement.ofx?from={since}&kind=pix_in")
    assert download.status_code == 200
    ofx = OfxParser.parse(io.BytesIO(download.content))
    assert [t.memo for t in ofx.account.statement.transactions] == ["Pix recebido"]
