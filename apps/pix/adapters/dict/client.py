"""`DictClient`: what our services need of the DICT. The production client
(`apps.pix.adapters.dict.http.DictHttpClient`) and the simulator (in apps.simulators, chosen
by settings.PIX_DICT_CLIENT) implement it; `apps.pix.adapters.dict_client()` returns one."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import datetime

from apps.pix.adapters.dict.records import (
    FRAUD_INFRACTION,
    TRANSACTION_SPI,
    USER_REQUESTED,
    ClaimPage,
    DictAccount,
    DictClaimRecord,
    DictEntryRecord,
    DictInfractionData,
    DictInfractionReportRecord,
    DictOwner,
    DictRequester,
)

# --- The interface ---------------------------------------------------------------------------


class DictClient(ABC):
    """What our services need of the DICT. Every method speaks for `self.participant`."""

    participant: str

    @abstractmethod
    def create_entry(
        self,
        *,
        key_type: str,
        key: str | None,
        account: DictAccount,
        owner: DictOwner,
        request_id: uuid.UUID,
        reason: str = USER_REQUESTED,
        now: datetime | None = None,
    ) -> DictEntryRecord:
        """Register a key (key=None for EVP: the DICT generates it)."""

    @abstractmethod
    def delete_entry(
        self, *, key: str, reason: str = USER_REQUESTED, now: datetime | None = None
    ) -> None: ...

    @abstractmethod
    def get_entry(
        self,
        *,
        key: str,
        requester: DictRequester,
        end_to_end_id: str = "",
        now: datetime | None = None,
    ) -> DictEntryRecord:
        """Look a key up for a payer; spends the payer's anti-scan tokens."""

    @abstractmethod
    def check_keys(self, *, keys: Iterable[str]) -> dict[str, bool]: ...

    @abstractmethod
    def create_claim(
        self,
        *,
        claim_type: str,
        key_type: str,
        key: str,
        claimer_account: DictAccount,
        claimer: DictOwner,
        now: datetime | None = None,
    ) -> DictClaimRecord: ...

    @abstractmethod
    def acknowledge_claim(
        self, *, claim_id: uuid.UUID, now: datetime | None = None
    ) -> DictClaimRecord: ...

    @abstractmethod
    def confirm_claim(
        self, *, claim_id: uuid.UUID, reason: str, now: datetime | None = None
    ) -> DictClaimRecord: ...

    @abstractmethod
    def cancel_claim(
        self, *, claim_id: uuid.UUID, reason: str, now: datetime | None = None
    ) -> DictClaimRecord: ...

    @abstractmethod
    def complete_claim(
        self, *, claim_id: uuid.UUID, request_id: uuid.UUID, now: datetime | None = None
    ) -> tuple[DictClaimRecord, DictEntryRecord]: ...

    @abstractmethod
    def get_claim(self, *, claim_id: uuid.UUID, now: datetime | None = None) -> DictClaimRecord: ...

    @abstractmethod
    def list_claims(
        self,
        *,
        is_donor: bool | None = None,
        is_claimer: bool | None = None,
        statuses: Iterable[str] = (),
        modified_after: datetime | None = None,
        limit: int = 200,
        now: datetime | None = None,
    ) -> ClaimPage: ...

    @abstractmethod
    def payment_sent(self, *, end_to_end_id: str, now: datetime | None = None) -> None:
        """A payment order was sent after the look-up that named its endToEndId: the DICT
        gives the token back."""

    # Infraction reports (MED). The reporter creates and may cancel; the other party of the
    # transaction acknowledges and closes (with AGREED or DISAGREED).

    @abstractmethod
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
    ) -> DictInfractionReportRecord: ...

    @abstractmethod
    def acknowledge_infraction_report(
        self, *, report_id: uuid.UUID, now: datetime | None = None
    ) -> DictInfractionReportRecord: ...

    @abstractmethod
    def close_infraction_report(
        self,
        *,
        report_id: uuid.UUID,
        result: str,
        details: str = "",
        now: datetime | None = None,
    ) -> DictInfractionReportRecord: ...

    @abstractmethod
    def cancel_infraction_report(
        self, *, report_id: uuid.UUID, now: datetime | None = None
    ) -> DictInfractionReportRecord: ...

    @abstractmethod
    def get_infraction_report(
        self, *, report_id: uuid.UUID, now: datetime | None = None
    ) -> DictInfractionReportRecord: ...
