"""A CNAB 240 file as an operator may read it: the payers' CPF/CNPJ starred out."""

from __future__ import annotations

from .spec import SEGMENTS

# The CPF/CNPJ fields of each detail segment, from the layout table itself.
_TAX_ID_SLICES = {
    letter: tuple(f.slice for f in record.fields if f.name.endswith("tax_id"))
    for letter, record in SEGMENTS.items()
}


def mask_tax_ids(content: str) -> str:
    """The file with the payers' (and guarantors') CPF/CNPJ starred out. The company
    inscription of the headers is the bank's own and stays."""
    out = []
    for line in content.splitlines():
        if len(line) >= 240 and line[7] == "3":
            for part in _TAX_ID_SLICES.get(line[13], ()):
                line = line[: part.start] + "*" * (part.stop - part.start) + line[part.stop :]
        out.append(line)
    return "\n".join(out)
