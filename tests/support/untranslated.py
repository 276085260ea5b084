"""Which msgids a page looked up that no catalog translates.

Every text a pt-BR page renders through gettext (`{% translate %}`, `{% blocktranslate %}`,
`gettext`, `ngettext`, `pgettext`, lazy strings when shown) ends in one of two methods of
Django's translation object, `DjangoTranslation.gettext` and `.ngettext` (pgettext passes
"context\\x04msgid"). The recorder wraps both while it is open and keeps each msgid that was
asked in `language` and is not in that translation's merged catalog (ours, Django's and
contrib's, allauth's...): a msgid some catalog translates is never flagged, one nobody
translated is. Use it as a context manager:

    with UntranslatedRecorder() as recorder:
        client.get("/")
    assert not recorder.missing, recorder.report()
"""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import trans_real

CONTEXT_SEPARATOR = "\x04"  # gettext's "msgctxt\x04msgid"


class UntranslatedRecorder:
    def __init__(self, language: str = "pt-br") -> None:
        self.language = language
        self.missing: dict[str, set[str]] = defaultdict(set)  # msgid -> where it was seen
        self.where = ""
        self._saved: tuple | None = None
        self._known: dict[trans_real.DjangoTranslation, set[str]] = {}

    # --- Recording ----------------------------------------------------------------------

    def _record(self, translation: trans_real.DjangoTranslation, key: object, msgid: str) -> None:
        if translation.language() != self.language or not msgid.strip():
            return
        if key in translation._catalog:  # the merged catalog of every installed catalog
            return
        if msgid in self._translations(translation):
            # Already a translation, asked again: Django's {% get_available_languages %}
            # passes settings.LANGUAGES' lazy names through gettext once more.
            return
        if CONTEXT_SEPARATOR in msgid:
            context, text = msgid.split(CONTEXT_SEPARATOR, 1)
            msgid = f"{text} [context: {context}]"
        self.missing[msgid].add(self.where)

    def _translations(self, translation: trans_real.DjangoTranslation) -> set[str]:
        if translation not in self._known:
            self._known[translation] = {
                value for _key, value in translation._catalog.items() if isinstance(value, str)
            }
        return self._known[translation]

    def __enter__(self) -> UntranslatedRecorder:
        cls = trans_real.DjangoTranslation
        gettext, ngettext = cls.gettext, cls.ngettext
        self._saved = (gettext, ngettext)
        recorder = self

        def recording_gettext(translation, message):
            recorder._record(translation, message, message)
            return gettext(translation, message)

        def recording_ngettext(translation, msgid1, msgid2, n):
            recorder._record(translation, (msgid1, 0), msgid1)
            return ngettext(translation, msgid1, msgid2, n)

        cls.gettext = recording_gettext
        cls.ngettext = recording_ngettext
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._saved is not None
        trans_real.DjangoTranslation.gettext, trans_real.DjangoTranslation.ngettext = self._saved
        self._saved = None

    # --- Reading ------------------------------------------------------------------------

    def report(self) -> str:
        lines = [f"{len(self.missing)} msgid(s) rendered in {self.language} with no translation:"]
        for msgid in sorted(self.missing):
            places = ", ".join(sorted(place for place in self.missing[msgid] if place))
            lines.append(f"  {msgid!r}" + (f"  ({places})" if places else ""))
        return "\n".join(lines)
