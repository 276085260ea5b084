"""The operations console for the shared kernel: users, the audit trail, FSM transitions,
the outbox and idempotency records.

Everything here but users is evidence, not data to edit: the audit trail, transition logs,
outbox messages and idempotency records are read-only for everyone, superusers included
(the audit table is also append-only in PostgreSQL). The one write is the "retry now" action
on the outbox, which only makes pending messages due again and needs the
`core.change_outboxmessage` permission.
"""

from __future__ import annotations

import logging

from django import forms
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from apps.core.admin_masking import mask_tax_ids_in_data, mask_tax_ids_in_text
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyAdmin,
    ReadOnlyMixin,
    ReasonActionsMixin,
    StateFirstOrdering,
    pretty_json,
    transition_action,
)
from apps.core.api_client_auth import known_scopes
from apps.core.api_clients import api_client_create, api_client_revoke
from apps.core.models import (
    ApiClient,
    AuditEvent,
    IdempotencyRecord,
    OutboxMessage,
    StateTransitionLog,
    SystemAlert,
    User,
    WebhookAttempt,
    WebhookDelivery,
)

logger = logging.getLogger(__name__)


# --- Users -------------------------------------------------------------------------------


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email", "username", "full_name")


class UserChangeForm(DjangoUserChangeForm):
    class Meta(DjangoUserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(HistoryViewOnlyMixin, SimpleHistoryAdmin, DjangoUserAdmin):
    """Users with their history tab (who changed what, when; passwords are not recorded)."""

    form = UserChangeForm
    add_form = UserCreationForm
    list_display = (
        "email",
        "full_name",
        "username",
        "role_names",
        "is_staff",
        "is_active",
        "last_login",
    )
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "full_name", "username")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    filter_horizontal = ("groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("email", "username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "first_name", "last_name")}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "username",
                    "full_name",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    history_list_display = ("email", "is_active", "is_staff")

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def role_names(self, obj: User) -> str:
        return ", ".join(sorted(group.name for group in obj.groups.all()))


# --- Read-only evidence ------------------------------------------------------------------


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "action",
        "actor_label",
        "object_type",
        "object_id",
        "object_repr",
        "ip",
        "request_id",
    )
    list_filter = ("action", "at")
    date_hierarchy = "at"
    search_fields = (
        "actor_label",
        "actor__email",
        "object_type",
        "object_id",
        "object_repr",
        "request_id",
    )
    fields = (
        "at",
        "action",
        "actor",
        "actor_label",
        "ip",
        "user_agent",
        "request_id",
        "object_type",
        "object_id",
        "object_repr",
        "detail",
        "seq",
        "prev_hash",
        "hash",
    )


@admin.register(SystemAlert)
class SystemAlertAdmin(
    ReasonActionsMixin, HistoryViewOnlyMixin, StateFirstOrdering, ReadOnlyMixin, SimpleHistoryAdmin
):
    """Alerts of the shared kernel (a broken audit chain): staff acknowledge and resolve
    them with a reason; nobody edits or deletes one."""

    first_states = (SystemAlert.State.OPEN,)
    list_display = ("id", "kind", "state", "message", "created_at")
    list_display_links = ("id",)
    list_filter = ("state", "kind", "created_at")
    search_fields = ("message",)
    history_list_display = ("state",)
    fields = ("kind", "state", "message", "detail_display", "created_at", "updated_at")
    readonly_fields = fields
    actions = (
        transition_action("acknowledge", _("Acknowledge"), permission="handle"),
        transition_action("resolve", _("Resolve"), permission="handle"),
    )

    def has_handle_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.change_systemalert")

    @admin.display(description=_("detail"))
    def detail_display(self, obj: SystemAlert) -> str:
        return pretty_json(obj.detail)


def _state_labels(model: type | None) -> dict[str, object]:
    """A model's states by code, with their (lazy) labels; {} when it has no `state`."""
    try:
        field = model._meta.get_field("state") if model is not None else None
    except FieldDoesNotExist:
        field = None
    return {str(code): label for code, label in field.flatchoices} if field else {}


class TargetStateFilter(admin.SimpleListFilter):
    """The states reached, by their labels (the log keeps the codes)."""

    title = _("target state")
    parameter_name = "target_state"

    def lookups(self, request, model_admin):
        labels: dict[str, object] = {}
        for model in django_apps.get_models():
            for code, label in _state_labels(model).items():
                labels.setdefault(code, label)
        codes = StateTransitionLog.objects.order_by().values_list("target_state", flat=True)
        return sorted(
            ((code, labels.get(code, code)) for code in set(codes)), key=lambda item: str(item[1])
        )

    def queryset(self, request, queryset):
        return queryset.filter(target_state=self.value()) if self.value() else queryset


@admin.register(StateTransitionLog)
class StateTransitionLogAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "content_type",
        "object_id",
        "transition",
        "source_state_display",
        "target_state_display",
        "actor_label",
    )
    list_filter = ("content_type", "transition", TargetStateFilter, "at")
    list_select_related = ("content_type",)
    date_hierarchy = "at"
    search_fields = ("object_id", "actor_label", "transition", "reason")

    @admin.display(description=_("source state"), ordering="source_state")
    def source_state_display(self, obj: StateTransitionLog) -> object:
        labels = _state_labels(obj.content_type.model_class())
        return labels.get(obj.source_state, obj.source_state)

    @admin.display(description=_("target state"), ordering="target_state")
    def target_state_display(self, obj: StateTransitionLog) -> object:
        labels = _state_labels(obj.content_type.model_class())
        return labels.get(obj.target_state, obj.target_state)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "scope", "key", "status_code", "fingerprint")
    list_filter = ("status_code", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("scope", "key")


class OutboxStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (
            ("pending", _("pending")),
            ("failing", _("pending, with failed attempts")),
            ("processed", _("processed")),
        )

    def queryset(self, request, queryset):
        match self.value():
            case "pending":
                return queryset.filter(processed_at__isnull=True)
            case "failing":
                return queryset.filter(processed_at__isnull=True, attempts__gt=0)
            case "processed":
                return queryset.filter(processed_at__isnull=False)
        return queryset


def _log_change(request: HttpRequest, obj: OutboxMessage, message: str) -> LogEntry:
    """`ModelAdmin.log_change`, with the object id as text: LogEntry.object_id is a text
    column, and the audit receiver copies it into JSON, where a UUID does not go."""
    entry = LogEntry(
        user_id=request.user.pk,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action_flag=CHANGE,
        change_message=message,
    )
    entry.save()  # one save per entry (not bulk_create), so the audit receiver runs
    return entry


def _kick_drain() -> None:
    from apps.core.tasks import drain_outbox_task

    if not getattr(settings, "OUTBOX_KICK_ON_COMMIT", True):
        return
    try:
        drain_outbox_task.delay()
    except Exception:  # beat drains anyway; a broker outage only delays the retry
        logger.warning("outbox drain kick failed; beat will drain", exc_info=True)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "topic",
        "id",
        "available_at",
        "processed_at",
        "attempts",
        "short_error",
    )
    list_filter = (OutboxStateFilter, "topic")
    date_hierarchy = "created_at"
    search_fields = ("=id", "topic", "last_error")
    ordering = ("-created_at",)
    actions = ("retry_now",)

    @admin.display(description=_("last error"))
    def short_error(self, obj: OutboxMessage) -> str:
        return obj.last_error[:80]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.change_outboxmessage")

    @admin.action(description=_("Retry now (pending messages only)"), permissions=("retry",))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        now = timezone.now()
        with transaction.atomic():
            pending = list(
                OutboxMessage.objects.select_for_update(skip_locked=True).filter(
                    pk__in=queryset.values("pk"), processed_at__isnull=True
                )
            )
            # No history is kept for outbox rows: a plain UPDATE is enough; the admin log
            # entries below (and their audit events) record who asked for the retry.
            OutboxMessage.objects.filter(pk__in=[m.pk for m in pending]).update(available_at=now)
            for message in pending:
                _log_change(request, message, f"retry now (attempts: {message.attempts})")
            transaction.on_commit(_kick_drain)
        skipped = queryset.count() - len(pending)
        self.message_user(
            request,
            ngettext(
                "%(count)d message is due now.",
                "%(count)d messages are due now.",
                len(pending),
            )
            % {"count": len(pending)},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message was skipped (already processed or being delivered).",
                    "%(count)d messages were skipped (already processed or being delivered).",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


# --- Webhook deliveries ----------------------------------------------------------------------


class WebhookAttemptInline(admin.TabularInline):
    """Each POST of the delivery: what the receiver answered, or why nothing was."""

    model = WebhookAttempt
    fields = ("number", "started_at", "status_code", "duration_ms", "error", "response_excerpt")
    readonly_fields = fields
    ordering = ("number",)
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("response (excerpt)"))
    def response_excerpt(self, obj: WebhookAttempt) -> str:
        # The receiver's own text, cut short; the template escapes it.
        body = obj.response_body or ""
        return body if len(body) <= 300 else body[:299] + "…"


class WebhookStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (
            *WebhookDelivery.State.choices,
            ("retrying", _("pending, with failed attempts")),
        )

    def queryset(self, request, queryset):
        match self.value():
            case None:
                return queryset
            case "retrying":
                return queryset.filter(state=WebhookDelivery.State.PENDING, attempts__gt=0)
            case value if value in WebhookDelivery.State.values:
                return queryset.filter(state=value)
        return queryset.none()


def _kick_delivery(delivery_id: int) -> None:
    from apps.core.tasks import deliver_webhook_task

    if not getattr(settings, "WEBHOOK_KICK_ON_COMMIT", True):
        return
    try:
        deliver_webhook_task.delay(delivery_id)
    except Exception:  # beat delivers what is due anyway; a broker outage only delays it
        logger.warning("webhook delivery kick failed; beat will deliver", exc_info=True)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """Notifications to integrators with every attempt. The HMAC secret is never shown.

    "Retry now" makes the selected deliveries due at once and hands them to a worker; a
    failed one (attempts exhausted) gets one more attempt. Needs
    `core.change_webhookdelivery`."""

    list_display = (
        "id",
        "source",
        "event_key",
        "url",
        "state",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "short_error",
        "created_at",
    )
    list_filter = (WebhookStateFilter, "source", "created_at")
    search_fields = ("=event_key", "=source_id", "=id")
    search_help_text = _("Exact event key (e.g. the endToEndId), subscription id or delivery id.")
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"
    inlines = (WebhookAttemptInline,)
    fields = (
        "source",
        "source_id",
        "event_key",
        "url",
        "state",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "last_error",
        "payload_masked",
        "created_at",
    )
    readonly_fields = fields
    actions = ("retry_now",)

    def get_fields(self, request: HttpRequest, obj=None):
        return self._swap_payload(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self._swap_payload(request, super().get_readonly_fields(request, obj))

    def _swap_payload(self, request: HttpRequest, names) -> tuple:
        from apps.core.admin_masking import sees_full_tax_ids

        if not sees_full_tax_ids(request):
            return tuple(names)
        return tuple("payload_full" if n == "payload_masked" else n for n in names)

    @admin.display(description=_("last error"))
    def short_error(self, obj: WebhookDelivery) -> str:
        return mask_tax_ids_in_text(obj.last_error[:80])

    @admin.display(description=_("payload"))
    def payload_masked(self, obj: WebhookDelivery) -> str:
        return pretty_json(mask_tax_ids_in_data(obj.payload))

    @admin.display(description=_("payload"))
    def payload_full(self, obj: WebhookDelivery) -> str:
        return pretty_json(obj.payload)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.change_webhookdelivery")

    @admin.action(description=_("Retry now"), permissions=("retry",))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        from apps.core.webhooks import INTERRUPTED

        now = timezone.now()
        due: list[WebhookDelivery] = []
        with transaction.atomic():
            candidates = (
                WebhookDelivery.objects.select_for_update(skip_locked=True)
                .filter(pk__in=queryset.values("pk"))
                .exclude(state=WebhookDelivery.State.DELIVERED)
                .order_by("pk")
            )
            for delivery in candidates:
                # An attempt in flight (claimed, outcome not written, lease not over): a
                # second POST now would only race it.
                in_flight = (
                    delivery.state == WebhookDelivery.State.PENDING
                    and delivery.next_attempt_at > now
                    and delivery.tries.filter(number=delivery.attempts, error=INTERRUPTED).exists()
                )
                if in_flight:
                    continue
                was = delivery.get_state_display()
                delivery.state = WebhookDelivery.State.PENDING
                delivery.next_attempt_at = now
                # No history on deliveries: the admin log entry (and its audit event) below
                # records who asked for the retry; the attempts record what followed.
                delivery.save(update_fields=["state", "next_attempt_at"])
                _log_change(
                    request, delivery, f"retry now (was {was}, {delivery.attempts} attempts)"
                )
                due.append(delivery)
                transaction.on_commit(lambda pk=delivery.pk: _kick_delivery(pk))
        skipped = queryset.count() - len(due)
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery is due now.",
                "%(count)d deliveries are due now.",
                len(due),
            )
            % {"count": len(due)},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery was skipped (already delivered or being attempted).",
                    "%(count)d deliveries were skipped (already delivered or being attempted).",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


class ApiClientForm(forms.ModelForm):
    """Creating a client: who it acts for, a name and its scopes; the id and the secret are
    generated (the secret is shown once, in the confirmation message)."""

    scopes = forms.MultipleChoiceField(
        label=_("scopes"), widget=forms.CheckboxSelectMultiple, choices=()
    )

    class Meta:
        model = ApiClient
        fields = ["user", "name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [
            (name, f"{name}: {text}") for name, text in known_scopes().items()
        ]


@admin.register(ApiClient)
class ApiClientAdmin(HistoryViewOnlyMixin, SimpleHistoryAdmin):
    list_display = ("name", "client_id", "user", "scope", "active", "last_token_at", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "client_id", "user__email")
    readonly_fields = (
        "client_id",
        "scope",
        "active",
        "last_token_at",
        "created_at",
        "updated_at",
    )
    raw_id_fields = ("user",)
    actions = ["revoke"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiClientForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name", "scopes"]
        return ["user", "name", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return ("user", *self.readonly_fields) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        client, secret = api_client_create(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scopes"],
            actor=request.user,
        )
        obj.pk = client.pk
        obj.refresh_from_db()
        messages.warning(
            request,
            _("Client %(client_id)s created. Its secret, shown only now: %(secret)s")
            % {"client_id": client.client_id, "secret": secret},
        )

    @admin.action(description=_("Revoke: no new tokens, issued ones stop working"))
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        for client in queryset.filter(active=True):
            api_client_revoke(client=client, actor=request.user)
        self.message_user(request, _("Revoked."), messages.SUCCESS)
