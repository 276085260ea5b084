"""How a payment splits over what installments ask (collections._allocate), as properties:
never more than asked or than paid, oldest installment first, charges before interest before
amortization (Civil Code art. 354)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from apps.loans.models import Installment
from apps.loans.services.collections import _PARTS, Charge, _allocate

part = st.integers(min_value=0, max_value=500_000)


@st.composite
def charges(draw) -> list[Charge]:
    count = draw(st.integers(min_value=1, max_value=6))
    return [
        Charge(
            Installment(pk=n, number=n),
            late_interest=draw(part),
            fine=draw(part),
            default_interest=draw(part),
            interest=draw(part),
            amortization=draw(part),
        )
        for n in range(1, count + 1)
    ]


@given(asked=charges(), paid=st.integers(min_value=0, max_value=5_000_000))
def test_a_payment_takes_what_is_asked_in_order(asked, paid):
    allocation = _allocate(asked, paid)
    total = sum(c.total for c in asked)
    assert allocation.amount == min(paid, total)
    flat = [(c.installment.pk, p, getattr(c, p)) for c in asked for p in _PARTS]
    taken = [allocation.taken.get(pk, {}).get(p, 0) for pk, p, _ in flat]
    assert all(0 <= t <= want for t, (_, _, want) in zip(taken, flat, strict=True))
    # Whatever a part left unpaid, nothing after it got a centavo.
    short = [i for i, (t, (_, _, want)) in enumerate(zip(taken, flat, strict=True)) if t < want]
    if short:
        assert all(t == 0 for t in taken[short[0] + 1 :])
