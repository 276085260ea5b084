"""The Pix key's possession code reaches its holder in their language (issue #16): the one
stored on the user (chosen at sign-up or in the language switch), whatever the language of
the request that asked for it."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from apps.core.models import User
from apps.pix import adapters
from apps.pix.keys import services
from tests.support.pix_keys import (
    _clean_sms_outbox,  # noqa: F401  (autouse fixture)
    account_of,
    mail_code,
    person,
)

pytestmark = pytest.mark.django_db


def holder(language: str):
    customer = person()
    User.objects.filter(pk=customer.user_id).update(language=language)
    return account_of(customer)


@pytest.mark.parametrize(
    ("language", "subject", "body"),
    [
        ("pt-br", "código da chave Pix", "seu código para confirmar esta chave Pix é"),
        ("en", "Pix key code", "your code to confirm this Pix key is"),
    ],
)
def test_the_email_code_is_written_in_the_holders_language(
    django_capture_on_commit_callbacks, language, subject, body
):
    account = holder(language)
    # The request asking for it reads in the other language: it does not matter.
    other = "en" if language == "pt-br" else "pt-br"
    with translation.override(other), django_capture_on_commit_callbacks(execute=True):
        services.key_register(account=account, key_type="EMAIL", key="ana@example.com")
    message = mail.outbox[-1]
    assert message.to == ["ana@example.com"]
    assert subject in message.subject and body in message.body
    assert mail_code() in message.body


def test_the_sms_code_is_written_in_the_holders_language(django_capture_on_commit_callbacks):
    account = holder("pt-br")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        services.key_register(account=account, key_type="PHONE", key="+5511987654321")
    assert "seu código para confirmar esta chave Pix é" in adapters.sms_outbox[-1].body
