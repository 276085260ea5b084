"""What other apps hear about charges: "pix.charge.concluded" ({"charge_id"}) on the outbox,
published in the transaction that concludes a charge (inbound or internal Pix alike).

A hybrid boleto (apps.boleto) subscribes: paid by Pix, it is closed at CIP."""

from __future__ import annotations

from django.dispatch import receiver
from django_fsm.signals import post_transition

from apps.core.outbox import publish
from apps.pix.models import PixCharge

CHARGE_CONCLUDED = "pix.charge.concluded"


@receiver(post_transition, sender=PixCharge)
def _publish_concluded(sender, instance: PixCharge, name, source, target, **kwargs) -> None:
    if target == PixCharge.Status.CONCLUIDA:
        publish(topic=CHARGE_CONCLUDED, payload={"charge_id": instance.pk})
