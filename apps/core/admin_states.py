"""State changes as buttons on an object's admin page.

An admin action that changes an object's state says so with `state_change(...)` (the
`transition_action` factory does it for plain FSM transitions): which FSM transition it
fires, and optionally the amount at stake and who asked for it (four eyes). From that:

* the object's change page shows one button per action the object can take *now*
  (`get_available_user_<field>_transitions`, the FSM's conditions and transition
  permissions included) and the user may run (the action's own `permissions`);
* each button opens a page that says what will happen (the object, its state now and
  after, the amount in R$), asks for a reason (required) and an explicit confirmation,
  and refuses, before anything runs, the person who made a four-eyes request;
* confirming runs the SAME admin action, on this one object, with the reason: the same
  service call, the same admin log entry (hence the audit event), the same messages;
* the list action refuses, per object, an object that cannot take the transition.

`ReasonActionsMixin` (apps.core.admin_tools) brings this mixin along, so every console that
asks for reasons gets the buttons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.money import format_brl

#: The attribute an admin action function carries its `StateChange` in.
ATTRIBUTE = "state_change"
#: Set on the request by the button page: {"action": name, "reason": text}; the action runs
#: at once with that reason instead of showing its own reason page.
PRESET_REASON = "_athena_state_change_reason"

REASON_MAX_LENGTH = 1000


@dataclass(frozen=True)
class StateChange:
    """What the console needs to know about a state-changing admin action."""

    #: The FSM transition the action fires (its availability and target state come from it).
    transition: str | None = None
    #: A further condition (or the only one, for actions that are no FSM transition).
    available: Callable[[Any], bool] | None = None
    #: The money at stake, in centavos, shown on the confirmation page.
    amount: Callable[[Any], int | None] | None = None
    #: Four eyes: the id of the user who asked for this; they may not confirm it themselves.
    requested_by: Callable[[Any], int | None] | None = None
    #: What happens, in a sentence, on the confirmation page.
    summary: Any = ""
    #: The button's HTML id (defaults to `state-<action name>`).
    element_id: str = ""
    #: Why `available` said no (text, or a callable of the object), for the list action.
    unavailable: Any = ""
    #: The label of the text field where "Reason" is not the word (a protocol number).
    reason_label: Any = ""


def state_change(
    transition: str | None = None,
    *,
    available: Callable[[Any], bool] | None = None,
    amount: Callable[[Any], int | None] | None = None,
    requested_by: Callable[[Any], int | None] | None = None,
    summary: Any = "",
    element_id: str = "",
    unavailable: Any = "",
    reason_label: Any = "",
):
    """Mark an admin action as a state change (see the module docstring)."""
    spec = StateChange(
        transition=transition,
        available=available,
        amount=amount,
        requested_by=requested_by,
        summary=summary,
        element_id=element_id,
        unavailable=unavailable,
        reason_label=reason_label,
    )

    def mark(func):
        setattr(func, ATTRIBUTE, spec)
        return func

    return mark


def preset_reason(request: HttpRequest) -> str:
    """The reason given on the button page, for an action that has no reason page of its
    own ("" when the action runs from the list)."""
    preset = getattr(request, PRESET_REASON, None)
    return preset["reason"] if preset else ""


def spec_of(func) -> StateChange | None:
    return getattr(func, ATTRIBUTE, None)


def _fsm_field(obj: models.Model, transition: str):
    method = getattr(type(obj), transition, None)
    meta = getattr(method, "_django_fsm", None)
    if meta is None:
        return None
    field = meta.field
    if isinstance(field, str):
        field = obj._meta.get_field(field)
    return field


def available_transition(obj: models.Model, transition: str, user=None, *, conditions=True):
    """The FSM `Transition` named `transition` if the object can take it now, else None: what
    `get_available_user_<field>_transitions` answers (source state, conditions and, with a
    user, the transition's own permission); `conditions=False` asks the source state only."""
    meta = getattr(getattr(type(obj), transition, None), "_django_fsm", None)
    field = _fsm_field(obj, transition)
    if meta is None or field is None:
        return None
    state = field.get_state(obj)
    if not meta.has_transition(state):
        return None
    if conditions and not meta.conditions_met(obj, state):
        return None
    if user is not None and not meta.has_transition_perm(obj, state, user):
        return None
    return meta.get_transition(state)


def can_take(spec: StateChange, obj: models.Model, user=None, *, conditions: bool = True) -> bool:
    """Whether the object can take the change now. The list action passes
    `conditions=False`: a transition's condition (an account's zero balance) is the
    service's to refuse, with its own, more precise message."""
    if (
        spec.transition
        and available_transition(obj, spec.transition, user, conditions=conditions) is None
    ):
        return False
    return spec.available is None or bool(spec.available(obj))


def state_label(obj: models.Model, transition: str | None, value: Any = None) -> str:
    """A state's label (the field's choice), the current one when `value` is None."""
    field = _fsm_field(obj, transition) if transition else None
    if field is None:
        field = next((f for f in obj._meta.concrete_fields if f.name in ("state", "status")), None)
    if field is None:
        return ""
    if value is None:
        value = field.value_from_object(obj)
    return str(dict(field.flatchoices).get(value, value))


def refusal_message(obj: models.Model, description: Any, spec: StateChange | None = None) -> str:
    """Why a selected object is left alone by a state-changing list action."""
    if spec is not None and spec.unavailable and spec.available and not spec.available(obj):
        text = spec.unavailable(obj) if callable(spec.unavailable) else spec.unavailable
        return f"{obj}: {text}"
    state = state_label(obj, None)
    if state:
        return gettext('%(object)s: "%(action)s" is not possible in state "%(state)s".') % {
            "object": obj,
            "action": description,
            "state": state,
        }
    return gettext('%(object)s: "%(action)s" is not possible now.') % {
        "object": obj,
        "action": description,
    }


class StateChangeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        strip=True,  # whitespace only is no reason
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("Recorded in the object's history and in the audit trail."),
    )
    confirm = forms.BooleanField(
        label=_("I have checked the summary above and confirm this change."),
        required=True,
    )


@dataclass(frozen=True)
class StateButton:
    name: str
    label: str
    url: str
    element_id: str


class StateButtonsMixin:
    """The buttons on the change page and their confirmation page (see the module doc)."""

    state_change_template = "admin/state_change.html"

    # --- what the user may do with this object ---------------------------------------------

    def state_actions(self, request: HttpRequest) -> dict[str, tuple[Callable, str, Any]]:
        """The user's admin actions (already filtered by their permissions) that change state."""
        return {
            name: (func, name, description)
            for name, (func, _name, description) in self.get_actions(request).items()
            if spec_of(func) is not None
        }

    def state_buttons(self, request: HttpRequest, obj: models.Model) -> list[StateButton]:
        opts = self.model._meta
        buttons = []
        for name, (func, _name, description) in self.state_actions(request).items():
            spec = spec_of(func)
            if not can_take(spec, obj, request.user):
                continue
            url = reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_state_change",
                args=[obj.pk, name],
            )
            buttons.append(
                StateButton(
                    name=name,
                    label=str(description),
                    url=url,
                    element_id=spec.element_id or f"state-{name}",
                )
            )
        return buttons

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and not add:
            context["state_buttons"] = self.state_buttons(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/state/<str:action>/",
                self.admin_site.admin_view(self.state_change_view),
                name=f"{opts.app_label}_{opts.model_name}_state_change",
            ),
            *super().get_urls(),
        ]

    # --- the confirmation page ---------------------------------------------------------------

    def state_change_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        opts = self.model._meta
        try:
            obj = self.get_object(request, unquote(object_id))
        except (ValueError, TypeError):  # a malformed id is no object
            obj = None
        if obj is None:
            raise Http404(gettext("No such object."))
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        known = {name for func, name, _desc in self._get_base_actions() if spec_of(func)}
        actions = self.state_actions(request)
        if action not in actions:
            if action in known:
                raise PermissionDenied  # an action this user may not run
            raise Http404(gettext("No such action."))
        func, name, description = actions[action]
        spec = spec_of(func)
        change_url = reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            args=[obj.pk],
        )
        if not can_take(spec, obj, request.user):
            self.message_user(request, refusal_message(obj, description, spec), messages.ERROR)
            return HttpResponseRedirect(change_url)

        requester_id = spec.requested_by(obj) if spec.requested_by else None
        own_request = requester_id is not None and requester_id == request.user.pk
        form = StateChangeForm(request.POST if request.method == "POST" else None)
        if spec.reason_label:
            form.fields["reason"].label = spec.reason_label
        status = 200
        if request.method == "POST":
            if own_request:
                status = 403
                form.add_error(
                    None, gettext("Four eyes: another person must approve your own request.")
                )
            elif form.is_valid():
                setattr(
                    request, PRESET_REASON, {"action": name, "reason": form.cleaned_data["reason"]}
                )
                try:
                    # The admin's own queryset (its annotations), as the list action gets.
                    response = func(self, request, self.get_queryset(request).filter(pk=obj.pk))
                finally:
                    delattr(request, PRESET_REASON)
                if isinstance(response, HttpResponse):
                    return response
                return HttpResponseRedirect(change_url)
        elif request.method not in ("GET", "HEAD"):
            return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})

        transition = (
            available_transition(obj, spec.transition, request.user) if spec.transition else None
        )
        amount = spec.amount(obj) if spec.amount else None
        requester = None
        if requester_id is not None:
            requester = get_user_model()._default_manager.filter(pk=requester_id).first()
        context = {
            **self.admin_site.each_context(request),
            "title": str(description),
            "subtitle": str(obj),
            "opts": opts,
            "original": obj,
            "action_name": name,
            "description": description,
            "summary": spec.summary(obj) if callable(spec.summary) else spec.summary,
            "state_now": state_label(obj, spec.transition),
            "state_after": (
                state_label(obj, spec.transition, transition.target) if transition else ""
            ),
            "amount_display": format_brl(amount) if amount is not None else "",
            "four_eyes": requester_id is not None,
            "requester": requester,
            "own_request": own_request,
            "form": form,
            "change_url": change_url,
            "has_view_permission": self.has_view_permission(request, obj),
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.state_change_template, context, status=status)
