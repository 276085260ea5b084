"""Migration operations of our own.

`NamesOnly` wraps AlterField / AlterModelOptions operations that change only what people
read (verbose names, help texts): nothing reaches the database, and the project state is
changed for all of them at once. Django applies each operation with the state rendered:
a field alteration re-renders its model and every related one, and a thousand of them (the
translated names of issue #16) took many minutes per test database. Here the operations
change the model states with the rendering set aside, then the changed models are
re-rendered once.
"""

from __future__ import annotations

from typing import Any

from django.db.migrations.operations.base import Operation


class NamesOnly(Operation):
    reduces_to_sql = False
    reversible = True

    def __init__(self, operations: list[Operation]) -> None:
        self.operations = operations

    def deconstruct(self) -> tuple[str, list, dict[str, Any]]:
        return (self.__class__.__qualname__, [], {"operations": self.operations})

    def state_forwards(self, app_label: str, state: Any) -> None:
        rendered = state.__dict__.pop("apps", None)
        touched = set()
        for operation in self.operations:
            operation.state_forwards(app_label, state)
            model = getattr(operation, "model_name_lower", None) or operation.name_lower
            touched.add((app_label, model))
        if rendered is not None:
            state.__dict__["apps"] = rendered
            state.reload_models(touched, delay=False)

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        pass  # names are not in the database

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        pass

    def describe(self) -> str:
        return f"Change the names people read of {len(self.operations)} fields and models"

    @property
    def migration_name_fragment(self) -> str:
        return "names_only"
