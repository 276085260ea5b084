"""The one error a CNAB 240 parser raises: where (line, field) and what is wrong."""

from __future__ import annotations


class CnabError(ValueError):
    """A CNAB 240 file refused as a whole, at its first error.

    `line` is 1-based; `field` is the spec name qualified by its record
    (`segment_t.due_date`), or a structural name (`record_type`, `record_length`, `charset`).
    """

    def __init__(self, line: int, field: str, message: str) -> None:
        self.line = line
        self.field = field
        self.message = message
        super().__init__(f"line {line}, field {field}: {message}")

    def __reduce__(self):  # keep the error picklable (Celery results, multiprocessing)
        return (type(self), (self.line, self.field, self.message))
