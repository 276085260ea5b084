"""Texts in the reader's language, wherever they are rendered.

A request renders in the language LocaleMiddleware activated (the language switch's cookie,
else the browser's, else pt-BR). Texts made away from the reader's request, such as an
e-mail sent by a Celery worker or an error raised where the message is only shown later,
need two things this module gives:

* `lazy_format(message, params)`: a %-formatted gettext_lazy message that is translated
  and filled in only when shown (`gettext_lazy(...) % params` translates at once, in
  whatever language happens to be active);
* the customer's preferred language, stored on the user (`User.language`: the language
  active at sign-up, then the one chosen in the language switch), and
  `in_language_of(user)` to render in it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.functional import Promise, lazy


def _format(message: Any, params: Mapping[str, Any]) -> str:
    # str() of each lazy parameter happens here too, in the language active now.
    return str(message) % {key: _text(value) for key, value in params.items()}


def _text(value: Any) -> Any:
    return str(value) if isinstance(value, Promise) else value


_lazy_format = lazy(_format, str)


def lazy_format(message: str | Promise, params: Mapping[str, Any] | None = None) -> Promise:
    """`message % params`, translated and filled in when it is turned into text."""
    return _lazy_format(message, dict(params or {}))


def supported_language(code: str | None) -> str | None:
    """The project's language code for `code` ("pt-BR", "pt_br", "en-us"...), or None."""
    if not code:
        return None
    wanted = translation.to_language(str(code)).lower()
    codes = [language for language, _name in settings.LANGUAGES]
    if wanted in codes:
        return wanted
    base = wanted.split("-")[0]
    return next((language for language in codes if language.split("-")[0] == base), None)


def user_language(user: Any) -> str:
    """The language a user reads: the one stored on them, else the project's default."""
    stored = supported_language(getattr(user, "language", "") or "")
    return stored or settings.LANGUAGE_CODE


def remember_language(user: Any, code: str | None) -> None:
    """Store the language `user` chose (no write when it is unknown or unchanged)."""
    language = supported_language(code)
    if language is None or getattr(user, "pk", None) is None:
        return
    if getattr(user, "language", "") != language:
        user.language = language
        # Only this column (the rest of the row may be stale here), and no history row:
        # a reading preference is not a change anyone audits.
        get_user_model().objects.filter(pk=user.pk).update(language=language)


@contextmanager
def in_language_of(user: Any) -> Iterator[str]:
    """Render the block in `user`'s language (e-mails, notifications from Celery)."""
    language = user_language(user)
    with translation.override(language):
        yield language
