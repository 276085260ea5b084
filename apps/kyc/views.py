"""The protected document view: decrypted bytes for the document's owner and for staff with
`kyc.view_kycdocument` (compliance officers, admins); everyone else gets a 404, the same
answer as for an id that does not exist. Served as an attachment, never cached, never
sniffed; every access is in the audit log (identity documents and selfies are sensitive
data under the LGPD)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from apps.core.audit import record_data_export
from apps.core.errors import NotFound

from .selectors import document_for_viewer

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "application/pdf": "pdf"}


def document_response(request: HttpRequest, document_id: int) -> HttpResponse:
    """The file for `request.user`, or NotFound; shared by the portal and the API view."""
    document, content = document_for_viewer(user=request.user, document_id=document_id)
    record_data_export(
        request=request,
        actor=request.user,
        obj=document,
        export_format=document.content_type,
        description=f"KYC document {document.kind} of request {document.request_id}",
    )
    response = HttpResponse(content, content_type=document.content_type)
    extension = EXTENSIONS.get(document.content_type, "bin")
    response["Content-Disposition"] = (
        f'attachment; filename="kyc-{document.request_id}-{document.kind}.{extension}"'
    )
    response["Cache-Control"] = "private, no-store, max-age=0"
    response["Pragma"] = "no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_safe
def document_download(request: HttpRequest, document_id: int) -> HttpResponse:
    """Portal (and admin link) route: signed-in by session."""
    try:
        return document_response(request, document_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
