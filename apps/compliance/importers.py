"""Importers of the OFAC SDN (legacy CSV), UN consolidated (XML) and Brazilian PEP lists.

Each parses the whole file first (refusing it with the file and line that failed), then
writes a NEW `ListVersion` and flips the active one in a single transaction, so a reader
sees the old list or the new one, never half. A file whose checksum equals the active
version's is a no-op. After the commit, customers are rescreened against the entries that
were added or renamed (a Celery task).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.db import connection, transaction
from django.utils.translation import gettext as _
from lxml import etree

from apps.core.errors import ValidationFailed

from .countries import country_key
from .matching import normalize
from .models import EntryName, ListEntry, ListVersion, Source

BATCH = 2000
EMPTY = "-0-"


class ListImportError(ValidationFailed):
    code = "list_import_error"
    title = "List file refused"


@dataclass
class ParsedName:
    name: str
    is_alias: bool = False
    quality: str = ""


@dataclass
class ParsedEntry:
    entry_id: str
    kind: str
    primary_name: str
    names: list[ParsedName] = field(default_factory=list)
    birth_dates: list[str] = field(default_factory=list)
    birth_years: set[int] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    programs: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    remarks: str = ""


@dataclass
class ParsedList:
    source: str
    checksum: str
    entries: list[ParsedEntry]
    version: str = ""
    published_on: date | None = None
    file_name: str = ""


@dataclass
class ImportOutcome:
    version: ListVersion
    created: bool
    changed_count: int


# --- OFAC ---------------------------------------------------------------------------------

OFAC_FILES = ("sdn.csv", "alt.csv", "add.csv")
_DOB = re.compile(r"\bDOB\s+([^;]+)", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_RANGE = re.compile(r"\b(1[89]\d\d|20\d\d)\s+to\s+(?:\d{1,2}\s+\w{3}\s+)?(1[89]\d\d|20\d\d)\b")
_NATIONALITY = re.compile(r"\b(?:nationality|citizen)\s+([^;.]+)", re.IGNORECASE)
_AKA = re.compile(r"\ba\.k\.a\.,?\s+'([^']+)'", re.IGNORECASE)


def _cell(value: str) -> str:
    value = (value or "").strip()
    return "" if value == EMPTY else value


def _csv_rows(path: Path, *, columns: int, encoding: str = "utf-8", delimiter: str = ","):
    """(line number, row) of a CSV; refuses short rows and undecodable bytes by line."""
    try:
        text = path.read_bytes().decode(encoding)
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ListImportError(
            _("%(file)s line %(line)s: not valid %(enc)s text.")
            % {"file": path.name, "line": line, "enc": encoding}
        ) from exc
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not c.strip() or c.strip() == "\x1a" for c in row):
                continue  # blank lines and the DOS end-of-file mark OFAC files end with
            if len(row) < columns:
                raise ListImportError(
                    _("%(file)s line %(line)s: expected %(n)s columns, found %(found)s.")
                    % {"file": path.name, "line": line, "n": columns, "found": len(row)}
                )
            yield line, row
    except csv.Error as exc:
        raise ListImportError(
            _("%(file)s line %(line)s: %(error)s")
            % {"file": path.name, "line": reader.line_num, "error": exc}
        ) from exc


def _int_id(value: str, *, path: Path, line: int, column: str) -> str:
    value = value.strip()
    if not value.isdigit():
        raise ListImportError(
            _("%(file)s line %(line)s: %(column)s must be a number, found %(value)r.")
            % {"file": path.name, "line": line, "column": column, "value": value[:40]}
        )
    return str(int(value))


def _years_of(text: str) -> set[int]:
    years: set[int] = set()
    for match in _RANGE.finditer(text):
        low, high = int(match.group(1)), int(match.group(2))
        if 0 <= high - low <= 15:
            years.update(range(low, high + 1))
    years.update(int(y) for y in _YEAR.findall(text))
    return years


def checksum_of(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def parse_ofac(folder: Path) -> ParsedList:
    folder = Path(folder)
    paths = [folder / name for name in OFAC_FILES]
    for path in paths:
        if not path.is_file():
            raise ListImportError(_("OFAC import: %(file)s not found.") % {"file": str(path)})
    sdn, alt, add = paths
    entries: dict[str, ParsedEntry] = {}
    kinds = {"individual": "individual", "vessel": "vessel", "aircraft": "aircraft"}
    for line, row in _csv_rows(sdn, columns=12):
        ent_num = _int_id(row[0], path=sdn, line=line, column="ent_num")
        name = _cell(row[1])
        if not name:
            raise ListImportError(
                _("%(file)s line %(line)s: SDN_Name is empty.") % {"file": sdn.name, "line": line}
            )
        remarks = _cell(row[11])
        entry = ParsedEntry(
            entry_id=ent_num,
            kind=kinds.get(_cell(row[2]).lower(), "entity"),
            primary_name=name,
            names=[ParsedName(name)],
            programs=[p.strip(" []") for p in _cell(row[3]).split("] [") if p.strip(" []")],
            remarks=remarks,
        )
        for dob in _DOB.findall(remarks):
            entry.birth_dates.append(dob.strip())
            entry.birth_years |= _years_of(dob)
        for nationality in _NATIONALITY.findall(remarks):
            key = country_key(nationality)
            if key:
                entry.countries.add(key)
        for aka in _AKA.findall(remarks):
            entry.names.append(ParsedName(aka.strip(), is_alias=True, quality="aka"))
        entries[ent_num] = entry
    for line, row in _csv_rows(alt, columns=5):
        ent_num = _int_id(row[0], path=alt, line=line, column="ent_num")
        _int_id(row[1], path=alt, line=line, column="alt_num")
        alias = _cell(row[3])
        # An alias of an entry not in sdn.csv (samples cut from the full files have them)
        # has nothing to attach to: skipped, not an error.
        if alias and ent_num in entries:
            entries[ent_num].names.append(
                ParsedName(alias, is_alias=True, quality=_cell(row[2]).lower())
            )
    for line, row in _csv_rows(add, columns=6):
        ent_num = _int_id(row[0], path=add, line=line, column="ent_num")
        country = country_key(_cell(row[4]))
        if country and ent_num in entries:
            entries[ent_num].countries.add(country)
    if not entries:
        raise ListImportError(_("%(file)s holds no entries.") % {"file": sdn.name})
    return ParsedList(
        source=Source.OFAC,
        checksum=checksum_of(paths),
        entries=list(entries.values()),
        file_name=str(folder),
    )


# --- UN -----------------------------------------------------------------------------------


def _text(element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "").strip() if child is not None and child.text else ""


def parse_un(path: Path) -> ParsedList:
    path = Path(path)
    if not path.is_file():
        raise ListImportError(_("UN import: %(file)s not found.") % {"file": str(path)})
    raw = path.read_bytes()
    # XXE-safe: no entity expansion, no DTD, no network.
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(raw, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ListImportError(
            _("%(file)s line %(line)s: malformed XML (%(error)s).")
            % {"file": path.name, "line": exc.lineno, "error": exc.msg}
        ) from exc
    if root.tag != "CONSOLIDATED_LIST":
        raise ListImportError(
            _("%(file)s line %(line)s: expected CONSOLIDATED_LIST, found <%(tag)s>.")
            % {"file": path.name, "line": root.sourceline, "tag": root.tag}
        )
    generated = root.get("dateGenerated", "")
    published = None
    if generated:
        try:
            published = datetime.fromisoformat(generated.replace("Z", "+00:00")).date()
        except ValueError:
            published = None
    entries: dict[str, ParsedEntry] = {}
    groups = (
        ("INDIVIDUALS/INDIVIDUAL", "individual", "INDIVIDUAL_ALIAS", "INDIVIDUAL_ADDRESS"),
        ("ENTITIES/ENTITY", "entity", "ENTITY_ALIAS", "ENTITY_ADDRESS"),
    )
    for xpath, kind, alias_tag, address_tag in groups:
        for element in root.iterfind(xpath):
            dataid = _text(element, "DATAID")
            if not dataid.isdigit():
                raise ListImportError(
                    _("%(file)s line %(line)s: <%(tag)s> without a numeric DATAID.")
                    % {"file": path.name, "line": element.sourceline, "tag": element.tag}
                )
            parts = [
                _text(element, tag)
                for tag in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
            ]
            name = " ".join(p for p in parts if p)
            if not name:
                raise ListImportError(
                    _("%(file)s line %(line)s: <%(tag)s> %(id)s has no name.")
                    % {"file": path.name, "line": element.sourceline, "tag": element.tag,
                       "id": dataid}
                )  # fmt: skip
            entry = ParsedEntry(
                entry_id=dataid,
                kind=kind,
                primary_name=name,
                names=[ParsedName(name)],
                programs=[p for p in [_text(element, "UN_LIST_TYPE")] if p],
                identifiers=[p for p in [_text(element, "REFERENCE_NUMBER")] if p],
                remarks=_text(element, "COMMENTS1"),
            )
            original = _text(element, "NAME_ORIGINAL_SCRIPT")
            if original:
                entry.names.append(ParsedName(original, is_alias=True, quality="original"))
            for alias in element.iterfind(alias_tag):
                alias_name = _text(alias, "ALIAS_NAME")
                if alias_name:
                    entry.names.append(
                        ParsedName(alias_name, is_alias=True, quality=_text(alias, "QUALITY"))
                    )
            for dob in element.iterfind("INDIVIDUAL_DATE_OF_BIRTH"):
                exact = _text(dob, "DATE")
                year = _text(dob, "YEAR")
                low, high = _text(dob, "FROM_YEAR"), _text(dob, "TO_YEAR")
                if exact:
                    entry.birth_dates.append(exact)
                    entry.birth_years |= _years_of(exact)
                elif year:
                    entry.birth_dates.append(year)
                    entry.birth_years |= _years_of(year)
                elif low and high:
                    entry.birth_dates.append(f"{low}-{high}")
                    entry.birth_years |= _years_of(f"{low} to {high}")
            for nationality in element.iterfind("NATIONALITY/VALUE"):
                key = country_key(nationality.text)
                if key:
                    entry.countries.add(key)
            for address in element.iterfind(address_tag):
                key = country_key(_text(address, "COUNTRY"))
                if key:
                    entry.countries.add(key)
            entries[dataid] = entry
    if not entries:
        raise ListImportError(_("%(file)s holds no entries.") % {"file": path.name})
    return ParsedList(
        source=Source.UN,
        checksum=checksum_of([path]),
        entries=list(entries.values()),
        version=generated[:64],
        published_on=published,
        file_name=path.name,
    )


# --- PEP (Portal da Transparência) ---------------------------------------------------------

PEP_COLUMNS = ("CPF", "Nome_PEP")
_MASKED_CPF = re.compile(r"^\*{3}\.(\d{3})\.(\d{3})-\*{2}$")


def _br_date(value: str) -> str:
    value = (value or "").strip()
    try:
        return datetime.strptime(value, "%d/%m/%Y").date().isoformat() if value else ""
    except ValueError:
        return value


def parse_pep(path: Path) -> ParsedList:
    """The public layout: ';'-separated, latin-1, masked CPF ("***.123.456-**")."""
    path = Path(path)
    if not path.is_file():
        raise ListImportError(_("PEP import: %(file)s not found.") % {"file": str(path)})
    rows = _csv_rows(path, columns=2, encoding="latin-1", delimiter=";")
    try:
        _line, header = next(rows)
    except StopIteration:
        raise ListImportError(_("%(file)s is empty.") % {"file": path.name}) from None
    header = [h.strip().strip("\ufeff") for h in header]
    missing = [c for c in PEP_COLUMNS if c not in header]
    if missing:
        raise ListImportError(
            _("%(file)s line 1: missing column(s) %(cols)s.")
            % {"file": path.name, "cols": ", ".join(missing)}
        )
    index = {name: i for i, name in enumerate(header)}

    def get(row: list[str], column: str) -> str:
        i = index.get(column)
        return row[i].strip() if i is not None and i < len(row) else ""

    entries: dict[str, ParsedEntry] = {}
    for line, row in rows:
        cpf, name = get(row, "CPF"), get(row, "Nome_PEP")
        if not name:
            raise ListImportError(
                _("%(file)s line %(line)s: Nome_PEP is empty.") % {"file": path.name, "line": line}
            )
        masked = _MASKED_CPF.match(cpf)
        if cpf and not masked:
            raise ListImportError(
                _("%(file)s line %(line)s: CPF %(cpf)r is not in the masked form ***.000.000-**.")
                % {"file": path.name, "line": line, "cpf": cpf[:20]}
            )
        entry_id = f"{cpf}|{name}"[:200]
        role = " - ".join(p for p in (get(row, "Descricao_Funcao"), get(row, "Nome_Orgao")) if p)
        period = ", ".join(
            f"{label} {_br_date(get(row, column))}"
            for label, column in (
                ("from", "Data_Inicio_Exercicio"),
                ("to", "Data_Fim_Exercicio"),
                ("grace until", "Data_Fim_Carencia"),
            )
            if get(row, column)
        )
        remarks = "; ".join(p for p in (role, get(row, "Nivel_Funcao"), period) if p)
        existing = entries.get(entry_id)
        if existing is not None:  # one person, several functions: one entry
            existing.remarks = f"{existing.remarks} | {remarks}"[:4000]
            continue
        entries[entry_id] = ParsedEntry(
            entry_id=entry_id,
            kind="individual",
            primary_name=name,
            names=[ParsedName(name)],
            programs=[p for p in [get(row, "Sigla_Funcao")] if p],
            identifiers=[f"cpf6:{masked.group(1)}{masked.group(2)}"] if masked else [],
            countries={"brazil"},
            remarks=remarks,
        )
    if not entries:
        raise ListImportError(_("%(file)s holds no entries.") % {"file": path.name})
    return ParsedList(
        source=Source.PEP,
        checksum=checksum_of([path]),
        entries=list(entries.values()),
        file_name=path.name,
    )


PARSERS = {Source.OFAC: parse_ofac, Source.UN: parse_un, Source.PEP: parse_pep}


# --- storing a version ----------------------------------------------------------------------


def _fingerprint(entry: ParsedEntry) -> str:
    names = sorted({normalize(n.name) for n in entry.names} - {""})
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


@transaction.atomic
def store_version(parsed: ParsedList) -> ImportOutcome:
    """Write `parsed` as the new active version of its source, or do nothing when the active
    version has the same checksum. One transaction; concurrent imports of one source queue
    on an advisory lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"compliance-import:{parsed.source}"]
        )
    active = ListVersion.objects.filter(source=parsed.source, is_active=True).first()
    if active is not None and active.checksum == parsed.checksum:
        return ImportOutcome(version=active, created=False, changed_count=0)
    previous: dict[str, str] = {}
    if active is not None:
        previous = dict(active.entries.values_list("entry_id", "names_fingerprint"))
    version = ListVersion.objects.create(
        source=parsed.source,
        version=parsed.version,
        published_on=parsed.published_on,
        checksum=parsed.checksum,
        entry_count=len(parsed.entries),
        file_name=parsed.file_name[:255],
    )
    changed = 0
    for start in range(0, len(parsed.entries), BATCH):
        chunk = parsed.entries[start : start + BATCH]
        rows = []
        for item in chunk:
            fingerprint = _fingerprint(item)
            is_changed = previous.get(item.entry_id) != fingerprint
            changed += is_changed
            rows.append(
                ListEntry(
                    version=version,
                    entry_id=item.entry_id,
                    kind=item.kind,
                    primary_name=item.primary_name[:500],
                    birth_dates=[d[:40] for d in item.birth_dates],
                    birth_years=sorted(item.birth_years),
                    countries=sorted(c[:120] for c in item.countries),
                    programs=[p[:120] for p in item.programs],
                    identifiers=[i[:120] for i in item.identifiers],
                    remarks=item.remarks,
                    names_fingerprint=fingerprint,
                    is_changed=is_changed,
                )
            )
        created = ListEntry.objects.bulk_create(rows)
        names = []
        for entry, item in zip(created, chunk, strict=True):
            seen: set[str] = set()
            for parsed_name in item.names:
                key = parsed_name.name.strip().upper()
                if not key or key in seen:
                    continue
                seen.add(key)
                names.append(
                    EntryName(
                        entry=entry,
                        name=parsed_name.name[:500],
                        normalized=normalize(parsed_name.name)[:500],
                        is_alias=parsed_name.is_alias,
                        quality=parsed_name.quality[:40],
                    )
                )
        EntryName.objects.bulk_create(names, batch_size=BATCH)
    version.changed_count = changed
    # Deactivate first: the partial unique index allows one active row per source.
    ListVersion.objects.filter(source=parsed.source, is_active=True).update(is_active=False)
    version.is_active = True
    version.save(update_fields=["is_active", "changed_count"])
    return ImportOutcome(version=version, created=True, changed_count=changed)
