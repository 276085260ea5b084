"""The "Pix received" e-mail is written in the receiver's language (issue #16), the one
stored on their user, once: no more pt-BR and English side by side."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from apps.core.models import User
from apps.core.outbox import drain_all
from tests.support.pix_received import receive_pix, receiving_customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _drive_by_hand(settings):
    settings.OUTBOX_KICK_ON_COMMIT = False
    settings.WEBHOOK_KICK_ON_COMMIT = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.mark.parametrize(
    ("language", "subject", "body", "absent"),
    [
        ("pt-br", "Pix recebido: R$ 12,34", "Você recebeu um Pix de R$ 12,34.", "You received"),
        ("en", "Pix received: R$ 12,34", "You received a Pix of R$ 12,34.", "Você recebeu"),
    ],
)
def test_the_email_reads_in_the_receivers_language(
    django_capture_on_commit_callbacks, language, subject, body, absent
):
    loja = receiving_customer("Loja Alves Souza")
    User.objects.filter(pk=loja.customer.user_id).update(language=language)
    receive_pix(loja, 1_234, payer_name="Carlos Pereira Dias")
    other = "en" if language == "pt-br" else "pt-br"
    with translation.override(other), django_capture_on_commit_callbacks(execute=True):
        drain_all()  # the worker's language does not matter either
    [email] = mail.outbox
    assert email.subject == subject
    assert body in email.body and absent not in email.body
    assert "----" not in email.body  # one language, not two
