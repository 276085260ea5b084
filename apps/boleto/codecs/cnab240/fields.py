"""Formatting one value into its fixed-width field, and rendering a record from its spec.

Writing is strict: a number wider than its field raises ValueError instead of losing its
leading digits (a truncated amount is a wrong payment). Text is folded to upper-case ASCII
(accents stripped) and truncated, since a long street name is not an error.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date

from .spec import D0, RECORD_LENGTH, A, D, Field, N, Record


def normalize_text(value: str) -> str:
    """Upper-case printable ASCII: accents dropped ("São" -> "SAO"), control chars as spaces."""
    if value.isascii() and value.isprintable():  # the common case, without the per-char walk
        return value.upper().strip()
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return "".join(c if " " <= c <= "~" else " " for c in folded).upper().strip()


def text_field(value: str, width: int) -> str:
    return normalize_text(value)[:width].ljust(width)


def number_field(value: int | str, width: int, name: str) -> str:
    """`value` as `width` digits; an int or a string of digits (agencies, tax ids)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{name}: expected an integer or digits, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{name}: negative value {value}")
        text = str(value)
    else:
        text = value
        if not (text.isascii() and text.isdigit()):
            raise ValueError(f"{name}: not digits ({value!r})")
    if len(text) > width:
        raise ValueError(f"{name}: {value!r} does not fit in {width} digits")
    return text.zfill(width)


def date_field(value: date | None, name: str, optional: bool) -> str:
    if value is None:
        if not optional:
            raise ValueError(f"{name}: a date is required")
        return "00000000"
    if not isinstance(value, date):
        raise ValueError(f"{name}: expected a date, got {value!r}")
    return f"{value.day:02d}{value.month:02d}{value.year:04d}"


def format_field(field: Field, value: object, record: str) -> str:
    if value is None:
        value = field.default
    kind = field.kind
    width = field.end - field.start + 1
    if kind == N:
        if value is None:
            return "0" * width
        if type(value) is int and value >= 0:  # fast path; the rest (and errors) below
            text = str(value)
            if len(text) <= width:
                return text.zfill(width)
        return number_field(value, width, f"{record}.{field.name}")  # type: ignore[arg-type]
    if kind == A:
        if value is None or value == "":
            return " " * width
        return text_field(str(value), width)
    if kind in (D, D0):
        return date_field(value, f"{record}.{field.name}", optional=kind == D0)  # type: ignore[arg-type]
    raise AssertionError(kind)


class _Template:
    """A record with every default already formatted; rendering formats only the given values."""

    __slots__ = ("index", "parts", "required")

    def __init__(self, record: Record) -> None:
        self.index = {f.name: i for i, f in enumerate(record.fields)}
        self.required = [
            i for i, f in enumerate(record.fields) if f.kind == D and f.default is None
        ]
        self.parts = [
            "" if i in self.required else format_field(f, None, record.name)
            for i, f in enumerate(record.fields)
        ]


_TEMPLATES: dict[str, _Template] = {}


def render(record: Record, values: Mapping[str, object]) -> str:
    """One 240-character line; names absent from `values` take the field's default."""
    template = _TEMPLATES.get(record.name)
    if template is None:
        template = _TEMPLATES[record.name] = _Template(record)
    parts = template.parts.copy()
    index = template.index
    fields = record.fields
    for name, value in values.items():
        position = index.get(name)
        if position is None:
            raise KeyError(f"{record.name}: unknown field {name!r}")
        parts[position] = format_field(fields[position], value, record.name)
    for position in template.required:
        if not parts[position]:
            raise ValueError(f"{record.name}.{fields[position].name}: a date is required")
    line = "".join(parts)
    if len(line) != RECORD_LENGTH:  # only a broken spec gets here; _record checks the tiling
        raise AssertionError(f"{record.name}: rendered {len(line)} characters")
    return line
