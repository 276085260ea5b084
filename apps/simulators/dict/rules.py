"""Small rules the simulated DICT's parts share: the keyed hashes it compares owners and
payers by (no CPF/CNPJ in clear in its indexes), the keys-per-account limit, the clock."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from apps.core.crypto import keyed_hash
from apps.core.documents import normalize_tax_id
from apps.pix.adapters.dict import LEGAL_PERSON


def now_or(now: datetime | None) -> datetime:
    return now or timezone.now()


def owner_hash(tax_id: str) -> str:
    return keyed_hash("dict-owner:" + normalize_tax_id(tax_id))


def payer_hash(payer_id: str) -> str:
    return keyed_hash("dict-payer:" + normalize_tax_id(payer_id))


def key_limit(owner_type: str) -> int:
    """Keys per account: 5 for natural persons, 20 for companies (Regulamento Pix)."""
    if owner_type == LEGAL_PERSON:
        return settings.PIX_MAX_KEYS_COMPANY
    return settings.PIX_MAX_KEYS_PERSON
