"""API Pix v2 charges: cob, cobv, loc, payloads (JWS), webhooks, and the static BR Code API."""
