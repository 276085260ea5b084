"""No PAN in clear: not in any table of the database (a dump of every row as JSON, history
and audit included), not in the logs of the run, not in the admin's or the portal's pages.
Cards are issued, used (approved, declined, reversed, captured) and revealed to their owner
first, so every place a PAN could leak has been written."""

from __future__ import annotations

import logging

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, reverse

from apps.cards import services
from tests.factories.users import UserFactory
from tests.support.cards import cardholder, purchase

pytestmark = pytest.mark.django_db


def _database_dump() -> str:
    """Every row of every table as JSON text: what a dump of the database would hold."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT quote_ident(table_name) FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        chunks = []
        for table in tables:
            cursor.execute(
                f"SELECT coalesce(string_agg(row_to_json(t)::text, E'\\n'), '') FROM {table} t"
            )
            chunks.append(cursor.fetchone()[0])
    return "\n".join(chunks)


def _admin_pages(client: Client) -> str:
    pages = []
    for model in admin.site._registry:
        if model._meta.app_label not in ("cards", "simulators"):
            continue
        opts = model._meta
        try:
            pages.append(
                client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
            )
            first = model._default_manager.order_by("pk").first()
            if first is not None:
                pages.append(
                    client.get(
                        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
                    )
                )
                history = f"admin:{opts.app_label}_{opts.model_name}_history"
                pages.append(client.get(reverse(history, args=[first.pk])))
        except NoReverseMatch:
            continue
    assert pages, "no admin page of cards was read"
    return "\n".join(page.content.decode(errors="replace") for page in pages)


def test_no_pan_in_clear_in_the_database_the_logs_or_the_pages(caplog):
    caplog.set_level(logging.DEBUG)
    account, issued = cardholder(100_000)
    _other_account, other = cardholder(100, name="Joao Pedro Alves")
    approved = purchase(issued, 1_000)
    services.authorize(approved)
    services.authorize(purchase(issued, 999_999))  # 51
    services.authorize(purchase(other, 5_000))  # 51 on the other card
    services.authorize(purchase(issued, 2_000, mti="0200"))  # captured
    services.authorization_reverse(
        purchase(issued, 1_000, mti="0400", original_mti="0100", original_stan=approved.stan)
    )
    services.card_pin_set(customer=None, card_id=issued.card.pk, pin="4826")
    services.card_reveal(customer=account.customer, card_id=issued.card.pk)
    replacement = services.card_report(customer=None, card_id=other.card.pk, stolen=True)
    pans = {issued.pan, other.pan, replacement.pan}

    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    places = {
        "database": _database_dump(),
        "logs": caplog.text,
        "admin": _admin_pages(staff),
    }
    for where, text in places.items():
        for pan in pans:
            assert pan not in text, f"a PAN in clear in the {where}"
            # Nor split by the usual separators.
            assert " ".join(pan[i : i + 4] for i in range(0, 16, 4)) not in text, where
