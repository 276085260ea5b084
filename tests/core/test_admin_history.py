"""Every model staff can change in the admin keeps its history (django-simple-history).

The admin registry is enumerated: a model is changeable when its admin (or one of its
inlines) lets a superuser add, change or delete, or offers an action other than the stock
bulk delete. Each such model has `history` unless listed below with the reason."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from apps.compliance.models import ScreeningHit, ScreeningResult, WatchlistEntry
from apps.core.models import User

pytestmark = pytest.mark.django_db

#: Changeable in the admin, deliberately without history: label -> why.
WITHOUT_HISTORY = {
    "simulators.CipBoleto": (
        "the simulated outside world (CIP's registry): 'add' and 'pay from another bank' "
        "play another bank's part in tests and demos"
    ),
    "auth.Group": (
        "roles are code: apps.core.roles.ROLE_PERMISSIONS is set onto the groups at every "
        "migrate (a hand edit does not survive a deploy); the map's history is git's, and an "
        "edit in the admin is an audited admin action"
    ),
    "accounts.JournalEntry": (
        "append-only ledger (trigger): 'request reversal' creates a ReversalRequest, which "
        "has history; the entry itself never changes"
    ),
    "core.OutboxMessage": (
        "'retry now' only makes a pending message due again (available_at); each use is an "
        "audited admin action with the attempt count; the payload never changes"
    ),
    "core.WebhookDelivery": (
        "'retry now' only reschedules a delivery; each use is an audited admin action, and "
        "every POST is kept as a WebhookAttempt"
    ),
    "django_celery_results.TaskResult": (
        "Celery's result store (the library's stock admin): task bookkeeping written by "
        "workers and expired, no business data"
    ),
    "django_celery_results.GroupResult": "as TaskResult: Celery's own bookkeeping",
    "monitoring.AlertNote": (
        "append-only by design: officers add notes to an alert and the inline refuses change "
        "and delete; each note carries its author and time"
    ),
    "simulators.DictClaim": (
        "the simulated outside world (BACEN's DICT), not our records: its actions play "
        "the other PSP's part in tests and demos"
    ),
    "simulators.DictTokenBucket": "the simulated DICT's rate limiter: 'refill' is a test aid",
    "simulators.CardnetAuthorization": (
        "the simulated card network: its actions (present, observe and write a file) play the "
        "acquirers' part in tests and demos"
    ),
    "simulators.StrBankAccount": (
        "the simulated outside world (other banks' accounts behind the STR): 'add' and "
        "'change' play another bank's part in tests and demos"
    ),
    "wire.Participant": (
        "the public participant directory, a copy of the shipped list: 'reload' replaces it "
        "from data/bancos.csv (whose history is git's) and is an audited admin action"
    ),
}


def _superuser_request():
    request = RequestFactory().get("/admin/")
    request.user = User(
        username="root", email="root@athena.example", is_staff=True, is_superuser=True
    )
    return request


def _has_history(model) -> bool:
    return getattr(model._meta, "simple_history_manager_attribute", None) is not None


def _changeable_models() -> dict[str, list[str]]:
    """label -> what staff can do to its rows (for the failure message)."""
    request = _superuser_request()
    found: dict[str, list[str]] = {}

    def note(model, what: str) -> None:
        found.setdefault(model._meta.label, []).append(what)

    for model, model_admin in admin.site._registry.items():
        for name, check in (
            ("add", model_admin.has_add_permission),
            ("change", model_admin.has_change_permission),
            ("delete", model_admin.has_delete_permission),
        ):
            if check(request):
                note(model, name)
        for action in model_admin.get_actions(request):
            if action != "delete_selected":
                note(model, f"action {action}")
        # An inline's rows are written through its parent's form: only where that form can
        # be saved, and deletion only where the inline offers it (can_delete).
        if not (
            model_admin.has_add_permission(request) or model_admin.has_change_permission(request)
        ):
            continue
        for inline in model_admin.get_inline_instances(request):
            for name, allowed in (
                ("add", inline.has_add_permission(request, None)),
                ("change", inline.has_change_permission(request, None)),
                ("delete", inline.can_delete and inline.has_delete_permission(request, None)),
            ):
                if allowed:
                    note(inline.model, f"{name} inline in {model._meta.label}")
    return found


def test_every_model_staff_can_change_has_history():
    changeable = _changeable_models()
    missing = {
        label: what
        for label, what in changeable.items()
        if label not in WITHOUT_HISTORY and not _has_history(_model(label))
    }
    assert not missing, f"changeable in the admin without history: {missing}"


def test_the_exceptions_are_still_changeable_and_still_without_history():
    changeable = _changeable_models()
    stale = [label for label in WITHOUT_HISTORY if label not in changeable]
    assert not stale, f"no longer changeable, drop from WITHOUT_HISTORY: {stale}"
    tracked = [label for label in WITHOUT_HISTORY if _has_history(_model(label))]
    assert not tracked, f"these have history now, drop from WITHOUT_HISTORY: {tracked}"


def test_the_enumeration_sees_what_it_must():
    changeable = _changeable_models()
    assert {"compliance.WatchlistEntry", "compliance.ScreeningHit", "core.User"} <= set(changeable)
    assert "core.AuditEvent" not in changeable  # evidence: read-only for everyone
    assert not _has_history(ScreeningResult)  # read-only: needs none


def _model(label: str):
    from django.apps import apps

    return apps.get_model(label)


def test_a_watchlist_edit_in_the_admin_is_kept_with_who_made_it(client):
    officer = User.objects.create_superuser(
        username="officer", email="officer@athena.example", password="secret-pass-123"
    )
    client.force_login(officer)
    fields = {"name": "Fulano de Tal", "aliases": "", "kind": "individual", "reason": "tip-off"}
    response = client.post(
        reverse("admin:compliance_watchlistentry_add"), {**fields, "is_active": "on"}
    )
    assert response.status_code == 302
    entry = WatchlistEntry.objects.get()
    response = client.post(
        reverse("admin:compliance_watchlistentry_change", args=[entry.pk]),
        {**fields, "name": "Fulano de Tal Jr."},  # renamed and deactivated
    )
    assert response.status_code == 302
    versions = list(entry.history.order_by("history_date"))
    assert [(v.name, v.is_active, v.history_type) for v in versions] == [
        ("Fulano de Tal", True, "+"),
        ("Fulano de Tal Jr.", False, "~"),
    ]
    assert {v.history_user for v in versions} == {officer}
    page = client.get(reverse("admin:compliance_watchlistentry_history", args=[entry.pk]))
    assert page.status_code == 200


def test_a_hit_decision_is_a_version_with_its_reason(client):
    from apps.compliance.services import hit_set_status

    officer = User.objects.create_superuser(
        username="officer", email="officer@athena.example", password="secret-pass-123"
    )
    result = ScreeningResult.objects.create(
        subject_type=ScreeningResult.Subject.ADHOC, screened_name="Fulano", threshold=85
    )
    hit = ScreeningHit.objects.create(
        result=result,
        source="ofac",
        entry_id="1",
        listed_name="FULANO",
        matched_name="fulano",
        score=90,
    )
    hit_set_status(hit=hit, status=ScreeningHit.Status.CLEARED, actor=officer)
    latest = hit.history.first()
    assert latest.status == ScreeningHit.Status.CLEARED
    assert latest.history_change_reason == "hit cleared"


def test_third_party_models_staff_can_edit_keep_history_without_secrets():
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    assert _has_history(EmailAddress)
    assert _has_history(Authenticator)
    history_fields = {f.name for f in Authenticator.history.model._meta.fields}
    assert "data" not in history_fields  # the TOTP seed and recovery codes stay out


def test_the_lgpd_erasure_blanks_the_addresses_in_their_history():
    from allauth.account.models import EmailAddress

    from apps.privacy import services as privacy
    from tests.factories.customers import person

    customer = person()
    user = customer.user
    address = EmailAddress.objects.create(user=user, email="maria@example.com", primary=True)
    address.email = "maria.lima@example.com"  # as staff would, in the admin
    address.save()
    history = EmailAddress.history.model.objects.filter(user_id=user.pk)
    assert history.filter(email="maria@example.com").exists()

    officer = User.objects.create_user(
        username="officer", email="officer@athena.example", password="secret-pass-123"
    )
    req = privacy.privacy_request_create(customer=customer, kind="erasure", actor=user)
    req = privacy.customer_erase(req=req, actor=officer)
    assert req.state == "completed", req.answer
    emails = set(history.values_list("email", flat=True))
    assert emails and all(email.endswith(".invalid") for email in emails), emails
