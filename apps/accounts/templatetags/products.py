"""Template filters for what the portal may name to a customer (issue #16: no product is
promised to a customer who cannot use it): `{% if user.customer|offers:"loans" %}`."""

from __future__ import annotations

from django import template

from apps.accounts import selectors

register = template.Library()


@register.filter
def offers(customer, product: str) -> bool:
    """Whether the product is for this customer at some KYC level (a company is offered
    no loans); False for no customer. A product locked only by the KYC level is offered:
    its page says how to unlock it."""
    if not customer:
        return False
    return selectors.product_offered(customer=customer, product=product)
