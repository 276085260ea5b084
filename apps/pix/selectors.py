"""Reads of Pix that other apps (and the simulators) ask for: the Pix participants.

The look-ups live in apps/pix/participants.py; this public room names the ones other apps
may use, so the import contracts can keep the rest of apps.pix private.
"""

from apps.pix.participants import Participant, by_ispb, name_of, own_ispb, pix_participants

__all__ = ["Participant", "by_ispb", "name_of", "own_ispb", "pix_participants"]


# --- The operations dashboard (apps.core.console; registered in pix/console.py) ------------


def transfers_between(*, direction: str, start, end):
    """Pix of one direction ("out" or "in") created in [start, end) that moved or are moving
    money (sent, settled): how many and how much."""
    from apps.core.console import tally
    from apps.pix.models import PixTransfer

    return tally(
        PixTransfer.objects.filter(
            direction=direction,
            created_at__gte=start,
            created_at__lt=end,
            state__in=(PixTransfer.State.SENT, PixTransfer.State.SETTLED),
        ),
        amount="amount",
    )


def med_reports_open():
    """MED infraction reports waiting for a decision (open or under analysis)."""
    from apps.core.console import tally
    from apps.pix.models import InfractionReport

    return tally(
        InfractionReport.objects.filter(
            state__in=(InfractionReport.State.OPEN, InfractionReport.State.ACKNOWLEDGED)
        ),
        amount="transfer__amount",
        oldest="created_at",
    )
