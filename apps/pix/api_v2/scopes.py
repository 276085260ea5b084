"""The OAuth scopes of BACEN's API Pix that /api/pix/v2 serves (the reference file's
securitySchemes), registered with apps.core.api_clients at start-up."""

from __future__ import annotations

API_PIX_SCOPES = {
    "cob.write": "Permissão para alteração de cobranças imediatas",
    "cob.read": "Permissão para consulta de cobranças imediatas",
    "cobv.write": "Permissão para alteração de cobranças com vencimento",
    "cobv.read": "Permissão para consulta de cobranças com vencimento",
    "pix.write": "Permissão para alteração de Pix",
    "pix.read": "Permissão para consulta de Pix",
    "webhook.write": "Permissão para alteração do webhook",
    "webhook.read": "Permissão para consulta do webhook",
    "payloadlocation.write": "Permissão para alteração de payloads",
    "payloadlocation.read": "Permissão para consulta de payloads",
}
