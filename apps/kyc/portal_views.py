"""Portal pages of identity verification (KYC): my level and limits, start an upgrade,
fill in the details, upload documents and a selfie, submit, follow the status, answer a
request for more information. Thin: forms parse, services write, selectors read; a
service's DomainError lands on the form. Someone else's request is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.accounts import selectors as account_selectors
from apps.core.errors import DomainError
from apps.core.portal import not_found_is_404

from . import selectors, services
from .models import KycRequest
from .portal_forms import DetailsForm, StartForm, UploadForm, add_domain_error


def _customer_or_404(request: HttpRequest):
    customer = account_selectors.customer_of_user(user=request.user)
    if customer is None:
        raise Http404(_("You have no customer profile."))
    return customer


@login_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    customer = _customer_or_404(request)
    open_request = selectors.open_request_of_customer(customer=customer)
    form = None
    status = 200
    if open_request is None and customer.kyc_level < 3:
        initial = {"declared_name": customer.full_name}
        form = StartForm(request.POST or None, initial=initial, current_level=customer.kyc_level)
        if request.method == "POST":
            if form.is_valid():
                values = form.cleaned_data
                try:
                    created = services.kyc_request_create(
                        customer=customer,
                        target_level=values["target_level"],
                        declared_name=values["declared_name"],
                        birth_date=values["birth_date"],
                        monthly_income_cents=values["monthly_income"],
                        address_line=values["address_line"],
                        city=values["city"],
                        state_code=values["state_code"],
                        postal_code=values["postal_code"],
                        actor=request.user,
                    )
                except DomainError as exc:
                    add_domain_error(form, exc)
                else:
                    return redirect("portal:kyc:detail", request_id=created.pk)
            status = 400
    elif request.method == "POST":
        return redirect("portal:kyc:home")
    context = {
        "customer": customer,
        "summary": selectors.level_summary(customer=customer),
        "open_request": open_request,
        "past": selectors.requests_of_customer(customer=customer).exclude(
            state__in=KycRequest.OPEN_STATES
        )[:10],
        "form": form,
    }
    return render(request, "portal/kyc/home.html", context, status=status)


def _detail_context(kyc_request: KycRequest, **forms) -> dict:
    editable = kyc_request.state in services.EDITABLE_STATES
    details = forms.get("details_form") or DetailsForm(
        initial={
            "declared_name": kyc_request.declared_name,
            "birth_date": kyc_request.birth_date,
            "monthly_income": (
                f"{kyc_request.monthly_income_cents / 100:.2f}".replace(".", ",")
                if kyc_request.monthly_income_cents is not None
                else ""
            ),
            "address_line": kyc_request.address_line,
            "city": kyc_request.city,
            "state_code": kyc_request.state_code,
            "postal_code": kyc_request.postal_code,
        }
    )
    return {
        "kyc_request": kyc_request,
        "documents": list(kyc_request.documents.all()),
        "editable": editable,
        "details_form": details,
        "upload_form": forms.get("upload_form") or UploadForm(),
        "missing": services.missing_for_submit(kyc_request) if editable else [],
        "submit_errors": forms.get("submit_errors") or [],
    }


@login_required
@not_found_is_404
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, request_id: int) -> HttpResponse:
    kyc_request = selectors.request_of_user(user=request.user, request_id=request_id)
    if request.method == "GET":
        return render(request, "portal/kyc/detail.html", _detail_context(kyc_request))

    action = request.POST.get("action")
    if action == "details":
        form = DetailsForm(request.POST)
        if form.is_valid():
            values = form.cleaned_data
            try:
                services.kyc_request_update(
                    request=kyc_request,
                    actor=request.user,
                    declared_name=values["declared_name"],
                    birth_date=values["birth_date"],
                    monthly_income_cents=values["monthly_income"],
                    address_line=values["address_line"],
                    city=values["city"],
                    state_code=values["state_code"],
                    postal_code=values["postal_code"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Details saved."))
                return redirect("portal:kyc:detail", request_id=kyc_request.pk)
        context = _detail_context(kyc_request, details_form=form)
        return render(request, "portal/kyc/detail.html", context, status=400)

    if action == "upload":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.kyc_document_add(
                    request=kyc_request,
                    kind=form.cleaned_data["kind"],
                    content=form.cleaned_data["content"],
                    original_name=form.cleaned_data["file"].name or "",
                    actor=request.user,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Document received."))
                return redirect("portal:kyc:detail", request_id=kyc_request.pk)
        context = _detail_context(kyc_request, upload_form=form)
        return render(request, "portal/kyc/detail.html", context, status=400)

    if action == "submit":
        try:
            submitted = services.kyc_request_submit(request=kyc_request, actor=request.user)
        except DomainError as exc:
            errors = [v["razao"] for v in exc.violations] if exc.violations else [exc.message]
            context = _detail_context(kyc_request, submit_errors=errors)
            return render(request, "portal/kyc/detail.html", context, status=400)
        if submitted.state == KycRequest.State.APPROVED:
            messages.success(
                request,
                _("Verified: you are now at level %(level)s.") % {"level": submitted.target_level},
            )
        else:
            messages.info(request, _("Submitted: a compliance analyst will review it."))
        return redirect("portal:kyc:detail", request_id=kyc_request.pk)
    return redirect("portal:kyc:detail", request_id=kyc_request.pk)
