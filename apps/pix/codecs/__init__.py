"""Pure codecs of Pix: BR Code, ISO 20022 (SPI messages), Pix key syntax, end-to-end ids and
QR images; free of Django models (some raise apps.core errors)."""
