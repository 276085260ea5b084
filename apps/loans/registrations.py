"""What loans plug into other apps' extension points (from LoansConfig.ready()): its records
in a data subject's export and erasure, and its automated decisions for an LGPD art. 20
review (apps.privacy)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

REF_PREFIX = "loans:"


def export_loans(customer: Any, account_ids: list[int]) -> dict:
    from apps.core.money import cents_to_str
    from apps.loans.models import Loan
    from apps.privacy.registry import iso

    loans = []
    for loan in Loan.objects.filter(customer_id=customer.pk).order_by("pk"):
        loans.append(
            {
                "id": str(loan.public_id),
                "state": loan.state,
                "requested": cents_to_str(loan.requested_cents),
                "installments": loan.installments_count,
                "purpose": loan.purpose,
                "declared_income": cents_to_str(loan.declared_income_cents),
                "employment_years": loan.employment_years,
                "housing": loan.housing,
                "features_scored": loan.features,
                "score": loan.score,
                "model_version": loan.model_version,
                "reasons": loan.reasons,
                "decided_by_person": loan.decided_by_person,
                "contract": loan.contract_number,
                "principal": cents_to_str(loan.principal_cents or 0),
                "monthly_rate": str(loan.monthly_rate or ""),
                "cet_annual_percent": str(loan.cet_annual_percent or ""),
                "created_at": iso(loan.created_at),
                "payments": [
                    {
                        "kind": p.kind,
                        "amount": cents_to_str(p.amount_cents),
                        "at": iso(p.created_at),
                    }
                    for p in loan.payments.order_by("pk")
                ],
            }
        )
    return {"loans": loans}


def erasure_blockers(customer: Any, account_ids: list[int]) -> list[str]:
    from apps.loans.models import Loan

    if Loan.objects.filter(customer_id=customer.pk, state__in=Loan.LIVE).exists():
        return [_("You have a loan still running: pay it off first.")]
    return []


def erase_loans(ctx) -> None:
    """Contracts are credit records the bank keeps (CMN Res. 4.474: five years after they
    end, and SCR reporting): retained until the retention date, never erased early."""
    from apps.loans.models import Loan

    ctx.retain(
        Loan,
        Loan.objects.filter(customer_id=ctx.customer.pk).values_list("pk", flat=True),
        key="loans",
    )


# --- LGPD art. 20 -----------------------------------------------------------------------------


def _rejected(customer: Any):
    from apps.loans.models import Loan

    return Loan.objects.filter(
        customer=customer, state=Loan.State.REJECTED, decided_by_person=False
    )


def latest_rejected(customer: Any) -> str:
    found = _rejected(customer).order_by("-scored_at", "-pk").first()
    return f"{REF_PREFIX}{found.public_id}" if found else ""


def _find(customer: Any, ref: str):
    import uuid

    try:
        public_id = uuid.UUID(ref.removeprefix(REF_PREFIX))
    except ValueError:
        return None
    return _rejected(customer).filter(public_id=public_id).first()


def is_rejected(customer: Any, ref: str) -> bool:
    return ref.startswith(REF_PREFIX) and _find(customer, ref) is not None


def reopen(customer: Any, ref: str, *, actor: Any, reason: str) -> bool:
    from apps.loans.services import loan_reopen_for_review

    loan = _find(customer, ref)
    if loan is None:
        return False
    loan_reopen_for_review(loan=loan, actor=actor, reason=reason)
    return True


def register() -> None:
    from apps.accounts.registry import register_product_condition
    from apps.loans.services.applications import persons_only
    from apps.privacy.registry import register_decision_source, register_section

    register_product_condition("loans", persons_only)
    register_section(
        "loans", export=export_loans, blockers=erasure_blockers, erase=erase_loans, order=75
    )
    register_decision_source(
        "loans", latest_rejected=latest_rejected, is_rejected=is_rejected, reopen=reopen
    )
