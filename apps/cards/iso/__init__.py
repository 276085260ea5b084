"""ISO 8583:1987 as the issuer: the codec (`codec`), the mapping of a message to the
issuer's decision and its answer (`handler`), and the TCP server (`server`, started by
`manage.py card_auth_server --port N`). The JSON twin for partners is apps/cards/api.py."""
