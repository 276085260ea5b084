"""The alert page reads in the officer's language and in Brasilia time (issue #16): the
triggering movements at the same clock as the account's recent movements, entry kinds and
the rule by their labels, the rule's facts as a table with money in reais."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.core.timezones import BRASILIA
from tests.support.monitoring import (
    alerts_of,
    drain_all,
    funded_account,
    officer,
    only_rules,
    transfer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_celery_kick(settings):
    settings.OUTBOX_KICK_ON_COMMIT = False


@pytest.fixture
def alert():
    only_rules("structuring")
    payer, payee = funded_account(5_000_000), funded_account(0)
    for cents in (910_000, 920_000, 930_000):
        transfer(payer, payee, cents)
    drain_all()
    return alerts_of(payer, "structuring").get()


def test_triggers_and_movements_read_in_brasilia_time_and_in_portuguese(alert):
    client = Client()
    client.force_login(officer())
    html = client.get(f"/admin/monitoring/alert/{alert.pk}/change/").content.decode()

    for movement in alert.evidence["movements"]:
        moment = parse_datetime(movement["created_at"])
        brasilia = timezone.localtime(moment, BRASILIA).strftime("%d/%m/%Y %H:%M")
        utc = moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
        assert brasilia in html
        assert utc not in html  # never the stored UTC text beside Brasilia times
    assert "Transferência entre contas Athena" in html  # kinds by their labels
    assert ">book_transfer<" not in html
    assert "Fracionamento" in html  # the rule's name, translated
    assert "R$ 27.600,00" in html or "R$ 9.300,00" in html  # facts: money in reais
    assert "&quot;total&quot;" not in html and '"total":' not in html  # no raw JSON facts
