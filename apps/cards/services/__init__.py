"""Every write of the cards app: issuing and the card's life (`issuing.py`), authorizations
as the issuer (`authorize.py`); the PAN, CVV2 and PIN primitives are in `card_secrets.py`."""

from apps.cards.services.authorize import (
    AuthRequest,
    AuthResult,
    authorization_reverse,
    authorizations_expire,
    authorize,
)
from apps.cards.services.issuing import (
    IssuedCard,
    card_activate,
    card_block,
    card_cancel,
    card_controls_update,
    card_issue,
    card_pin_set,
    card_report,
    card_reveal,
    card_unblock,
)

__all__ = [
    "AuthRequest",
    "AuthResult",
    "IssuedCard",
    "authorization_reverse",
    "authorizations_expire",
    "authorize",
    "card_activate",
    "card_block",
    "card_cancel",
    "card_controls_update",
    "card_issue",
    "card_pin_set",
    "card_report",
    "card_reveal",
    "card_unblock",
]
