"""Infraction reports (MED) in the simulated DICT. Mixed into `DictSimulator`."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings

from apps.core.documents import normalize_tax_id
from apps.pix.adapters.dict import (
    AGREED,
    CREDITED_PARTICIPANT,
    DEBITED_PARTICIPANT,
    DISAGREED,
    FRAUD_INFRACTION,
    INFRACTION_ACKNOWLEDGED,
    INFRACTION_CANCELLED,
    INFRACTION_CLOSED,
    INFRACTION_DETAILS_MAX,
    INFRACTION_OPEN_STATUSES,
    INFRACTION_REPORT_WINDOW,
    INFRACTION_TYPES,
    TRANSACTION_INTERNAL,
    TRANSACTION_SPI,
    DictForbidden,
    DictInfractionData,
    DictInfractionReportRecord,
    InfractionReportAlreadyBeingProcessedForTransaction,
    InfractionReportAlreadyProcessedForTransaction,
    InfractionReportInvalid,
    InfractionReportNotFound,
    InfractionReportOperationInvalid,
    InfractionReportPeriodExpired,
    InfractionReportTransactionNotFound,
    InfractionReportTransactionNotSettled,
)
from apps.pix.adapters.spi import SETTLED
from apps.pix.models import InfractionReport
from apps.simulators.dict.rules import now_or
from apps.simulators.spi.models import SpiSimulatedMessage


class DictInfractionsMixin:
    """What the DICT does with infraction reports; needs `participant`."""

    # --- infraction reports (MED) -------------------------------------------------------------
    #
    # No tables of their own (deliberately): every report this simulated DICT handles has
    # our PSP as a party, so the reports it knows are our `InfractionReport` rows (found by
    # `dict_report_id`), and what it knows of an SPI transaction is what the SPI simulator
    # recorded (`SpiSimulatedMessage`: parties, settlement, date). It validates like the
    # DICT and answers the report with its new status; our services write that status to
    # the row in the same transaction.

    def _transaction_parties(
        self,
        *,
        transaction_id: str,
        transaction_type: str,
        infraction_data: DictInfractionData | None,
    ) -> tuple[str, str, datetime]:
        """(debited participant, credited participant, transaction date)."""
        if transaction_type == TRANSACTION_SPI:
            if infraction_data is not None:
                raise InfractionReportInvalid("InfractionData is given for INTERNAL transactions.")
            message = SpiSimulatedMessage.objects.filter(
                end_to_end_id=transaction_id, kind=SpiSimulatedMessage.Kind.PACS008
            ).first()
            if message is None:
                raise InfractionReportTransactionNotFound("The SPI has no such transaction.")
            if message.status not in SETTLED:
                raise InfractionReportTransactionNotSettled("The transaction was not settled.")
            return message.debtor_ispb, message.creditor_ispb, message.created_at
        if transaction_type != TRANSACTION_INTERNAL:
            raise InfractionReportInvalid("TransactionType is SPI or INTERNAL.")
        data = infraction_data
        if data is None:
            raise InfractionReportInvalid("An INTERNAL transaction needs its InfractionData.")
        if data.debited_participant != data.credited_participant:
            raise InfractionReportInvalid(
                "An INTERNAL transaction has one participant on both sides."
            )
        if data.reported_by not in (DEBITED_PARTICIPANT, CREDITED_PARTICIPANT):
            raise InfractionReportInvalid(
                "ReportedBy is DEBITED_PARTICIPANT or CREDITED_PARTICIPANT."
            )
        if not re.fullmatch(r"[0-9]{11}|[0-9]{14}", normalize_tax_id(data.tax_id)):
            raise InfractionReportInvalid("TaxIdNumber is a CPF or a CNPJ.")
        if not re.fullmatch(r"[0-9]{1,20}", data.account_number or "") or not re.fullmatch(
            r"[0-9]{0,4}", data.branch or ""
        ):
            raise InfractionReportInvalid("InfractingAccountData: branch and account in digits.")
        if data.transaction_date is None:
            raise InfractionReportInvalid("TransactionDate is required.")
        return data.debited_participant, data.credited_participant, data.transaction_date

    @staticmethod
    def _report_parties(report) -> tuple[str, str]:
        transfer = report.transfer
        ours = settings.ATHENA_ISPB
        if transfer.internal:
            return ours, ours
        if transfer.direction == "out":
            return ours, transfer.counterparty_ispb
        return transfer.counterparty_ispb, ours

    @classmethod
    def _report_side(cls, report) -> str:
        debited, _credited = cls._report_parties(report)
        if report.reporter_participant == debited:
            return DEBITED_PARTICIPANT
        return CREDITED_PARTICIPANT

    @classmethod
    def _report_record(
        cls, report, *, now: datetime | None = None, **changes: Any
    ) -> DictInfractionReportRecord:
        debited, credited = cls._report_parties(report)
        fields = {
            "id": report.dict_report_id,
            "transaction_id": report.transfer.end_to_end_id,
            "infraction_type": FRAUD_INFRACTION,
            "reported_by": cls._report_side(report),
            "status": report.state,
            "debited_participant": debited,
            "credited_participant": credited,
            "created_at": report.created_at,
            "last_modified": now or report.updated_at,
            "details": report.details,
            "transaction_type": (
                TRANSACTION_INTERNAL if report.transfer.internal else TRANSACTION_SPI
            ),
            "analysis_result": report.analysis_result,
            "analysis_details": report.analysis_details,
            "situation": report.situation,
        }
        fields.update(changes)
        return DictInfractionReportRecord(**fields)

    def _report_of_party(self, report_id: uuid.UUID):
        report = (
            InfractionReport.objects.select_related("transfer")
            .filter(dict_report_id=report_id)
            .first()
        )
        if report is None:
            raise InfractionReportNotFound("Infraction report not found.")
        if self.participant not in self._report_parties(report):
            raise DictForbidden("Participant is not a party to this infraction report.")
        return report

    def _check_analyst(self, report) -> None:
        """The party that did not report acknowledges and closes."""
        debited, credited = self._report_parties(report)
        analyst = credited if self._report_side(report) == DEBITED_PARTICIPANT else debited
        if self.participant != analyst:
            raise DictForbidden("Only the other party of the transaction analyses the report.")

    def create_infraction_report(
        self,
        *,
        transaction_id: str,
        details: str = "",
        infraction_type: str = FRAUD_INFRACTION,
        transaction_type: str = TRANSACTION_SPI,
        infraction_data: DictInfractionData | None = None,
        situation: str = "",
        now: datetime | None = None,
    ) -> DictInfractionReportRecord:
        now = now_or(now)
        if infraction_type not in INFRACTION_TYPES:
            raise InfractionReportInvalid(
                f"InfractionType is one of {', '.join(INFRACTION_TYPES)}."
            )
        if not isinstance(transaction_id, str) or not re.fullmatch(
            r"\w{8,32}", transaction_id, re.ASCII
        ):
            raise InfractionReportInvalid("TransactionId must be 8 to 32 letters or digits.")
        if len(details or "") > INFRACTION_DETAILS_MAX:
            raise InfractionReportInvalid("ReportDetails has at most 2000 characters.")
        debited, credited, date = self._transaction_parties(
            transaction_id=transaction_id,
            transaction_type=transaction_type,
            infraction_data=infraction_data,
        )
        if self.participant not in (debited, credited):
            raise DictForbidden("The reporting participant is not a party to the transaction.")
        if infraction_data is not None:
            side = infraction_data.reported_by
        else:
            side = DEBITED_PARTICIPANT if self.participant == debited else CREDITED_PARTICIPANT
        if now - date > INFRACTION_REPORT_WINDOW:
            raise InfractionReportPeriodExpired(
                "Infraction reports are accepted up to 80 days after the transaction."
            )
        existing = InfractionReport.objects.select_related("transfer").filter(
            transfer__end_to_end_id=transaction_id,
            state__in=(*INFRACTION_OPEN_STATUSES, INFRACTION_CLOSED),
        )
        for report in existing:
            if self._report_side(report) != side:
                continue
            if report.state == INFRACTION_CLOSED:
                raise InfractionReportAlreadyProcessedForTransaction(
                    "An infraction report about this transaction was already closed."
                )
            raise InfractionReportAlreadyBeingProcessedForTransaction(
                "An infraction report about this transaction is in progress."
            )
        return DictInfractionReportRecord(
            id=uuid.uuid4(),
            transaction_id=transaction_id,
            infraction_type=infraction_type,
            reported_by=side,
            status="OPEN",
            debited_participant=debited,
            credited_participant=credited,
            created_at=now,
            last_modified=now,
            details=details or "",
            transaction_type=transaction_type,
            situation=situation,
        )

    def acknowledge_infraction_report(
        self, *, report_id: uuid.UUID, now: datetime | None = None
    ) -> DictInfractionReportRecord:
        now = now_or(now)
        report = self._report_of_party(report_id)
        self._check_analyst(report)
        if report.state == INFRACTION_ACKNOWLEDGED:
            return self._report_record(report)  # idempotent
        if report.state != "OPEN":
            raise InfractionReportOperationInvalid(f"The infraction report is {report.state}.")
        return self._report_record(report, now=now, status=INFRACTION_ACKNOWLEDGED)

    def close_infraction_report(
        self,
        *,
        report_id: uuid.UUID,
        result: str,
        details: str = "",
        now: datetime | None = None,
    ) -> DictInfractionReportRecord:
        now = now_or(now)
        if result not in (AGREED, DISAGREED):
            raise InfractionReportInvalid("AnalysisResult is AGREED or DISAGREED.")
        if len(details or "") > INFRACTION_DETAILS_MAX:
            raise InfractionReportInvalid("AnalysisDetails has at most 2000 characters.")
        report = self._report_of_party(report_id)
        self._check_analyst(report)
        if report.state == INFRACTION_CLOSED and report.analysis_result == result:
            return self._report_record(report)  # idempotent
        if report.state != INFRACTION_ACKNOWLEDGED:
            raise InfractionReportOperationInvalid(
                f"Only an ACKNOWLEDGED report can be closed; this one is {report.state}."
            )
        return self._report_record(
            report,
            now=now,
            status=INFRACTION_CLOSED,
            analysis_result=result,
            analysis_details=details or "",
        )

    def cancel_infraction_report(
        self, *, report_id: uuid.UUID, now: datetime | None = None
    ) -> DictInfractionReportRecord:
        now = now_or(now)
        report = self._report_of_party(report_id)
        if report.reporter_participant != self.participant:
            raise DictForbidden("Only the participant that created the report cancels it.")
        if report.state == INFRACTION_CANCELLED:
            return self._report_record(report)  # idempotent
        if report.state not in INFRACTION_OPEN_STATUSES:
            raise InfractionReportOperationInvalid(f"The infraction report is {report.state}.")
        return self._report_record(report, now=now, status=INFRACTION_CANCELLED)

    def get_infraction_report(
        self, *, report_id: uuid.UUID, now: datetime | None = None
    ) -> DictInfractionReportRecord:
        return self._report_record(self._report_of_party(report_id))
