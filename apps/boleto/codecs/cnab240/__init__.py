"""CNAB 240 cobrança (FEBRABAN generic layout v10): remittances and returns, pure Python.

    write_remittance(header, titles) -> str     we -> bank (segments P, Q, R)
    parse_remittance(text) -> Remittance        the COMPE simulator reads ours
    write_return(header, items) -> str          the COMPE simulator answers
    parse_return(text) -> ReturnFile            bank -> us (segments T, U)

The field tables are in `spec.py` (1-based positions as the manual prints them); parsers
refuse a whole file at its first error with CnabError(line, field, message).
"""

from .errors import CnabError
from .fields import normalize_text
from .masking import mask_tax_ids
from .occurrences import REMITTANCE_MOVEMENTS, RETURN_OCCURRENCES, describe_return
from .parser import parse_remittance, parse_return
from .records import FileHeader, Remittance, ReturnFile, ReturnItem, Title
from .writer import write_remittance, write_return

__all__ = [
    "REMITTANCE_MOVEMENTS",
    "RETURN_OCCURRENCES",
    "CnabError",
    "FileHeader",
    "Remittance",
    "ReturnFile",
    "ReturnItem",
    "Title",
    "describe_return",
    "mask_tax_ids",
    "normalize_text",
    "parse_remittance",
    "parse_return",
    "write_remittance",
    "write_return",
]
