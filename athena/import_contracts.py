"""An import-linter contract of our own: apps meet only at each other's public rooms.

import-linter's built-in contracts forbid or protect whole packages; none says "another app
may import my services and selectors, nothing else". This one does (run by `make test`
through `lint-imports`, configured in pyproject.toml, described in docs/architecture.md):

    [[tool.importlinter.contracts]]
    name = "..."
    type = "athena.import_contracts:PublicRoomsContract"
    apps = ["apps.accounts", "apps.pix", ...]
    public_rooms = ["services", "selectors", "errors", "models"]
    extra_rooms = ["apps.simulators: adapters codecs"]

An import from one listed app into another is kept only when the imported module lies in a
public room of the other app (`apps.accounts.services`, `apps.pix.transfers.selectors`,
`apps.accounts.services.x`) or is that app's package itself. `extra_rooms` opens more rooms
to one importing app: a simulator implements a domain app's adapter interface and speaks
its codecs, so it may import those. Imports inside one app, and imports of apps outside the list
(the shared kernel `apps.core`), are not this contract's business.
"""

from __future__ import annotations

from dataclasses import dataclass

import grimp
from importlinter import Contract, ContractCheck, fields, output


@dataclass(frozen=True, order=True)
class _Link:
    importer: str
    imported: str
    line_numbers: tuple[int, ...]


class PublicRoomsContract(Contract):
    type_name = "public_rooms"

    apps = fields.ListField(subfield=fields.StringField())
    public_rooms = fields.ListField(subfield=fields.StringField())
    extra_rooms = fields.ListField(subfield=fields.StringField(), required=False)

    def _rooms_by_importer(self) -> dict[str, set[str]]:
        rooms: dict[str, set[str]] = {}
        for line in self.extra_rooms or []:  # type: ignore[union-attr]
            app, _, names = str(line).partition(":")
            rooms[app.strip()] = set(names.split())
        return rooms

    def _app_of(self, module: str, apps: list[str]) -> str | None:
        for app in apps:
            if module == app or module.startswith(app + "."):
                return app
        return None

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        apps: list[str] = list(self.apps)  # type: ignore[arg-type]
        rooms = set(self.public_rooms)  # type: ignore[arg-type]
        extra = self._rooms_by_importer()
        broken: list[_Link] = []
        for importer in sorted(graph.modules):
            source = self._app_of(importer, apps)
            if source is None:
                continue
            for imported in graph.find_modules_directly_imported_by(importer):
                target = self._app_of(imported, apps)
                if target is None or target == source or imported == target:
                    continue
                inside = imported[len(target) + 1 :].split(".")
                if (rooms | extra.get(source, set())).intersection(inside):
                    continue
                details = graph.get_import_details(importer=importer, imported=imported)
                lines = tuple(sorted(d["line_number"] for d in details))
                broken.append(_Link(importer, imported, lines))
        return ContractCheck(kept=not broken, metadata={"links": sorted(broken)})

    def render_broken_contract(self, check: ContractCheck) -> None:
        rooms = ", ".join(self.public_rooms)  # type: ignore[arg-type]
        output.print_error(f"Imports of another app's private modules (public: {rooms}):")
        output.new_line()
        for link in check.metadata["links"]:
            where = ", ".join(map(str, link.line_numbers))
            output.print_error(f"- {link.importer} -> {link.imported} (l.{where})", bold=False)
        output.new_line()
