"""`manage.py issue_test_card --email E`: the acquirers' sandbox helper."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from stdnum import luhn

from apps.accounts.models import Customer
from apps.cards.models import Card
from apps.cards.services import card_secrets
from tests.factories.customers import person
from tests.factories.ledger import funded_account
from tests.factories.users import UserFactory
from tests.support.cards import cardholder

pytestmark = pytest.mark.django_db


def run(email: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("issue_test_card", "--email", email, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    account, _issued = cardholder(0)
    with pytest.raises(CommandError, match="DEBUG"):
        run(account.customer.user.email)
    assert Card.objects.count() == 1


def test_it_prints_one_json_line_with_a_valid_pan_expiry_and_cvv2(settings):
    settings.DEBUG = True
    account, _issued = cardholder(0)
    out, err = run(account.customer.user.email.upper())
    lines = out.splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert set(data) == {"pan", "expiry", "cvv2"}
    pan, expiry, cvv2 = data["pan"], data["expiry"], data["cvv2"]
    assert luhn.is_valid(pan) and pan.startswith(settings.CARDS_BIN) and len(pan) == 16
    assert len(expiry) == 4 and expiry.isdigit() and 1 <= int(expiry[2:]) <= 12
    assert cvv2 == card_secrets.cvv2(pan, expiry)
    card = Card.objects.get(pan_hash=card_secrets.pan_hash(pan))
    assert card.state == Card.State.ACTIVE and card.kind == Card.Kind.VIRTUAL
    assert card.account_id == account.pk and card.expiry == expiry
    assert pan not in err and card.masked_pan in err


def test_clear_errors_for_unknown_email_no_account_and_low_kyc(settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="No user"):
        run("nobody@example.com")
    staff = UserFactory()
    with pytest.raises(CommandError, match="not a customer"):
        run(staff.email)
    without_account = person("Sem Conta Nenhuma")
    Customer.objects.filter(pk=without_account.pk).update(kyc_level=1)
    with pytest.raises(CommandError, match="no active payment account"):
        run(without_account.user.email)
    low = funded_account(0, customer=person("Nivel Zero Silva")).customer
    with pytest.raises(CommandError, match="KYC level 0"):
        run(low.user.email)
    assert not Card.objects.exists()
