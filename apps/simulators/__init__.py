"""Simulators of the systems outside Athena Pay (see apps.py). Domain code never imports
this package: `apps.pix.adapters.dict_client()` and `spi_client()` load the simulator named
in settings."""
