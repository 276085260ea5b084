"""Logs mask documents and keys (issue #11): one filter on every handler masks CPF/CNPJ,
e-mails and phone keys in paths, query strings, messages, extra fields and tracebacks."""

from __future__ import annotations

import io
import json
import logging

import pytest

from apps.core.logging import PersonalDataFilter, mask_personal_data
from tests.factories.customers import new_cnpj, new_cpf

CPF = "52998224725"


@pytest.mark.parametrize(
    ("text", "hidden", "shown"),
    [
        (f"/api/pix/v2/webhook/{CPF}", CPF, "***.982.247-**"),
        ("?cpf=529.982.247-25&x=1", "529.982.247-25", "***.982.247-**"),
        ("?cpf=529%2E982%2E247-25", "529%2E982%2E247-25", "***.982.247-**"),
        ("/keys/lookup/joao.silva@example.com", "joao.silva@example.com", "j***@e***.com"),
        ("?chave=joao.silva%40example.com", "joao.silva%40example.com", "j***@e***.com"),
        ("/keys/lookup/+5511987654321", "+5511987654321", "+5511*****4321"),
        ("?chave=%2B5511987654321", "5511987654321", "%2B5511*****4321"),
        ("?chave= 5511987654321", "5511987654321", " 5511*****4321"),
        ("cnpj 11.222.333/0001-81", "11.222.333/0001-81", "**.222.333/0001-**"),
    ],
)
def test_documents_e_mails_and_phones_are_masked(text, hidden, shown):
    masked = mask_personal_data(text)
    assert hidden not in masked and shown in masked


def test_ids_amounts_and_account_numbers_stay_readable():
    text = "E00000000202612061234abcdefghij amount=12345678901 account 12345678 id=98765432101"
    # 12345678901 and 98765432101 are not valid CPFs (check digits): left alone.
    assert mask_personal_data(text) == text


def json_handler() -> tuple[logging.Handler, io.StringIO]:
    from pythonjsonlogger.json import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s"))
    handler.addFilter(PersonalDataFilter())
    return handler, stream


def test_the_filter_masks_message_arguments_extras_objects_and_tracebacks():
    cpf, cnpj = new_cpf(), new_cnpj()
    handler, stream = json_handler()
    logger = logging.getLogger("athena.test.masking")
    logger.addHandler(handler)
    logger.propagate = False

    class Request:  # what Django's request log passes: its repr is the full path
        def __repr__(self):
            return f"<WSGIRequest: GET '/api/v1/x?cpf={cpf}'>"

    try:
        logger.warning(
            "paid %s", cpf, extra={"path": f"/webhook/{cpf}", "doc": {"cnpj": cnpj}, "r": Request()}
        )
        try:
            raise ValueError(f"duplicate key value ({cpf})")
        except ValueError:
            logger.exception("failed for %s", cnpj)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    output = stream.getvalue()
    assert cpf not in output and cnpj not in output
    first, second = (json.loads(line) for line in output.splitlines())
    assert first["message"] == f"paid ***.{cpf[3:6]}.{cpf[6:9]}-**"
    assert first["path"] == f"/webhook/***.{cpf[3:6]}.{cpf[6:9]}-**"
    assert "ValueError" in second["exc_info"]


def test_every_configured_handler_masks():
    configured = [logging.getLogger(name) for name in ("", "django", "django.server")]
    # pytest's own capture handlers (module _pytest.logging) aside: the ones settings made.
    handlers = [h for lg in configured for h in lg.handlers if type(h).__module__ == "logging"]
    assert handlers
    for handler in handlers:
        assert any(isinstance(f, PersonalDataFilter) for f in handler.filters), handler


@pytest.mark.django_db
def test_a_request_with_a_cpf_in_its_path_and_query_is_logged_masked(client):
    cpf = new_cpf()
    handlers = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, PersonalDataFilter) for f in h.filters)
    ]
    stream = io.StringIO()
    previous = [h.setStream(stream) for h in handlers]
    root = logging.getLogger()
    level, root.level = root.level, logging.INFO
    try:
        response = client.get(f"/api/pix/v2/webhook/{cpf}?cpf={cpf}")
    finally:
        root.setLevel(level)
        for handler, old in zip(handlers, previous, strict=True):
            handler.setStream(old)
    assert response.status_code >= 400
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "athena.request"]
    assert access and access[0]["path"] == f"/api/pix/v2/webhook/***.{cpf[3:6]}.{cpf[6:9]}-**"
    assert any(line["logger"] == "django.request" for line in lines)  # the 4xx line
    assert cpf not in stream.getvalue()
