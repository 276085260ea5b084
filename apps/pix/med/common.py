"""What the MED services share: the rules' constants, checks of officers' input, the audit
trail and the customer's notifications (outbox topic "pix.med")."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from apps.core.audit import record_event
from apps.core.errors import ValidationFailed
from apps.core.models import AuditEvent
from apps.core.outbox import publish
from apps.pix.adapters import dict as dict_api
from apps.pix.med import selectors
from apps.pix.med.errors import MedNotAllowed
from apps.pix.models import CautionaryBlock, InfractionReport, PixTransfer

TOPIC = "pix.med"


REPORT_WINDOW = dict_api.INFRACTION_REPORT_WINDOW  # 80 days after the Pix


DETAILS_MAX = dict_api.INFRACTION_DETAILS_MAX


REASON_MAX = 200


Role = InfractionReport.Role


ReportState = InfractionReport.State


BlockState = CautionaryBlock.State


OPEN_STATES = selectors.OPEN_STATES


def _user(actor: Any):
    return actor if getattr(actor, "is_authenticated", False) else None


def _audit(event: str, *, actor: Any, obj, **detail: Any) -> None:
    user = _user(actor)
    record_event(
        AuditEvent.Action.BUSINESS,
        actor=user,
        actor_label="" if user else str(actor or "system"),
        obj=obj,
        detail={"event": event, **detail},
    )


def _notify(event: str, **ids: int) -> None:
    publish(topic=TOPIC, payload={"event": event, **ids})


def _check_situation(situation: object) -> str:
    if situation not in InfractionReport.Situation.values:
        raise ValidationFailed(
            _("Unknown situation; use one of %(choices)s.")
            % {"choices": ", ".join(InfractionReport.Situation.values)},
            field="situation",
            value=str(situation)[:40],
        )
    return situation  # type: ignore[return-value]


# What XML 1.0 (the DICT's documents) and PostgreSQL text cannot carry: control characters
# but tab and line breaks, lone surrogates (JSON can smuggle "\ud800" in), U+FFFE/U+FFFF.
_UNSAYABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _check_text(value: object, *, field: str, max_length: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(_("Must be text."), field=field)
    if _UNSAYABLE.search(value):
        raise ValidationFailed(_("Contains characters that are not allowed."), field=field)
    value = value.strip()
    if required and not value:
        raise ValidationFailed(_("This field is required."), field=field)
    if len(value) > max_length:
        raise ValidationFailed(
            _("At most %(n)d characters.") % {"n": max_length}, field=field, value=len(value)
        )
    return value


def _received_at(transfer: PixTransfer) -> datetime:
    return transfer.settled_at or transfer.created_at


def _check_window(transfer: PixTransfer, now: datetime) -> None:
    if now - _received_at(transfer) > REPORT_WINDOW:
        raise MedNotAllowed(_("The MED covers a Pix for 80 days; this one is older."))


def _receiving_account_id(transfer: PixTransfer) -> int:
    account_id = selectors.receiving_account_id(transfer)
    if account_id is None:
        raise MedNotAllowed(_("Only a Pix received by an Athena customer can be blocked."))
    return account_id


def _internal_sibling(report: InfractionReport, *, role: str) -> InfractionReport | None:
    """For an internal Pix our rows REPORTER and REPORTED mirror one DICT report."""
    if not report.transfer.internal:
        return None
    return (
        InfractionReport.objects.select_for_update()
        .filter(transfer_id=report.transfer_id, role=role, state__in=OPEN_STATES)
        .exclude(pk=report.pk)
        .first()
    )


def _dict_report_id(report: InfractionReport) -> uuid.UUID:
    """The DICT's id: an internal Pix's report lives in the DICT under the REPORTER row."""
    if report.role == Role.REPORTED and report.transfer.internal:
        sibling = _internal_sibling(report, role=Role.REPORTER)
        if sibling is not None:
            return sibling.dict_report_id
    return report.dict_report_id
