"""E-mails to the customer about MED: a block on a Pix they received, its end, a MED refund.

Outbox topic "pix.med" (published by apps/pix/med/services.py in the transaction of the change), so
a rolled-back decision sends nothing. Delivery is at least once: the Message-ID is derived
from the outbox message, so a redelivered e-mail is the same message to mail servers and
clients, which drop the duplicate.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from apps.core.i18n import in_language_of
from apps.core.models import OutboxMessage
from apps.core.money import format_brl
from apps.core.outbox import outbox_handler
from apps.pix.med.selectors import receiving_account
from apps.pix.models import CautionaryBlock, InfractionReport

logger = logging.getLogger(__name__)


def _when(value) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def _block_placed(block: CautionaryBlock) -> tuple[str, str]:
    subject = _("%(bank)s: part of a Pix you received is blocked") % {
        "bank": settings.PIX_PARTICIPANT_NAME
    }
    body = _(
        "A Pix of %(amount)s you received on %(received)s is under analysis for suspected "
        "fraud (Mecanismo Especial de Devolução, Resolução BCB nº 147/2021). %(blocked)s "
        "of your balance is blocked until %(until)s at the latest.\n\n"
        "If the analysis confirms the fraud, this money goes back to the payer; otherwise "
        "it becomes available to you again. You can reply to this message with anything "
        "that helps the analysis."
    ) % {
        "amount": format_brl(block.transfer.amount),
        "received": _when(block.transfer.settled_at or block.transfer.created_at),
        "blocked": format_brl(block.amount),
        "until": _when(block.expires_at),
    }
    return subject, body


def _block_released(block: CautionaryBlock) -> tuple[str, str]:
    subject = _("%(bank)s: the block on a Pix you received has ended") % {
        "bank": settings.PIX_PARTICIPANT_NAME
    }
    body = _(
        "The cautionary block of %(blocked)s on the Pix of %(amount)s you received on "
        "%(received)s has ended: the money is available to you again."
    ) % {
        "blocked": format_brl(block.amount),
        "amount": format_brl(block.transfer.amount),
        "received": _when(block.transfer.settled_at or block.transfer.created_at),
    }
    return subject, body


def _refund_made(report: InfractionReport) -> tuple[str, str]:
    subject = _("%(bank)s: a Pix you received was returned to the payer") % {
        "bank": settings.PIX_PARTICIPANT_NAME
    }
    body = _(
        "After analysing a fraud report about the Pix of %(amount)s you received on "
        "%(received)s, we returned %(refunded)s to the payer (Mecanismo Especial de "
        "Devolução). The amount was debited from your account.\n\n%(details)s"
    ) % {
        "amount": format_brl(report.transfer.amount),
        "received": _when(report.transfer.settled_at or report.transfer.created_at),
        "refunded": format_brl(report.refund.amount),
        "details": report.analysis_details,
    }
    return subject, body.strip()


def _message_for(payload: dict) -> tuple[str, str, str] | None:
    """(recipient, subject, body) for an event, or None when there is nobody to tell."""
    event = payload.get("event")
    if event in ("block_placed", "block_released"):
        block = (
            CautionaryBlock.objects.select_related("transfer", "hold__account__customer__user")
            .filter(pk=payload.get("block_id"))
            .first()
        )
        if block is None:
            return None
        customer = block.hold.account.customer
        compose = _block_placed if event == "block_placed" else _block_released
        with in_language_of(customer.user):
            subject, body = compose(block)
    elif event == "refund_made":
        report = (
            InfractionReport.objects.select_related("transfer", "refund")
            .filter(pk=payload.get("report_id"), refund__isnull=False)
            .first()
        )
        if report is None:
            return None
        # The customer who received the Pix (for an internal Pix, the payee, not the row's
        # account, which is the payer's).
        account = receiving_account(report.transfer)
        if account is None:
            return None
        customer = account.customer
        with in_language_of(customer.user):
            subject, body = _refund_made(report)
    else:
        logger.warning("pix.med: unknown event %r", event)
        return None
    if customer is None or not customer.user.email:
        return None
    return customer.user.email, subject, body


@outbox_handler("pix.med")
def email_customer(payload: dict, message: OutboxMessage) -> None:
    # Each message is composed in its customer's language (apps.core.i18n); the default
    # language covers whatever is rendered before the customer is known.
    with translation.override(settings.LANGUAGE_CODE):
        composed = _message_for(payload)
    if composed is None:
        return
    recipient, subject, body = composed
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "athena.example"
    EmailMessage(
        subject,
        body,
        to=[recipient],
        headers={"Message-ID": f"<pix-med-{message.pk}@{domain}>"},
    ).send()
