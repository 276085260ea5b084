"""API Pix (BACEN, v2): received Pix, their refunds, and webhooks. Thin views: parse, call a
service or selector (apps/pix/transfers/selectors.py, apps/pix/charges/webhooks.py), render.

    GET    /pix                           PixConsultados (inicio, fim required)
    GET    /pix/{e2eid}                   Pix
    PUT    /pix/{e2eid}/devolucao/{id}    DevolucaoSolicitada -> 201 Devolucao
    GET    /pix/{e2eid}/devolucao/{id}    Devolucao
    PUT    /webhook/{chave}               WebhookSolicitado -> 200 WebhookCompleto + hmacSecret
    GET    /webhook/{chave}               WebhookCompleto
    DELETE /webhook/{chave}               204
    GET    /webhook                       WebhooksConsultados

Errors are problem+json with BACEN's types (apps/pix/transfers/errors.py). Another customer's Pix,
refund or webhook does not exist for the caller (404).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.pix.charges.errors import WebhookConsultaInvalida, WebhookOperacaoInvalida, with_violation
from apps.pix.charges.selectors import api_customer_of_user
from apps.pix.charges.webhooks import (
    webhook_configure,
    webhook_of_customer,
    webhook_remove,
    webhooks_of_customer,
)
from apps.pix.transfers.api_v2_serializers import (
    PAGE,
    PER_PAGE,
    DevolucaoSerializer,
    DevolucaoSolicitadaInput,
    PixConsultadosSerializer,
    PixQueryInput,
    PixSerializer,
    WebhookCompletoSerializer,
    WebhookConfiguradoSerializer,
    WebhookQueryInput,
    WebhooksConsultadosSerializer,
    WebhookSolicitadoInput,
    pix_document,
    pix_parameters,
    query_dict,
    rfc3339,
)
from apps.pix.transfers.errors import PixConsultaInvalida, PixDevolucaoInvalida
from apps.pix.transfers.selectors import (
    paginate,
    received_pix_of_customer,
    received_pix_search,
    refund_of_customer,
)
from apps.pix.transfers.services.api_refunds import received_pix_refund

PIX_TAG = "API Pix - pix"
WEBHOOK_TAG = "API Pix - webhook"
NO_STORE = {"Cache-Control": "private, no-store"}
PROBLEM = OpenApiResponse(OpenApiTypes.OBJECT, description="application/problem+json")

E2EID = OpenApiParameter(
    "e2eid", str, OpenApiParameter.PATH, description="endToEndId of the Pix (32 characters)."
)
REFUND_ID = OpenApiParameter(
    "id", str, OpenApiParameter.PATH, description="The refund's id, chosen by the client."
)
CHAVE = OpenApiParameter(
    "chave", str, OpenApiParameter.PATH, description="One of the receiving customer's keys."
)
PAGING = [
    OpenApiParameter(PAGE, int, description="Page to return, from 0 (default 0)."),
    OpenApiParameter(PER_PAGE, int, description="Items per page, 1 to 1000 (default 100)."),
]


def _body(request, error_cls):
    """The JSON body, or error_cls when it cannot be parsed (a 400 of the endpoint's type)."""
    try:
        return request.data
    except ParseError as exc:
        # apps.core.parsers names the property when it can (a NUL in "descricao").
        prop = getattr(exc, "field", None) or "body"
        raise with_violation(error_cls, exc.detail, prop=prop) from None


class PixListApi(APIView):
    oauth_scopes = "pix"

    @extend_schema(
        tags=[PIX_TAG],
        operation_id="pix_v2_pix_list",
        summary="Consultar Pix recebidos / List received Pix",
        parameters=[
            OpenApiParameter("inicio", OpenApiTypes.DATETIME, required=True),
            OpenApiParameter("fim", OpenApiTypes.DATETIME, required=True),
            OpenApiParameter("txid", str, description="Only Pix with this txid."),
            OpenApiParameter("txIdPresente", bool, description="With (true) or without a txid."),
            OpenApiParameter("devolucaoPresente", bool, description="With or without refunds."),
            OpenApiParameter("cpf", str, description="Payer's CPF (11 digits); not with cnpj."),
            OpenApiParameter("cnpj", str, description="Payer's CNPJ (14 characters)."),
            *PAGING,
        ],
        responses={200: PixConsultadosSerializer, 400: PROBLEM, 403: PROBLEM},
        description="The caller's received and settled Pix, settled within [inicio, fim].",
    )
    def get(self, request):
        customer = api_customer_of_user(user=request.user)
        search = PixQueryInput.search(request.query_params, PixConsultaInvalida)
        page = received_pix_search(customer=customer, search=search)
        body = {
            "parametros": pix_parameters(
                search, query_dict(request.query_params), page.as_paginacao()
            ),
            "pix": [pix_document(transfer) for transfer in page.items],
        }
        return Response(body, headers=NO_STORE)


class PixDetailApi(APIView):
    oauth_scopes = "pix"

    @extend_schema(
        tags=[PIX_TAG],
        operation_id="pix_v2_pix_retrieve",
        summary="Consultar Pix / One received Pix",
        parameters=[E2EID],
        responses={200: PixSerializer, 403: PROBLEM, 404: PROBLEM},
    )
    def get(self, request, e2eid: str):
        customer = api_customer_of_user(user=request.user)
        transfer = received_pix_of_customer(customer=customer, end_to_end_id=e2eid)
        return Response(pix_document(transfer), headers=NO_STORE)


class PixRefundApi(APIView):
    oauth_scopes = "pix"

    @extend_schema(
        tags=[PIX_TAG],
        operation_id="pix_v2_refund_request",
        summary="Solicitar devolução / Refund a received Pix",
        parameters=[E2EID, REFUND_ID],
        request=DevolucaoSolicitadaInput,
        responses={201: DevolucaoSerializer, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM},
        examples=[OpenApiExample("Partial refund", value={"valor": "7.89"}, request_only=True)],
        description=(
            "Idempotent per `id`: the same id with the same data answers the refund already "
            "made, and moves no money again; with other data it is PixDevolucaoInvalida. "
            "Refunds may add up to the Pix's amount, within 90 days; beyond that it is "
            "PixDevolucaoInvalida with a violation on `valor`. pacs.004 reason: MD06 "
            "(natureza ORIGINAL). RETIRADA applies to Pix Saque/Troco, which we do not offer."
        ),
    )
    def put(self, request, e2eid: str, id: str):
        customer = api_customer_of_user(user=request.user)
        values = DevolucaoSolicitadaInput.checked(
            _body(request, PixDevolucaoInvalida), PixDevolucaoInvalida
        )
        refund = received_pix_refund(
            customer=customer,
            end_to_end_id=e2eid,
            refund_id=id,
            amount_cents=values["valor"],
            nature=values["natureza"],
            description=values["descricao"],
            actor=request.user,
        )
        return Response(
            DevolucaoSerializer().to_representation(refund), status=status.HTTP_201_CREATED
        )

    @extend_schema(
        tags=[PIX_TAG],
        operation_id="pix_v2_refund_retrieve",
        summary="Consultar devolução / One refund",
        parameters=[E2EID, REFUND_ID],
        responses={200: DevolucaoSerializer, 403: PROBLEM, 404: PROBLEM},
    )
    def get(self, request, e2eid: str, id: str):
        customer = api_customer_of_user(user=request.user)
        refund = refund_of_customer(customer=customer, end_to_end_id=e2eid, refund_id=id)
        return Response(DevolucaoSerializer().to_representation(refund), headers=NO_STORE)


class WebhookApi(APIView):
    oauth_scopes = "webhook"
    # `chave` is checked by the webhook services (WebhookOperacaoInvalida naming it), NUL
    # included, before any query: not the generic 400 of ClientInputMiddleware.
    validates_path_text = True

    @extend_schema(
        tags=[WEBHOOK_TAG],
        operation_id="pix_v2_webhook_configure",
        summary="Configurar o Webhook Pix / Configure the key's webhook",
        parameters=[CHAVE],
        request=WebhookSolicitadoInput,
        responses={200: WebhookConfiguradoSerializer, 400: PROBLEM, 403: PROBLEM},
        description=(
            'Pix received on the key are POSTed to `{webhookUrl}/pix` as `{"pix": [...]}`, '
            'signed: X-Athena-Signature = "sha256=" + hex HMAC-SHA256(hmacSecret, '
            'X-Athena-Timestamp + "." + body). The answer carries `hmacSecret` (an Athena '
            "extension) once; every PUT makes a new one. https only, public addresses only. "
            "See docs/pix-webhooks.md."
        ),
    )
    def put(self, request, chave: str):
        customer = api_customer_of_user(user=request.user)
        values = WebhookSolicitadoInput.checked(
            _body(request, WebhookOperacaoInvalida), WebhookOperacaoInvalida
        )
        webhook, secret, _created = webhook_configure(
            customer=customer, key=chave, url=values["webhookUrl"], actor=request.user
        )
        body = WebhookCompletoSerializer().to_representation(webhook)
        body["hmacSecret"] = secret
        return Response(body, status=status.HTTP_200_OK, headers=NO_STORE)

    @extend_schema(
        tags=[WEBHOOK_TAG],
        operation_id="pix_v2_webhook_retrieve",
        summary="Exibir o Webhook Pix / The key's webhook",
        parameters=[CHAVE],
        responses={200: WebhookCompletoSerializer, 403: PROBLEM, 404: PROBLEM},
    )
    def get(self, request, chave: str):
        customer = api_customer_of_user(user=request.user)
        webhook = webhook_of_customer(customer=customer, key=chave)
        return Response(WebhookCompletoSerializer().to_representation(webhook), headers=NO_STORE)

    @extend_schema(
        tags=[WEBHOOK_TAG],
        operation_id="pix_v2_webhook_delete",
        summary="Cancelar o Webhook Pix / Remove the key's webhook",
        parameters=[CHAVE],
        responses={204: None, 403: PROBLEM, 404: PROBLEM},
    )
    def delete(self, request, chave: str):
        customer = api_customer_of_user(user=request.user)
        webhook_remove(customer=customer, key=chave, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookListApi(APIView):
    oauth_scopes = "webhook"

    @extend_schema(
        tags=[WEBHOOK_TAG],
        operation_id="pix_v2_webhook_list",
        summary="Consultar webhooks cadastrados / List webhooks",
        parameters=[
            OpenApiParameter("inicio", OpenApiTypes.DATETIME),
            OpenApiParameter("fim", OpenApiTypes.DATETIME),
            *PAGING,
        ],
        responses={200: WebhooksConsultadosSerializer, 400: PROBLEM, 403: PROBLEM},
    )
    def get(self, request):
        customer = api_customer_of_user(user=request.user)
        values = WebhookQueryInput.checked(request.query_params, WebhookConsultaInvalida)
        start, end = values.get("inicio"), values.get("fim")
        page = paginate(
            webhooks_of_customer(customer=customer, start=start, end=end),
            page=values["page"],
            per_page=values["per_page"],
        )
        parameters = {}
        if start is not None:
            parameters["inicio"] = rfc3339(start)
        if end is not None:
            parameters["fim"] = rfc3339(end)
        parameters["paginacao"] = page.as_paginacao()
        body = {
            "parametros": parameters,
            "webhooks": [WebhookCompletoSerializer().to_representation(w) for w in page.items],
        }
        return Response(body, headers=NO_STORE)
