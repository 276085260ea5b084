"""The Pix keys console: our keys and claims, and the DICT simulator's tables.

* Keys and claims are read-only: they change through the services, from admin actions that
  ask for a reason (recorded in history, the transition log and the audit trail).
  Keys: "Delete from the DICT". Claims against our keys: "Give the key up" (the holder
  asked us to) and "Refuse / cancel (fraud)". Our own claims: "Withdraw", and "Sync with
  the DICT now" for any selection.
* The simulator's directory, claims and buckets are read-only evidence; the simulator's
  own actions (another PSP answering a claim, refilling a bucket) are for admins only.
* CPF and CNPJ keys are masked (as elsewhere in the console) for staff without
  `accounts.view_full_tax_id`, in lists, forms and history; other keys are shown whole
  (they are what the customer gave to be paid with).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyAdmin,
    ReadOnlyMixin,
    ReasonActionsMixin,
    StateFirstOrdering,
    admin_link,
)
from apps.core.documents import mask_tax_id
from apps.core.errors import Conflict
from apps.pix import participants, services
from apps.pix.adapters import dict as dict_api
from apps.pix.keys import mask_key
from apps.pix.models import DictClaim, DictEntry, DictTokenBucket, PixClaim, PixKey

FULL_TAX_ID_PERMISSION = "accounts.view_full_tax_id"


def _bank(ispb: str) -> str:
    return f"{participants.name_of(ispb)} ({ispb})" if ispb else "-"


def _sees_tax_ids(request: HttpRequest) -> bool:
    return request.user.has_perm(FULL_TAX_ID_PERMISSION)


def _masked(key_type: str, key: str) -> str:
    return mask_key(key_type, key) if key_type in ("CPF", "CNPJ") else key


def _looks_like_tax_id(value) -> bool:
    text = str(value or "")
    return len(text) in (11, 14) and text.isalnum()


class _MaskedKeyHistory(HistoricalRecordContextHelper):
    """History deltas with CPF/CNPJ keys masked, for staff who may not see them."""

    def prepare_delta_change_value(self, change, value):
        if change.field == "key" and _looks_like_tax_id(value):
            return mask_tax_id(value)
        return super().prepare_delta_change_value(change, value)


class TaxIdKeyMaskingMixin:
    """Shows the `key` field, or `shown_key` (CPF/CNPJ masked) to staff without the
    full-tax-id permission; the same in the list, the form and the history."""

    def _key_field(self, request: HttpRequest) -> str:
        return "key" if _sees_tax_ids(request) else "shown_key"

    def _swap(self, request: HttpRequest, names) -> tuple:
        return tuple(self._key_field(request) if n == "key" else n for n in names)

    def get_list_display(self, request: HttpRequest):
        return self._swap(request, super().get_list_display(request))

    def get_fields(self, request: HttpRequest, obj=None):
        return self._swap(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self._swap(request, super().get_readonly_fields(request, obj))

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record):
        if _sees_tax_ids(request):
            return super().get_historical_record_context_helper(request, historical_record)
        return _MaskedKeyHistory(self.model, historical_record)

    @admin.display(description=_("key"))
    def shown_key(self, obj) -> str:
        return _masked(obj.key_type, obj.key)


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

    @admin.action(description=_("Give the key up (holder's request)"), permissions=("handle",))
    def give_key_up(self, request: HttpRequest, queryset: QuerySet[PixClaim]):
        def perform(claim: PixClaim, reason: str) -> str:
            done = services.claim_confirm(claim=claim, actor=request.user, reason=reason)
            return gettext("now %(state)s.") % {"state": done.get_state_display()}

        return self.run_with_reason(
            request,
            queryset,
            title=_("Give the key up"),
            perform=perform,
            notice=_("Only claims against our keys (role donor) can be confirmed."),
        )

    @admin.action(
        description=_("Cancel (withdraw ours / refuse as fraud)"), permissions=("handle",)
    )
    def cancel_claim(self, request: HttpRequest, queryset: QuerySet[PixClaim]):
        def perform(claim: PixClaim, reason: str) -> str:
            fraud = claim.role == PixClaim.Role.DONOR
            outcome = services.claim_cancel(
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
        changed = services.claims_sync()
        self.message_user(request, gettext("%(count)d change(s) applied.") % {"count": changed})


# --- The DICT simulator ------------------------------------------------------------------------


@admin.register(DictEntry)
class DictEntryAdmin(TaxIdKeyMaskingMixin, ReadOnlyAdmin):
    list_display = ("key", "key_type", "bank", "branch", "account_number", "owner", "created_at")
    list_filter = ("key_type", "owner_type")
    search_fields = ("=key", "=participant")
    ordering = ("-created_at",)
    fields = (
        "key",
        "key_type",
        "bank",
        "branch",
        "account_number",
        "account_type",
        "account_opened_at",
        "owner_type",
        "owner",
        "masked_tax_id",
        "owner_trade_name",
        "request_id",
        "cid",
        "created_at",
        "key_ownership_date",
    )
    readonly_fields = fields

    @admin.display(description=_("institution"))
    def bank(self, obj: DictEntry) -> str:
        return _bank(obj.participant)

    @admin.display(description=_("owner"))
    def owner(self, obj: DictEntry) -> str:
        return dict_api.mask_owner_name(obj.owner_type, obj.owner_name)

    @admin.display(description=_("CPF/CNPJ"))
    def masked_tax_id(self, obj: DictEntry) -> str:
        return mask_tax_id(obj.owner_tax_id)


@admin.register(DictClaim)
class DictClaimAdmin(TaxIdKeyMaskingMixin, ReasonActionsMixin, ReadOnlyAdmin):
    list_display = (
        "id",
        "claim_type",
        "key",
        "status",
        "claimer",
        "donor",
        "resolution_period_end",
        "completion_period_end",
        "last_modified",
    )
    list_filter = ("status", "claim_type")
    search_fields = ("=key", "=id")
    ordering = ("-last_modified",)
    fields = (
        "id",
        "claim_type",
        "key",
        "key_type",
        "status",
        "claimer",
        "donor",
        "created_at",
        "resolution_period_end",
        "completion_period_end",
        "last_modified",
        "confirm_reason",
        "cancel_reason",
        "cancelled_by",
    )
    readonly_fields = fields
    actions = ("other_psp_confirms", "other_psp_cancels")

    @admin.display(description=_("claimer"))
    def claimer(self, obj: DictClaim) -> str:
        return _bank(obj.claimer_participant)

    @admin.display(description=_("donor"))
    def donor(self, obj: DictClaim) -> str:
        return _bank(obj.donor_participant)

    def has_simulate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("pix.change_dictclaim")

    def _as_other_donor(self, request, queryset, *, confirm: bool):
        def perform(claim: DictClaim, reason: str) -> str:
            if claim.donor_participant == participants.own_ispb():
                raise Conflict("We are the donor here: use the Pix key claims page.")
            simulator = dict_api.DictSimulator(claim.donor_participant)
            now = timezone.now()
            if claim.status == dict_api.OPEN:
                simulator.acknowledge_claim(claim_id=claim.pk, now=now)
            if confirm:
                record = simulator.confirm_claim(
                    claim_id=claim.pk, reason=dict_api.USER_REQUESTED, now=now
                )
            else:
                reason_code = (
                    dict_api.USER_REQUESTED
                    if claim.claim_type == dict_api.PORTABILITY
                    else dict_api.FRAUD
                )
                record = simulator.cancel_claim(claim_id=claim.pk, reason=reason_code, now=now)
            return gettext("now %(status)s.") % {"status": record.status}

        title = _("Other PSP confirms") if confirm else _("Other PSP cancels")
        return self.run_with_reason(request, queryset, title=title, perform=perform)

    @admin.action(description=_("Simulator: the other PSP confirms"), permissions=("simulate",))
    def other_psp_confirms(self, request: HttpRequest, queryset: QuerySet[DictClaim]):
        return self._as_other_donor(request, queryset, confirm=True)

    @admin.action(description=_("Simulator: the other PSP cancels"), permissions=("simulate",))
    def other_psp_cancels(self, request: HttpRequest, queryset: QuerySet[DictClaim]):
        return self._as_other_donor(request, queryset, confirm=False)


@admin.register(DictTokenBucket)
class DictTokenBucketAdmin(ReasonActionsMixin, ReadOnlyAdmin):
    list_display = ("payer", "payer_category", "policy", "tokens_now", "capacity", "updated_at")
    list_filter = ("policy", "payer_category")
    search_fields = ("=payer_hash",)
    ordering = ("-updated_at",)
    fields = (
        "participant",
        "payer_hash",
        "payer_category",
        "policy",
        "capacity",
        "refill_per_minute",
        "tokens",
        "tokens_now",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("refill",)

    @admin.display(description=_("end user"))
    def payer(self, obj: DictTokenBucket) -> str:
        return obj.payer_hash[:12] + "…"

    @admin.display(description=_("tokens now"))
    def tokens_now(self, obj: DictTokenBucket) -> str:
        elapsed = max((timezone.now() - obj.updated_at).total_seconds(), 0.0)
        return f"{min(obj.capacity, obj.tokens + elapsed / 60 * obj.refill_per_minute):.1f}"

    def has_refill_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("pix.change_dicttokenbucket")

    @admin.action(description=_("Simulator: fill the bucket"), permissions=("refill",))
    def refill(self, request: HttpRequest, queryset: QuerySet[DictTokenBucket]):
        def perform(bucket: DictTokenBucket, reason: str) -> str:
            # No history on buckets (they change on every look-up): the admin log entry
            # written by run_with_reason records who filled which bucket and why.
            DictTokenBucket.objects.filter(pk=bucket.pk).update(
                tokens=bucket.capacity, updated_at=timezone.now()
            )
            return gettext("filled to %(n)d tokens.") % {"n": bucket.capacity}

        return self.run_with_reason(request, queryset, title=_("Fill bucket"), perform=perform)
