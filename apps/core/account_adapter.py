"""allauth's account adapter, with the sign-in lock on the audit trail.

allauth counts failed sign-ins per account and per client address
(ACCOUNT_RATE_LIMITS["login_failed"]) and refuses attempts past the limit before any
password is checked, so Django's `user_login_failed` (audited in apps.core.audit) never
fires for them. Both password logins, the portal's and the admin's
(apps.core.admin_login), go through this adapter: each refused attempt is recorded here.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
from django.utils import translation

from apps.core.audit import Action, record_event
from apps.core.i18n import in_language_of, supported_language

LOCKED_CODE = "too_many_login_attempts"


class AccountAdapter(DefaultAccountAdapter):
    def pre_authenticate(self, request, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as exc:
            if exc.code == LOCKED_CODE:
                identifier = str(credentials.get("email") or credentials.get("username") or "")
                record_event(
                    Action.LOGIN_FAILED,
                    request=request,
                    actor_label=identifier[:254],
                    detail={
                        "identifier": identifier[:254],
                        "path": request.path[:200],
                        "locked": True,
                        "reason": LOCKED_CODE,
                    },
                )
            raise

    def save_user(self, request, user, form, commit: bool = True):
        # The language the customer signed up in is the one their e-mails are written in,
        # until they choose another in the language switch (apps.core.i18n_views).
        if not getattr(user, "language", ""):
            user.language = supported_language(translation.get_language()) or ""
        return super().save_user(request, user, form, commit)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # A password reset or a confirmation resent later reads in the user's language,
        # not in whatever language the request that triggered it happened to have.
        user = context.get("user")
        if getattr(user, "language", ""):
            with in_language_of(user):
                return super().send_mail(template_prefix, email, context)
        return super().send_mail(template_prefix, email, context)
