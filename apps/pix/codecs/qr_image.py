"""Reading the QR codes in an uploaded image: a Pix code a customer saved or photographed.

The image comes from a person's device, so it is untrusted: at most 2 MB, PNG or JPEG only
(what Pillow says the bytes are, never the file name or the declared content type), checked
with Pillow's `verify()` before it is decoded, and refused beyond a pixel budget so a small
file cannot inflate into gigabytes (a "decompression bomb"). The QR symbols are found by
zxing-cpp (a manylinux wheel: no system library), which reads Pillow images directly.
"""

from __future__ import annotations

import io
import warnings

import zxingcpp
from PIL import Image

MAX_IMAGE_BYTES = 2 * 1024 * 1024
# 24 megapixels: any phone photo or screenshot; far below what would exhaust memory.
MAX_PIXELS = 24_000_000
ACCEPTED_FORMATS = ("PNG", "JPEG")


class QRImageError(ValueError):
    """Why an upload could not be read. `reason` is one of: too_large, not_image, no_qr."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _open_verified(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that: make it an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ACCEPTED_FORMATS:
                raise QRImageError("not_image", f"format {probe.format} is not PNG or JPEG")
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise QRImageError("too_large", f"{width}x{height} pixels is too many")
            probe.verify()  # structure and checksums; the object is unusable afterwards
            image = Image.open(io.BytesIO(data))
            image.load()
        except QRImageError:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise QRImageError("too_large", f"too many pixels: {exc}") from None
        except Exception as exc:  # Pillow raises assorted types on bad files
            # OSError, SyntaxError, struct.error, DecompressionBomb*...: all "not an image".
            raise QRImageError("not_image", f"not a readable image: {exc}") from None
    return image


def read_qr_texts(data: bytes) -> list[str]:
    """The texts of the QR codes found in a PNG or JPEG, in the order zxing-cpp finds them.

    Raises QRImageError: too_large (over 2 MB or 24 Mpx), not_image, no_qr."""
    if len(data) > MAX_IMAGE_BYTES:
        raise QRImageError("too_large", f"{len(data)} bytes is over {MAX_IMAGE_BYTES}")
    image = _open_verified(data)
    try:
        gray = image.convert("L")  # one channel: what the detector works on anyway
        results = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)
    except Exception as exc:  # a decoder failure is "no code found"
        raise QRImageError("no_qr", f"the QR reader failed: {exc}") from None
    texts = [result.text for result in results if result.valid and result.text]
    if not texts:
        raise QRImageError("no_qr", "no QR code found in the image")
    return texts
