"""The portal's confirmation step (apps.core.forms.ConfirmationForm) as a customer goes
through it: open the confirmation page, then post back the signed values it shows."""

from __future__ import annotations

import re

from django.test import Client

SHOWN = re.compile(r'<input type="hidden" name="shown" value="([^"]*)"')


def shown_of(html: str) -> str:
    """The signed values a confirmation page carries (fails when the page has none)."""
    found = SHOWN.search(html)
    assert found is not None, "the confirmation page carries no signed values"
    return found.group(1)


def confirm(client: Client, url: str, data: dict | None = None, **kwargs):
    """GET the confirmation, then POST it as its page would (plus `data`)."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return client.post(url, {"shown": shown_of(page.content.decode()), **(data or {})}, **kwargs)
