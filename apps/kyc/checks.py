"""Automatic KYC checks. Each returns a `CheckOutcome`: pass, fail or uncertain, with a detail
a compliance officer can read. None of them decides alone: services.kyc_request_run_checks
approves automatically only when every check passed and the level allows it (1 and 2);
anything failed or uncertain goes to a person (LGPD: automated decisions are reviewable).

Face match runs offline on dlib through face_recognition; its weights ship inside the
face_recognition_models package. The distance and the threshold used are recorded.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from apps.core.documents import tax_id_kind

PASS = "pass"  # noqa: S105 - an outcome label, not a password
FAIL = "fail"
UNCERTAIN = "uncertain"

ADULT_AGE = 18
DEFAULT_FACE_THRESHOLD = 0.6  # face_recognition's own default tolerance


@dataclass
class CheckOutcome:
    outcome: str
    detail: str  # in English, as recorded
    data: dict[str, Any] = field(default_factory=dict)
    # The detail's msgid and parameters, stored with the result so that the console shows
    # it in the reader's language (`detail_text`), never the recorded English.
    message: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.outcome == PASS

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _outcome(
    outcome: str, message: str, params: dict[str, Any] | None = None, data: dict | None = None
) -> CheckOutcome:
    params = params or {}
    return CheckOutcome(
        outcome, message % params if params else message, data or {}, message, params
    )


# What the console calls each check and outcome (stored results keep the codes).
CHECK_LABELS = {
    "tax_id": _("CPF/CNPJ"),
    "name": _("Declared name"),
    "birth_date": _("Birth date"),
    "screening": _("Sanctions and PEP screening"),
    "duplicates": _("Documents used by another customer"),
    "face_match": _("Face match"),
}
OUTCOME_LABELS = {
    PASS: pgettext_lazy("check outcome", "passed"),
    FAIL: pgettext_lazy("check outcome", "failed"),
    UNCERTAIN: pgettext_lazy("check outcome", "uncertain"),
}
CUSTOMER_KIND_LABELS = {"person": _("natural person"), "company": _("company")}
DECISION_LABELS = {
    "auto_approved": _("approved automatically"),
    "review": _("sent to a compliance officer"),
}


def detail_text(result: dict[str, Any]) -> str:
    """A stored check result's detail in the active language (older rows: as recorded)."""
    message, params = result.get("message"), result.get("params")
    if not isinstance(message, str) or not message:
        return str(result.get("detail", ""))
    text = gettext(message)
    if isinstance(params, dict) and params:
        try:
            return text % {
                key: str(CUSTOMER_KIND_LABELS.get(value, value)) if key.endswith("kind") else value
                for key, value in params.items()
            }
        except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder
            return str(result.get("detail", ""))
    return text


# --- Identity -------------------------------------------------------------------------


def check_tax_id(*, tax_id: str, kind: str) -> CheckOutcome:
    """CPF for a person, CNPJ for a company, with valid check digits (validate-docbr)."""
    found = tax_id_kind(tax_id)
    if found is None:
        return _outcome(FAIL, gettext_noop("CPF/CNPJ check digits are invalid."))
    if found != kind:
        return _outcome(
            FAIL,
            gettext_noop("The document is a %(found_kind)s number but the customer is a %(kind)s."),
            {"found_kind": found, "kind": kind},
        )
    return _outcome(
        PASS, gettext_noop("CPF valid.") if found == "person" else gettext_noop("CNPJ valid.")
    )


def normalize_name(name: str) -> str:
    """Upper-case ASCII words: accents, punctuation and repeated spaces do not count."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^A-Za-z ]", " ", text).upper().split())


def check_name(*, declared: str, holder: str) -> CheckOutcome:
    if not normalize_name(declared):
        return _outcome(FAIL, gettext_noop("No name was declared."))
    if normalize_name(declared) == normalize_name(holder):
        return _outcome(PASS, gettext_noop("Declared name matches the account holder."))
    return _outcome(
        FAIL, gettext_noop("Declared name differs from the account holder's full name.")
    )


def age_on(birth_date: date, today: date) -> int:
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - int(before_birthday)


def check_birth_date(*, birth_date: date | None, today: date | None = None) -> CheckOutcome:
    today = today or timezone.localdate()
    if birth_date is None:
        return _outcome(FAIL, gettext_noop("No birth date was declared."))
    if birth_date > today or birth_date.year < today.year - 130:
        return _outcome(FAIL, gettext_noop("The birth date is not plausible."))
    age = age_on(birth_date, today)
    if age < ADULT_AGE:
        return _outcome(
            FAIL,
            gettext_noop("The customer is %(age)d: an account holder must be 18 or older."),
            {"age": age},
        )
    return _outcome(PASS, gettext_noop("Adult (18+)."), data={"age": age})


# --- Screening --------------------------------------------------------------------------


def check_screening(*, customer: Any, birth_date: date | None = None) -> CheckOutcome:
    """Sanctions and PEP lists, through apps.compliance's services.

    The customer profile has no birth date; the KYC request does. screen_customer weighs a
    match by `customer.birth_date` when the instance has one, so the declared date is set
    on this in-memory instance (never saved) for the screening to use.
    """
    from apps.compliance.services import screen_customer

    if birth_date is not None:
        customer.birth_date = birth_date
    result = screen_customer(customer, context="kyc")
    hits = getattr(result, "hits", None) or []
    if hasattr(hits, "all"):  # a related manager of recorded hits
        hits = hits.all()
    hits = list(hits)
    if not hits:
        return _outcome(PASS, gettext_noop("No sanctions or PEP match."))
    summary = [_hit_summary(hit) for hit in hits[:10]]
    return _outcome(
        FAIL, gettext_noop("Screening hits: %(count)d."), {"count": len(hits)}, {"hits": summary}
    )


def _hit_summary(hit: Any) -> dict[str, Any]:
    if isinstance(hit, dict):
        source = hit
    else:
        source = {
            name: getattr(hit, name)
            for name in ("list", "source", "entry_id", "name", "listed_name", "score")
            if hasattr(hit, name)
        }
    return {key: str(value) for key, value in source.items()}


# --- Documents --------------------------------------------------------------------------


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def check_duplicates(*, request: Any) -> CheckOutcome:
    """The same file (by plaintext sha256) uploaded by another customer is a flag."""
    from apps.kyc.models import KycDocument

    digests = list(request.documents.values_list("sha256", flat=True))
    shared = (
        KycDocument.objects.filter(sha256__in=digests)
        .exclude(request__customer_id=request.customer_id)
        .values_list("kind", flat=True)
        .distinct()
    )
    kinds = sorted(set(shared))
    if kinds:
        return _outcome(
            FAIL,
            gettext_noop("A document was already used by another customer."),
            data={"kinds": kinds},
        )
    return _outcome(PASS, gettext_noop("No document is shared with another customer."))


# --- Face match -------------------------------------------------------------------------


def face_threshold() -> float:
    return float(getattr(settings, "KYC_FACE_MATCH_THRESHOLD", DEFAULT_FACE_THRESHOLD))


def _largest_face_encoding(content: bytes):
    """The encoding of the largest face in an image, or None when there is none."""
    import face_recognition
    import numpy as np
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(content)) as image:
        # Phones store rotation in EXIF; the detector wants upright faces.
        upright = ImageOps.exif_transpose(image).convert("RGB")
        upright.thumbnail((1600, 1600))
        pixels = np.asarray(upright)
    locations = face_recognition.face_locations(pixels)
    if not locations:
        return None
    largest = max(locations, key=lambda box: (box[2] - box[0]) * (box[1] - box[3]))
    return face_recognition.face_encodings(pixels, [largest])[0]


def check_face_match(*, selfie: bytes | None, document: bytes | None) -> CheckOutcome:
    threshold = face_threshold()
    base = {"threshold": threshold, "distance": None, "model": "dlib face_recognition_models"}
    if selfie is None or document is None:
        return _outcome(
            FAIL, gettext_noop("A selfie and an identity document photo are required."), data=base
        )
    try:
        import face_recognition
    except ImportError:
        return _outcome(UNCERTAIN, gettext_noop("Face matching is not installed."), data=base)
    try:
        selfie_face = _largest_face_encoding(selfie)
        document_face = _largest_face_encoding(document)
    except (OSError, ValueError):
        return _outcome(FAIL, gettext_noop("An image could not be read."), data=base)
    if selfie_face is None:
        return _outcome(FAIL, gettext_noop("No face found in the selfie."), data=base)
    if document_face is None:
        return _outcome(FAIL, gettext_noop("No face found in the document photo."), data=base)
    distance = float(face_recognition.face_distance([document_face], selfie_face)[0])
    data = {**base, "distance": round(distance, 4)}
    if distance <= threshold:
        return _outcome(
            PASS,
            gettext_noop("Face matches (distance %(distance).3f <= %(threshold)s)."),
            {"distance": distance, "threshold": threshold},
            data,
        )
    return _outcome(
        FAIL,
        gettext_noop("Face does not match (distance %(distance).3f > %(threshold)s)."),
        {"distance": distance, "threshold": threshold},
        data,
    )
