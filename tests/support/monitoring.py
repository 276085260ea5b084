"""Shared helpers of the monitoring tests: officers, customers, movements on the real ledger."""

from __future__ import annotations

from django.contrib.auth.models import Group

from apps.accounts import services as accounts
from apps.core import roles
from apps.core.outbox import drain_all
from apps.monitoring.models import Alert, MonitoringRule
from apps.monitoring.services import monitoring_rules_ensure
from tests.factories.ledger import funded_account
from tests.factories.users import UserFactory


def officer(**kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=roles.COMPLIANCE_OFFICER))
    return user


def staff_with_role(role: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def set_params(code: str, **params) -> MonitoringRule:
    monitoring_rules_ensure()
    rule = MonitoringRule.objects.get(code=code)
    rule.parameters = {**rule.parameters, **params}
    rule.save()
    return rule


def only_rules(*codes: str) -> None:
    """Switch every other rule off, so a test sees the alerts of the rule it is about."""
    monitoring_rules_ensure()
    MonitoringRule.objects.exclude(code__in=codes).update(enabled=False)
    MonitoringRule.objects.filter(code__in=codes).update(enabled=True)


def transfer(source, destination, cents: int) -> int:
    return accounts.book_transfer(
        source_id=source.pk, destination_id=destination.pk, amount_cents=cents
    )


def alerts_of(account, code: str):
    return Alert.objects.filter(customer_id=account.customer_id, rule__code=code)


__all__ = ["drain_all", "funded_account", "officer", "only_rules", "set_params", "transfer"]
