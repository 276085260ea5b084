"""Pure codecs of the boleto domain, free of Django: check digits, due-date factors and the
boleto codes (44-digit barcode, 47/48-digit linha digitavel)."""
