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
import json
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
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


class EncryptedJSONField(models.JSONField):
    """JSON stored as one Fernet token (a JSON string in the same jsonb column).

    For documents that must keep a CPF/CNPJ (a COAF communication's parties, a stored API
    response): the database holds only the token. Rows written before the field was
    encrypted (a JSON object or list) still read, so a data migration can encrypt them in
    place. Cannot be filtered on."""

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None or hasattr(value, "as_sql"):
            return super().get_db_prep_value(value, connection, prepared)
        if not prepared:
            value = encrypt(json.dumps(value, cls=self.encoder or DjangoJSONEncoder))
        return super().get_db_prep_value(value, connection, prepared=False)

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        if not isinstance(value, str):
            return value  # written in clear before the field was encrypted
        try:
            return json.loads(decrypt(value), cls=self.decoder)
        except InvalidToken:
            raise ValueError(
                "encrypted field could not be decrypted with FIELD_ENCRYPTION_KEY"
            ) from None


# --- deterministic encryption: encrypted values that can still be looked up ----------------

_SIV_PREFIX = "siv:"


@lru_cache(maxsize=8)
def _siv(primary: str) -> AESSIV:
    key = HKDF(
        algorithm=hashes.SHA256(), length=64, salt=None, info=b"athena-deterministic-field"
    ).derive(primary.encode())
    return AESSIV(key)


def _lookup_cipher() -> AESSIV:
    # Like keyed_hash, bound to the stable key: a rotation of FIELD_ENCRYPTION_KEY must not
    # change how a stored value is found.
    return _siv(settings.FIELD_HASH_KEY or settings.FIELD_ENCRYPTION_KEY[-1])


def encrypt_for_lookup(text: str) -> str:
    """AES-SIV (RFC 5297) of `text`: the same text always gives the same token, so an equal
    comparison, an IN list or a UNIQUE index on the column still works, and nothing else
    about the value can be read without the key. The synthetic IV is a keyed MAC of the
    text: the column is, in effect, the keyed hash of the value and its ciphertext in one."""
    token = _lookup_cipher().encrypt(text.encode(), [b"athena-lookup-v1"])
    return _SIV_PREFIX + base64.urlsafe_b64encode(token).decode().rstrip("=")


def decrypt_for_lookup(token: str) -> str:
    raw = token.removeprefix(_SIV_PREFIX)
    data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    return _lookup_cipher().decrypt(data, [b"athena-lookup-v1"]).decode()


def lookup_token_length(max_clear_length: int) -> int:
    """The column width a value of `max_clear_length` characters needs once encrypted
    (keys are ASCII: one byte a character)."""
    return len(_SIV_PREFIX) + -(-(16 + max_clear_length) * 4 // 3)


class LookupEncryptedField(models.CharField):
    """A value kept encrypted at rest that the application still finds by equality: Pix
    keys (a CPF/CNPJ, an e-mail, a phone). Filters with `=`/`IN` (and UNIQUE constraints)
    work because the token is deterministic; partial matches (contains, startswith) cannot.
    The empty string stays empty (an erased or not yet known value)."""

    def __init__(self, *args, clear_max_length: int = 77, **kwargs):
        self.clear_max_length = clear_max_length
        kwargs["max_length"] = lookup_token_length(clear_max_length)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        if self.clear_max_length != 77:
            kwargs["clear_max_length"] = self.clear_max_length
        return name, path, args, kwargs

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt_for_lookup(str(value))

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        try:
            return decrypt_for_lookup(value)
        except (InvalidTag, ValueError):
            raise ValueError("encrypted field could not be decrypted with FIELD_HASH_KEY") from None

    def to_python(self, value):
        return value

    # Only equality means anything on a deterministic token. `iexact` (the admin's "=key"
    # search) is taken as `exact`: keys are stored in their canonical form. Any other
    # lookup (contains, startswith, gt...) would silently match nothing, so it is refused.
    _LOOKUPS = {"exact": "exact", "iexact": "exact", "in": "in", "isnull": "isnull"}

    def get_lookup(self, lookup_name):
        if lookup_name not in self._LOOKUPS:
            return None
        return super().get_lookup(self._LOOKUPS[lookup_name])

    def formfield(self, **kwargs):
        kwargs.setdefault("max_length", self.clear_max_length)
        return super().formfield(**kwargs)


class EncryptedBinaryField(models.BinaryField):
    """Bytes stored as a Fernet token (a rendered document that names people: a COAF PDF).
    Rows written in clear before the field was encrypted still read."""

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is not None and not hasattr(value, "as_sql") and not prepared:
            value = cipher().encrypt(bytes(value))
        return super().get_db_prep_value(value, connection, prepared)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        raw = bytes(value)
        if not raw.startswith(_FERNET_VERSION):
            return raw  # written in clear before the field was encrypted
        try:
            return cipher().decrypt(raw)
        except InvalidToken:
            raise ValueError(
                "encrypted field could not be decrypted with FIELD_ENCRYPTION_KEY"
            ) from None


_FERNET_VERSION = b"gAAAAA"  # every Fernet token starts so (version byte 0x80, a timestamp)
