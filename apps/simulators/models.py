"""The simulators' tables, one module per simulated system (Django finds them here)."""

from apps.simulators.cardnet.models import CardnetAuthorization, CardnetFile, CardnetRecord  # noqa: F401
from apps.simulators.cip.models import CipBoleto
from apps.simulators.compe.models import CompeFile, CompeItem, CompePendingAnswer
from apps.simulators.dict.models import DictClaim, DictEntry, DictLookup, DictTokenBucket
from apps.simulators.spi.models import SpiSimulatedMessage
from apps.simulators.str.models import StrBankAccount, StrDelivery, StrReserves, StrSettlement

__all__ = [
    "CipBoleto",
    "CompeFile",
    "CompeItem",
    "CompePendingAnswer",
    "DictClaim",
    "DictEntry",
    "DictLookup",
    "DictTokenBucket",
    "SpiSimulatedMessage",
    "StrBankAccount",
    "StrDelivery",
    "StrReserves",
    "StrSettlement",
]
