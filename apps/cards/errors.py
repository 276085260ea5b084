"""The domain errors of cards (apps.core.errors renders them as problem+json)."""

from __future__ import annotations

from apps.core.errors import Conflict, NotFound


class CardNotFound(NotFound):
    code = "card_not_found"


class CardStateConflict(Conflict):
    code = "card_state_conflict"
    title = "The card cannot do that in its state"
