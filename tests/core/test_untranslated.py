"""Every text a pt-BR reader sees has a translation (issue #16, item 2).

A customer with a full life (movements of every kind, a reversal, Pix keys, a card and its
purchase, a TED, a boleto, a loan, a verification and a privacy request) signs in and opens
the portal's main pages in pt-BR; a staff member opens the admin's main pages. The recorder
(tests/support/untranslated.py) keeps every msgid those pages asked gettext for that no
catalog translates; the test fails listing them. A model, a field or an app whose name
never reaches gettext (a plain string, or Django's automatic name) fails its own test.

The clock is frozen (time-machine, ticking) on a weekday morning in Brasilia, away from the
Pix night window, so which texts a page shows does not depend on today's date or hour.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.models import Group
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise

from apps.accounts import services as accounts
from apps.accounts.models import Customer
from apps.cards.services import authorize, card_issue
from apps.core import roles
from apps.core.timezones import BRASILIA
from apps.kyc.models import KycRequest
from apps.pix.keys.services import key_register
from apps.privacy.models import DataSubjectRequest
from tests.factories.customers import person
from tests.factories.ledger import funded_account
from tests.factories.users import UserFactory
from tests.support.cards import purchase
from tests.support.loans import contracted_loan
from tests.support.monitoring import alerts_of, drain_all, only_rules, transfer
from tests.support.pix_received import Receiver, receive_pix
from tests.support.untranslated import UntranslatedRecorder
from tests.support.wires import order, payee, send

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=BRASILIA)  # a Wednesday, 10:00 in Brasilia
PROBE = "zzz untranslated probe"


@pytest.fixture(autouse=True)
def _no_celery_kick(settings):
    settings.OUTBOX_KICK_ON_COMMIT = False


@pytest.fixture
def untranslated():
    with UntranslatedRecorder("pt-br") as recorder:
        yield recorder


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=True):
        yield


# --- The recorder itself ------------------------------------------------------------------


def test_the_recorder_sees_a_msgid_no_catalog_translates(untranslated):
    with translation.override("pt-br"):
        Template('{% load i18n %}{% translate "zzz untranslated probe" %}').render(Context())
    assert PROBE in untranslated.missing
    assert PROBE in untranslated.report()


def test_the_recorder_sees_plural_and_context_lookups(untranslated):
    with translation.override("pt-br"):
        translation.ngettext("zzz one probe", "zzz many probes", 2)
        translation.pgettext("zzz context", "zzz probe with context")
    assert "zzz one probe" in untranslated.missing
    assert "zzz probe with context [context: zzz context]" in untranslated.missing


def test_the_recorder_ignores_translated_msgids_and_other_languages(untranslated):
    with translation.override("pt-br"):
        # Ours and Django's own catalogs translate these.
        assert translation.gettext("Pix received") != "Pix received"
        translation.gettext("Yes")
        Template('{% load i18n %}{% translate "Log out" %}').render(Context())
    with translation.override("en"):
        translation.gettext(PROBE)
    assert not untranslated.missing, untranslated.report()


# --- Names the admin shows ----------------------------------------------------------------


def _project_models():
    for config in apps.get_app_configs():
        if not config.name.startswith("apps."):
            continue
        for model in config.get_models():
            # simple-history's tables are named "historical <the model's name>" by its own
            # catalog, from the model's (lazy) name.
            if model.__name__.startswith("Historical"):
                continue
            yield config, model


def test_every_app_and_model_has_a_translatable_name():
    plain = [config.label for config in apps.get_app_configs() if config.name.startswith("apps.")]
    plain = [
        label for label in plain if not isinstance(apps.get_app_config(label).verbose_name, Promise)
    ]
    for _config, model in _project_models():
        meta = model._meta
        if not isinstance(meta.verbose_name, Promise):
            plain.append(f"{meta.label} verbose_name")
        if not isinstance(meta.verbose_name_plural, Promise) or "{}s" in str(
            getattr(meta.verbose_name_plural, "_proxy____args", ("",))[0]
        ):
            plain.append(f"{meta.label} verbose_name_plural")
    assert not plain, plain


def test_every_field_has_a_translatable_name():
    plain = []
    for _config, model in _project_models():
        for field in model._meta.get_fields():
            if not field.concrete or field.auto_created:
                continue
            if not isinstance(field.verbose_name, Promise):
                plain.append(f"{model._meta.label}.{field.name}")
    assert not plain, f"{len(plain)} field(s) named in plain text: {plain}"


# --- A customer with a full life ----------------------------------------------------------


class World:
    """Maria, KYC level 2, with movements of every kind, and the staff who look at them."""

    def __init__(self) -> None:
        self.customer = person("Maria Souza Lima")
        Customer.objects.filter(pk=self.customer.pk).update(kyc_level=2)
        self.customer.refresh_from_db()
        self.kyc_request = KycRequest.objects.create(
            customer=self.customer,
            target_level=2,
            declared_name="Maria Souza Lima",
            birth_date=dt.date(1966, 5, 1),
            monthly_income_cents=850_000,
            state=KycRequest.State.APPROVED,
            decided_at=timezone.now(),
            check_results={"checks": {"tax_id": {"outcome": "pass", "detail": "CPF valid."}}},
        )
        self.account = funded_account(0, customer=self.customer)
        # Money from outside, as the demo's opening balance arrives: a TED credited.
        accounts.deposit(
            account_id=self.account.pk,
            amount_cents=5_000_000,
            description="Demo opening balance (TED received)",
            kind="ted_in",
        )
        joao = funded_account(100_000, customer=person("Joao Carlos Pereira"))
        self.book_out = accounts.book_transfer(
            source_id=self.account.pk,
            destination_id=joao.pk,
            amount_cents=12_345,
            description="Aluguel de dezembro",
        )
        accounts.book_transfer(source_id=joao.pk, destination_id=self.account.pk, amount_cents=999)
        self.operator = _staff(roles.OPERATOR)
        accounts.reversal_request(
            entry_id=self.book_out, reason="Operator note: customer called", actor=self.operator
        )
        key = key_register(account=self.account, key_type="EVP", actor=self.customer.user)
        receive_pix(Receiver(self.customer, self.account, key), 25_000)
        self.issued = card_issue(customer=self.customer, account_id=self.account.pk, kind="virtual")
        authorize(purchase(self.issued, 4_500))
        send(customer=self.customer, **order(self.account, payee(), 30_000))
        self.loan = contracted_loan(self.account, now=timezone.now(), principal_cents=500_000)
        DataSubjectRequest.objects.create(
            customer=self.customer, kind=DataSubjectRequest.Kind.ACCESS
        )
        # An alert for the compliance pages.
        only_rules("structuring")
        for cents in (910_000, 920_000, 930_000):
            transfer(self.account, joao, cents)
        drain_all()
        self.alert = alerts_of(self.account, "structuring").first()

    def client(self) -> Client:
        client = Client()
        client.force_login(self.customer.user)
        client.cookies["django_language"] = "pt-br"
        return client


def _staff(role: str, *, superuser: bool = False):
    user = UserFactory(is_staff=True, is_superuser=superuser)
    user.groups.add(Group.objects.get(name=role))
    return user


def _open(client: Client, recorder: UntranslatedRecorder, urls: list[str]) -> None:
    for url in urls:
        recorder.where = url
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)


def portal_urls(world: World) -> list[str]:
    account = world.account.pk
    return [
        reverse("portal:home"),
        reverse("portal:dashboard_accounts"),
        reverse("portal:dashboard_activity"),
        reverse("portal:statement", args=[account]),
        reverse("portal:statement_lines", args=[account]),
        reverse("portal:transfer"),
        reverse("portal:pix:home"),
        reverse("portal:pix:send"),
        reverse("portal:pix:receive"),
        reverse("portal:pix:keys"),
        reverse("portal:pix:limits"),
        reverse("portal:pix:history"),
        reverse("portal:boleto:pay"),
        reverse("portal:boleto:dda"),
        reverse("portal:boleto:payments"),
        reverse("portal:boleto:issue"),
        reverse("portal:boleto:issued"),
        reverse("portal:ted:send"),
        reverse("portal:ted:list"),
        reverse("portal:ted:favourites"),
        reverse("portal:cards:list"),
        reverse("portal:cards:detail", args=[world.issued.card.public_id]),
        reverse("portal:cards:transactions", args=[world.issued.card.public_id]),
        reverse("portal:loans:home"),
        reverse("portal:loans:simulate"),
        reverse("portal:loans:model"),
        reverse("portal:loans:detail", args=[world.loan.public_id]),
        reverse("portal:kyc:home"),
        reverse("portal:privacy:home"),
        reverse("mfa_index"),
    ]


def test_the_portal_in_pt_br_has_no_untranslated_text(frozen, untranslated):
    world = World()
    client = world.client()
    _open(client, untranslated, portal_urls(world))
    assert not untranslated.missing, untranslated.report()


def test_the_admin_in_pt_br_has_no_untranslated_text(frozen, untranslated):
    world = World()
    admin = _staff(roles.ADMIN, superuser=True)
    client = Client()
    client.force_login(admin)
    client.cookies["django_language"] = "pt-br"
    from django.contrib import admin as django_admin

    urls = ["/admin/"]
    for model in django_admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    urls += [
        reverse("admin:accounts_customer_change", args=[world.customer.pk]),
        reverse("admin:accounts_account_change", args=[world.account.pk]),
        reverse("admin:loans_loan_change", args=[world.loan.pk]),
        reverse(
            "admin:kyc_kycrequest_change", args=[KycRequest.objects.get(customer=world.customer).pk]
        ),
    ]
    if world.alert is not None:
        urls.append(reverse("admin:monitoring_alert_change", args=[world.alert.pk]))
    urls.append("/admin/monitoring/alert/queue/")
    _open(client, untranslated, urls)
    assert not untranslated.missing, untranslated.report()
