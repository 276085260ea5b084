"""Portal page "Meus dados": downloads of the data export (JSON, PDF) and the request
forms (access, correction, erasure, review of an automated decision).

Thin: the form parses, `apps.privacy.services` writes and answers; a DomainError lands on
the form in the customer's language, never as a 500."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from apps.accounts import selectors as account_selectors
from apps.accounts.models import Customer
from apps.core.errors import DomainError

from . import selectors, services
from .models import DataSubjectRequest
from .pdf import PDF_CONTENT_TYPE, render_export_pdf


class PrivacyRequestForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What do you ask for?"), choices=[])
    details = forms.CharField(
        label=gettext_lazy("Details"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    field = forms.ChoiceField(
        label=gettext_lazy("Field to correct"),
        required=False,
        choices=[("", "—"), *DataSubjectRequest.CorrectionField.choices],
    )
    new_value = forms.CharField(label=gettext_lazy("Correct value"), required=False, max_length=254)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = DataSubjectRequest.Kind.choices

    def add_domain_error(self, exc: DomainError) -> None:
        field = exc.field if exc.field in self.fields else None
        self.add_error(field, exc.message)


def _customer(request: HttpRequest) -> Customer:
    customer = account_selectors.customer_of_user(user=request.user)
    if customer is None:
        raise Http404("No customer profile.")
    return customer


def _page(request: HttpRequest, customer: Customer, form=None, status: int = 200):
    context = {
        "form": form or PrivacyRequestForm(),
        "requests": selectors.requests_of_user(user=request.user)[:50],
        "customer": customer,
    }
    return render(request, "portal/privacy/home.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    if request.method == "GET":
        return _page(request, customer)
    form = PrivacyRequestForm(data=request.POST)
    if not form.is_valid():
        return _page(request, customer, form=form, status=400)
    try:
        req = services.privacy_request_create(
            customer=customer, actor=request.user, **form.cleaned_data
        )
    except DomainError as exc:
        form.add_domain_error(exc)
        return _page(request, customer, form=form, status=422)
    if req.state == DataSubjectRequest.State.REFUSED:
        messages.error(request, req.answer)
    else:
        messages.success(
            request,
            _("Request received. We answer by %(due)s.")
            % {"due": timezone.localtime(req.due_at).strftime("%d/%m/%Y")},
        )
    return redirect("portal:privacy:home")


def _filename(extension: str) -> str:
    return f"meus-dados-{timezone.localdate():%Y%m%d}.{extension}"


@login_required
@require_safe
def export_json(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    data = services.customer_export(
        customer=customer, export_format="json", actor=request.user, request=request
    )
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename("json")}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def export_pdf(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    pdf = services.customer_export(
        customer=customer,
        export_format="pdf",
        actor=request.user,
        request=request,
        render=render_export_pdf,
    )
    response = HttpResponse(pdf, content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename("pdf")}"'
    response["Cache-Control"] = "private, no-store"
    return response
