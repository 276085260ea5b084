"""Admin building blocks shared by every app's console.

* `ReadOnlyAdmin` / `ReadOnlyMixin` / `NoAddDeleteMixin`: rows that come from services.
* `HistoryViewOnlyMixin`: django-simple-history's version page saves a POSTed form without
  asking for the change permission; revert is disabled in settings, so POST is refused.
* `ReasonActionsMixin` + `transition_action`: state changes as admin actions that ask for a
  reason on an intermediate page, run per object and are logged (hence audited).
* `StateFirstOrdering`, `admin_link`, `html_table`, `pretty_json`: display helpers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models, transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.admin_states import (
    PRESET_REASON,
    StateButtonsMixin,
    can_take,
    refusal_message,
    spec_of,
    state_change,
)
from apps.core.documents import mask_tax_id
from apps.core.errors import DomainError
from apps.core.fsm import apply_transition, transitions_of
from apps.core.money import format_brl

REASON_MAX_LENGTH = 1000


class ReasonForm(forms.Form):
    """The intermediate page of an admin action: one required, non-blank reason."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        strip=True,  # whitespace only is no reason: stripped to "" and refused as required
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("Recorded in the object's history and in the audit trail."),
    )


def admin_link(obj: models.Model | None, text: Any = None) -> str:
    if obj is None:
        return "-"
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj if text is None else text)


def entry_link(entry_id: int | None) -> str:
    """A link to a journal entry's page (every money console shows the entries it posted)."""
    if entry_id is None:
        return "-"
    url = reverse("admin:accounts_journalentry_change", args=[entry_id])
    return format_html('<a href="{}">#{}</a>', url, entry_id)


def brl_or_dash(cents: int | None) -> str:
    return "-" if cents is None else format_brl(cents)


def masked_tax_id_or_dash(value: str | None) -> str:
    return mask_tax_id(value) if value else "-"


def html_table(headers: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """A plain admin-styled HTML table; every cell is escaped unless already safe."""
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows),
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


def pretty_json(value: Any) -> str:
    return format_html(
        '<pre style="margin:0;white-space:pre-wrap">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True),
    )


def preformatted(text: str) -> str:
    """Fixed-width text (a CNAB file, a message) in a scrolling box, escaped."""
    return format_html(
        '<pre style="margin:0;white-space:pre;overflow:auto;max-height:40em;'
        'font-size:11px">{}</pre>',
        text or "-",
    )


def transitions_table(obj: models.Model) -> str:
    """The FSM transitions of a row (apps.core.fsm's log), oldest first, as a table."""
    # States by their labels in the reader's language (the log keeps the codes).
    try:
        labels = {str(value): label for value, label in obj._meta.get_field("state").flatchoices}
    except FieldDoesNotExist:  # no `state` field: the codes, as logged
        labels = {}
    rows = [
        (
            timezone.localtime(log.at).strftime("%d/%m/%Y %H:%M:%S"),
            log.transition.replace("_", " "),
            f"{labels.get(log.source_state, log.source_state)} → "
            f"{labels.get(log.target_state, log.target_state)}",
            log.actor_label,
            log.reason,
        )
        for log in transitions_of(obj).order_by("at", "id")
    ]
    if not rows:
        return "-"
    return html_table((_("at"), _("transition"), _("states"), _("by"), _("reason")), rows)


def locked_transition(model: type[models.Model], pk: int, name: str, *, by, reason: str):
    """Fire a transition on the freshly locked row, in its own transaction.

    The lock matters where other writers move columns of the same row under its lock (the
    ledger moves an account's `balance`/`held`): a stale copy never overwrites them.
    """
    with transaction.atomic():
        obj = model._default_manager.select_for_update().get(pk=pk)
        return apply_transition(obj, name, by=by, reason=reason)


class NoAddDeleteMixin:
    """Rows come from services and are never deleted from the console."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyMixin(NoAddDeleteMixin):
    """View only for everyone; state changes go through the admin actions, which check
    their own permissions (`has_<name>_permission`)."""

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class HistoryViewOnlyMixin:
    """The history tab is for reading. django-simple-history's version page saves a POSTed
    form without asking for the change permission; revert is disabled in settings
    (SIMPLE_HISTORY_REVERT_DISABLED), so a POST there is refused outright."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReasonActionsMixin(StateButtonsMixin):
    """Admin actions that ask for a reason on an intermediate page, then run per object.

    Each object is handled on its own (one service call or one locked transition each), so
    one refusal does not undo the others; refusals are reported per object. An action marked
    as a state change (`state_change`, `transition_action`) leaves alone the objects that
    cannot take it, with a message each, and is also a button on the object's page
    (`StateButtonsMixin`), which runs it through here with the reason it asked for.
    """

    reason_template = "admin/action_reason.html"

    def _state_spec(self, request: HttpRequest, action: str):
        func = self.get_actions(request).get(action, (None,))[0]
        return spec_of(func) if func is not None else None

    def _perform_each(self, request, queryset, *, action, title, reason, perform, spec) -> None:
        for obj in queryset:
            if spec is not None and not can_take(spec, obj, request.user, conditions=False):
                self.message_user(request, refusal_message(obj, title, spec), messages.ERROR)
                continue
            try:
                outcome = perform(obj, reason)
            except DomainError as exc:
                self.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
                continue
            # The admin log entry (and through it the audit event) names the action by
            # its stable name, with the reason and the outcome.
            self.log_change(request, obj, f"{action}: {reason} ({outcome})")
            self.message_user(request, f"{obj}: {outcome}", messages.SUCCESS)

    def run_with_reason(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        *,
        title: str,
        perform: Callable[[Any, str], str],
        describe: Callable[[Any], str] = str,
        notice: str = "",
    ) -> TemplateResponse | None:
        preset = getattr(request, PRESET_REASON, None)
        action = preset["action"] if preset else request.POST.get("action", "")
        spec = self._state_spec(request, action)
        if preset is not None:  # the object page's button: reason and confirmation asked there
            self._perform_each(
                request,
                queryset,
                action=action,
                title=title,
                reason=preset["reason"],
                perform=perform,
                spec=spec,
            )
            return None
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._perform_each(
                request,
                queryset,
                action=action,
                title=title,
                reason=form.cleaned_data["reason"],
                perform=perform,
                spec=spec,
            )
            return None  # back to the changelist
        objects = list(queryset)
        refused = []
        if spec is not None:
            refused = [
                obj for obj in objects if not can_take(spec, obj, request.user, conditions=False)
            ]
            objects = [obj for obj in objects if obj not in refused]
            if not objects:  # nothing selected can take it: say why, back to the list
                for obj in refused:
                    self.message_user(request, refusal_message(obj, title, spec), messages.ERROR)
                return None
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "objects": [(obj, describe(obj)) for obj in objects],
            "refused": [refusal_message(obj, title, spec) for obj in refused],
            "form": form,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "notice": notice,
            "media": self.media,
        }
        return TemplateResponse(request, self.reason_template, context)


def transition_action(
    name: str, description: str, *, permission: str = "change", **state_change_options: Any
):
    """An admin action firing the FSM transition `name` on each selected row, with a reason;
    also a button on the row's page while the row can take the transition
    (`state_change_options`: see `apps.core.admin_states.state_change`)."""

    def action(modeladmin, request: HttpRequest, queryset: QuerySet):
        def perform(obj, reason: str) -> str:
            done = locked_transition(modeladmin.model, obj.pk, name, by=request.user, reason=reason)
            return gettext("%(action)s done; now %(state)s.") % {
                "action": description,
                "state": done.get_state_display(),
            }

        return modeladmin.run_with_reason(
            request, queryset, title=str(description), perform=perform
        )

    action.__name__ = name
    state_change(name, **state_change_options)(action)
    return admin.action(description=description, permissions=(permission,))(action)


class StateFirstOrdering:
    """List the rows that need someone first (pending, open), newest first within."""

    first_states: tuple[str, ...] = ()

    def get_ordering(self, request: HttpRequest):
        needs_attention = Case(
            When(state__in=self.first_states, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return (needs_attention.asc(), "-created_at")


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Viewable by staff with the view permission; nobody adds, changes or deletes, not even
    a superuser (these methods do not consult permissions at all)."""

    show_full_result_count = False  # these tables grow without bound: skip the second COUNT


def brl_field(name: str, description: Any) -> Callable[[Any, Any], str]:
    """An admin display of a field in centavos as "R$ 8.500,00" (`amount_display =
    brl_field("amount_cents", _("amount"))`, then "amount_display" in fields/list_display)."""

    @admin.display(description=description, ordering=name)
    def display(self, obj: Any) -> str:
        return brl_or_dash(getattr(obj, name, None))

    return display
