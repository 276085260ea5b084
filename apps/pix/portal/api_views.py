"""Portal: a customer's API credentials for BACEN's API Pix (OAuth 2.0 client credentials,
apps.core.api_clients). Create a client and revoke one.

The secret is shown once: the POST keeps it in the session only until the page it redirects
to takes it out (post/redirect/get, so a reload resends nothing), and that page is never
cached."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.api_client_auth import known_scopes
from apps.core.api_clients import (
    api_client_create,
    api_client_of_user,
    api_client_revoke,
    api_clients_of_user,
)
from apps.core.errors import DomainError

MAX_ACTIVE_CLIENTS = 10
SHOW_ONCE_SESSION_KEY = "portal_new_api_client"


class ApiClientCreateForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("Which system will use it, e.g. “Store ERP”."),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Permissions (scopes)"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [
            (name, f"{name} — {text}") for name, text in known_scopes().items()
        ]


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def api_clients(request: HttpRequest) -> HttpResponse:
    form = ApiClientCreateForm(data=request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        active = api_clients_of_user(user=request.user).filter(active=True).count()
        if active >= MAX_ACTIVE_CLIENTS:
            form.add_error(None, _("Revoke a client before creating another (at most 10)."))
        elif form.is_valid():
            try:
                created, secret = api_client_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    scope=form.cleaned_data["scopes"],
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = 422
            else:
                request.session[SHOW_ONCE_SESSION_KEY] = {"id": created.pk, "secret": secret}
                return redirect("portal:pix:api_clients")
    created = secret = None
    shown = request.session.pop(SHOW_ONCE_SESSION_KEY, None) if request.method == "GET" else None
    if shown:
        created = api_client_of_user(user=request.user, client_id=shown["id"])
        secret = shown["secret"] if created is not None else None
    context = {
        "clients": list(api_clients_of_user(user=request.user)),
        "form": form,
        "created": created,
        "secret": secret,
    }
    return render(request, "portal/pix/api_clients.html", context, status=status)


@login_required
@require_POST
def api_client_revoke_view(request: HttpRequest, client_id: int) -> HttpResponse:
    client = api_client_of_user(user=request.user, client_id=client_id)
    if client is None:
        raise Http404
    if client.active:
        api_client_revoke(client=client, actor=request.user)
        messages.success(request, _("Client %(name)s revoked.") % {"name": client.name})
    return redirect("portal:pix:api_clients")
