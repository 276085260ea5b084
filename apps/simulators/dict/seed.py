"""Seed the DICT simulator with other PSPs' keys (`manage.py seed_dict`).

For a deterministic sample of the Pix participants of data/bancos.csv (PixType DRCT or
IDRT; never ours), creates fake owners (valid CPFs/CNPJs, names from fixed lists, all drawn
from one seeded random generator) and registers their keys through the simulator as their
PSP would: people get CPF, phone, e-mail and EVP keys; companies CNPJ, e-mail and EVP.
Idempotent: each entry is created with a RequestId derived from the seed, and the DICT
answers a repeated RequestId with the entry it already has. Used by tests, the demo and
the benchmarks.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import transaction

from apps.core.documents import fake_cnpj, fake_cpf
from apps.pix import selectors as pix_selectors
from apps.pix.adapters.dict import (
    LEGAL_PERSON,
    NATURAL_PERSON,
    DictAccount,
    DictError,
    DictOwner,
)
from apps.pix.codecs.keys import KeyType
from apps.simulators.dict.simulator import DictSimulator
from apps.simulators.people import FIRST_NAMES, SURNAMES

BUSINESS = (
    "Padaria", "Mercado", "Oficina", "Farmácia", "Livraria", "Transportes", "Construtora",
    "Papelaria", "Restaurante", "Comércio",
)  # fmt: skip
DOMAINS = ("example.com", "example.net", "example.org", "exemplo.com.br")
DDDS = (11, 21, 31, 41, 48, 51, 61, 62, 71, 81, 85, 91, 92)
SEED_EPOCH = datetime(2020, 11, 16, 9, 0, tzinfo=UTC)  # Pix went live


@dataclass
class SeedResult:
    participants: list[str] = field(default_factory=list)
    created: int = 0
    existing: int = 0
    refused: int = 0
    keys: list[tuple[str, str, str]] = field(default_factory=list)  # (ispb, type, key)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _owner_keys(rng: random.Random, owner: DictOwner, serial: int) -> list[tuple[str, str | None]]:
    first = _ascii(owner.name.split(" ")[0])
    last = _ascii(owner.name.split(" ")[-1])
    email = f"{first}.{last}{serial}@{rng.choice(DOMAINS)}"
    if owner.type == LEGAL_PERSON:
        return [(KeyType.CNPJ, owner.tax_id), (KeyType.EMAIL, email), (KeyType.EVP, None)]
    phone = f"+55{rng.choice(DDDS)}9{rng.randint(0, 99_999_999):08d}"
    return [
        (KeyType.CPF, owner.tax_id),
        (KeyType.PHONE, phone),
        (KeyType.EMAIL, email),
        (KeyType.EVP, None),
    ]


def seed_directory(
    *, participants_count: int = 20, owners_per_participant: int = 5, seed: int = 20201116
) -> SeedResult:
    rng = random.Random(seed)
    pool = pix_selectors.pix_participants()
    chosen = sorted(rng.sample(pool, min(participants_count, len(pool))), key=lambda p: p.ispb)
    result = SeedResult(participants=[p.ispb for p in chosen])
    serial = 0
    for participant in chosen:
        for _ in range(owners_per_participant):
            serial += 1
            if rng.random() < 0.25:
                owner = DictOwner(
                    type=LEGAL_PERSON,
                    tax_id=fake_cnpj(rng),
                    name=f"{rng.choice(BUSINESS)} {rng.choice(SURNAMES)} Ltda",
                )
            else:
                owner = DictOwner(
                    type=NATURAL_PERSON,
                    tax_id=fake_cpf(rng),
                    name=f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}",
                )
            account = DictAccount(
                participant=participant.ispb,
                branch=f"{rng.randint(1, 9999):04d}",
                account_number=str(rng.randint(100_000, 9_999_999_999)),
                account_type="CACC",
                opened_at=SEED_EPOCH,
            )
            for key_type, key in _owner_keys(rng, owner, serial):
                request_id = _uuid(rng)
                evp = str(_uuid(rng))
                simulator = DictSimulator(participant.ispb, evp_generator=lambda v=evp: v)
                try:
                    with transaction.atomic():
                        before = simulator.entry_for_request(request_id)
                        entry = simulator.create_entry(
                            key_type=key_type,
                            key=key,
                            account=account,
                            owner=owner,
                            request_id=request_id,
                            now=SEED_EPOCH,
                        )
                except DictError:
                    result.refused += 1  # e.g. the key exists for someone else already
                    continue
                if before is None:
                    result.created += 1
                else:
                    result.existing += 1
                result.keys.append((participant.ispb, key_type, entry.key))
    return result
