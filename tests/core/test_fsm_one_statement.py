"""apply_transition_in_one_statement: the same rows as apply_transition (the row, its history
row, the transition's log entry) in one statement, and a lost race writes nothing."""

from __future__ import annotations

import pytest

from apps.core.fsm import (
    InvalidTransition,
    apply_transition,
    apply_transition_in_one_statement,
    create_in_one_statement,
    transitions_of,
)
from apps.pix.models import PixTransfer
from apps.pix.transfers.services.send import pix_send
from tests.factories.users import UserFactory
from tests.support.concurrency import run_at_once
from tests.support.pix_transfers import key_elsewhere, maria
from tests.support.statements import counted_statements


def sent_transfer() -> PixTransfer:
    """A Pix to another PSP, debited and SENT (the SPI's answer not applied: no commit)."""
    transfer = pix_send(account=maria(), key=key_elsewhere(), amount_cents=1_500)
    assert transfer.state == PixTransfer.State.SENT
    return PixTransfer.objects.get(pk=transfer.pk)


@pytest.mark.django_db
def test_it_writes_the_row_its_history_and_its_log_in_one_statement():
    transfer = sent_transfer()
    operator = UserFactory()
    history_before = transfer.history.count()

    with counted_statements() as statements:
        apply_transition_in_one_statement(transfer, "settle", by=operator, reason="ACSC")

    assert len(statements) == 1
    stored = PixTransfer.objects.get(pk=transfer.pk)
    assert stored.state == PixTransfer.State.SETTLED
    assert stored.settled_at == transfer.settled_at is not None  # what the method set, kept
    assert stored.pacs008 == transfer.pacs008  # fields left out of history still saved
    latest = stored.history.first()
    assert stored.history.count() == history_before + 1
    assert latest.state == PixTransfer.State.SETTLED and latest.history_type == "~"
    assert latest.history_change_reason == "settle: ACSC"
    assert latest.history_user_id == operator.pk
    assert latest.debit_entry_id == stored.debit_entry_id
    log = transitions_of(stored).order_by("pk").last()
    assert (log.transition, log.source_state, log.target_state) == ("settle", "sent", "settled")
    assert (log.actor_id, log.reason) == (operator.pk, "ACSC")


@pytest.mark.django_db
def test_the_row_it_wrote_takes_a_later_transition_as_usual():
    transfer = sent_transfer()
    apply_transition_in_one_statement(transfer, "reject", by="spi", reason="AC03: no account")
    assert transfer.reject_reason == "AC03: no account"
    # The instance knows its new state: a later save is checked against "rejected".
    transfer.description = "kept"
    transfer.save(update_fields=["description", "updated_at"])
    assert PixTransfer.objects.get(pk=transfer.pk).description == "kept"


@pytest.mark.django_db
def test_a_stale_instance_writes_nothing():
    transfer = sent_transfer()
    stale = PixTransfer.objects.get(pk=transfer.pk)
    apply_transition(transfer, "settle", by="spi", reason="ACSC")
    logs, history = transitions_of(transfer).count(), transfer.history.count()

    with pytest.raises(InvalidTransition):
        apply_transition_in_one_statement(stale, "reject", by="spi", reason="late")

    stored = PixTransfer.objects.get(pk=transfer.pk)
    assert stored.state == PixTransfer.State.SETTLED and stored.reject_reason == ""
    assert transitions_of(transfer).count() == logs and transfer.history.count() == history


@pytest.mark.django_db
def test_a_transition_the_state_does_not_allow_is_refused_before_any_write():
    transfer = sent_transfer()
    with counted_statements() as statements, pytest.raises(InvalidTransition):
        apply_transition_in_one_statement(transfer, "cancel", by="customer")
    assert len(statements) == 0


@pytest.mark.django_db(transaction=True)
def test_two_connections_settling_and_rejecting_at_once_move_it_once(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 1.0  # the send commits; the SPI never answers: SENT
    transfer = sent_transfer()
    outcomes: list[str] = []

    # Both read it SENT before either writes: only the conditional write can tell them apart.
    rows = {name: PixTransfer.objects.get(pk=transfer.pk) for name in ("settle", "reject")}

    def move(name: str) -> None:
        try:
            apply_transition_in_one_statement(rows[name], name, by="spi", reason="race")
            outcomes.append(name)
        except InvalidTransition:
            outcomes.append("lost")

    assert run_at_once(lambda: move("settle"), lambda: move("reject")) == []

    assert sorted(outcomes) in (["lost", "reject"], ["lost", "settle"])
    winner = next(outcome for outcome in outcomes if outcome != "lost")
    stored = PixTransfer.objects.get(pk=transfer.pk)
    assert stored.state == {"settle": "settled", "reject": "rejected"}[winner]
    moves = transitions_of(stored).filter(reason="race")
    assert moves.count() == 1
    assert stored.history.filter(history_change_reason__endswith=": race").count() == 1


@pytest.mark.django_db
def test_a_row_created_in_one_statement_has_its_first_history_row():
    account = maria()
    transfer = PixTransfer(
        direction=PixTransfer.Direction.OUT,
        end_to_end_id="E13140088202612071200abcdefghijk",
        account=account,
        amount=2_000,
        counterparty_name="Carlos Pereira Dias",
        counterparty_tax_id="52998224725",
    )
    transfer.derive_fields()

    with counted_statements() as statements:
        create_in_one_statement(transfer)

    assert len(statements) == 1
    stored = PixTransfer.objects.get(pk=transfer.pk)
    assert stored.counterparty_tax_id == "52998224725"  # encrypted at rest, read back
    assert stored.counterparty_tax_id_hash == transfer.counterparty_tax_id_hash != ""
    (first,) = stored.history.all()
    assert first.history_type == "+" and first.state == PixTransfer.State.CREATED
    assert first.amount == 2_000 and first.end_to_end_id == stored.end_to_end_id
    # The instance is a saved row: its first transition is checked against "created".
    apply_transition_in_one_statement(transfer, "send", by="test")
    assert PixTransfer.objects.get(pk=transfer.pk).state == PixTransfer.State.SENT
