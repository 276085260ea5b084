"""Portal pages of the accounts domain."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    customer = getattr(request.user, "customer", None)
    return render(request, "portal/home.html", {"customer": customer})
