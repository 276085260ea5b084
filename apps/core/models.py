"""Shared kernel tables: users, the audit log, idempotency records, the outbox, FSM logs,
webhook deliveries."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from apps.core.crypto import EncryptedJSONField, EncryptedTextField


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(
        verbose_name=_("created at"), auto_now_add=True, db_index=True
    )
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        abstract = True


def tracked_history(**options) -> HistoricalRecords:
    """The one line that puts a domain model under django-simple-history.

    `history = tracked_history()` on a model records every change with the acting user
    (HistoryRequestMiddleware) and a change reason as text.
    """
    options.setdefault("inherit", True)
    options.setdefault("cascade_delete_history", False)
    return HistoricalRecords(**options)


class User(AbstractUser):
    """A person who signs in: a customer (allauth) or a staff member (Keycloak OIDC).

    Login is by email; `username` stays because OIDC and the admin need a stable handle.
    """

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    # What e-mails and notifications are written in (apps.core.i18n): the language active
    # at sign-up, then the one chosen in the language switch; "" is the project's default.
    language = models.CharField(_("preferred language"), max_length=10, blank=True, default="")
    history = tracked_history(excluded_fields=["password", "last_login"])

    REQUIRED_FIELDS = ["email"]

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.email

    def __str__(self) -> str:
        return self.email or self.username


class AuditEvent(models.Model):
    """Append-only log of security events, chained by hashes (apps/core/audit_chain.py).

    A trigger refuses UPDATE and DELETE; another, deferred to the commit of the inserting
    transaction, gives each row the next `seq`, the `hash` of the row before it
    (`prev_hash`) and its own `hash`: SHA-256 over a canonical rendering of its fields
    (apps/core/audit_hash.py). Until that commit the three are empty (NULL, "").
    """

    class Action(models.TextChoices):
        LOGIN = "login", _("login")
        LOGIN_FAILED = "login_failed", _("failed login")
        LOGOUT = "logout", _("logout")
        MFA_CHANGED = "mfa_changed", _("MFA change")
        ADMIN_ACTION = "admin_action", _("admin action")
        PERMISSION_DENIED = "permission_denied", _("permission denied")
        DATA_EXPORT = "data_export", _("data export")
        SIGNUP = "signup", _("sign-up")
        PASSWORD_CHANGED = "password_changed", _("password change")
        BUSINESS = "business", _("business event")

    id = models.BigAutoField(verbose_name=_("ID"), primary_key=True)
    at = models.DateTimeField(verbose_name=_("at"), auto_now_add=True, db_index=True)
    action = models.CharField(
        verbose_name=_("action"), max_length=32, choices=Action.choices, db_index=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(verbose_name=_("actor label"), max_length=254, blank=True)
    ip = models.GenericIPAddressField(verbose_name=_("IP"), null=True, blank=True)
    user_agent = models.CharField(verbose_name=_("user agent"), max_length=512, blank=True)
    request_id = models.CharField(verbose_name=_("request ID"), max_length=64, blank=True)
    object_type = models.CharField(verbose_name=_("object type"), max_length=100, blank=True)
    object_id = models.CharField(verbose_name=_("object ID"), max_length=64, blank=True)
    object_repr = models.CharField(verbose_name=_("object repr"), max_length=200, blank=True)
    detail = models.JSONField(verbose_name=_("detail"), default=dict, blank=True)
    seq = models.BigIntegerField(_("chain position"), unique=True, null=True, editable=False)
    prev_hash = models.CharField(
        verbose_name=_("prev hash"), max_length=64, editable=False, db_default=""
    )
    hash = models.CharField(verbose_name=_("hash"), max_length=64, editable=False, db_default="")

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.actor_label}"


class IdempotencyRecord(models.Model):
    """One write request identified by (scope, key): its fingerprint and its stored response."""

    scope = models.CharField(verbose_name=_("scope"), max_length=128)
    key = models.CharField(verbose_name=_("key"), max_length=255)
    fingerprint = models.CharField(verbose_name=_("fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(verbose_name=_("status code"))
    # A stored response may name a person (a payee's CPF, a key): encrypted at rest.
    response_body = EncryptedJSONField(verbose_name=_("response body"), null=True)
    response_headers = models.JSONField(verbose_name=_("response headers"), default=dict)
    created_at = models.DateTimeField(
        verbose_name=_("created at"), auto_now_add=True, db_index=True
    )

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"


class OutboxMessage(models.Model):
    """A side effect written in the same transaction as the change that causes it."""

    # A bigint key and a single partial index: one message is written per ledger entry, and
    # a random UUID key or extra indexes would cost every payment an index insertion more.
    id = models.BigAutoField(verbose_name=_("ID"), primary_key=True)
    topic = models.CharField(verbose_name=_("topic"), max_length=100)
    payload = models.JSONField(verbose_name=_("payload"), default=dict)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    available_at = models.DateTimeField(verbose_name=_("available at"))
    processed_at = models.DateTimeField(verbose_name=_("processed at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(verbose_name=_("attempts"), default=0)
    last_error = models.TextField(verbose_name=_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["available_at"],
                name="outbox_pending_idx",
                condition=models.Q(processed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.id}"


class StateTransitionLog(models.Model):
    """Each FSM transition of any model, with who made it. Written by a signal receiver."""

    at = models.DateTimeField(verbose_name=_("at"), auto_now_add=True, db_index=True)
    content_type = models.ForeignKey(
        "contenttypes.ContentType", verbose_name=_("content type"), on_delete=models.PROTECT
    )
    object_id = models.CharField(verbose_name=_("object ID"), max_length=64)
    transition = models.CharField(verbose_name=_("transition"), max_length=64)
    source_state = models.CharField(verbose_name=_("source state"), max_length=64)
    target_state = models.CharField(verbose_name=_("target state"), max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(verbose_name=_("actor label"), max_length=254, blank=True)
    reason = models.TextField(verbose_name=_("reason"), blank=True)

    class Meta:
        verbose_name = _("state transition")
        verbose_name_plural = _("state transitions")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.transition}: {self.source_state} -> {self.target_state}"


class WebhookDelivery(models.Model):
    """One notification to an integrator's URL, delivered at least once (apps/core/webhooks.py).

    Written in the transaction of the event it reports; a Celery task POSTs it, signed with
    HMAC-SHA256, and retries with exponential backoff until the receiver answers 2xx or the
    attempts run out. `event_key` makes one event produce one delivery per URL."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed (attempts exhausted)")

    id = models.BigAutoField(verbose_name=_("ID"), primary_key=True)
    source = models.CharField(verbose_name=_("source"), max_length=60)  # e.g. "pix"
    source_id = models.CharField(
        verbose_name=_("source ID"), max_length=64, blank=True
    )  # e.g. the PixWebhook id
    event_key = models.CharField(
        verbose_name=_("event key"), max_length=120
    )  # e.g. the endToEndId notified
    url = models.URLField(verbose_name=_("URL"), max_length=500)
    secret = EncryptedTextField(
        verbose_name=_("secret"), blank=True
    )  # the HMAC key, encrypted at rest
    # The event names the key it came through (often a CPF) and the payer: encrypted.
    payload = EncryptedJSONField(verbose_name=_("payload"), default=dict)
    state = models.CharField(
        verbose_name=_("state"), max_length=9, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(verbose_name=_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(verbose_name=_("next attempt at"))
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(verbose_name=_("delivered at"), null=True, blank=True)
    last_error = models.TextField(verbose_name=_("last error"), blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id", "event_key"], name="webhook_delivery_event_uniq"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due_idx",
                condition=models.Q(state="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"webhook {self.source} {self.event_key} ({self.state})"


class WebhookAttempt(models.Model):
    """One POST of a delivery: what was answered, or why nothing was."""

    delivery = models.ForeignKey(
        WebhookDelivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="tries"
    )
    number = models.PositiveSmallIntegerField(verbose_name=_("number"))
    started_at = models.DateTimeField(verbose_name=_("started at"))
    duration_ms = models.PositiveIntegerField(verbose_name=_("duration ms"), default=0)
    status_code = models.PositiveSmallIntegerField(
        verbose_name=_("status code"), null=True, blank=True
    )
    response_body = models.TextField(verbose_name=_("response body"), blank=True)  # first 2 KB
    error = models.TextField(verbose_name=_("error"), blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_uniq")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}: {self.status_code or self.error}"


class ApiClient(TimeStampedModel):
    """An integrator's OAuth 2.0 client (client credentials grant, RFC 6749 section 4.4),
    acting for `user` within `scope` (space-separated, as OAuth writes scopes).

    The secret is shown once, when created, and kept as a keyed hash: it is 256 random bits,
    so a fast hash is enough (a password hash would cost each token request a tenth of a
    second and buy nothing against a secret nobody can guess)."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_clients"
    )
    name = models.CharField(_("name"), max_length=100)
    client_id = models.CharField(_("client id"), max_length=40, unique=True)
    secret_hash = models.CharField(verbose_name=_("secret hash"), max_length=64)
    scope = models.CharField(_("scopes"), max_length=1000)
    active = models.BooleanField(_("active"), default=True)
    last_token_at = models.DateTimeField(_("last token issued"), null=True, blank=True)
    history = tracked_history(excluded_fields=["secret_hash"])

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class ApiAccessToken(models.Model):
    """A bearer token issued to an ApiClient; only its keyed hash is stored."""

    client = models.ForeignKey(
        ApiClient, verbose_name=_("client"), on_delete=models.CASCADE, related_name="tokens"
    )
    token_hash = models.CharField(verbose_name=_("token hash"), max_length=64, unique=True)
    scope = models.CharField(verbose_name=_("scope"), max_length=1000)
    # RFC 8705: the SHA-256 thumbprint (x5t#S256) of the client certificate the token was
    # issued over; the token then works only over that certificate. Blank without mTLS.
    cert_thumbprint = models.CharField(verbose_name=_("cert thumbprint"), max_length=64, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(verbose_name=_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("API access token")
        verbose_name_plural = _("API access tokens")

    def __str__(self) -> str:
        return f"token of {self.client_id} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())


class SystemAlert(ConcurrentTransitionMixin, TimeStampedModel):
    """Something in the shared kernel that staff must look at: a break in the audit chain,
    for one. Domain apps keep their own alerts (LedgerAlert, monitoring's queue); this one
    lives in core because core imports no domain app. (apps.core.fsm.FSMModel is this same
    base; it imports this module, hence spelled out here.)"""

    class Kind(models.TextChoices):
        AUDIT_CHAIN = "audit_chain", _("audit chain broken")

    class State(models.TextChoices):
        OPEN = "open", _("open")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        RESOLVED = "resolved", _("resolved")

    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    message = models.TextField(_("message"))
    detail = models.JSONField(_("detail"), default=dict)
    state = FSMField(_("state"), default=State.OPEN, choices=State.choices, protected=True)
    history = tracked_history()

    class Meta:
        verbose_name = _("system alert")
        verbose_name_plural = _("system alerts")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message[:60]}"

    @transition(field=state, source=State.OPEN, target=State.ACKNOWLEDGED)
    def acknowledge(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=[State.OPEN, State.ACKNOWLEDGED], target=State.RESOLVED)
    def resolve(self, *, by=None, reason: str = "") -> None:
        pass


def _register_third_party_history() -> None:
    """History for the third-party models staff can change in the admin: a customer's
    e-mail addresses (allauth) and second factors (allauth MFA). The historical tables live
    in core. An authenticator's `data` holds its secret (TOTP seed, recovery codes): not
    copied. The LGPD erasure blanks the addresses in the e-mail history
    (apps.privacy.services)."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from simple_history import register

    register(EmailAddress, app="apps.core", cascade_delete_history=False)
    register(Authenticator, app="apps.core", excluded_fields=["data"], cascade_delete_history=False)


_register_third_party_history()
