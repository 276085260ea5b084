"""Pix's models, one module per sub-package (keys, transfers, charges, MED); all of them
are named here, so `apps.pix.models.PixTransfer` and the migrations keep their paths.

The DICT and SPI simulators' tables (DictEntry, DictClaim, DictTokenBucket, DictLookup,
SpiSimulatedMessage) moved to apps.simulators, keeping their `pix_*` tables.
"""

from apps.pix.models.charges import PixCharge, PixLocation, PixWebhook
from apps.pix.models.keys import ClaimTypes, KeyTypes, OwnershipChallenge, PixClaim, PixKey
from apps.pix.models.med import CautionaryBlock, InfractionReport
from apps.pix.models.transfers import PixLimitSettings, PixRefund, PixTransfer

__all__ = [
    "CautionaryBlock",
    "ClaimTypes",
    "InfractionReport",
    "KeyTypes",
    "OwnershipChallenge",
    "PixCharge",
    "PixClaim",
    "PixKey",
    "PixLimitSettings",
    "PixLocation",
    "PixRefund",
    "PixTransfer",
    "PixWebhook",
]
