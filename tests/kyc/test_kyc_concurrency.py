"""Races on KYC requests, with real threads and their own connections."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from apps.core.errors import DomainError
from apps.kyc import services
from apps.kyc.models import KycRequest
from tests.support.kyc import BIRTH, HOLDER, holder, officer

pytestmark = pytest.mark.django_db(transaction=True)


def race(workers: int, work) -> list:
    barrier = threading.Barrier(workers)
    outcomes: list = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            outcomes.append(("ok", work(index)))
        except DomainError as exc:
            outcomes.append(("refused", exc.code))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_concurrent_opens_make_one_request():
    customer = holder()
    outcomes = race(
        4,
        lambda i: (
            services.kyc_request_create(
                customer=customer, target_level=1 + i % 2, declared_name=HOLDER, birth_date=BIRTH
            ).pk
        ),
    )
    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused", "refused", "refused"]
    assert KycRequest.objects.filter(customer=customer).count() == 1


def test_two_officers_deciding_at_once_decide_once():
    customer = holder()
    request = services.kyc_request_create(
        customer=customer, target_level=1, declared_name="Outro Nome", birth_date=BIRTH
    )
    request = services.kyc_request_submit(request=request)
    assert request.state == "in_review"
    approver, rejecter = officer(), officer()

    def decide(index: int) -> str:
        fresh = KycRequest.objects.get(pk=request.pk)
        if index == 0:
            return services.kyc_request_approve(fresh, approver).state
        return services.kyc_request_reject(fresh, rejecter, reason="no").state

    outcomes = race(2, decide)
    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"]
    request.refresh_from_db()
    customer.refresh_from_db()
    assert request.state in ("approved", "rejected")
    assert customer.kyc_level == (1 if request.state == "approved" else 0)
