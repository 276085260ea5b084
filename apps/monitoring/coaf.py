"""The COAF communication's content: SISCOAF-shaped data and its PDF rendering (reportlab).

SISCOAF asks for the reporting institution (comunicante), the people involved (envolvidos:
name, CPF/CNPJ, role), the operations (date, amount, kind, counterparty), the reasoning
(fundamentação) and the date of the decision to communicate.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from django.conf import settings
from django.utils import timezone

from apps.accounts.models import Customer, JournalEntry, Posting
from apps.core.money import cents_to_str, format_brl

from .models import Alert, CoafReport


def comunicante() -> dict[str, str]:
    """Us, the reporting institution, as SISCOAF names it."""
    return {
        "nome": getattr(settings, "ATHENA_LEGAL_NAME", "Athena Pay Instituição de Pagamento"),
        "cnpj": getattr(settings, "ATHENA_CNPJ", ""),
        "ispb": settings.ATHENA_ISPB,
    }


def _counterparty_parties(entry_ids: set[int], customer_id: int) -> dict[int, dict[str, str]]:
    """entry id -> the other side of the operation, as much as we know of it."""
    parties: dict[int, dict[str, str]] = {}
    others = (
        Posting.objects.filter(entry_id__in=entry_ids, account__customer__isnull=False)
        .exclude(account__customer_id=customer_id)
        .values_list("entry_id", "account__customer_id")
    )
    customers = {c.pk: c for c in Customer.objects.filter(pk__in={c for _e, c in others})}
    for entry_id, other_id in others:
        other = customers[other_id]
        parties[entry_id] = {
            "nome": other.full_name,
            "cpf_cnpj": other.tax_id,
            "instituicao": "",
        }
    pix_refs = dict(
        JournalEntry.objects.filter(
            pk__in=entry_ids - set(parties), reference_type="pix_transfer"
        ).values_list("pk", "reference_id")
    )
    if pix_refs:
        from apps.pix.models import PixTransfer

        transfers = {
            str(t.pk): t
            for t in PixTransfer.objects.filter(
                pk__in=[r for r in pix_refs.values() if r.isdigit()]
            )
        }
        for entry_id, ref in pix_refs.items():
            transfer = transfers.get(ref)
            if transfer is not None:
                parties[entry_id] = {
                    "nome": transfer.counterparty_name,
                    "cpf_cnpj": getattr(transfer, "counterparty_tax_id", "") or "",
                    "instituicao": transfer.counterparty_ispb,
                }
    return parties


def build_siscoaf_data(*, alert: Alert, reasoning: str, decided_on: date) -> dict[str, Any]:
    customer = alert.customer
    movements = alert.evidence.get("movements", [])
    entry_ids = {m["entry_id"] for m in movements}
    counterparties = _counterparty_parties(entry_ids, customer.pk)
    role = "titular" if customer.kind == Customer.Kind.PERSON else "titular (pessoa jurídica)"
    envolvidos = [{"nome": customer.full_name, "cpf_cnpj": customer.tax_id, "papel": role}]
    seen = {customer.tax_id}
    for party in counterparties.values():
        if party["cpf_cnpj"] and party["cpf_cnpj"] in seen:
            continue
        seen.add(party["cpf_cnpj"])
        envolvidos.append({**party, "papel": "contraparte"})
    operacoes = [
        {
            "data": m["created_at"],
            "valor": cents_to_str(abs(m["amount"])),
            "valor_centavos": abs(m["amount"]),
            "sentido": "credito" if m["amount"] > 0 else "debito",
            "tipo": m["kind"],
            "lancamento": m["entry_id"],
            "contraparte": counterparties.get(m["entry_id"], {}).get("nome", ""),
        }
        for m in movements
    ]
    return {
        "comunicante": comunicante(),
        "tipo_comunicacao": "COE" if alert.rule.code == "cash" else "COS",
        "enquadramento": {"regra": alert.rule.code, "descricao": alert.rule.name},
        "envolvidos": envolvidos,
        "operacoes": operacoes,
        "valor_total": cents_to_str(sum(op["valor_centavos"] for op in operacoes)),
        "fundamentacao": reasoning,
        "data_decisao": decided_on.isoformat(),
        "alerta": alert.pk,
        "gerado_em": timezone.now().isoformat(),
    }


def render_pdf(report: CoafReport) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    data = report.data
    preparer = report.prepared_by.get_full_name() if report.prepared_by else "sistema"
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title="Comunicação ao COAF")
    story: list = [
        Paragraph("Comunicação ao COAF (SISCOAF)", styles["Title"]),
        Paragraph(
            escape(
                f"{data['tipo_comunicacao']} - alerta {data['alerta']} - "
                f"regra {data['enquadramento']['regra']}"
            ),
            styles["Normal"],
        ),
        Spacer(1, 8),
        Paragraph("Comunicante", styles["Heading2"]),
        Paragraph(
            escape(
                f"{data['comunicante']['nome']} - CNPJ {data['comunicante']['cnpj'] or '-'} - "
                f"ISPB {data['comunicante']['ispb']}"
            ),
            styles["Normal"],
        ),
        Paragraph("Envolvidos", styles["Heading2"]),
    ]

    def table(rows: list[list[str]]) -> Table:
        t = Table(rows, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                ]
            )
        )
        return t

    story.append(
        table(
            [["Nome", "CPF/CNPJ", "Papel"]]
            + [[p["nome"], p["cpf_cnpj"], p["papel"]] for p in data["envolvidos"]]
        )
    )
    story += [Paragraph("Operações", styles["Heading2"])]
    story.append(
        table(
            [["Data", "Valor", "Sentido", "Tipo", "Contraparte"]]
            + [
                [
                    op["data"][:19].replace("T", " "),
                    format_brl(op["valor_centavos"]),
                    op["sentido"],
                    op["tipo"],
                    op["contraparte"],
                ]
                for op in data["operacoes"]
            ]
        )
    )
    story += [
        Paragraph(escape(f"Valor total: R$ {data['valor_total']}"), styles["Normal"]),
        Paragraph("Fundamentação", styles["Heading2"]),
        Paragraph(escape(data["fundamentacao"]), styles["Normal"]),
        Spacer(1, 8),
        Paragraph(escape(f"Data da decisão: {data['data_decisao']}"), styles["Normal"]),
        Paragraph(escape(f"Comunicar até: {report.due_by or '-'}"), styles["Normal"]),
        Paragraph(
            escape(
                f"Preparado por: {preparer} - Aprovado por: {data.get('aprovado_por', 'pendente')}"
            ),
            styles["Normal"],
        ),
    ]
    doc.build(story)
    return buffer.getvalue()
