"""The admin's password login counts failures as the portal's (allauth) does: per account
and per client address, locked once ACCOUNT_RATE_LIMITS["login_failed"] is reached, with an
audit event for each refused attempt. Before, 30 wrong passwords then the right one were all
accepted."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from apps.core.models import AuditEvent, User

PASSWORD = "Break-Glass#2026"


@pytest.fixture
def staff(db):
    cache.clear()  # the counters live in the cache
    yield User.objects.create_user(
        username="breakglass",
        email="breakglass@athena.example",
        password=PASSWORD,
        is_staff=True,
        is_superuser=True,
    )
    cache.clear()


def admin_login(client, username, password, ip="203.0.113.7"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_right_password_signs_in(client, staff):
    response = admin_login(client, "breakglass", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_a_few_mistakes_do_not_lock(client, staff):
    for _ in range(3):
        assert admin_login(client, "breakglass", "wrong").status_code == 200
    assert admin_login(client, "breakglass", PASSWORD).status_code == 302
    assert signed_in(client)


def test_thirty_wrong_passwords_lock_the_account(client, staff):
    for _ in range(30):
        response = admin_login(client, "breakglass", "wrong-guess")
        assert response.status_code == 200
        assert not signed_in(client)

    # The right password, even from another address, is refused while the lock holds.
    response = admin_login(client, "breakglass", PASSWORD, ip="198.51.100.9")

    assert response.status_code == 200
    assert not signed_in(client)
    assert response.context["form"].has_error("__all__", "too_many_login_attempts")
    locked = AuditEvent.objects.filter(
        action=AuditEvent.Action.LOGIN_FAILED, detail__locked=True, detail__path="/admin/login/"
    )
    assert locked.count() >= 25  # every attempt past the limit
    assert locked.filter(ip="198.51.100.9", actor_label="breakglass").exists()


def test_one_address_guessing_many_accounts_is_locked(client, staff):
    for n in range(12):
        admin_login(client, f"someone{n}", "wrong", ip="203.0.113.50")
    response = admin_login(client, "breakglass", PASSWORD, ip="203.0.113.50")
    assert response.status_code == 200
    assert not signed_in(client)
    # The account itself is not locked: from elsewhere its owner still gets in.
    assert admin_login(client, "breakglass", PASSWORD, ip="192.0.2.1").status_code == 302


def test_the_lock_is_the_portals_policy(client, staff, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "100/m/ip,2/5m/key"}
    for _ in range(2):
        admin_login(client, "breakglass", "wrong")
    assert admin_login(client, "breakglass", PASSWORD).status_code == 200
    assert not signed_in(client)


def test_the_portals_lock_is_audited_too(client, staff):
    for _ in range(6):
        client.post(
            "/accounts/login/",
            {"login": "breakglass@athena.example", "password": "wrong"},
            REMOTE_ADDR="203.0.113.8",
        )
    locked = AuditEvent.objects.get(
        action=AuditEvent.Action.LOGIN_FAILED, detail__locked=True, detail__path="/accounts/login/"
    )
    assert locked.ip == "203.0.113.8"
    assert locked.actor_label == "breakglass@athena.example"
