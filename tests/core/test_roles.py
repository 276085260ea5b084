"""Role groups and their least-privilege permissions (apps.core.roles, core 0003)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.db import connection

from apps.core import roles
from apps.core.oidc import roles_from_claims, staff_roles_from_claims, verified_email
from tests.factories.users import UserFactory

migration_0003 = importlib.import_module("apps.core.migrations.0003_roles")


def perms_of(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def member_of(group_name: str):
    user = UserFactory()
    user.groups.add(Group.objects.get(name=group_name))
    return type(user).objects.get(pk=user.pk)  # fresh: no permission cache


# --- What the migration left in the database --------------------------------------------


@pytest.mark.django_db
def test_migration_created_the_four_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL_ROLES)


@pytest.mark.django_db
def test_operator_permissions_are_exactly_the_map():
    assert perms_of(roles.OPERATOR) == set(roles.ROLE_PERMISSIONS[roles.OPERATOR])
    assert "accounts.change_customer" in perms_of(roles.OPERATOR)
    assert "accounts.delete_customer" not in perms_of(roles.OPERATOR)


@pytest.mark.django_db
def test_compliance_officer_permissions_are_exactly_the_map():
    assert perms_of(roles.COMPLIANCE_OFFICER) == set(
        roles.ROLE_PERMISSIONS[roles.COMPLIANCE_OFFICER]
    )
    # Their writes in pix and compliance: the MED queue's decisions, the internal watchlist
    # and screening hits; nothing is deleted.
    writes = {
        p
        for p in perms_of(roles.COMPLIANCE_OFFICER)
        if p.split(".")[1].startswith(("add_", "change_", "delete_"))
    }
    own = {p for p in writes if p.split(".")[0] in ("pix", "compliance")}
    assert own == {
        "pix.change_infractionreport",
        "pix.change_cautionaryblock",
        # screening: the internal watchlist, and clearing/confirming hits
        "compliance.add_watchlistentry",
        "compliance.change_watchlistentry",
        "compliance.change_screeninghit",
    }


@pytest.mark.django_db
def test_customer_group_has_no_permissions():
    assert perms_of(roles.CUSTOMER) == set()


@pytest.mark.django_db
def test_admin_group_has_every_permission():
    roles.sync_role_permissions()  # permissions of apps migrated after core 0003
    assert Group.objects.get(name=roles.ADMIN).permissions.count() == Permission.objects.count()


@pytest.mark.django_db
def test_every_permission_in_the_map_exists():
    existing = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    for role, wanted in roles.ROLE_PERMISSIONS.items():
        if wanted == roles.ALL_PERMISSIONS:
            continue
        assert set(wanted) <= existing, role


# --- What members may do ------------------------------------------------------------------


@pytest.mark.django_db
def test_operator_may_change_but_not_delete_or_add_customers():
    user = member_of(roles.OPERATOR)
    assert user.has_perm("accounts.view_customer")
    assert user.has_perm("accounts.change_customer")
    assert not user.has_perm("accounts.delete_customer")
    assert not user.has_perm("accounts.add_customer")
    assert user.has_perm("core.view_outboxmessage")
    assert not user.has_perm("core.change_outboxmessage")
    assert not user.has_perm("core.change_user")


@pytest.mark.django_db
def test_compliance_officer_may_view_but_not_change_customers():
    user = member_of(roles.COMPLIANCE_OFFICER)
    assert user.has_perm("accounts.view_customer")
    assert user.has_perm("core.view_auditevent")
    assert user.has_perm("core.view_statetransitionlog")
    assert not user.has_perm("accounts.change_customer")
    assert not user.has_perm("accounts.delete_customer")
    assert not user.has_perm("core.view_outboxmessage")


@pytest.mark.django_db
def test_operator_views_pix_money_and_retries_deliveries_but_decides_no_med():
    user = member_of(roles.OPERATOR)
    for perm in (
        "pix.view_pixtransfer",
        "pix.view_pixrefund",
        "pix.view_pixcharge",
        "pix.view_pixlocation",
        "pix.view_pixwebhook",
        "core.view_webhookdelivery",
        "core.view_webhookattempt",
        "core.change_webhookdelivery",
    ):
        assert user.has_perm(perm), perm
    for perm in (
        "pix.change_pixtransfer",  # retry send / cancel scheduled: admins
        "pix.view_infractionreport",
        "pix.change_infractionreport",
        "pix.view_cautionaryblock",
        "pix.change_cautionaryblock",
        "simulators.view_spisimulatedmessage",
        "pix.view_pixlimitsettings",
        "pix.change_pixwebhook",
        "accounts.view_full_tax_id",
    ):
        assert not user.has_perm(perm), perm


@pytest.mark.django_db
def test_compliance_officer_decides_the_med_queue_and_only_views_the_rest():
    user = member_of(roles.COMPLIANCE_OFFICER)
    for perm in (
        "pix.view_pixtransfer",
        "pix.view_pixrefund",
        "pix.view_pixcharge",
        "pix.view_pixwebhook",
        "core.view_webhookdelivery",
        "pix.view_infractionreport",
        "pix.change_infractionreport",
        "pix.view_cautionaryblock",
        "pix.change_cautionaryblock",
    ):
        assert user.has_perm(perm), perm
    for perm in (
        "pix.change_pixtransfer",
        "core.change_webhookdelivery",
        "pix.add_infractionreport",
        "pix.delete_infractionreport",
        "pix.add_cautionaryblock",
        "pix.delete_cautionaryblock",
        "simulators.view_spisimulatedmessage",
    ):
        assert not user.has_perm(perm), perm


@pytest.mark.django_db
def test_admin_may_retry_transfers_and_see_the_simulators():
    roles.sync_role_permissions()
    user = member_of(roles.ADMIN)
    for perm in (
        "pix.change_pixtransfer",
        "simulators.view_spisimulatedmessage",
        "pix.view_pixlimitsettings",
        "pix.change_infractionreport",
        "core.change_webhookdelivery",
    ):
        assert user.has_perm(perm), perm


@pytest.mark.django_db
def test_customer_member_has_no_permission():
    user = member_of(roles.CUSTOMER)
    assert user.get_all_permissions() == set()


# --- Re-applying the map --------------------------------------------------------------


@pytest.mark.django_db
def test_sync_is_idempotent_and_undoes_drift():
    operator = Group.objects.get(name=roles.OPERATOR)
    operator.permissions.add(Permission.objects.get(codename="delete_customer"))
    Group.objects.filter(name=roles.CUSTOMER).delete()

    roles.sync_role_permissions()
    roles.sync_role_permissions()

    assert "accounts.delete_customer" not in perms_of(roles.OPERATOR)
    assert perms_of(roles.CUSTOMER) == set()
    assert Group.objects.filter(name__in=roles.ALL_ROLES).count() == len(roles.ALL_ROLES)


@pytest.mark.django_db
def test_unknown_permissions_in_the_map_are_skipped(monkeypatch, caplog):
    monkeypatch.setitem(
        roles.ROLE_PERMISSIONS,
        roles.OPERATOR,
        ("accounts.view_customer", "pix.view_pixtransfer_not_yet"),
    )
    roles.sync_role_permissions()
    assert perms_of(roles.OPERATOR) == {"accounts.view_customer"}
    assert "pix.view_pixtransfer_not_yet" in caplog.text


@pytest.mark.django_db
def test_migration_reverses_and_reapplies():
    editor = SimpleNamespace(connection=connection)
    migration_0003.Migration.operations[0].reverse_code(django_apps, editor)
    assert not Group.objects.filter(name__in=roles.ALL_ROLES).exists()

    migration_0003.Migration.operations[0].code(django_apps, editor)
    assert perms_of(roles.COMPLIANCE_OFFICER) == set(roles.ROLE_PERMISSIONS["compliance_officer"])
    assert perms_of(roles.CUSTOMER) == set()


def test_migration_depends_on_what_it_reads():
    deps = set(migration_0003.Migration.dependencies)
    assert ("core", "0002_append_only_audit") in deps
    assert ("accounts", "0002_initial") in deps
    assert {app for app, _ in deps} >= {"auth", "contenttypes"}


# --- Claims -> roles ----------------------------------------------------------------------


def test_realm_roles_claim_is_read():
    claims = {"realm_access": {"roles": ["offline_access", "operator", "uma_authorization"]}}
    assert staff_roles_from_claims(claims) == {roles.OPERATOR}


def test_flat_roles_and_group_paths_are_read():
    assert staff_roles_from_claims({"roles": ["compliance_officer"]}) == {roles.COMPLIANCE_OFFICER}
    assert staff_roles_from_claims({"groups": ["/admin", "/staff/operator"]}) == {roles.ADMIN}
    assert staff_roles_from_claims({"roles": "operator"}) == {roles.OPERATOR}


def test_configured_claim_path_is_read(settings):
    settings.OIDC_ROLES_CLAIM = "resource_access.athena-staff.roles"
    claims = {"resource_access": {"athena-staff": {"roles": ["admin"]}}}
    assert staff_roles_from_claims(claims) == {roles.ADMIN}


def test_customer_and_unknown_roles_are_not_staff():
    claims = {"realm_access": {"roles": ["customer", "Operator", "superuser"]}, "roles": [1, None]}
    assert staff_roles_from_claims(claims) == set()
    assert roles_from_claims(claims) == {"customer", "Operator", "superuser"}


def test_malformed_role_claims_are_ignored():
    assert staff_roles_from_claims({"realm_access": "operator"}) == set()
    assert staff_roles_from_claims({"realm_access": {"roles": {"operator": True}}}) == set()
    assert staff_roles_from_claims({}) == set()


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"email": "a@athena.example", "email_verified": True}, "a@athena.example"),
        ({"email": "a@athena.example", "email_verified": "true"}, "a@athena.example"),
        ({"email": "a@athena.example", "email_verified": False}, None),
        ({"email": "a@athena.example", "email_verified": "false"}, None),
        ({"email": "a@athena.example"}, None),
        ({"email": "", "email_verified": True}, None),
        ({"email_verified": True}, None),
    ],
)
def test_only_a_verified_email_counts(claims, expected):
    assert verified_email(claims) == expected
