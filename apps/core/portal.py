"""Pieces every portal view shares."""

from __future__ import annotations

from functools import wraps

from django.http import Http404

from apps.core.errors import NotFound


def not_found_is_404(view):
    """A selector's NotFound (someone else's object, or none) is the portal's plain 404:
    another customer's key, payment or boleto does not exist for this one."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None

    return wrapper
