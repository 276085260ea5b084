"""The language switch: Django's `set_language`, remembering the choice on the user.

The cookie it sets covers this browser; the user's stored language (apps.core.i18n) is what
e-mails and notifications sent away from a request are written in.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.i18n import set_language as django_set_language

from apps.core.i18n import remember_language


def set_language(request: HttpRequest) -> HttpResponse:
    response = django_set_language(request)
    user = getattr(request, "user", None)
    if request.method == "POST" and getattr(user, "is_authenticated", False):
        remember_language(user, request.POST.get("language"))
    return response
