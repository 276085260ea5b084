"""REST API of account statements (thin: parse, call the statement selectors, render).

    GET /api/v1/accounts/{id}/statement?from=&to=&kind=&cursor=&limit=     JSON page
    GET /api/v1/accounts/{id}/statement.csv|.pdf|.ofx?from=&to=&kind=       files
    GET /api/v1/accounts/{id}/statement?format=csv|pdf|ofx                  the same files

Only the account's owner sees it: anyone else's account, or an unknown one, is a 404.
Every file download is recorded in the audit trail as a data export.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from apps.core.api_fields import SignedAmountField
from apps.core.audit import record_data_export

from . import exports, selectors, statements
from .models import Account

NO_STORE = {"Cache-Control": "private, no-store"}
MAX_EXPORT_LINES = {"csv": 50_000, "ofx": 50_000, "pdf": 5_000}


# --- Renderers for the files -----------------------------------------------------------


class _FileRenderer(BaseRenderer):
    """Passes the rendered file through; error bodies (problem+json) render as JSON."""

    charset = None
    extension = ""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data, accepted_media_type, renderer_context)


class CsvRenderer(_FileRenderer):
    media_type = exports.CSV_CONTENT_TYPE
    format = "csv"
    charset = "utf-8"


class PdfRenderer(_FileRenderer):
    media_type = exports.PDF_CONTENT_TYPE
    format = "pdf"


class OfxRenderer(_FileRenderer):
    media_type = exports.OFX_CONTENT_TYPE
    format = "ofx"


_RENDER = {"csv": exports.render_csv, "pdf": exports.render_pdf, "ofx": exports.render_ofx}


# --- Input and output ------------------------------------------------------------------


class StatementFilterSerializer(serializers.Serializer):
    """`from` and `to` are Python keywords: declared under other names, exposed as these."""

    date_from = serializers.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text="First day (YYYY-MM-DD, Brasília time), inclusive.",
    )
    date_to = serializers.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text="Last day (YYYY-MM-DD, Brasília time), inclusive.",
    )
    kind = serializers.RegexField(
        r"^[a-z][a-z0-9_]{0,39}$",
        required=False,
        help_text="Entry kind: deposit, book_transfer, pix_in, pix_out, ted_in, ...",
    )

    def get_fields(self):
        fields = super().get_fields()
        renamed = {"date_from": "from", "date_to": "to"}
        return {renamed.get(name, name): field for name, field in fields.items()}

    def validate(self, attrs):
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": "'to' must not be before 'from'."})
        return attrs

    def filters(self) -> statements.StatementFilters:
        data = self.validated_data
        return statements.StatementFilters(
            date_from=data.get("from"), date_to=data.get("to"), kind=data.get("kind")
        )


class StatementQuerySerializer(StatementFilterSerializer):
    cursor = serializers.CharField(
        required=False,
        max_length=100,
        help_text="`next_cursor` of the previous page; omit for the newest lines.",
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=statements.MAX_PAGE_SIZE,
        default=statements.DEFAULT_PAGE_SIZE,
    )


class StatementAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    branch = serializers.CharField()
    number = serializers.CharField()
    name = serializers.CharField()
    state = serializers.CharField()
    balance = SignedAmountField(source="total_balance")
    available_balance = SignedAmountField()


class StatementLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    kind = serializers.CharField()
    description = serializers.CharField()
    amount = SignedAmountField(help_text='Signed: "-12.34" is a debit.')
    balance_after = SignedAmountField(
        allow_null=True, help_text="The account's balance right after this line."
    )
    entry_id = serializers.IntegerField()


class StatementSerializer(serializers.Serializer):
    account = StatementAccountSerializer()
    lines = StatementLineSerializer(many=True)
    next_cursor = serializers.CharField(
        allow_null=True, help_text="Pass as `cursor` for the next (older) page; null: no more."
    )


# --- Views -----------------------------------------------------------------------------


def _file_response(request, account: Account, filters, export_format: str) -> Response:
    export = statements.statement_export(
        account=account, filters=filters, max_lines=MAX_EXPORT_LINES[export_format]
    )
    content = _RENDER[export_format](export)
    period = f"{export.filters.date_from:%Y-%m-%d}..{export.filters.date_to:%Y-%m-%d}"
    record_data_export(
        request=request,
        actor=request.user,
        obj=account,
        export_format=export_format,
        description=(
            f"account statement {period}"
            + (f" kind={export.filters.kind}" if export.filters.kind else "")
            + f", {len(export.lines)} lines"
        ),
    )
    filename = exports.export_filename(export, export_format)
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content, headers=headers)


_FILE_RESPONSE = OpenApiResponse(OpenApiTypes.BINARY, description="The statement file.")
_EXPORT_NOTE = (
    " Without a period the file covers the last 90 days; a period spans at most 366 days. "
    "The download is recorded in the audit trail."
)


class StatementApi(APIView):
    renderer_classes = [
        *api_settings.DEFAULT_RENDERER_CLASSES,
        CsvRenderer,
        PdfRenderer,
        OfxRenderer,
    ]

    @extend_schema(
        summary="Account statement (extrato)",
        description=(
            "The account's lines, newest first, each with the running balance after it. "
            "Keyset pagination: pass `next_cursor` as `cursor` for the next page. "
            "With `format=csv|pdf|ofx` the whole period is returned as a file instead."
            + _EXPORT_NOTE
        ),
        parameters=[
            StatementQuerySerializer,
            OpenApiParameter(
                "format",
                str,
                OpenApiParameter.QUERY,
                required=False,
                enum=["json", "csv", "pdf", "ofx"],
                description="Response format; csv, pdf and ofx return the statement file.",
            ),
        ],
        responses={
            (200, "application/json"): StatementSerializer,
            (200, exports.CSV_CONTENT_TYPE): _FILE_RESPONSE,
            (200, exports.PDF_CONTENT_TYPE): _FILE_RESPONSE,
            (200, exports.OFX_CONTENT_TYPE): _FILE_RESPONSE,
        },
    )
    def get(self, request, account_id: int):
        account = selectors.account_of_user(user=request.user, account_id=account_id)
        export_format = getattr(request.accepted_renderer, "format", "json")
        if export_format in _RENDER:
            query = StatementFilterSerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            return _file_response(request, account, query.filters(), export_format)

        query = StatementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cursor = query.validated_data.get("cursor")
        page = statements.statement_page(
            account_id=account.pk,
            filters=query.filters(),
            before_id=statements.decode_cursor(cursor) if cursor is not None else None,
            limit=query.validated_data["limit"],
        )
        body = {
            "account": account,
            "lines": page.lines,
            "next_cursor": (
                statements.encode_cursor(page.next_before_id)
                if page.next_before_id is not None
                else None
            ),
        }
        return Response(StatementSerializer(body).data, headers=NO_STORE)


class _StatementFileApi(APIView):
    export_format = ""

    def get(self, request, account_id: int):
        account = selectors.account_of_user(user=request.user, account_id=account_id)
        query = StatementFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return _file_response(request, account, query.filters(), self.export_format)


def _file_schema(label: str, media_type: str, detail: str):
    return extend_schema(
        operation_id=f"v1_accounts_statement_{label.lower()}_retrieve",
        summary=f"Account statement as {label}",
        description=detail + _EXPORT_NOTE,
        parameters=[StatementFilterSerializer],
        responses={(200, media_type): _FILE_RESPONSE},
    )


class StatementCsvApi(_StatementFileApi):
    renderer_classes = [CsvRenderer]
    export_format = "csv"

    @_file_schema(
        "CSV",
        exports.CSV_CONTENT_TYPE,
        "UTF-8 with BOM, `;` separated, decimal comma (as Brazilian Excel opens it).",
    )
    def get(self, request, account_id: int):
        return super().get(request, account_id)


class StatementPdfApi(_StatementFileApi):
    renderer_classes = [PdfRenderer]
    export_format = "pdf"

    @_file_schema("PDF", exports.PDF_CONTENT_TYPE, "A printable statement.")
    def get(self, request, account_id: int):
        return super().get(request, account_id)


class StatementOfxApi(_StatementFileApi):
    renderer_classes = [OfxRenderer]
    export_format = "ofx"

    @_file_schema(
        "OFX",
        exports.OFX_CONTENT_TYPE,
        "OFX 1.02 (SGML, CHARSET 1252) as Brazilian banks export it, for finance software.",
    )
    def get(self, request, account_id: int):
        return super().get(request, account_id)
