"""What an issuer hears when its boletos are paid: a webhook and a live portal event.

`boleto_paid_notify(boleto_ids)` publishes "boleto.paid" messages (one issuer's, at most CHUNK
ids each) in the transaction that paid them; the handler, per issuer:

* enqueues one webhook delivery to the issuer's URL, POST {"boletos": [<boleto>, ...]}
  (an array, as the API Pix's callbacks are: a return file pays thousands at once), event
  key "boleto.paid:<outbox message id>", so a message handled twice enqueues nothing twice;
* pushes a "boleto.paid" event to the issuer's portal sessions, after commit.

A boleto in the payload names only what the issuer gave us and the payment's figures.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict

from django.db import connection, transaction

from apps.accounts.selectors import balance_group
from apps.boleto.models import BoletoIssuer
from apps.core.live import push_to_group
from apps.core.models import OutboxMessage
from apps.core.money import cents_to_str
from apps.core.outbox import outbox_handler, publish
from apps.core.webhooks import WebhookUrlRefused, webhook_enqueue

PAID = "boleto.paid"
CHUNK = 1000
DELIVERY_SOURCE = "boleto.issuer"


def boleto_paid_notify(*, boleto_ids: list[int]) -> None:
    """One message per issuer and CHUNK boletos: each becomes one webhook call."""
    by_issuer: dict[int, list[int]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, issuer_id FROM boleto_boleto WHERE id = ANY(%s::bigint[]) ORDER BY id",
            [list(boleto_ids)],
        )
        rows = cursor.fetchall()
    for pk, issuer_id in rows:
        by_issuer[issuer_id].append(pk)
    for ids in by_issuer.values():
        for start in range(0, len(ids), CHUNK):
            publish(topic=PAID, payload={"boleto_ids": ids[start : start + CHUNK]})


DOCUMENT_FIELDS = (
    "public_id",
    "nosso_numero",
    "seu_numero",
    "state",
    "amount",
    "paid_amount",
    "fee_amount",
    "paid_via",
    "paid_on",
    "due_date",
    "issuer_id",
)


# DOCUMENT_FIELDS, in order; = ANY(array) is one parameter where `__in` sends one per id.
_PAID_ROWS_SQL = """
SELECT public_id, nosso_numero, seu_numero, state, amount, paid_amount, fee_amount, paid_via,
       paid_on, due_date, issuer_id
  FROM boleto_boleto WHERE id = ANY(%s::bigint[]) ORDER BY id
"""


def boleto_document(row: dict) -> dict:
    """A paid boleto as the webhook shows it, from a row of DOCUMENT_FIELDS."""
    paid = row["paid_amount"]
    return {
        "id": str(row["public_id"]),
        "nossoNumero": row["nosso_numero"],
        "seuNumero": row["seu_numero"],
        "status": row["state"],
        "valor": cents_to_str(row["amount"]),
        "valorPago": cents_to_str(paid) if paid is not None else None,
        "tarifa": cents_to_str(row["fee_amount"]),
        "pagoVia": row["paid_via"],
        "dataPagamento": row["paid_on"].isoformat() if row["paid_on"] else None,
        "vencimento": row["due_date"].isoformat(),
    }


@outbox_handler(PAID)
def notify_boletos_paid(payload: dict, message: OutboxMessage) -> None:
    ids = [i for i in payload.get("boleto_ids", []) if isinstance(i, int)]
    # Plain rows of the fields a notification shows: no encrypted payer column is read.
    with connection.cursor() as cursor:
        cursor.execute(_PAID_ROWS_SQL, [ids])
        rows = [dict(zip(DOCUMENT_FIELDS, row, strict=True)) for row in cursor.fetchall()]
    # Filtered here, not in SQL: right after a return file moved thousands of boletos the
    # table's statistics still call 'paid' rare, and a state condition there would steer
    # the planner off the primary key.
    rows = [row for row in rows if row["state"] == "paid"]
    by_issuer: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        by_issuer[row["issuer_id"]].append(row)
    issuers = BoletoIssuer.objects.filter(pk__in=by_issuer).values(
        "pk", "webhook_url", "webhook_secret", "customer__user_id"
    )
    for issuer in issuers:
        paid = by_issuer[issuer["pk"]]
        if issuer["webhook_url"]:
            # A URL that no longer passes the policy gets nothing; the portal still hears.
            with contextlib.suppress(WebhookUrlRefused):
                webhook_enqueue(
                    source=DELIVERY_SOURCE,
                    source_id=issuer["pk"],
                    event_key=f"{PAID}:{message.id}",
                    url=issuer["webhook_url"],
                    secret=issuer["webhook_secret"],
                    payload={"boletos": [boleto_document(row) for row in paid]},
                )
        event = {
            "type": "boleto.paid",
            "count": len(paid),
            "amount": sum(row["paid_amount"] or 0 for row in paid),
        }
        group = balance_group(issuer["customer__user_id"])
        transaction.on_commit(lambda group=group, event=event: push_to_group(group, event))
