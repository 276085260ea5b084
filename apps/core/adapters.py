"""How a domain app picks the implementation of an outside system (DICT, SPI, CIP, COMPE...).

Settings name the implementation: `<SYSTEM>_CLIENT` holds a key of the `<SYSTEM>_CLIENTS`
mapping ("simulator", "http") or a dotted path to a class. Loading the class by its path
(`import_string`) is what keeps domain code from importing a simulator (docs/architecture.md).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


def client_class(choice_setting: str, classes_setting: str) -> type:
    """The client class settings name: `choice_setting` holds a key of the
    `classes_setting` mapping ("simulator", "http") or a dotted path to a class."""
    choice = getattr(settings, choice_setting)
    classes: dict[str, str] = getattr(settings, classes_setting)
    path = classes.get(choice) or (choice if "." in str(choice) else None)
    if path is None:
        names = " or ".join(repr(name) for name in classes)
        raise ImproperlyConfigured(
            f"{choice_setting} must be {names}, or a dotted path to a client class; not {choice!r}."
        )
    try:
        return import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{choice_setting}: cannot import {path!r} ({exc}).") from exc


def http_call(
    method: str,
    url: str,
    *,
    timeout: float,
    error: type[Exception],
    system: str,
    session: Any = None,
    **kwargs: Any,
) -> Any:
    """One HTTPS call of a production client: `error` (the adapter's own) when the system
    cannot be reached or answers an HTTP error; the response otherwise."""
    import requests

    try:
        response = (session or requests).request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        raise error(f"{system} unreachable: {exc.__class__.__name__}") from exc
    if response.status_code >= 400:
        raise error(f"{system} answered HTTP {response.status_code}")
    return response
