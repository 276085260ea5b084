"""One ISO 8583 message in, one answer out: the mapping to `AuthRequest`, the call of the
issuer's decision (apps.cards.services.authorize), the answer's fields. Synchronous (the
ORM): the server runs it in its worker threads.

Requests and answers:

    0100 / 0101 (repeat) -> 0110   authorization            (services.authorize)
    0200 / 0201 (repeat) -> 0210   financial, captured now  (services.authorize)
    0400 / 0401 (repeat) -> 0410   reversal                 (services.authorization_reverse)
    0420 / 0421 (repeat) -> 0430   reversal advice          (services.authorization_reverse)
    0800                 -> 0810   network management: echo (DE 70 301), sign-on (001),
                                   sign-off (002), all answered 00

A repeat (last MTI digit 1) is decided as its original MTI, so it finds the first answer.

The answer echoes DE 3, 4, 7, 11, 12, 13, 37, 41, 42 and 49 (and DE 70 / DE 90), carries
DE 39 and, when approved, DE 38. The PAN (DE 2) is not echoed: acquirers match on DE 11,
37 and 41. Mapping of the request:

    DE 2 / DE 35  PAN (track 2 when DE 2 is absent)
    DE 3          processing code: 00 goods and services, 01 cash, 09 with cashback;
                  anything else 12 (invalid transaction)
    DE 4          amount in centavos (12 digits); DE 49 currency, 986 (BRL) only: a
                  purchase abroad comes converted, DE 6 (cardholder billing amount) with
                  DE 51 986, and then DE 6 is the amount held
    DE 14 / DE 35 expiry YYMM
    DE 18         MCC
    DE 22         POS entry mode: 01x manual/MOTO, 10x credential on file and 81x
                  e-commerce are card-not-present; 07x/91x contactless
    DE 19, DE 43  the merchant's country: DE 43's last two letters (name 25, city 13,
                  country 2) when present, else DE 19 (ISO 3166 numeric)
    DE 41, 42, 43 terminal, merchant, merchant name (DE 43's first 25 characters)
    DE 48         subelement 92 CVV2, 99 device (see codec)
    DE 52         PIN block (see codec: clear format 0 for the simulator; an HSM in
                  production)
    DE 90         reversals: original MTI and STAN

A message we cannot read gets DE 39 30 (format error) when its MTI can be read; a decision
that fails (the database away) gets 91. Nothing here raises.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from django.db import DatabaseError

from apps.cards import services
from apps.cards.iso import codec
from apps.cards.models import Authorization
from apps.cards.services.authorize import (
    APPROVED,
    HOME_COUNTRY,
    ISSUER_UNAVAILABLE,
    AuthRequest,
)

logger = logging.getLogger("apps.cards.iso")

FORMAT_ERROR = "30"
INVALID_TRANSACTION = "12"
ECHOED = ("3", "4", "7", "11", "12", "13", "37", "41", "42", "49")
PURCHASE_TYPES = ("00", "01", "09")
NOT_PRESENT_MODES = ("01", "10", "81")
BRL = "986"
HOME_ALPHA2 = "BR"


@dataclass
class Outcome:
    """What the server writes back (None: nothing) and a log line's masked facts."""

    answer: bytes | None
    mti: str = ""
    response_code: str = ""
    summary: dict | None = None


def _answer(doc: dict, mti: str, code: str, **extra: str) -> bytes:
    out = {"t": mti}
    for key in ECHOED:
        value = doc.get(key)
        if value:
            out[key] = value
    out["39"] = code
    out.update({key: value for key, value in extra.items() if value})
    try:
        return codec.encode(out)
    except Exception:  # an echoed value the spec refuses: answer with the keys alone
        keep = {k: v for k, v in out.items() if k in ("t", "11", "37", "39", "38")}
        try:
            return codec.encode(keep)
        except Exception:
            return codec.encode({"t": mti, "39": code})


def _country(doc: dict) -> str:
    location = doc.get("43", "")
    if len(location) == 40 and location[-2:].isalpha():
        alpha2 = location[-2:].upper()
        return HOME_COUNTRY if alpha2 == HOME_ALPHA2 else alpha2
    numeric = doc.get("19", "")
    return numeric if codec.is_digits(numeric, 3) else HOME_COUNTRY


def _merchant_name(doc: dict) -> str:
    location = doc.get("43", "")
    name = location[:25] if len(location) == 40 else location
    return " ".join(name.split())


def request_of(doc: dict, *, mti: str) -> AuthRequest:
    """The AuthRequest of a decoded 01xx/02xx/04xx message; FormatError when a mandatory
    field is missing or malformed."""
    track = codec.track2(doc.get("35", "")) if doc.get("35") else None
    pan = doc.get("2") or (track.pan if track else "")
    if not codec.is_pan(pan):
        raise codec.FormatError("no readable PAN", field="2")
    expiry = doc.get("14") or (track.expiry if track else "")
    if expiry and not codec.is_digits(expiry, 4):
        raise codec.FormatError("expiry is not YYMM", field="14")
    stan, rrn = doc.get("11", ""), doc.get("37", "")
    if not codec.is_digits(stan, 6):
        raise codec.FormatError("STAN is not 6 digits", field="11")
    if len(rrn.strip()) == 0:
        raise codec.FormatError("RRN missing", field="37")
    amount_field, currency_field = ("6", "51") if doc.get("6") else ("4", "49")
    amount_text = doc.get(amount_field, "")
    if not codec.is_digits(amount_text, 12):
        raise codec.FormatError("amount is not 12 digits", field=amount_field)
    entry_mode = doc.get("22", "")
    if entry_mode and not codec.is_digits(entry_mode, 3):
        raise codec.FormatError("POS entry mode is not 3 digits", field="22")
    mcc = doc.get("18", "")
    if mcc and not codec.is_digits(mcc, 4):
        raise codec.FormatError("MCC is not 4 digits", field="18")
    extra = {}
    if doc.get("48"):
        elements = codec.subelements(doc["48"])
        if elements is None:
            raise codec.FormatError("DE 48 is not TT LL value subelements", field="48")
        extra = dict(elements)
    pin = codec.pin_from_block(doc["52"], pan) if doc.get("52") else ""
    original_mti = original_stan = ""
    if mti.startswith("04"):
        original = doc.get("90", "")
        if not codec.is_digits(original[:10], 10):
            raise codec.FormatError("original data elements missing", field="90")
        original_mti, original_stan = original[:4], original[4:10]
    return AuthRequest(
        mti=mti,
        pan=pan,
        amount_cents=int(amount_text),
        stan=stan,
        rrn=rrn.strip(),
        terminal_id=doc.get("41", "").strip(),
        merchant_id=doc.get("42", "").strip(),
        merchant_name=_merchant_name(doc),
        mcc=mcc,
        expiry=expiry,
        cvv2=extra.get(codec.CVV2_TAG, ""),
        pin=pin,
        currency=doc.get(currency_field) or BRL,
        country=_country(doc),
        entry_mode=entry_mode,
        card_present=not entry_mode.startswith(NOT_PRESENT_MODES) if entry_mode else True,
        device_id=extra.get(codec.DEVICE_TAG, ""),
        channel=Authorization.Channel.ISO8583,
        original_mti=original_mti,
        original_stan=original_stan,
        message={"mti": mti, **codec.loggable(doc)},
    )


def _decide(doc: dict, mti: str) -> tuple[str, str]:
    """(response code, auth code) of a 01xx/02xx/04xx message."""
    base = f"{mti[:3]}0"  # a repeat is decided as its original
    request = request_of(doc, mti=base)
    if base in ("0400", "0420"):
        result = services.authorization_reverse(request)
        return result.response_code, ""
    processing = doc.get("3", "000000")
    if not codec.is_digits(processing, 6):
        raise codec.FormatError("processing code is not 6 digits", field="3")
    if processing[:2] not in PURCHASE_TYPES or request.currency != BRL:
        return INVALID_TRANSACTION, ""
    if request.entry_mode.startswith("91"):
        # Contactless magnetic stripe is contactless too (AuthRequest knows 07x).
        request = dataclasses.replace(request, entry_mode="07" + request.entry_mode[2:])
    result = services.authorize(request)
    return result.response_code, result.auth_code if result.approved else ""


def handle(body: bytes) -> Outcome:
    """Decode, decide, encode. Never raises."""
    try:
        doc = codec.decode(body)
    except codec.FormatError as exc:
        partial = exc.partial
        mti = partial.get("t", "")
        answer_mti = codec.answer_mti(mti)
        summary = {"error": exc.reason, "field": exc.field, "bytes": len(body)}
        if answer_mti is None:
            return Outcome(None, mti, "", summary)
        return Outcome(
            _answer(partial, answer_mti, FORMAT_ERROR), answer_mti, FORMAT_ERROR, summary
        )
    mti = doc.get("t", "")
    answer_mti = codec.answer_mti(mti)
    if answer_mti is None:
        return Outcome(None, mti, "", {"error": "not a request MTI", "mti": mti[:4]})
    if mti.startswith("08"):
        return Outcome(
            _answer(doc, answer_mti, APPROVED, **{"70": doc.get("70", "")}),
            answer_mti,
            APPROVED,
            {"70": doc.get("70", "")},
        )
    if not mti.startswith(("01", "02", "04")):
        return Outcome(
            _answer(doc, answer_mti, INVALID_TRANSACTION), answer_mti, INVALID_TRANSACTION
        )
    summary = {key: doc.get(key, "") for key in ("11", "37", "41")}
    try:
        code, auth_code = _decide(doc, mti)
    except codec.FormatError as exc:
        summary.update(error=exc.reason, field=exc.field)
        code, auth_code = FORMAT_ERROR, ""
    except DatabaseError:
        logger.exception("card authorization failed: database", extra={"iso": summary})
        code, auth_code = ISSUER_UNAVAILABLE, ""
    except Exception:
        logger.exception("card authorization failed", extra={"iso": summary})
        code, auth_code = ISSUER_UNAVAILABLE, ""
    extra = {"38": auth_code}
    if mti.startswith("04") and doc.get("90"):
        extra["90"] = doc["90"]
    return Outcome(_answer(doc, answer_mti, code, **extra), answer_mti, code, summary)
