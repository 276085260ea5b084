"""Routes of /api/pix/v2/ (filled in by the feature that owns them)."""

urlpatterns: list = []
