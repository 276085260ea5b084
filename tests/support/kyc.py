"""Helpers for the KYC tests (no tests here): real face photos and customers.

The photos are real: scikit-image ships "astronaut" (Eileen Collins, NASA) and a subset of
Labeled Faces in the Wild (other people), and "chelsea", a cat, has no human face.
"""

from __future__ import annotations

import io
from datetime import date

import numpy as np
from django.contrib.auth.models import Group
from PIL import Image
from skimage import data

from apps.accounts.models import Customer
from apps.core import roles
from tests.factories.users import UserFactory
from tests.support.pix_keys import person

HOLDER = "Maria Souza Lima"
BIRTH = date(1990, 5, 1)


def encode(pixels: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).convert("RGB").save(buffer, format=fmt)
    return buffer.getvalue()


def document_photo() -> bytes:
    """The astronaut's portrait, as a document photo (PNG)."""
    return encode(data.astronaut())


def selfie_same_person() -> bytes:
    """The same face, cropped and scaled down, saved as JPEG: a different file."""
    crop = Image.fromarray(data.astronaut()[20:400, 80:400]).resize((240, 285))
    return encode(np.asarray(crop), "JPEG")


def selfie_other_person() -> bytes:
    """A different real person (LFW subset), upscaled onto a plain background."""
    face = (data.lfw_subset()[0] * 255).astype("uint8")
    canvas = Image.new("RGB", (400, 400), (128, 128, 128))
    canvas.paste(Image.fromarray(face).resize((200, 200), Image.BICUBIC).convert("RGB"), (100, 100))
    return encode(np.asarray(canvas))


def no_face() -> bytes:
    return encode(data.chelsea(), "JPEG")


def pdf_bytes() -> bytes:
    """A small valid PDF (Pillow writes one from an image)."""
    buffer = io.BytesIO()
    Image.new("RGB", (50, 50), (255, 255, 255)).save(buffer, format="PDF")
    return buffer.getvalue()


def holder(name: str = HOLDER) -> Customer:
    return person(name)


def staff(role: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def officer():
    return staff(roles.COMPLIANCE_OFFICER)


def operator():
    return staff(roles.OPERATOR)
