"""The cards console: every page answers for a superuser and none shows a PAN in clear (not
even to a superuser); state changes are actions through the services, with a reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.cards import services
from apps.cards.models import Authorization, Card
from apps.core.models import AuditEvent
from tests.factories.users import UserFactory
from tests.support.cards import cardholder, purchase

pytestmark = pytest.mark.django_db


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def history(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_pages_render_with_no_pan_in_clear(admin_client):
    account, issued = cardholder(100_000)
    services.authorize(purchase(issued, 1_000))
    services.authorize(purchase(issued, 999_999))
    services.card_pin_set(customer=None, card_id=issued.card.pk, pin="4826")
    services.card_controls_update(customer=None, card_id=issued.card.pk, daily_limit=50_000)
    replacement = services.card_report(customer=None, card_id=issued.card.pk, stolen=False)
    authorization = Authorization.objects.filter(card=issued.card).first()
    stored = Card.objects.get(pk=issued.card.pk)
    assert stored.pin_hash and stored.pan_hash
    pages = {
        "cards": admin_client.get(changelist(Card)),
        "card": admin_client.get(change(issued.card)),
        "card history": admin_client.get(history(issued.card)),
        "replacement": admin_client.get(change(replacement.card)),
        "authorizations": admin_client.get(changelist(Authorization)),
        "authorization": admin_client.get(change(authorization)),
        "search": admin_client.get(changelist(Card), {"q": issued.card.last4}),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        html = page.content.decode()
        for pan in (issued.pan, replacement.pan):
            assert pan not in html, name
        assert stored.pin_hash not in html and stored.pan_hash not in html, name
    card_page = pages["card"].content.decode()
    assert issued.card.masked_pan in card_page
    assert replacement.card.masked_pan in card_page  # "replaced by"
    assert "R$ 500,00" in card_page
    auth_page = pages["authorization"].content.decode()
    assert authorization.rrn in auth_page and "PADARIA TRES IRMAOS" in auth_page


def test_mask_pans_masks_any_pan_like_run():
    from apps.cards.admin import mask_pans

    masked = mask_pans({"2": "5067271234567890", "37": "000000000001", "x": ["4111111111111111"]})
    assert masked == {"2": "506727******7890", "37": "000000000001", "x": ["411111******1111"]}


def test_block_and_unblock_are_actions_with_a_reason(admin_client):
    _account, issued = cardholder(0)
    card = issued.card
    url = changelist(Card)
    asked = admin_client.post(url, {"action": "block_cards", "_selected_action": [card.pk]})
    assert asked.status_code == 200 and b'name="reason"' in asked.content
    card.refresh_from_db()
    assert card.state == Card.State.ACTIVE  # nothing yet: the reason page
    done = admin_client.post(
        url,
        {
            "action": "block_cards",
            "_selected_action": [card.pk],
            "apply": "1",
            "reason": "customer called the hotline",
        },
    )
    assert done.status_code == 302
    card.refresh_from_db()
    assert card.state == Card.State.BLOCKED and card.state_reason == "customer called the hotline"
    assert AuditEvent.objects.exists()
    admin_client.post(
        url,
        {"action": "unblock_cards", "_selected_action": [card.pk], "apply": "1", "reason": "ok"},
    )
    card.refresh_from_db()
    assert card.state == Card.State.ACTIVE
    lost = admin_client.post(
        url,
        {"action": "report_lost", "_selected_action": [card.pk], "apply": "1", "reason": "lost"},
    )
    assert lost.status_code == 302
    card.refresh_from_db()
    assert card.state == Card.State.LOST and Card.objects.filter(replaces=card).exists()


def test_staff_without_the_change_permission_see_no_actions(client):
    _account, issued = cardholder(0)
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_card"))
    client.force_login(viewer)
    page = client.get(changelist(Card))
    assert page.status_code == 200
    assert b"block_cards" not in page.content
    refused = client.post(
        changelist(Card),
        {
            "action": "block_cards",
            "_selected_action": [issued.card.pk],
            "apply": "1",
            "reason": "x",
        },
    )
    issued.card.refresh_from_db()
    assert issued.card.state == Card.State.ACTIVE
    assert refused.status_code in (200, 302, 403)
