"""DRF fields shared by every app's API."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.money import AmountError, cents_to_str, parse_amount


@extend_schema_field({"type": "string", "pattern": r"^\d{1,15}\.\d{2}$", "example": "123.45"})
class AmountField(serializers.Field):
    """An amount as BACEN's API Pix writes it ("123.45"); centavos (int) inside."""

    default_error_messages = {"invalid": "{reason}"}

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> int:
        try:
            return parse_amount(data, strict=True, allow_zero=self.allow_zero)
        except AmountError as exc:
            self.fail("invalid", reason=str(exc))

    def to_representation(self, value: int) -> str:
        return cents_to_str(value)


@extend_schema_field(OpenApiTypes.STR)
class SignedAmountField(serializers.Field):
    """Read-only signed amount ("-12.34") for statement lines and balances."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: int) -> str:
        return cents_to_str(value)
