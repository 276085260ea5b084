"""The one exception of the pricing package: which input broke which rule.

The package is free of Django, so it carries no translated text: `field` names the input
(as the API calls it), `rule` is a stable code and `params` the numbers a message needs.
apps.loans.errors turns it into the project's 422 problem with a translated message.
"""

from __future__ import annotations

from typing import Any


class PricingError(ValueError):
    def __init__(self, field: str | None, rule: str, **params: Any) -> None:
        super().__init__(f"{field or 'terms'}: {rule} {params or ''}".strip())
        self.field = field
        self.rule = rule
        self.params = params
