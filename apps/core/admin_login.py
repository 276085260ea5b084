"""The admin's password login (break-glass accounts) throttled and locked as the portal's.

The portal signs in through allauth, whose adapter counts failed logins per account and per
client address (ACCOUNT_RATE_LIMITS["login_failed"]) and refuses further attempts once a
limit is reached. The admin's own form called `authenticate()` directly, so a password could
be guessed there without end. This form signs in through the same adapter: the same counters
(one identifier locked on the portal is locked here too), the same limits, and a success
gives back its own attempt without wiping earlier failures (allauth's rule, so successful
logins cannot be interleaved into a brute force). A refused attempt is an audit event
(recorded by the adapter, apps.core.account_adapter).
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.core.account_adapter import LOCKED_CODE


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        LOCKED_CODE: _("Too many failed sign-in attempts. Try again later."),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        adapter = get_adapter(self.request)
        try:
            # pre_authenticate (the counters), authenticate, then give the attempt back on
            # success or count it on failure: allauth's login sequence.
            self.user_cache = adapter.authenticate(
                self.request, username=username, password=password
            )
        except ValidationError as exc:
            if exc.code != LOCKED_CODE:
                raise
            # Audited by the adapter (apps.core.account_adapter), as on the portal.
            raise ValidationError(self.error_messages[LOCKED_CODE], code=LOCKED_CODE) from exc
        if self.user_cache is None:
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
