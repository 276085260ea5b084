"""The signature of charge payloads: a compact JWS, as the API Pix asks of a location.

The payer's PSP fetches https://{location} and gets the charge payload as a JWS (RFC 7515,
compact serialization). The header carries `alg`, `typ: JWS`, `kid` (the RFC 7638 JWK
thumbprint of our public key) and `jku` (where our JWK Set is published:
https://{PIX_LOCATION_HOST}/qr/v2/jwks), which is how BACEN's Manual de Segurança lets the
payer's PSP find the key to verify with.

The key is settings.PIX_PAYLOAD_SIGNING_KEY, a PEM private key: EC P-256 (ES256) or RSA
(RS256, 2048 bits or more). When that setting is empty (development and tests) an ES256 key
is derived deterministically from SECRET_KEY with HKDF, so every process of one deployment
signs with the same key without storing one; it is only as secret as SECRET_KEY and must
never be used in production (set a PEM there).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

# The order of P-256's base point: a derived scalar must lie in [1, n - 1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@dataclass(frozen=True)
class SigningKey:
    private_key: Any
    algorithm: str
    kid: str
    public_jwk: dict


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _thumbprint(jwk: dict) -> str:
    members = ("crv", "kty", "x", "y") if jwk["kty"] == "EC" else ("e", "kty", "n")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def _development_key(secret: str) -> ec.EllipticCurvePrivateKey:
    material = HKDF(
        algorithm=hashes.SHA256(), length=48, salt=None, info=b"athena-pix-payload-jws"
    ).derive(secret.encode())
    scalar = int.from_bytes(material, "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


@lru_cache(maxsize=4)
def _load(pem: str, secret: str) -> SigningKey:
    if pem.strip():
        private_key = serialization.load_pem_private_key(pem.encode(), password=None)
    else:
        private_key = _development_key(secret)
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise ValueError("PIX_PAYLOAD_SIGNING_KEY: an EC key must be on P-256 (ES256)")
        algorithm = "ES256"
        jwk = ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    elif isinstance(private_key, rsa.RSAPrivateKey):
        if private_key.key_size < 2048:
            raise ValueError("PIX_PAYLOAD_SIGNING_KEY: an RSA key needs 2048 bits or more")
        algorithm = "RS256"
        jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    else:
        raise ValueError("PIX_PAYLOAD_SIGNING_KEY must be an EC P-256 or an RSA private key")
    kid = _thumbprint(jwk)
    public_jwk = {**jwk, "kid": kid, "use": "sig", "alg": algorithm}
    return SigningKey(private_key=private_key, algorithm=algorithm, kid=kid, public_jwk=public_jwk)


def signing_key() -> SigningKey:
    return _load(getattr(settings, "PIX_PAYLOAD_SIGNING_KEY", "") or "", settings.SECRET_KEY)


def jwks_url() -> str:
    return f"https://{settings.PIX_LOCATION_HOST}/qr/v2/jwks"


def sign_payload(payload: dict) -> str:
    key = signing_key()
    return jwt.encode(
        payload,
        key.private_key,
        algorithm=key.algorithm,
        headers={"typ": "JWS", "kid": key.kid, "jku": jwks_url()},
    )


def verify_payload(token: str) -> dict:
    """The payload of a JWS we signed (raises jwt.InvalidTokenError otherwise)."""
    key = signing_key()
    return jwt.decode(token, key.private_key.public_key(), algorithms=[key.algorithm])


def public_jwks() -> dict:
    return {"keys": [signing_key().public_jwk]}
