"""The security audit trail: append-only `AuditEvent`s (a trigger refuses UPDATE/DELETE),
chained by hashes as the database inserts them (apps/core/audit_chain.py).

`record_event` is the one writer. Receivers below turn Django, allauth and admin signals
into events; domain code records data exports and permission denials through it too.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Model
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from apps.core.logging import current_request_id
from apps.core.models import AuditEvent

logger = logging.getLogger("athena.audit")
Action = AuditEvent.Action


def client_ip(request: HttpRequest | None) -> str | None:
    """The client address: nginx sets X-Real-IP; without a gateway, REMOTE_ADDR."""
    if request is None:
        return None
    meta = request.META
    ip = meta.get("HTTP_X_REAL_IP") or meta.get("REMOTE_ADDR") or None
    return ip.strip() if ip else None


def record_event(
    action: str,
    *,
    actor: Any = None,
    request: HttpRequest | None = None,
    obj: Model | None = None,
    detail: dict | None = None,
    actor_label: str = "",
) -> AuditEvent:
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    event = AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_label=(actor_label or (str(actor) if actor else ""))[:254],
        ip=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:512],
        request_id=getattr(request, "request_id", "") or current_request_id(),
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        detail=detail or {},
    )
    logger.info("audit %s", action, extra={"actor": event.actor_label, "object": event.object_id})
    return event


def record_permission_denied(request: HttpRequest, *, reason: str = "") -> None:
    record_event(
        Action.PERMISSION_DENIED,
        request=request,
        detail={"path": request.path[:500], "method": request.method, "reason": reason},
    )


def record_data_export(
    *,
    request: HttpRequest | None,
    actor: Any,
    obj: Model | None,
    export_format: str,
    description: str,
) -> None:
    record_event(
        Action.DATA_EXPORT,
        actor=actor,
        request=request,
        obj=obj,
        detail={"format": export_format, "what": description},
    )


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs) -> None:
    record_event(
        Action.LOGIN, actor=user, request=request, detail={"backend": getattr(user, "backend", "")}
    )


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        record_event(Action.LOGOUT, actor=user, request=request)


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    identifier = credentials.get("email") or credentials.get("username") or ""
    record_event(
        Action.LOGIN_FAILED,
        request=request,
        actor_label=str(identifier)[:254],
        detail={"identifier": str(identifier)[:254]},
    )


@receiver(post_save, sender=LogEntry)
def _on_admin_action(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    if not created:
        return
    record_event(
        Action.ADMIN_ACTION,
        actor=instance.user,
        detail={
            "flag": instance.get_action_flag_display(),
            "object_type": instance.content_type.model if instance.content_type else "",
            "object_id": str(instance.object_id),
            "object_repr": instance.object_repr,
            "change": instance.get_change_message(),
        },
    )


def connect_allauth_receivers() -> None:
    """allauth's signals, connected from AppConfig.ready once allauth's apps are loaded."""
    from allauth.account.signals import password_changed, password_reset, user_signed_up
    from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset

    def on_signup(sender, request, user, **kwargs):
        record_event(Action.SIGNUP, actor=user, request=request)

    def on_password(sender, request, user, **kwargs):
        record_event(Action.PASSWORD_CHANGED, actor=user, request=request)

    def on_mfa(sender, request, user, authenticator, **kwargs):
        record_event(
            Action.MFA_CHANGED,
            actor=user,
            request=request,
            detail={"type": authenticator.type, "change": kwargs.get("signal_name", "")},
        )

    user_signed_up.connect(on_signup, weak=False, dispatch_uid="athena_audit_signup")
    password_changed.connect(on_password, weak=False, dispatch_uid="athena_audit_pw_changed")
    password_reset.connect(on_password, weak=False, dispatch_uid="athena_audit_pw_reset")
    for name, signal in (
        ("added", authenticator_added),
        ("removed", authenticator_removed),
        ("reset", authenticator_reset),
    ):
        signal.connect(
            lambda sender, request, user, authenticator, _n=name, **kw: on_mfa(
                sender, request, user, authenticator, signal_name=_n
            ),
            weak=False,
            dispatch_uid=f"athena_audit_mfa_{name}",
        )
