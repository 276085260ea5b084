"""BACEN's API Pix (v2) for integrators, under /api/pix/v2/ (see the reference OpenAPI file)."""
