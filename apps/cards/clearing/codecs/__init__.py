"""ATHENA-CLR 001, the card network's daily clearing file: our fixed-width layout, pure Python.

    write_file(header, items) -> str    the network simulator and the tests
    parse_file(text) -> ClearingFile    the issuer: refuses a bad file, naming line and field

The layout, field by field, is documented in `layout.py` (and docs/cards-clearing.md).
"""

from .layout import (
    CREDIT_CODES,
    DEBIT_CODES,
    PRESENTMENT,
    PRESENTMENT_REVERSAL,
    RECORD_LENGTH,
    REFUND,
    REFUND_REVERSAL,
    TRANSACTION_CODES,
    ClearingFile,
    ClearingFileError,
    ClearingHeader,
    ClearingItem,
    ClearingTotals,
)
from .parser import parse_file
from .writer import normalize_text, write_file

__all__ = [
    "CREDIT_CODES",
    "DEBIT_CODES",
    "PRESENTMENT",
    "PRESENTMENT_REVERSAL",
    "RECORD_LENGTH",
    "REFUND",
    "REFUND_REVERSAL",
    "TRANSACTION_CODES",
    "ClearingFile",
    "ClearingFileError",
    "ClearingHeader",
    "ClearingItem",
    "ClearingTotals",
    "normalize_text",
    "parse_file",
    "write_file",
]
