"""What an uploaded KYC file may be: its size and its real type, sniffed from the bytes.

The client's filename and Content-Type are not trusted: Pillow must decode the image (and
its format must be PNG or JPEG); a PDF must start with the PDF signature. Proofs of address
and income may be PDFs; identity documents and selfies must be images, since the face
match reads them.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from apps.core.errors import ValidationFailed

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# Decompression bombs: a 5 MB PNG can claim gigapixels. Phone photos stay well under this.
MAX_PIXELS = 40_000_000

IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
PDF_KINDS = {"proof_of_address", "proof_of_income"}


@dataclass(frozen=True)
class CheckedUpload:
    content: bytes
    content_type: str


def check_upload(*, kind: str, content: bytes, field: str = "file") -> CheckedUpload:
    """Raise ValidationFailed (naming `field`) unless `content` is an acceptable file."""
    if not content:
        raise ValidationFailed(_("The file is empty."), field=field)
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            _("The file is larger than 5 MB; send a smaller photo or scan."), field=field
        )
    if content.startswith(b"%PDF-"):
        if kind not in PDF_KINDS:
            raise ValidationFailed(
                _("This document must be a photo (PNG or JPEG), not a PDF."), field=field
            )
        return CheckedUpload(content=content, content_type="application/pdf")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                image_format = image.format
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ValidationFailed(_("The image is too large in pixels."), field=field)
                image.verify()
    except ValidationFailed:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise ValidationFailed(_accepted_message(kind), field=field) from None
    if image_format not in IMAGE_FORMATS:
        raise ValidationFailed(_accepted_message(kind), field=field)
    return CheckedUpload(content=content, content_type=IMAGE_FORMATS[image_format])


def _accepted_message(kind: str) -> str:
    if kind in PDF_KINDS:
        return _("Unsupported file: send a PNG or JPEG image or a PDF.")
    return _("Unsupported file: send a PNG or JPEG image.")
