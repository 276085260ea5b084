"""The OAuth scope of the acquirers' JSON channel (apps/cards/api.py), registered with
apps.core.api_clients.register_scopes from CardsConfig.ready()."""

CARD_AUTH_SCOPES = {
    "cardauth.write": "Autorizar e estornar transações de cartão como emissor (adquirentes)",
}
