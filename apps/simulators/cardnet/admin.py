"""The simulated card network's console: what it saw authorized, the clearing records
acquirers presented and the files it wrote for us; read-only (the simulator writes them),
with two actions to play the acquirers: observe and present our approvals, and write the
next clearing file now. Cards show as BIN + last four and our token, as in the files."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.admin_tools import ReadOnlyAdmin, preformatted
from apps.core.money import format_brl
from apps.simulators.cardnet import simulator
from apps.simulators.cardnet.models import CardnetAuthorization, CardnetFile, CardnetRecord


@admin.register(CardnetAuthorization)
class CardnetAuthorizationAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "auth_code",
        "rrn",
        "stan",
        "merchant_name",
        "mcc",
        "amount_display",
        "state",
        "authorized_on",
    )
    list_filter = ("state", "authorized_on")
    search_fields = ("=auth_code", "=rrn", "=card_token")
    ordering = ("-created_at", "-pk")
    actions = ("present_selected", "observe_and_write")

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: CardnetAuthorization) -> str:
        return format_brl(obj.amount)

    def has_simulate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("simulators.change_cardnetauthorization")

    @admin.action(
        description=_("Simulator: present at the authorized amount"), permissions=("simulate",)
    )
    def present_selected(self, request: HttpRequest, queryset: QuerySet[CardnetAuthorization]):
        for auth in queryset.filter(state=CardnetAuthorization.State.APPROVED):
            record = simulator.present(auth)
            self.log_change(request, auth, f"Simulator: presented (ARN {record.arn})")
        self.message_user(request, gettext("Presented; in the next clearing file."))

    @admin.action(
        description=_("Simulator: observe our approvals and write a clearing file"),
        permissions=("simulate",),
    )
    def observe_and_write(self, request: HttpRequest, queryset: QuerySet[CardnetAuthorization]):
        new = simulator.authorizations_observe()
        written = simulator.file_write()
        self.message_user(
            request,
            gettext("%(new)s new approvals observed; file: %(file)s.")
            % {"new": new, "file": written.name if written else "-"},
            messages.SUCCESS,
        )


@admin.register(CardnetRecord)
class CardnetRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "transaction_code",
        "arn",
        "original_arn",
        "card_bin",
        "card_last4",
        "merchant_name",
        "amount_display",
        "transaction_date",
        "file",
    )
    list_filter = ("transaction_code", "transaction_date")
    search_fields = ("=arn", "=original_arn", "=card_token")
    ordering = ("-created_at", "-pk")

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: CardnetRecord) -> str:
        return format_brl(obj.amount)


@admin.register(CardnetFile)
class CardnetFileAdmin(ReadOnlyAdmin):
    list_display = ("name", "business_day", "sequence", "net_display", "delivered", "created_at")
    list_filter = ("delivered", "business_day")
    search_fields = ("=name",)
    ordering = ("-created_at", "-pk")
    fields = (
        "name",
        "business_day",
        "sequence",
        "net_display",
        "delivered",
        "created_at",
        "content_display",
    )
    readonly_fields = fields

    @admin.display(description=_("net (the issuer owes)"), ordering="net")
    def net_display(self, obj: CardnetFile) -> str:
        return format_brl(obj.net)

    @admin.display(description=_("content"))
    def content_display(self, obj: CardnetFile) -> str:
        return preformatted(obj.content)
