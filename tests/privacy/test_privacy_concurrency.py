"""Two officers erasing the same request at once: one erasure, one refusal, one record."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from apps.accounts.models import Customer
from apps.core.errors import DomainError
from apps.pix.codecs.keys import KeyType
from apps.pix.keys import services as pix_services
from apps.privacy import services
from apps.privacy.models import DataSubjectRequest, Erasure
from tests.factories.ledger import funded_account
from tests.factories.users import UserFactory
from tests.support.pix_keys import person


@pytest.mark.django_db(transaction=True)
def test_concurrent_erasures_of_one_request_erase_once():
    ana = person("Ana Lucia Prado")
    account = funded_account(customer=ana)
    pix_services.key_register(account=account, key_type=KeyType.EVP)
    req = services.privacy_request_create(customer=ana, kind="erasure")
    officers = [UserFactory(is_staff=True), UserFactory(is_staff=True)]
    barrier = threading.Barrier(len(officers))
    outcomes: list[str] = []

    def run(officer):
        try:
            barrier.wait()
            done = services.customer_erase(
                req=DataSubjectRequest.objects.get(pk=req.pk), actor=officer
            )
            outcomes.append(done.state)
        except DomainError as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # anything else is a defect: shown by the assertion below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(o,)) for o in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("completed") == 1, outcomes
    assert len(outcomes) == 2
    assert Erasure.objects.filter(customer=ana).count() == 1
    assert Customer.objects.get(pk=ana.pk).full_name == services.ERASED_NAME
    assert DataSubjectRequest.objects.get(pk=req.pk).state == "completed"
