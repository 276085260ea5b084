from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SimulatorsConfig(AppConfig):
    """The outside world, simulated: BACEN's DICT and SPI (next: STR, COMPE/CIP, the card
    networks), each with its tables, console and commands. Domain apps talk to them only
    through their adapters' interfaces; settings name the simulator by a dotted path."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.simulators"
    label = "simulators"
    verbose_name = _("Simulators (outside world)")
