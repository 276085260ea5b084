"""The Pix console of keys and claims: delete a key from the DICT; give a key up or refuse a
claim against ours; withdraw our claims; sync claims with the DICT now."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.core.admin_masking import (
    TaxIdKeyMaskingMixin,
)
from apps.core.admin_states import state_change
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyMixin,
    ReasonActionsMixin,
    StateFirstOrdering,
    admin_link,
)
from apps.pix.admin_helpers import (
    _bank,
)
from apps.pix.keys import claims as key_claims
from apps.pix.keys import services
from apps.pix.models import (
    PixClaim,
    PixKey,
)


@admin.register(PixKey)
class PixKeyAdmin(
    TaxIdKeyMaskingMixin,
    ReasonActionsMixin,
    HistoryViewOnlyMixin,
    StateFirstOrdering,
    ReadOnlyMixin,
    SimpleHistoryAdmin,
):
    first_states = (PixKey.State.LOCKED_BY_CLAIM, PixKey.State.CLAIMING)
    list_display = (
        "id",
        "key_type",
        "key",
        "state",
        "account_link",
        "customer_link",
        "registered_at",
        "created_at",
    )
    list_display_links = ("id",)
    list_filter = ("state", "key_type", "created_at")
    list_select_related = ("account", "customer")
    search_fields = ("=key", "=account__number")
    search_help_text = _("Exact key (phone as +55..., e-mail in lower case) or account number.")
    show_full_result_count = False
    history_list_display = ("state",)
    fields = (
        "key_type",
        "key",
        "state",
        "state_reason",
        "account_link",
        "customer_link",
        "claim_offer",
        "possession_verified_at",
        "registered_at",
        "ownership_since",
        "request_id",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("delete_from_dict",)

    @admin.display(description=_("account"))
    def account_link(self, obj: PixKey) -> str:
        return admin_link(obj.account, obj.account.number)

    @admin.display(description=_("customer"))
    def customer_link(self, obj: PixKey) -> str:
        return admin_link(obj.customer)

    def has_delete_key_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("pix.change_pixkey")

    @state_change(
        available=lambda key: (
            key.state
            in (
                PixKey.State.ACTIVE,
                PixKey.State.REGISTERING,
                PixKey.State.PENDING_OWNERSHIP,
                PixKey.State.AWAITING_CLAIM,
            )
        ),
        unavailable=_("Only a key that is active or being registered can be deleted."),
    )
    @admin.action(description=_("Delete from the DICT"), permissions=("delete_key",))
    def delete_from_dict(self, request: HttpRequest, queryset: QuerySet[PixKey]):
        def perform(pix_key: PixKey, reason: str) -> str:
            done = services.key_delete(pix_key=pix_key, actor=request.user, reason=reason)
            return gettext("now %(state)s.") % {"state": done.get_state_display()}

        return self.run_with_reason(
            request,
            queryset,
            title=_("Delete from the DICT"),
            perform=perform,
            describe=lambda k: f"{k} - {k.get_state_display()}",
        )


@admin.register(PixClaim)
class PixClaimAdmin(
    TaxIdKeyMaskingMixin,
    ReasonActionsMixin,
    HistoryViewOnlyMixin,
    StateFirstOrdering,
    ReadOnlyMixin,
    SimpleHistoryAdmin,
):
    first_states = (PixClaim.State.OPEN, PixClaim.State.WAITING_RESOLUTION)
    list_display = (
        "id",
        "claim_type",
        "role",
        "key",
        "state",
        "counterpart",
        "resolution_period_end",
        "completion_period_end",
        "created_at",
    )
    list_display_links = ("id",)
    list_filter = ("state", "role", "claim_type", "resolution_period_end")
    list_select_related = ("customer",)
    search_fields = ("=key", "=dict_claim_id")
    show_full_result_count = False
    history_list_display = ("state",)
    fields = (
        "dict_claim_id",
        "claim_type",
        "role",
        "key_type",
        "key",
        "state",
        "key_link",
        "account",
        "customer",
        "counterpart",
        "resolution_period_end",
        "completion_period_end",
        "confirm_reason",
        "cancel_reason",
        "cancelled_by",
        "notified_at",
        "dict_last_modified",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("give_key_up", "cancel_claim", "sync_now")

    @admin.display(description=_("other institution"))
    def counterpart(self, obj: PixClaim) -> str:
        return _bank(obj.counterpart_ispb)

    @admin.display(description=_("Pix key"))
    def key_link(self, obj: PixClaim) -> str:
        return admin_link(obj.pix_key)

    def has_handle_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("pix.change_pixclaim")

    @state_change(
        available=lambda claim: claim.role == PixClaim.Role.DONOR and not claim.is_final,
        unavailable=_("Only an open claim against one of our keys can be confirmed."),
    )
    @admin.action(description=_("Give the key up (holder's request)"), permissions=("handle",))
    def give_key_up(self, request: HttpRequest, queryset: QuerySet[PixClaim]):
        def perform(claim: PixClaim, reason: str) -> str:
            done = key_claims.claim_confirm(claim=claim, actor=request.user, reason=reason)
            return gettext("now %(state)s.") % {"state": done.get_state_display()}

        return self.run_with_reason(
            request,
            queryset,
            title=_("Give the key up"),
            perform=perform,
            notice=_("Only claims against our keys (role donor) can be confirmed."),
        )

    @state_change(
        available=lambda claim: not claim.is_final,
        unavailable=_("This claim is already closed."),
    )
    @admin.action(
        description=_("Cancel (withdraw ours / refuse as fraud)"), permissions=("handle",)
    )
    def cancel_claim(self, request: HttpRequest, queryset: QuerySet[PixClaim]):
        def perform(claim: PixClaim, reason: str) -> str:
            fraud = claim.role == PixClaim.Role.DONOR
            outcome = key_claims.claim_cancel(
                claim=claim, actor=request.user, fraud=fraud, reason=reason
            )
            return gettext("now %(state)s.") % {"state": outcome.claim.get_state_display()}

        return self.run_with_reason(
            request,
            queryset,
            title=_("Cancel claim"),
            perform=perform,
            notice=_(
                "Our own claims are withdrawn at the customer's request. A claim against one "
                "of our keys is refused with the DICT reason FRAUD: do it only on evidence "
                "that the claimer does not hold the phone or e-mail."
            ),
        )

    @admin.action(description=_("Sync with the DICT now"), permissions=("handle",))
    def sync_now(self, request: HttpRequest, queryset: QuerySet[PixClaim]) -> None:
        changed = key_claims.claims_sync()
        self.message_user(request, gettext("%(count)d change(s) applied.") % {"count": changed})
