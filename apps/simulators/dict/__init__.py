"""The DICT simulator: its tables (models), console (admin), the simulator itself
(simulator, with claims and infractions mixed in), what the other PSPs do on demand
(other_psps) and the seeded directory (seed)."""
