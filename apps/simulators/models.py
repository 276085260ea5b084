"""The simulators' tables, one module per simulated system (Django finds them here)."""

from apps.simulators.dict.models import DictClaim, DictEntry, DictLookup, DictTokenBucket
from apps.simulators.spi.models import SpiSimulatedMessage

__all__ = ["DictClaim", "DictEntry", "DictLookup", "DictTokenBucket", "SpiSimulatedMessage"]
