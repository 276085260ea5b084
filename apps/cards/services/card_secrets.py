"""The card's secrets: PAN generation (our BIN, a random body, the Luhn digit), the PAN's
keyed hash and token, the CVV2 derived on demand from a key (never stored, PCI DSS 4.0.1
req. 3.3.1.2), and the PIN's slow hash.

The CVV2 is HMAC-SHA256(CARDS_CVV_KEY, PAN | expiry | service code) reduced to three digits:
an HSM computes it from the card verification keys with 3DES (the schemes' CVV algorithm);
no HSM is reachable here, so a keyed MAC plays the part with the same properties (the same
inputs always give the same value, nobody without the key can compute it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from stdnum import luhn

from apps.core.crypto import keyed_hash

PAN_LENGTH = 16
SERVICE_CODE = "201"  # international, chip, normal authorization


def new_pan() -> str:
    """Our BIN, random digits up to 15, and the Luhn check digit (python-stdnum's luhn)."""
    body_length = PAN_LENGTH - len(settings.CARDS_BIN) - 1
    body = "".join(secrets.choice(string.digits) for _ in range(body_length))
    partial = settings.CARDS_BIN + body
    return partial + luhn.calc_check_digit(partial)


def pan_hash(pan: str) -> str:
    return keyed_hash(f"pan:{pan}")


def new_token() -> str:
    return "tok_" + secrets.token_hex(12)


def _cvv_key() -> bytes:
    configured = settings.CARDS_CVV_KEY
    if configured:
        return configured.encode()
    # Development and tests: derived from SECRET_KEY (production sets CARDS_CVV_KEY).
    return hmac.new(settings.SECRET_KEY.encode(), b"athena-cards-cvv2", hashlib.sha256).digest()


def cvv2(pan: str, expiry: str) -> str:
    mac = hmac.new(_cvv_key(), f"{pan}|{expiry}|{SERVICE_CODE}".encode(), hashlib.sha256)
    return f"{int.from_bytes(mac.digest()[:8], 'big') % 1000:03d}"


def cvv2_matches(pan: str, expiry: str, given: str) -> bool:
    return hmac.compare_digest(cvv2(pan, expiry), given or "")


def pin_hash(pin: str) -> str:
    return make_password(pin)


def pin_matches(pin: str, hashed: str) -> bool:
    return bool(hashed) and check_password(pin, hashed)


def mask(pan: str) -> str:
    """BIN + last four, the most anyone sees (logs, admin, API, history)."""
    return f"{pan[:6]}******{pan[-4:]}" if len(pan) >= 10 else "******"
