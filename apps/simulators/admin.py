"""The simulators' consoles, one module per simulated system (Django's autodiscovery
imports this one)."""

from apps.simulators.dict import admin as dict_admin  # noqa: F401
from apps.simulators.spi import admin as spi_admin  # noqa: F401
