"""API Pix v2 (BACEN) charges under /api/pix/v2/, and the public payload locations.

    PUT    /cob/{txid}          create a cob with the caller's txid (same body again: same cob)
    POST   /cob                 create a cob, txid generated
    PATCH  /cob/{txid}          revise (revisao + 1), or remove (status only)
    GET    /cob/{txid}          the cob (?revisao=n), with its `pix` once paid
    GET    /cob                 list (inicio, fim, cpf|cnpj, locationPresente, status, paginacao.*)
    PUT, PATCH, GET /cobv/{txid} and GET /cobv: the same for charges with a due date
    POST   /loc                 a payload location {tipoCob}
    GET    /loc                 list (inicio, fim, txIdPresente, tipoCob, paginacao.*)
    GET    /loc/{id}            one location (with the txid of its charge)
    DELETE /loc/{id}/txid       unlink the location's charge

    GET    /qr/v2/{token}, /qr/v2/cobv/{token}   (no auth) the charge payload as a JWS
    GET    /qr/v2/jwks                            (no auth) the key that signs payloads

Callers are receiving customers (session or bearer token); staff and other users get
AcessoNegado. Errors are problem+json with BACEN's type URIs
(https://pix.bcb.gov.br/api/v2/error/...) and `violacoes` naming the field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.http.request import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import DomainError, _violations
from apps.pix.api_v2 import charges_serializers as s
from apps.pix.charges import payloads as charge_payloads
from apps.pix.charges import services as charges
from apps.pix.charges.errors import (
    BACEN_ERROR_BASE,
    AcessoNegado,
    CobPayloadOperacaoInvalida,
    NaoEncontrado,
    PayloadLocationConsultaInvalida,
    PayloadLocationOperacaoInvalida,
    RequisicaoInvalida,
    violation,
)
from apps.pix.charges.errors import ERRORS_BY_KIND as _ERRORS
from apps.pix.charges.jws import public_jwks
from apps.pix.charges.selectors import (
    ChargeQuery,
    LocationQuery,
    api_customer_of_user,
    charge_at_revision,
    charge_of_customer,
    charges_of_customer,
    location_of_customer,
    locations_of_customer,
)
from apps.pix.models import PixCharge

PROBLEM = OpenApiResponse(OpenApiTypes.OBJECT, description="application/problem+json")
NO_STORE = {"Cache-Control": "private, no-store"}
TAG_COB = "API Pix - cob"
TAG_COBV = "API Pix - cobv"
TAG_LOC = "API Pix - loc"
TAG_PAYLOAD = "API Pix - payload"
MAX_VALUE_SHOWN = 200
_INDEX = re.compile(r"\.(\d+)(?=\.|$)")


class _BacenNotAuthenticated(exceptions.NotAuthenticated):
    default_code = BACEN_ERROR_BASE + "AcessoNegado"


class _BacenAuthenticationFailed(exceptions.AuthenticationFailed):
    default_code = BACEN_ERROR_BASE + "AcessoNegado"


def _value_at(data: Any, path: str | None) -> Any:
    """The submitted value a violation points at ("valor.original", "infoAdicionais[0].nome")."""
    if not path:
        return None
    current = data
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        try:
            current = current[int(part[1:-1])] if part.startswith("[") else current[part]
        except (KeyError, IndexError, TypeError, ValueError):
            return None
    if isinstance(current, (dict, list)):
        return None
    return None if current is None else str(current)[:MAX_VALUE_SHOWN]


def schema_error(
    error: type[DomainError], errors: Any, *, data: Any = None, prefix: str = "", rename=None
) -> DomainError:
    """A serializer's errors as the endpoint's BACEN error, one violation per field."""
    found = _violations(errors, "")
    violations = []
    for item in found:
        # DRF keys a list's errors by index: "infoAdicionais.0.valor" -> "infoAdicionais[0].valor"
        path = _INDEX.sub(r"[\1]", item["propriedade"] or "")
        head, _, rest = path.partition(".")
        if rename:
            path = rename(head) + (f".{rest}" if rest else "")
        shown = f"{prefix}.{path}" if prefix and path else (prefix or path or None)
        violations.append(violation(item["razao"], shown, _value_at(data, path)))
    first = violations[0] if violations else violation(_("Invalid request."), prefix or None)
    return error(
        first["razao"], field=first["propriedade"], value=first["valor"], violations=violations
    )


class _PixV2View(APIView):
    """Shared by the charge and location endpoints: BACEN's error types for what DRF raises
    (bad JSON, schema errors, authentication), and the caller's customer."""

    error_prefix = ""
    invalid_error: type[DomainError] = RequisicaoInvalida
    # A NUL in the query is CobConsultaInvalida & co. here (query()), not the generic 400
    # of apps.core.middleware.ClientInputMiddleware.
    validates_query_text = True

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.NotAuthenticated):
            exc = _BacenNotAuthenticated(exc.detail)
        elif isinstance(exc, exceptions.AuthenticationFailed):
            exc = _BacenAuthenticationFailed(exc.detail)
        elif isinstance(exc, exceptions.PermissionDenied):
            exc = AcessoNegado(str(exc.detail))
        elif isinstance(exc, exceptions.NotFound):
            exc = NaoEncontrado(str(exc.detail))
        elif isinstance(exc, exceptions.ParseError):
            # apps.core.parsers refuses bad bodies for the whole API (too deep, NUL, not
            # UTF-8); here they take the endpoint's BACEN type, naming the property.
            message = str(exc.detail)
            field = getattr(exc, "field", None)
            prop = ".".join(part for part in (self.error_prefix, field) if part) or None
            exc = self.invalid_error(message, field=prop, violations=[violation(message, prop)])
        elif isinstance(exc, exceptions.ValidationError):
            exc = schema_error(self.invalid_error, exc.detail, prefix=self.error_prefix)
        return super().handle_exception(exc)

    def customer(self):
        return api_customer_of_user(user=self.request.user)

    def body(self, serializer_class: type[serializers.Serializer]) -> dict:
        raw = self.request.data
        if isinstance(raw, QueryDict):
            raw = {}
        serializer = serializer_class(data=raw)
        if not serializer.is_valid():
            raise schema_error(
                self.invalid_error, serializer.errors, data=raw, prefix=self.error_prefix
            )
        return serializer.validated_data

    def query(self, serializer_class: type[s._QueryBase], error: type[DomainError]) -> dict:
        serializer = serializer_class.from_query(self.request.query_params)
        if not serializer.is_valid():
            raise schema_error(
                error,
                serializer.errors,
                data=dict(self.request.query_params.items()),
                rename=serializer_class.parameter_name,
            )
        return serializer.validated_data


# --- cob and cobv --------------------------------------------------------------------------

TXID_PARAMETER = OpenApiParameter(
    "txid",
    str,
    OpenApiParameter.PATH,
    description="26 to 35 letters and digits ([a-zA-Z0-9]{26,35}), unique per receiver.",
)
REVISION_PARAMETER = OpenApiParameter(
    "revisao", int, description="A past revision of the charge (history keeps no devedor)."
)


def _list_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter("inicio", OpenApiTypes.DATETIME, required=True),
        OpenApiParameter("fim", OpenApiTypes.DATETIME, required=True),
        OpenApiParameter("cpf", str, description="Debtor's CPF (11 digits); not with cnpj."),
        OpenApiParameter("cnpj", str, description="Debtor's CNPJ (14 characters); not with cpf."),
        OpenApiParameter("locationPresente", bool),
        OpenApiParameter("status", str, enum=s.STATUSES),
        OpenApiParameter("paginacao.paginaAtual", int, description="From 0; default 0."),
        OpenApiParameter("paginacao.itensPorPagina", int, description="1 to 1000; default 100."),
    ]


class _ChargeView(_PixV2View):
    kind = PixCharge.Kind.COB
    oauth_scopes = "cob"
    input_serializer: type[serializers.Serializer] = s.CobSolicitadaSerializer
    revision_serializer: type[serializers.Serializer] = s.CobRevisadaSerializer
    output_serializer: type[serializers.Serializer] = s.CobCompletaSerializer

    @property
    def error_prefix(self) -> str:  # type: ignore[override]
        return self.kind

    @property
    def invalid_error(self) -> type[DomainError]:  # type: ignore[override]
        return _ERRORS[self.kind]["invalid"]

    def answer(self, charge: PixCharge, *, code: int, with_pix: bool = False) -> Response:
        body = s.charge_representation(charge, with_pix=with_pix)
        return Response(self.output_serializer(body).data, status=code, headers=NO_STORE)

    def create(self, txid: str | None) -> Response:
        customer = self.customer()
        data = self.body(self.input_serializer)
        charge, created = charges.charge_create(
            customer=customer,
            kind=self.kind,
            data=s.charge_input(self.kind, data),
            txid=txid,
            actor=self.request.user,
        )
        return self.answer(charge, code=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def revise(self, txid: str) -> Response:
        customer = self.customer()
        data = self.body(self.revision_serializer)
        charge = charges.charge_update(
            customer=customer,
            kind=self.kind,
            txid=txid,
            changes=s.charge_changes(self.kind, data),
            actor=self.request.user,
        )
        return self.answer(charge, code=status.HTTP_200_OK)

    def read(self, txid: str) -> Response:
        customer = self.customer()
        charge = charge_of_customer(customer=customer, kind=self.kind, txid=txid)
        raw = self.request.query_params.get("revisao")
        if raw is not None:
            query_error = _ERRORS[self.kind]["query"]
            try:
                revision = int(raw)
            except ValueError:
                message = _("revisao must be an integer.")
                raise query_error(
                    message,
                    field="revisao",
                    value=raw[:MAX_VALUE_SHOWN],
                    violations=[violation(message, "revisao", raw)],
                ) from None
            charge = charge_at_revision(charge=charge, revision=revision)
        return self.answer(charge, code=status.HTTP_200_OK, with_pix=True)

    def listing(self) -> Response:
        customer = self.customer()
        values = self.query(s.CobQuerySerializer, _ERRORS[self.kind]["query"])
        page = charges_of_customer(
            customer=customer,
            kind=self.kind,
            query=ChargeQuery(
                start=values["inicio"],
                end=values["fim"],
                cpf=values.get("cpf"),
                cnpj=values.get("cnpj"),
                location_present=values.get("locationPresente"),
                status=values.get("status"),
                page=values["paginaAtual"],
                per_page=values["itensPorPagina"],
            ),
        )
        body = {
            "parametros": s.query_parameters(
                values, page, names=("cpf", "cnpj", "locationPresente", "status")
            ),
            "cobs": [s.charge_representation(c, with_pix=True) for c in page.items],
        }
        listing = (
            s.CobsConsultadasSerializer if self.kind == "cob" else s.CobsVConsultadasSerializer
        )
        return Response(listing(body).data, headers=NO_STORE)


class CobApi(_ChargeView):
    @extend_schema(
        tags=[TAG_COB],
        operation_id="pix_v2_cob_create_generated_txid",
        summary="Create an immediate charge (cob); the txid is generated",
        request=s.CobSolicitadaSerializer,
        responses={201: s.CobCompletaSerializer, 400: PROBLEM, 403: PROBLEM},
    )
    def post(self, request):
        return self.create(None)

    @extend_schema(
        tags=[TAG_COB],
        operation_id="pix_v2_cob_list",
        summary="List immediate charges (CobsConsultadas)",
        parameters=_list_parameters(),
        responses={200: s.CobsConsultadasSerializer, 400: PROBLEM, 403: PROBLEM},
    )
    def get(self, request):
        return self.listing()


class CobDetailApi(_ChargeView):
    @extend_schema(
        tags=[TAG_COB],
        operation_id="pix_v2_cob_put",
        summary="Create an immediate charge (cob) with the caller's txid",
        description=(
            "201 when created. The same body again answers the same charge (200); another "
            "body for an existing txid is CobOperacaoInvalida."
        ),
        parameters=[TXID_PARAMETER],
        request=s.CobSolicitadaSerializer,
        responses={201: s.CobCompletaSerializer, 200: s.CobCompletaSerializer, 400: PROBLEM},
    )
    def put(self, request, txid: str):
        return self.create(txid)

    @extend_schema(
        tags=[TAG_COB],
        operation_id="pix_v2_cob_patch",
        summary="Revise an immediate charge (revisao + 1) or remove it",
        parameters=[TXID_PARAMETER],
        request=s.CobRevisadaSerializer,
        responses={200: s.CobCompletaSerializer, 400: PROBLEM, 404: PROBLEM},
    )
    def patch(self, request, txid: str):
        return self.revise(txid)

    @extend_schema(
        tags=[TAG_COB],
        operation_id="pix_v2_cob_retrieve",
        summary="An immediate charge (CobCompleta), with its pix once paid",
        parameters=[TXID_PARAMETER, REVISION_PARAMETER],
        responses={200: s.CobCompletaSerializer, 400: PROBLEM, 404: PROBLEM},
    )
    def get(self, request, txid: str):
        return self.read(txid)


class _CobVView(_ChargeView):
    oauth_scopes = "cobv"
    kind = PixCharge.Kind.COBV
    input_serializer = s.CobVSolicitadaSerializer
    revision_serializer = s.CobVRevisadaSerializer
    output_serializer = s.CobVCompletaSerializer


class CobVApi(_CobVView):
    @extend_schema(
        tags=[TAG_COBV],
        operation_id="pix_v2_cobv_list",
        summary="List charges with due date (CobsVConsultadas)",
        parameters=_list_parameters(),
        responses={200: s.CobsVConsultadasSerializer, 400: PROBLEM, 403: PROBLEM},
    )
    def get(self, request):
        return self.listing()


class CobVDetailApi(_CobVView):
    @extend_schema(
        tags=[TAG_COBV],
        operation_id="pix_v2_cobv_put",
        summary="Create a charge with due date (cobv) with the caller's txid",
        description=(
            "devedor (nome with cpf or cnpj) is required. 201 when created; the same body "
            "again answers the same charge (200)."
        ),
        parameters=[TXID_PARAMETER],
        request=s.CobVSolicitadaSerializer,
        responses={201: s.CobVCompletaSerializer, 200: s.CobVCompletaSerializer, 400: PROBLEM},
    )
    def put(self, request, txid: str):
        return self.create(txid)

    @extend_schema(
        tags=[TAG_COBV],
        operation_id="pix_v2_cobv_patch",
        summary="Revise a charge with due date (revisao + 1) or remove it",
        parameters=[TXID_PARAMETER],
        request=s.CobVRevisadaSerializer,
        responses={200: s.CobVCompletaSerializer, 400: PROBLEM, 404: PROBLEM},
    )
    def patch(self, request, txid: str):
        return self.revise(txid)

    @extend_schema(
        tags=[TAG_COBV],
        operation_id="pix_v2_cobv_retrieve",
        summary="A charge with due date (CobVCompleta), with its pix once paid",
        parameters=[TXID_PARAMETER, REVISION_PARAMETER],
        responses={200: s.CobVCompletaSerializer, 400: PROBLEM, 404: PROBLEM},
    )
    def get(self, request, txid: str):
        return self.read(txid)


# --- loc ------------------------------------------------------------------------------------

LOCATION_ID_PARAMETER = OpenApiParameter(
    "id", str, OpenApiParameter.PATH, description="The location's id (an integer)."
)


class LocApi(_PixV2View):
    invalid_error = PayloadLocationOperacaoInvalida
    oauth_scopes = "payloadlocation"

    @extend_schema(
        tags=[TAG_LOC],
        operation_id="pix_v2_loc_create",
        summary="Create a payload location for a cob or a cobv",
        request=s.PayloadLocationSolicitadaSerializer,
        responses={201: s.CobPayloadLocationSerializer, 400: PROBLEM, 403: PROBLEM},
    )
    def post(self, request):
        customer = self.customer()
        data = self.body(s.PayloadLocationSolicitadaSerializer)
        location = charges.location_create(customer=customer, charge_type=data["tipoCob"])
        body = s.location_representation(location, with_txid=False)
        return Response(
            s.CobPayloadLocationSerializer(body).data,
            status=status.HTTP_201_CREATED,
            headers={**NO_STORE, "Location": f"/api/pix/v2/loc/{location.pk}"},
        )

    @extend_schema(
        tags=[TAG_LOC],
        operation_id="pix_v2_loc_list",
        summary="List payload locations (PayloadLocationConsultadas)",
        parameters=[
            OpenApiParameter("inicio", OpenApiTypes.DATETIME, required=True),
            OpenApiParameter("fim", OpenApiTypes.DATETIME, required=True),
            OpenApiParameter("txIdPresente", bool),
            OpenApiParameter("tipoCob", str, enum=["cob", "cobv"]),
            OpenApiParameter("paginacao.paginaAtual", int),
            OpenApiParameter("paginacao.itensPorPagina", int),
        ],
        responses={200: s.PayloadLocationConsultadasSerializer, 400: PROBLEM, 403: PROBLEM},
    )
    def get(self, request):
        customer = self.customer()
        values = self.query(s.LocQuerySerializer, PayloadLocationConsultaInvalida)
        page = locations_of_customer(
            customer=customer,
            query=LocationQuery(
                start=values["inicio"],
                end=values["fim"],
                txid_present=values.get("txIdPresente"),
                charge_type=values.get("tipoCob"),
                page=values["paginaAtual"],
                per_page=values["itensPorPagina"],
            ),
        )
        body = {
            "parametros": s.query_parameters(values, page, names=("txIdPresente", "tipoCob")),
            "loc": [s.location_representation(location) for location in page.items],
        }
        return Response(s.PayloadLocationConsultadasSerializer(body).data, headers=NO_STORE)


class LocDetailApi(_PixV2View):
    invalid_error = PayloadLocationOperacaoInvalida
    oauth_scopes = "payloadlocation"

    @extend_schema(
        tags=[TAG_LOC],
        operation_id="pix_v2_loc_retrieve",
        summary="A payload location (with the txid of its charge, if any)",
        parameters=[LOCATION_ID_PARAMETER],
        responses={200: s.CobPayloadLocationSerializer, 403: PROBLEM, 404: PROBLEM},
    )
    def get(self, request, id: str):  # BACEN's path parameter is {id}
        location = location_of_customer(customer=self.customer(), location_id=id)
        body = s.location_representation(location)
        return Response(s.CobPayloadLocationSerializer(body).data, headers=NO_STORE)


class LocUnlinkApi(_PixV2View):
    invalid_error = PayloadLocationOperacaoInvalida
    oauth_scopes = "payloadlocation"

    @extend_schema(
        tags=[TAG_LOC],
        operation_id="pix_v2_loc_unlink_txid",
        summary="Unlink the charge of a payload location",
        description="The charge keeps its status; it no longer has a location.",
        parameters=[LOCATION_ID_PARAMETER],
        responses={200: s.CobPayloadLocationSerializer, 403: PROBLEM, 404: PROBLEM},
    )
    def delete(self, request, id: str):  # BACEN's path parameter is {id}
        location = charges.location_unlink(
            customer=self.customer(), location_id=id, actor=request.user
        )
        body = s.location_representation(location, with_txid=False)
        return Response(s.CobPayloadLocationSerializer(body).data, headers=NO_STORE)


# --- The payload at a location (public) -------------------------------------------------------

JOSE = "application/jose"


class _PayloadView(_PixV2View):
    """No authentication: a location is a capability URL (the payer's PSP fetches it)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    invalid_error = CobPayloadOperacaoInvalida
    kind = PixCharge.Kind.COB

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        response["Cache-Control"] = "no-store"
        return response

    def serve(self, token: str) -> HttpResponse:
        now = timezone.now()
        location = charge_payloads.location_by_path(kind=self.kind, token=token)
        pay_date = self._intended_payment_date() if self.kind == PixCharge.Kind.COBV else None
        jws = charge_payloads.signed_location_payload(location, now=now, pay_date=pay_date)
        return HttpResponse(jws, content_type=JOSE, headers={"Cache-Control": "no-store"})

    def _intended_payment_date(self) -> dt.date | None:
        params = self.request.query_params
        found = []
        city = params.get("codMun")
        if city is not None and not (len(city) == 7 and city.isascii() and city.isdigit()):
            found.append(violation(_("codMun must be 7 digits (IBGE)."), "codMun", city))
        raw = params.get("DPP")
        pay_date = None
        if raw is not None:
            try:
                pay_date = dt.date.fromisoformat(raw) if len(raw) == 10 else None
            except ValueError:
                pay_date = None
            if pay_date is None:
                found.append(violation(_("DPP must be a date (YYYY-MM-DD)."), "DPP", raw))
        if found:
            raise CobPayloadOperacaoInvalida(
                found[0]["razao"], field=found[0]["propriedade"], violations=found
            )
        return pay_date


PAYLOAD_RESPONSES = {
    (200, JOSE): OpenApiResponse(
        OpenApiTypes.STR, description="The charge payload (CobPayload) as a compact JWS."
    ),
    400: PROBLEM,
    404: PROBLEM,
    410: PROBLEM,
}


class CobPayloadApi(_PayloadView):
    @extend_schema(
        tags=[TAG_PAYLOAD],
        operation_id="pix_v2_cob_payload",
        summary="The payload of an immediate charge, as the payer's PSP fetches it",
        auth=[],
        responses=PAYLOAD_RESPONSES,
    )
    def get(self, request, token: str):
        return self.serve(token)


class CobVPayloadApi(_PayloadView):
    kind = PixCharge.Kind.COBV

    @extend_schema(
        tags=[TAG_PAYLOAD],
        operation_id="pix_v2_cobv_payload",
        summary="The payload of a charge with due date, valued for DPP (today by default)",
        auth=[],
        parameters=[
            OpenApiParameter("DPP", OpenApiTypes.DATE, description="Intended payment date."),
            OpenApiParameter("codMun", str, description="Payer's IBGE city code (7 digits)."),
        ],
        responses=PAYLOAD_RESPONSES,
    )
    def get(self, request, token: str):
        return self.serve(token)


class PayloadJwksApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=[TAG_PAYLOAD],
        operation_id="pix_v2_payload_jwks",
        summary="The JWK Set that verifies charge payloads (the JWS header's jku)",
        auth=[],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="JWK Set")},
    )
    def get(self, request):
        return JsonResponse(public_jwks(), headers={"Cache-Control": "public, max-age=300"})
