"""Base for transaction-like models driven by django-fsm-2.

Subclasses declare `state = FSMField(..., protected=True)` and transitions whose methods take
keyword arguments `by` (the acting user, or a system label such as "spi") and `reason`.
`apply_transition` is the one way services fire them: it checks the transition is allowed,
runs it, saves with optimistic concurrency (ConcurrentTransitionMixin) and the change reason
goes to history; the `post_transition` receiver logs who did it.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models, transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, ConcurrentTransitionMixin, can_proceed
from django_fsm.signals import post_transition
from simple_history.models import HistoricalRecords

from apps.core.bulk_copy import copy_rows
from apps.core.errors import Conflict
from apps.core.models import StateTransitionLog, TimeStampedModel


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "Invalid state transition"


class FSMModel(ConcurrentTransitionMixin, TimeStampedModel):
    """Concrete subclasses add `history = tracked_history()` (with their own exclusions)."""

    class Meta:
        abstract = True


def apply_transition(
    instance: models.Model, name: str, *, by: Any = None, reason: str = "", **kwargs: Any
) -> models.Model:
    method = _checked(instance, name)
    try:
        # A savepoint: a lost race rolls back the transition log too, not the caller's work.
        with transaction.atomic():
            method(by=by, reason=reason, **kwargs)
            instance._change_reason = f"{name}: {reason}" if reason else name
            instance.save()
    except ConcurrentTransition as exc:
        raise _changed_meanwhile(instance) from exc
    return instance


def _checked(instance: models.Model, name: str):
    method = getattr(instance, name)
    if not can_proceed(method):
        # Read by people (the admin's operator, the portal's customer): the model's name and
        # the state's label, translated when read; the transition's name stays in `value`.
        raise InvalidTransition(
            _("Not possible while the %(model)s is “%(state)s”."),
            params={"model": instance._meta.verbose_name, "state": _state_label(instance)},
            value=name,
        )
    return method


def _changed_meanwhile(instance: models.Model) -> InvalidTransition:
    return InvalidTransition(
        _("The %(model)s changed meanwhile; reload and try again."),
        params={"model": instance._meta.verbose_name},
    )


def apply_transition_in_one_statement(
    instance: models.Model, name: str, *, by: Any = None, reason: str = "", **kwargs: Any
) -> models.Model:
    """`apply_transition` in one round trip, for the hottest paths (a Pix sent, settled).

    The same checks and the same rows: the transition runs on the instance in memory
    (its signals fire, its method sets what it sets), then one statement saves the row
    only if its state is still the one read (the optimistic check of
    ConcurrentTransitionMixin), copies the saved row into its history and writes the
    transition's log entry. `apply_transition` takes four statements and a savepoint pair
    for the same. A lost race writes nothing and raises InvalidTransition, as there.

    The model's own save() does not run: for models whose save() derives nothing a
    transition changes, under tracked_history, with no post_save receiver of their own."""
    method = _checked(instance, name)
    model = type(instance)
    meta = model._meta
    states = {field.attname: getattr(instance, field.attname) for field in instance.state_fields}
    source = ",".join(str(value) for value in states.values())
    instance._athena_logged_in_statement = True
    try:
        method(by=by, reason=reason, **kwargs)
    finally:
        del instance._athena_logged_in_statement
    target = ",".join(str(getattr(instance, attname)) for attname in states)
    quote = connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    values = [
        field.get_db_prep_save(field.pre_save(instance, False), connection) for field in fields
    ]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    guards = " AND ".join(f"{quote(meta.get_field(attname).column)} = %s" for attname in states)
    history = _history_model(model)
    columns = _history_columns(history)
    now = timezone.now()
    actor = _actor_fields(by)
    log = StateTransitionLog._meta
    content_type = ContentType.objects.get_for_model(instance, for_concrete_model=False)
    # Table and column names come from the models, quoted; the values are parameters.
    sql = (
        f"WITH moved AS (UPDATE {quote(meta.db_table)} SET {assignments} "  # nosec B608
        f"WHERE {quote(meta.pk.column)} = %s AND {guards} RETURNING *), "
        f"history AS (INSERT INTO {quote(history._meta.db_table)} ({columns}, history_date, "
        f"history_change_reason, history_type, history_user_id) "
        f"SELECT {columns}, %s, %s, '~', %s FROM moved), "
        f"logged AS (INSERT INTO {quote(log.db_table)} (at, content_type_id, object_id, "
        "transition, source_state, target_state, actor_id, actor_label, reason) "
        "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s FROM moved) "
        "SELECT count(*) FROM moved"
    )
    params = [
        *values,
        instance.pk,
        *states.values(),
        now,
        f"{name}: {reason}" if reason else name,
        _history_user_id(actor),
        now,
        content_type.pk,
        str(instance.pk),
        name,
        source,
        target,
        actor["actor"].pk if actor["actor"] is not None else None,
        actor["actor_label"],
        str(reason)[:2000],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        moved = cursor.fetchone()[0]
    if not moved:
        raise _changed_meanwhile(instance)
    instance._update_initial_state()
    return instance


def create_in_one_statement(instance: models.Model, *, reason: str = "") -> models.Model:
    """INSERT a new tracked row and its first history row ("+") in one statement, where
    `save()` takes two (and builds the history row through the ORM): for the hottest
    paths. As apply_transition_in_one_statement, the model's own save() and post_save
    receivers do not run: a model whose save() derives fields derives them first."""
    model = type(instance)
    meta = model._meta
    quote = connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    values = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    history = _history_model(model)
    columns = _history_columns(history)
    # Table and column names come from the models, quoted; the values are parameters.
    sql = (
        f"WITH created AS (INSERT INTO {quote(meta.db_table)} "  # nosec B608
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING *), "
        f"history AS (INSERT INTO {quote(history._meta.db_table)} ({columns}, history_date, "
        f"history_change_reason, history_type, history_user_id) "
        f"SELECT {columns}, %s, %s, '+', %s FROM created) "
        f"SELECT {quote(meta.pk.column)} FROM created"
    )
    params = [*values, timezone.now(), reason or None, _history_user_id(_actor_fields(None))]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


_history_models: dict[type[models.Model], type[models.Model]] = {}


def _history_model(model: type[models.Model]) -> type[models.Model]:
    """The model's historical model, looked up once: `Model.history` builds a new manager
    class on every access (django-simple-history's descriptor), a millisecond a time."""
    found = _history_models.get(model)
    if found is None:
        found = _history_models[model] = model.history.model  # type: ignore[attr-defined]
    return found


@functools.cache
def _history_columns(history: type[models.Model]) -> str:
    """The columns a history row copies from its row (all but history_*), quoted (once per
    model: the hot paths write a history row per transition)."""
    return ", ".join(
        connection.ops.quote_name(field.column)
        for field in history._meta.concrete_fields
        if not field.name.startswith("history_")
    )


def _history_user_id(actor: dict) -> int | None:
    """Who the history row names, as django-simple-history would: the signed-in user of
    the request (HistoryRequestMiddleware), else the acting user."""
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user.pk
    return actor["actor"].pk if actor["actor"] is not None else None


def _state_label(instance: models.Model) -> Any:
    """The label of the instance's state (lazy when its choices are), else the code."""
    state = getattr(instance, "state", "")
    try:
        choices = dict(instance._meta.get_field("state").flatchoices)
    except FieldDoesNotExist:
        return state
    return choices.get(state, state)


def _actor_fields(by: Any) -> dict:
    if by is None:
        return {"actor": None, "actor_label": "system"}
    if isinstance(by, str):
        return {"actor": None, "actor_label": by}
    if getattr(by, "is_authenticated", False):
        return {"actor": by, "actor_label": str(by)}
    return {"actor": None, "actor_label": str(by)}


@receiver(post_transition)
def log_transition(sender, instance, name, source, target, **kwargs) -> None:
    if getattr(instance, "_athena_logged_in_statement", False):
        return  # apply_transition_in_one_statement writes it with the row
    method_kwargs = kwargs.get("method_kwargs") or {}
    StateTransitionLog.objects.create(
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=False),
        object_id=str(instance.pk),
        transition=name,
        source_state=str(source),
        target_state=str(target),
        reason=str(method_kwargs.get("reason", ""))[:2000],
        **_actor_fields(method_kwargs.get("by")),
    )


def transitions_of(instance: models.Model):
    ct = ContentType.objects.get_for_model(instance, for_concrete_model=False)
    return StateTransitionLog.objects.filter(content_type=ct, object_id=str(instance.pk))


def record_bulk_transitions(
    model: type[models.Model],
    *,
    sources: dict[int, str],
    name: str,
    target: str,
    by: Any = None,
    reason: str = "",
) -> None:
    """The history rows and transition logs of rows a set-based UPDATE just moved.

    For settlement files that move thousands of rows at once (a CNAB return): the caller
    locks the rows, decides which may move (`sources`: pk -> the state each left), moves
    them with one UPDATE and calls this in the same transaction. Each row gets the history
    row and the log entry `apply_transition` would have written: the history rows are
    copied from the table by PostgreSQL (encrypted columns stay as they are stored, never
    decrypted and encrypted again in Python), the logs are streamed with COPY."""
    if not sources:
        return
    # Stamped like django-simple-history stamps a save (the application's clock), so these
    # rows sort after those the same transaction wrote before.
    now = timezone.now()
    actor = _actor_fields(by)
    actor_id = actor["actor"].pk if actor["actor"] is not None else None
    label = actor["actor_label"]
    history = _history_model(model)
    listed = _history_columns(history)
    history_table = connection.ops.quote_name(history._meta.db_table)
    table = connection.ops.quote_name(model._meta.db_table)
    # Table and column names come from the models, quoted; the values are parameters.
    sql = (
        f"INSERT INTO {history_table} ({listed}, history_date, history_change_reason, "  # nosec B608
        f"history_type, history_user_id) SELECT {listed}, %s, %s, '~', %s "
        f"FROM {table} WHERE id = ANY(%s::bigint[])"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [now, f"{name}: {reason}" if reason else name, actor_id, list(sources)],
        )
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    copy_rows(
        StateTransitionLog,
        (
            "at",
            "content_type",
            "object_id",
            "transition",
            "source_state",
            "target_state",
            "actor",
            "actor_label",
            "reason",
        ),
        (
            (now, content_type.pk, str(pk), name, source, target, actor_id, label, reason[:2000])
            for pk, source in sources.items()
        ),
    )
