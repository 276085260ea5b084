"""The Celery app. Beat schedules live here, in code."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "athena.settings")

app = Celery("athena")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "drain-outbox": {"task": "apps.core.tasks.drain_outbox_task", "schedule": 2.0},
    "deliver-due-webhooks": {
        "task": "apps.core.tasks.deliver_due_webhooks_task",
        "schedule": 15.0,
    },
    "advance-balance-checkpoints": {
        "task": "apps.accounts.tasks.advance_checkpoints_task",
        "schedule": 2.0,
    },
    "sync-dict-claims": {"task": "apps.pix.tasks.sync_dict_claims_task", "schedule": 60.0},
    "expire-stale-pix-keys": {"task": "apps.pix.tasks.expire_stale_keys_task", "schedule": 3600.0},
    "expire-holds": {"task": "apps.accounts.tasks.expire_holds_task", "schedule": 60.0},
    "expire-cautionary-blocks": {
        "task": "apps.pix.tasks.expire_cautionary_blocks_task",
        "schedule": 60.0,
    },
    "reconcile-ledger": {"task": "apps.accounts.tasks.reconcile_ledger_task", "schedule": 3600.0},
    "pix-retry-sent": {"task": "apps.pix.tasks.pix_retry_sent_task", "schedule": 30.0},
    "pix-run-scheduled": {"task": "apps.pix.tasks.run_scheduled_pix_task", "schedule": 60.0},
    "pix-expire-charges": {"task": "apps.pix.tasks.expire_charges_task", "schedule": 300.0},
    "purge-idempotency-records": {
        "task": "apps.core.tasks.purge_idempotency_records_task",
        "schedule": 3600.0,
    },
    "purge-expired-api-tokens": {
        "task": "apps.core.tasks.purge_expired_api_tokens_task",
        "schedule": 3600.0,
    },
    "verify-audit-chain": {
        "task": "apps.core.tasks.verify_audit_chain_task",
        "schedule": 86400.0,  # daily: a full walk of the chain, streamed
    },
    # Boletos: remittances and returns with COMPE every 5 minutes, schedules and expiry.
    "boleto-send-remittance": {"task": "apps.boleto.tasks.send_remittance_task", "schedule": 300.0},
    "boleto-fetch-returns": {"task": "apps.boleto.tasks.fetch_returns_task", "schedule": 300.0},
    "boleto-run-scheduled": {
        "task": "apps.boleto.tasks.run_scheduled_payments_task",
        "schedule": 600.0,
    },
    "boleto-expire": {"task": "apps.boleto.tasks.expire_boletos_task", "schedule": 3600.0},
    "boleto-compe-settle": {"task": "apps.boleto.tasks.compe_settle_task", "schedule": 3600.0},
    # TED: scheduled wires at the window's opening, the STR's queue, unanswered resends.
    "wire-send-due": {"task": "apps.wire.tasks.send_due_wires_task", "schedule": 60.0},
    "wire-inbox": {"task": "apps.wire.tasks.inbox_task", "schedule": 30.0},
    "wire-resend": {"task": "apps.wire.tasks.resend_task", "schedule": 120.0},
    # Cards: authorizations whose hold expired.
    "cards-expire-authorizations": {
        "task": "apps.cards.tasks.expire_authorizations_task",
        "schedule": 600.0,
    },
    # [cards-clearing beat]
    "cards-fetch-clearing-files": {
        "task": "apps.cards.clearing.tasks.fetch_clearing_files_task",
        "schedule": 900.0,  # the network's files, as they come; each one processed once
    },
    "cards-settle-clearing": {
        "task": "apps.cards.clearing.tasks.settle_clearing_task",
        "schedule": 3600.0,  # past days' nets with the network, once per day
    },
    # Loans: the day's collections (once per loan and day, whenever the first run is),
    # risk levels and provisions, offers that expired.
    "loans-collect-due": {
        "task": "apps.loans.tasks.collect_due_installments_task",
        "schedule": 3600.0,
    },
    "loans-refresh-risk": {"task": "apps.loans.tasks.refresh_risk_task", "schedule": 3600.0},
    "loans-expire-offers": {"task": "apps.loans.tasks.expire_offers_task", "schedule": 3600.0},
    "monitoring-daily-batch": {
        "task": "apps.monitoring.tasks.monitoring_daily_batch_task",
        "schedule": 86400.0,  # daily; runs also per movement through the outbox
    },
}
