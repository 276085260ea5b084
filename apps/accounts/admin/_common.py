"""Helpers shared by the modules of the ledger console."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.html import format_html

from apps.core.admin_tools import entry_link

FULL_TAX_ID_PERMISSION = "accounts.view_full_tax_id"


_entry_link = entry_link


def _account_link(account_id: int | None, text: Any = None) -> str:
    if account_id is None:
        return "-"
    url = reverse("admin:accounts_account_change", args=[account_id])
    return format_html('<a href="{}">{}</a>', url, account_id if text is None else text)
