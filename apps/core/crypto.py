"""Field encryption at rest and keyed hashes for exact lookup of encrypted values.

Written here rather than taken from django-fernet-encrypted-fields because that package
derives its key from SECRET_KEY: rotating the session secret would make stored CPFs
unreadable. Ours uses FIELD_ENCRYPTION_KEY (a list, newest first, for rotation) through
cryptography's MultiFernet, and an HMAC key derived from it for the lookup column, so the
database alone never holds what decrypts or identifies a document number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models


def _fernet_key(raw: str) -> bytes:
    """Accept a Fernet key, or any secret string (stretched with HKDF to 32 bytes)."""
    try:
        Fernet(raw.encode())
        return raw.encode()
    except (ValueError, TypeError):
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"athena-field-encryption"
        ).derive(raw.encode())
        return base64.urlsafe_b64encode(derived)


@lru_cache(maxsize=8)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(k)) for k in keys])


@lru_cache(maxsize=8)
def _hmac_key(primary: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"athena-lookup-hmac").derive(
        primary.encode()
    )


def cipher() -> MultiFernet:
    return _cipher(tuple(settings.FIELD_ENCRYPTION_KEY))


def encrypt(text: str) -> str:
    return cipher().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    return cipher().decrypt(token.encode()).decode()


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of a normalised value, for UNIQUE constraints and exact lookups."""
    # The oldest encryption key (or FIELD_HASH_KEY) keeps hashes stable across rotations.
    key = _hmac_key(settings.FIELD_HASH_KEY or settings.FIELD_ENCRYPTION_KEY[-1])
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def tax_id_lookup_hash(tax_id: str) -> str:
    """The keyed hash of a CPF/CNPJ (punctuation ignored): the exact-match column beside an
    encrypted tax id."""
    from apps.core.documents import normalize_tax_id

    return keyed_hash("taxid:" + normalize_tax_id(tax_id))


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token. Cannot be filtered on: pair it with a keyed hash."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(str(value))

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        try:
            return decrypt(value)
        except InvalidToken:
            raise ValueError(
                "encrypted field could not be decrypted with FIELD_ENCRYPTION_KEY"
            ) from None

    def to_python(self, value):
        return value
