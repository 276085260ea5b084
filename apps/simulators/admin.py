"""The simulators' consoles, one module per simulated system (Django's autodiscovery
imports this one)."""

from apps.simulators.cardnet import admin as cardnet_admin  # noqa: F401
from apps.simulators.cip import admin as cip_admin  # noqa: F401
from apps.simulators.compe import admin as compe_admin  # noqa: F401
from apps.simulators.dict import admin as dict_admin  # noqa: F401
from apps.simulators.spi import admin as spi_admin  # noqa: F401
from apps.simulators.str import admin as str_admin  # noqa: F401
