"""What the other (simulated) PSPs do through the DICT on demand, delivered to us the way
the real DICT delivers it: for tests, the demo and the `med_receive_report` command.

A report against a Pix one of our customers received reaches us, in production, when our
MED service polls the DICT; here the simulated DICT hands it straight to our public MED
service (`infraction_report_received`), so the simulator, not our domain code, is the side
that knows both worlds. (Another PSP opening a claim against one of our keys is
`DictSimulator.open_claim_as_other_psp`: our claim sync finds it in the directory.)
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from apps.pix.adapters.dict import DictForbidden
from apps.pix.med.services import infraction_report_received
from apps.simulators.dict.simulator import DictSimulator


def report_infraction_as_other_psp(
    *,
    reporter: str,
    end_to_end_id: str,
    situation: str = "OTHER",
    details: str = "",
    now: datetime | None = None,
):
    """Another PSP (`reporter`, the payer's) reports a Pix one of our customers received,
    and the DICT delivers the report to us. Returns our `InfractionReport` (role REPORTED)."""
    if reporter == settings.ATHENA_ISPB:
        raise DictForbidden("Our own reports are opened by our services.")
    record = DictSimulator(reporter).create_infraction_report(
        transaction_id=end_to_end_id, details=details, situation=situation, now=now
    )
    if record.credited_participant != settings.ATHENA_ISPB:
        raise DictForbidden("The transaction was not credited to one of our customers.")
    return infraction_report_received(
        end_to_end_id=end_to_end_id,
        situation=situation,
        details=details,
        reporter_ispb=reporter,
        dict_report_id=record.id,
        now=now,
    )
