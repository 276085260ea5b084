"""English words that have no business on a pt-BR page.

A page's visible text is split into words and checked against words that are common in
English and never Portuguese. Left out: words Portuguese shares ("no", "a", "do", "real",
"total", "data", "me", "status", "login", "for" as in "se for"), names that keep their
name in Brazil (Pix, TED, boleto, QR Code, Athena Pay) and the language switch's "English".
This catches prose that escaped gettext (a hard-coded string, a stored English
description); the msgid recorder in tests/core/test_untranslated.py catches what went
through gettext without a translation.
"""

from __future__ import annotations

import re

_WORDS = """
    the and or of to with without from your you yours our we they their this that these
    those is are was were be been being has have had will would should could can cannot not
    it its at by on in into onto out up down over under about after before between
    account accounts balance balances available amount amounts payment payments received
    sent send receive transfer transfers statement statements home sign signed
    password key keys card cards loan loans limit limits daily monthly night day days
    month months year years today yesterday tomorrow date time fee fees rate rates due paid
    pending settled cancelled canceled approved rejected failed success successful
    error errors warning required invalid please continue confirm confirmation cancel back
    next previous submit save delete edit view show hide copy copied reveal download upload
    search filter filters all none any other more less new open close closed opened
    name names document documents address phone number value values type types kind
    reason reasons details detail description summary history activity recent latest
    money deposit withdrawal refund refunds reversal reversed charge charges invoice
    verification verified level levels security settings privacy my help support
    language welcome hello thank thanks yes
"""
ENGLISH_ONLY = frozenset(_WORDS.split())

# "on-line" is one word; letters run into digits are an id, not a word ("9be2" in a UUID).
_WORD = re.compile(r"(?<![0-9A-Za-zÀ-ÿ])[A-Za-zÀ-ÿ]+(?:-[A-Za-zÀ-ÿ]+)*(?![0-9A-Za-zÀ-ÿ])")


def english_words(text: str) -> list[str]:
    """The English-only words of `text`, in order of appearance, each once."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text):
        lower = word.lower()
        if lower in ENGLISH_ONLY:
            seen.setdefault(lower, None)
    return list(seen)
