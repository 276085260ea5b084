"""Every new customer is screened at onboarding (after the registration commits)."""

from __future__ import annotations

import pytest

from apps.accounts.services import customer_register
from apps.compliance.models import ScreeningResult, WatchlistEntry
from apps.compliance.services import invalidate_index
from tests.factories.users import UserFactory
from tests.support.pix_keys import new_cpf

pytestmark = pytest.mark.django_db


@pytest.fixture
def watchlisted():
    WatchlistEntry.objects.create(name="Viktor Anatolyevich Bout", reason="test")
    invalidate_index()
    yield
    invalidate_index()


def register(name: str):
    return customer_register(user=UserFactory(), full_name=name, tax_id=new_cpf())


def test_a_new_customer_is_screened_and_a_hit_is_kept(
    watchlisted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        listed = register("Viktor Bout Anatolyevich")
        clear = register("Maria Souza Lima")

    listed_result = ScreeningResult.objects.get(customer=listed, context="onboarding")
    # Our watchlist, and OFAC too when another test loaded the full lists.
    assert "internal" in {hit.source for hit in listed_result.hits.all()}
    clear_result = ScreeningResult.objects.get(customer=clear, context="onboarding")
    assert not clear_result.hits.exists()


def test_nothing_is_screened_before_the_registration_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        customer = register("Maria Souza Lima")
    assert not ScreeningResult.objects.filter(customer=customer).exists()
    assert callbacks  # runs once the sign-up is committed
