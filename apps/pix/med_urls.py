"""Routes of MED (infraction reports) and cautionary blocks under /api/v1/pix/."""

urlpatterns: list = []
