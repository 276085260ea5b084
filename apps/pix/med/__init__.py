"""MED (Mecanismo Especial de Devolução): infraction reports and cautionary blocks."""
