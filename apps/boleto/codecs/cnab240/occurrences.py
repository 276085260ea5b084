"""Códigos de movimento (FEBRABAN C044): what a bank says in a return, what we ask in a remittance.

Banks add their own codes; the parser accepts any two digits and these tables only describe.
Each entry: English description, then the Portuguese term the manuals and support staff use.
"""

from __future__ import annotations

from typing import NamedTuple


class Occurrence(NamedTuple):
    en: str
    pt: str


# Return (retorno), segment T 16-17.
RETURN_OCCURRENCES: dict[str, Occurrence] = {
    "02": Occurrence("registration accepted", "entrada confirmada"),
    "03": Occurrence("registration rejected", "entrada rejeitada"),
    "04": Occurrence("wallet transfer, in", "transferência de carteira/entrada"),
    "05": Occurrence("wallet transfer, out", "transferência de carteira/baixa"),
    "06": Occurrence("paid", "liquidação"),
    "07": Occurrence("discount confirmed", "confirmação do recebimento da instrução de desconto"),
    "08": Occurrence(
        "discount cancellation confirmed",
        "confirmação do recebimento do cancelamento do desconto",
    ),
    "09": Occurrence("written off", "baixa"),
    "11": Occurrence("open titles (position report)", "títulos em carteira (em ser)"),
    "12": Occurrence("rebate confirmed", "confirmação recebimento instrução de abatimento"),
    "13": Occurrence(
        "rebate cancellation confirmed",
        "confirmação recebimento instrução de cancelamento abatimento",
    ),
    "14": Occurrence(
        "due date change confirmed", "confirmação recebimento instrução alteração de vencimento"
    ),
    "15": Occurrence("free of payment", "franco de pagamento"),
    "17": Occurrence(
        "paid after write-off or not registered",
        "liquidação após baixa ou liquidação título não registrado",
    ),
    "19": Occurrence(
        "protest instruction confirmed", "confirmação recebimento instrução de protesto"
    ),
    "20": Occurrence(
        "protest stay confirmed",
        "confirmação recebimento instrução de sustação/cancelamento de protesto",
    ),
    "23": Occurrence("sent to the notary", "remessa a cartório (aponte em cartório)"),
    "24": Occurrence("withdrawn from the notary", "retirada de cartório e manutenção em carteira"),
    "25": Occurrence(
        "protested and written off", "protestado e baixado (baixa por ter sido protestado)"
    ),
    "26": Occurrence("instruction rejected", "instrução rejeitada"),
    "27": Occurrence(
        "other data change confirmed", "confirmação do pedido de alteração de outros dados"
    ),
    "28": Occurrence("fees debited", "débito de tarifas/custas"),
    "29": Occurrence("payer occurrences", "ocorrências do pagador"),
    "30": Occurrence("data change rejected", "alteração de dados rejeitada"),
}

# The codes whose segment T 214-223 carry rejection motives.
MOTIVE_OCCURRENCES = frozenset({"02", "03", "26", "30"})

PAID = frozenset({"06", "17"})

# Remittance (remessa), segment P/Q/R 16-17.
REMITTANCE_MOVEMENTS: dict[int, Occurrence] = {
    1: Occurrence("register title", "entrada de títulos"),
    2: Occurrence("write off", "pedido de baixa"),
    4: Occurrence("grant rebate", "concessão de abatimento"),
    5: Occurrence("cancel rebate", "cancelamento de abatimento"),
    6: Occurrence("change due date", "alteração de vencimento"),
    7: Occurrence("grant discount", "concessão de desconto"),
    8: Occurrence("cancel discount", "cancelamento de desconto"),
    9: Occurrence("protest", "protestar"),
    10: Occurrence("stay protest and write off", "sustar protesto e baixar título"),
    11: Occurrence("stay protest and keep", "sustar protesto e manter em carteira"),
    31: Occurrence("change other data", "alteração de outros dados"),
}


def describe_return(code: str) -> Occurrence:
    return RETURN_OCCURRENCES.get(code, Occurrence(f"bank-specific code {code}", f"código {code}"))
