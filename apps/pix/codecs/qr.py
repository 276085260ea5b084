"""QR images of a BR Code, for the portal and the API.

Error correction M (15% of the symbol recoverable), as banks print Pix codes: enough for a
phone camera on a screen or a creased receipt, without the density of Q/H on a long dynamic
code. The quiet zone is the 4 modules the QR standard asks for.

PNG goes through Pillow (qrcode's default image factory; Pillow is installed with
reportlab). SVG needs nothing beyond qrcode and stays sharp at any size in the portal.
"""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.constants
from qrcode.image.svg import SvgPathImage

from apps.pix.codecs.brcode import decode

ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QUIET_ZONE = 4


def _qr(brcode: str, *, box_size: int, validate: bool) -> qrcode.QRCode:
    if validate:
        decode(brcode)  # never draw a code a payer's bank would refuse: BRCodeError
    qr = qrcode.QRCode(error_correction=ERROR_CORRECTION, box_size=box_size, border=QUIET_ZONE)
    qr.add_data(brcode.strip())
    qr.make(fit=True)
    return qr


def qr_png(brcode: str, *, box_size: int = 8, validate: bool = True) -> bytes:
    """The PNG bytes of the QR code for `brcode` (black on white, 1-bit)."""
    image = _qr(brcode, box_size=box_size, validate=validate).make_image()
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def qr_png_base64(brcode: str, *, box_size: int = 8, validate: bool = True) -> str:
    """The PNG as base64 text, as BACEN's API Pix returns `imagemQrcode`."""
    return base64.b64encode(qr_png(brcode, box_size=box_size, validate=validate)).decode("ascii")


def qr_data_uri(brcode: str, *, box_size: int = 8, validate: bool = True) -> str:
    """`data:image/png;base64,...` for an <img src> in the portal."""
    return "data:image/png;base64," + qr_png_base64(brcode, box_size=box_size, validate=validate)


def qr_svg(brcode: str, *, box_size: int = 10, validate: bool = True) -> str:
    """An SVG document (one path) for the portal; no Pillow needed."""
    image = _qr(brcode, box_size=box_size, validate=validate).make_image(image_factory=SvgPathImage)
    return image.to_string(encoding="unicode")
