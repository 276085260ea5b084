"""The CIP registry of boletos (Nova Plataforma de Cobranca, NPC) behind one interface.

Since the NPC every boleto is registered at CIP by the beneficiary's bank before it can be
paid, and the paying bank asks CIP, before taking the money, who the beneficiary is, what
the boleto asks on the day and whether it may still be paid; after paying, it tells CIP
(the "baixa operacional"), so a second payment anywhere is refused. CIP also serves DDA:
the boletos registered against a payer's CPF/CNPJ, whatever bank issued them.

* `register(title)`: the beneficiary's bank registers a boleto (`CipRefused` on a
  duplicate barcode);
* `lookup(barcode)`: the registered title, or None when CIP does not know it;
* `record_payment(barcode, amount_cents, paid_on, paying_bank)`: the baixa operacional;
  `CipRefused` when the title is no longer payable (paid, written off, past its limit);
* `write_off(barcode, reason)`: the beneficiary's bank closes a title (cancelled, expired,
  or paid through its Pix QR code: the hybrid boleto);
* `dda(payer_tax_id)`: the open titles registered against a payer.

Implementations, chosen by settings.BOLETO_CIP_CLIENT through `cip_client()`:
"simulator" (the default, apps/simulators/cip/) and "http" (`CipHttpClient`, below: the
production shape, JSON over mTLS; CIP is not reachable from here, so it is kept minimal and
is never the default).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import requests
from django.conf import settings

from apps.core.adapters import client_class


class CipError(Exception):
    """CIP could not be asked or did not answer."""


class CipRefused(CipError):
    """CIP answered and refused the request (the reason is in the message)."""


@dataclass(frozen=True)
class CipTitle:
    """A boleto as CIP holds it. Amounts in centavos; `value_terms` in the API Pix cobv
    shape (multa, juros, desconto, abatimento), which is what apps.core.due_amounts reads."""

    barcode: str
    bank_code: str
    beneficiary_name: str
    beneficiary_tax_id: str
    payer_name: str
    payer_tax_id: str
    amount: int
    due_date: dt.date | None
    valid_days_after_due: int = 0
    value_terms: dict = field(default_factory=dict)
    status: str = "open"  # open | paid | written_off
    paid_amount: int | None = None
    paid_on: dt.date | None = None

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class CipRegistry(ABC):
    @abstractmethod
    def register(self, title: CipTitle) -> None: ...

    @abstractmethod
    def lookup(self, barcode: str) -> CipTitle | None: ...

    @abstractmethod
    def record_payment(
        self, barcode: str, *, amount_cents: int, paid_on: dt.date, paying_bank: str
    ) -> None: ...

    @abstractmethod
    def write_off(self, barcode: str, *, reason: str) -> None: ...

    @abstractmethod
    def dda(self, payer_tax_id: str) -> list[CipTitle]: ...


def cip_client() -> CipRegistry:
    return client_class("BOLETO_CIP_CLIENT", "BOLETO_CIP_CLIENTS")()


def _title_from_json(data: dict) -> CipTitle:
    return CipTitle(
        barcode=data["barcode"],
        bank_code=data["bank_code"],
        beneficiary_name=data["beneficiary_name"],
        beneficiary_tax_id=data["beneficiary_tax_id"],
        payer_name=data.get("payer_name", ""),
        payer_tax_id=data.get("payer_tax_id", ""),
        amount=int(data["amount"]),
        due_date=dt.date.fromisoformat(data["due_date"]) if data.get("due_date") else None,
        valid_days_after_due=int(data.get("valid_days_after_due", 0)),
        value_terms=data.get("value_terms") or {},
        status=data.get("status", "open"),
    )


class CipHttpClient(CipRegistry):
    """The production client: CIP's NPC API over mTLS (settings.BOLETO_CIP_URL and the
    certificate pair). Never the default; the RSFN is not reachable from here."""

    def __init__(self) -> None:
        self.base = settings.BOLETO_CIP_URL.rstrip("/")
        self.session = requests.Session()
        if settings.BOLETO_CIP_CLIENT_CERT:
            self.session.cert = (settings.BOLETO_CIP_CLIENT_CERT, settings.BOLETO_CIP_CLIENT_KEY)

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            response = self.session.request(
                method, f"{self.base}{path}", timeout=settings.BOLETO_CIP_TIMEOUT, **kwargs
            )
        except requests.RequestException as exc:
            raise CipError(f"CIP unreachable: {exc.__class__.__name__}") from exc
        if response.status_code in (409, 422):
            raise CipRefused(response.json().get("detail", "refused by CIP"))
        if response.status_code >= 400 and response.status_code != 404:
            raise CipError(f"CIP answered HTTP {response.status_code}")
        return response

    def register(self, title: CipTitle) -> None:
        payload = {**title.__dict__, "due_date": title.due_date and title.due_date.isoformat()}
        self._call("POST", "/titulos", json=payload)

    def lookup(self, barcode: str) -> CipTitle | None:
        response = self._call("GET", f"/titulos/{barcode}")
        return None if response.status_code == 404 else _title_from_json(response.json())

    def record_payment(
        self, barcode: str, *, amount_cents: int, paid_on: dt.date, paying_bank: str
    ) -> None:
        self._call(
            "POST",
            f"/titulos/{barcode}/baixa-operacional",
            json={"amount": amount_cents, "paid_on": paid_on.isoformat(), "bank": paying_bank},
        )

    def write_off(self, barcode: str, *, reason: str) -> None:
        self._call("POST", f"/titulos/{barcode}/baixa-efetiva", json={"reason": reason})

    def dda(self, payer_tax_id: str) -> list[CipTitle]:
        response = self._call("POST", "/dda/consulta", json={"payer": payer_tax_id})
        return [_title_from_json(item) for item in response.json().get("titulos", [])]
