"""Staff and customer roles as Django groups (least privilege). Keycloak realm roles carry
the same names; apps/core/oidc.py maps them onto these groups at each staff sign-in.

`ROLE_PERMISSIONS` is the one place that says what each role may do, as data. Apply it with
`sync_role_permissions()`: core's migration 0003 does, and so does every `migrate` at its
end (a post_migrate receiver in CoreConfig), so models added later are covered and the map
and the database never drift apart.
"""

from __future__ import annotations

import logging

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

logger = logging.getLogger(__name__)

CUSTOMER = "customer"
OPERATOR = "operator"
COMPLIANCE_OFFICER = "compliance_officer"
ADMIN = "admin"

STAFF_ROLES = (OPERATOR, COMPLIANCE_OFFICER, ADMIN)
ALL_ROLES = (CUSTOMER, *STAFF_ROLES)

#: Stands for "every permission that exists", re-read each time the map is applied.
ALL_PERMISSIONS = "*"

#: Role -> permissions as "app_label.codename". Customers never use the admin: none.
ROLE_PERMISSIONS: dict[str, tuple[str, ...] | str] = {
    CUSTOMER: (),
    OPERATOR: (
        "accounts.view_customer",
        "accounts.change_customer",
        "core.view_auditevent",
        "core.view_statetransitionlog",
        "core.view_outboxmessage",
        "accounts.view_account",
        "accounts.change_account",
        "accounts.view_journalentry",
        "accounts.view_posting",
        "accounts.view_hold",
        "accounts.change_hold",  # the admin's "Release" action
        "accounts.view_reversalrequest",
        "accounts.add_reversalrequest",
        "accounts.change_reversalrequest",
        "accounts.view_reconciliationrun",
        "accounts.view_ledgeralert",
        "accounts.change_ledgeralert",
        "core.view_systemalert",
        "core.change_systemalert",  # acknowledge / resolve (e.g. a broken audit chain)
        "pix.view_pixkey",
        "pix.view_pixclaim",
        "pix.change_pixclaim",  # the claim actions (give up, cancel, sync) of the admin
        "simulators.view_dictentry",
        "simulators.view_dictclaim",
        "simulators.view_dicttokenbucket",
        # Pix money side: read-only. Retrying a transfer or cancelling a scheduled one needs
        # pix.change_pixtransfer (admins); MED decisions are the compliance officers'.
        "pix.view_pixtransfer",
        "pix.view_pixrefund",
        "pix.view_pixcharge",
        "pix.view_pixlocation",
        "pix.view_pixwebhook",
        "core.view_webhookdelivery",
        "core.view_webhookattempt",
        "core.change_webhookdelivery",  # the "Retry now" action on deliveries
        # Boletos: read the issued and paid boletos and the CNAB files; request or approve
        # reprocessing a rejected return file (four eyes, enforced by the service).
        "boleto.view_boleto",
        "boleto.view_boletopayment",
        "boleto.view_boletoissuer",
        "boleto.view_cnabfile",
        "boleto.view_cnabline",
        "boleto.change_cnabfile",
        "simulators.view_cipboleto",
        "simulators.view_compeitem",
        "simulators.view_compefile",
        "simulators.view_compependinganswer",
        # TED: wires sent and received with their STR messages, the participant directory
        # (and its reload from the shipped list), the simulated STR.
        "wire.view_wire",
        "wire.view_inboundwire",
        "wire.view_strmessage",
        "wire.view_participant",
        "wire.change_participant",
        "wire.view_wirefavourite",
        "simulators.view_strsettlement",
        "simulators.view_strdelivery",
        "simulators.view_strreserves",
        "simulators.view_strbankaccount",
        # Cards: read cards (masked) and authorizations; block and unblock a card.
        "cards.view_card",
        "cards.change_card",
        "cards.view_authorization",
        # Card clearing: files, lines, the day's settlements; resolve the mismatch queue.
        "cards.view_clearingfile",
        "cards.view_clearingline",
        "cards.view_clearingsettlement",
        "cards.view_clearingexception",
        "cards.change_clearingexception",
        # Loans: the portfolio, applications with their score and reasons, payments.
        "loans.view_loan",
        "loans.view_installment",
        "loans.view_loanpayment",
        # Integrators' OAuth clients: issue (the secret is shown once) and revoke.
        "core.view_apiclient",
        "core.add_apiclient",
        "core.change_apiclient",
    ),
    COMPLIANCE_OFFICER: (
        "accounts.view_customer",
        "accounts.view_full_tax_id",  # CPF/CNPJ unmasked in the admin (operators see it masked)
        "core.view_auditevent",
        "core.view_systemalert",
        "core.view_statetransitionlog",
        "accounts.view_account",
        "accounts.view_journalentry",
        "accounts.view_posting",
        "accounts.view_hold",
        "pix.view_pixkey",
        "pix.view_pixclaim",
        "pix.view_pixtransfer",
        "pix.view_pixrefund",
        "pix.view_pixcharge",
        "pix.view_pixlocation",
        "pix.view_pixwebhook",
        "core.view_webhookdelivery",
        "core.view_webhookattempt",
        # The MED queue: their only writes, through the admin actions (acknowledge, close
        # agreed/disagreed, release a block), which the med services audit.
        "pix.view_infractionreport",
        "pix.change_infractionreport",
        "pix.view_cautionaryblock",
        "pix.change_cautionaryblock",
        # Screening: lists and results read-only; the internal watchlist is theirs to edit;
        # hits are cleared/confirmed through the admin actions (audited).
        "compliance.screen_names",
        "compliance.view_listversion",
        "compliance.view_listentry",
        "compliance.view_entryname",
        "compliance.view_watchlistentry",
        "compliance.add_watchlistentry",
        "compliance.change_watchlistentry",
        "compliance.view_screeningresult",
        "compliance.view_screeninghit",
        "compliance.change_screeninghit",
        # KYC reviews: decide upgrade requests and open the (decrypted) documents.
        "kyc.view_kycrequest",
        "kyc.review_kycrequest",
        "kyc.view_kycdocument",
        # LGPD data-subject requests: answer, correct, erase, review automated decisions
        # (admin actions running apps.privacy.services, each audited).
        "privacy.view_datasubjectrequest",
        "privacy.handle_datasubjectrequest",
        "privacy.erase_customer",
        "privacy.view_erasure",
        "privacy.view_retainedrecord",
        # Transaction monitoring (apps.monitoring): tune rules, work alerts, prepare and
        # approve COAF communications (four eyes is enforced by the service, not the role).
        "monitoring.view_monitoringrule",
        "monitoring.change_monitoringrule",
        "monitoring.view_alert",
        "monitoring.change_alert",
        "monitoring.view_alertnote",
        "monitoring.add_alertnote",
        "monitoring.view_coafreport",
        "monitoring.add_coafreport",
        "monitoring.approve_coafreport",
        # Boletos paid and issued, as evidence for alerts.
        "boleto.view_boleto",
        "boleto.view_boletopayment",
        "boleto.view_boletoissuer",
        "boleto.view_cnabfile",
        "boleto.view_cnabline",
        # TEDs sent and received, with their STR messages, as evidence for alerts.
        "wire.view_wire",
        "wire.view_inboundwire",
        "wire.view_strmessage",
        # Card authorizations with their fraud scores, as evidence for alerts; the fraud
        # rules' parameters and the reviews of flagged purchases (close as fraud/legitimate).
        "cards.view_card",
        "cards.view_authorization",
        "cards.view_fraudrule",
        "cards.change_fraudrule",
        "cards.view_frauddecisionrecord",
        "cards.view_fraudreview",
        "cards.change_fraudreview",
        # Loans: an automated rejection reviewed under LGPD art. 20 comes back to a person,
        # who decides the application (the analysts' actions need loans.change_loan).
        "loans.view_loan",
        "loans.change_loan",
        "loans.view_installment",
        "loans.view_loanpayment",
    ),
    ADMIN: ALL_PERMISSIONS,
}


def create_all_permissions(*, apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create content types and default permissions now rather than at post_migrate.

    Inside a migration `apps` is the historical registry, whose app configs have no models
    module; `create_permissions` skips such configs, hence the temporary flag.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        had_module = getattr(app_config, "models_module", None)
        app_config.models_module = had_module or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0, using=using)
        finally:
            app_config.models_module = had_module


def sync_role_permissions(*, apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Make each role's group hold exactly the permissions of `ROLE_PERMISSIONS`.

    Idempotent. Creates missing groups. Permissions of apps not migrated yet are skipped
    (logged): the migration that creates those models calls this again.
    """
    create_all_permissions(apps=apps, using=using)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    every = Permission.objects.using(using)
    for role in ALL_ROLES:
        group, _ = Group.objects.using(using).get_or_create(name=role)
        wanted = ROLE_PERMISSIONS[role]
        if wanted == ALL_PERMISSIONS:
            group.permissions.set(every.all())
            continue
        perms = []
        for label in wanted:
            app_label, codename = label.split(".", 1)
            perm = every.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is None:
                logger.warning("role %s: permission %s does not exist (yet)", role, label)
                continue
            perms.append(perm)
        group.permissions.set(perms)


def sync_role_permissions_migration(apps, schema_editor) -> None:
    """`RunPython` entry point for any migration: applies the map on its database."""
    sync_role_permissions(apps=apps, using=schema_editor.connection.alias)


def delete_role_groups_migration(apps, schema_editor) -> None:
    """Reverse of core 0003: remove the role groups (permissions themselves stay)."""
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=ALL_ROLES).delete()
