"""What customers and operators read about the ledger is in their language (issue #16):
a reversed opening balance reads "Estorno: TED recebida" with no operator's reason and no
entry id; the console filters and lists entry kinds by their labels; a refusal of an admin
action (a DomainError) reads in the operator's language."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin import helpers
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from apps.accounts import services
from apps.accounts.models import JournalEntry
from apps.core import roles
from tests.factories.ledger import funded_account
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db

REASON = "chamado OPS-77: saldo de abertura lançado em duplicidade"


def operator_client(language: str | None = None) -> Client:
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=roles.OPERATOR))
    client = Client()
    client.force_login(user)
    if language:
        client.cookies["django_language"] = language
    return client


@pytest.fixture
def reversed_opening_balance():
    """The demo's opening balance (a TED credited, with the back office's words) and its
    reversal with an operator's reason."""
    account = funded_account()
    entry_id = services.deposit(
        account_id=account.pk,
        amount_cents=850_000,
        description="Demo opening balance (TED received)",
        kind="ted_in",
    )
    reversal_id = services.entry_reverse(entry_id=entry_id, reason=REASON)
    return account, entry_id, reversal_id


@pytest.mark.parametrize(
    ("language", "reversal", "original"),
    [
        ("pt-br", "Estorno: TED recebida", "TED recebida"),
        ("en", "Reversal: TED received", "TED received"),
    ],
)
def test_a_reversal_reads_as_the_original_line_without_reason_or_ids(
    client, reversed_opening_balance, language, reversal, original
):
    account, entry_id, reversal_id = reversed_opening_balance
    client.force_login(account.customer.user)
    client.cookies["django_language"] = language
    html = client.get(reverse("portal:statement", args=[account.pk])).content.decode()
    assert f"<td>{reversal}" in html and f"<td>{original}" in html
    assert REASON not in html and "OPS-77" not in html
    assert "Demo opening balance" not in html and "Reversal of" not in html
    for entry in (entry_id, reversal_id):
        assert not re.search(rf"#\s*{entry}\b", html)
    assert "R$ 8.500,00" in html  # money reads the Brazilian way in both languages


def test_the_console_filters_and_lists_entry_kinds_by_their_labels(reversed_opening_balance):
    page = operator_client("pt-br").get(reverse("admin:accounts_journalentry_changelist"))
    html = page.content.decode()
    filters = re.search(r'id="changelist-filter".*?</nav>|id="changelist-filter".*', html, re.S)
    assert filters is not None
    sidebar = filters.group(0)
    assert "TED recebida" in sidebar and "Estorno" in sidebar
    assert ">ted_in<" not in sidebar and ">reversal<" not in sidebar
    assert "?kind=ted_in" in sidebar  # the code stays in the link, not in the text
    rows = re.search(r'id="result_list".*?</table>', html, re.S).group(0)
    assert "TED recebida" in rows and ">ted_in<" not in rows

    english = operator_client("en").get(reverse("admin:accounts_journalentry_changelist"))
    assert "TED received" in english.content.decode()


@pytest.mark.parametrize(
    ("language", "refusal"),
    [("pt-br", "Este lançamento já foi estornado."), ("en", "This entry was already reversed.")],
)
def test_a_refusal_of_an_admin_action_reads_in_the_operators_language(
    reversed_opening_balance, language, refusal
):
    _account, entry_id, _reversal_id = reversed_opening_balance
    response = operator_client(language).post(
        reverse("admin:accounts_journalentry_changelist"),
        {
            "action": "request_reversal",
            "apply": "yes",
            "reason": "again",
            helpers.ACTION_CHECKBOX_NAME: [entry_id],
        },
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any(refusal in m for m in messages), messages
    assert JournalEntry.objects.filter(reverses_id=entry_id).count() == 1
