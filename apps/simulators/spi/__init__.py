"""The SPI simulator: its table (models), console (admin), the simulator itself
(simulator) and inbound Pix from other PSPs delivered to us (inbound)."""
