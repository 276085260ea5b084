"""The simulated DICT's console: the directory, claims and anti-scan buckets are read-only
evidence; the simulator's own actions (another PSP answering a claim, refilling a bucket)
are for admins only. CPF/CNPJ keys are masked for staff without the full-tax-id permission."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.admin_masking import TaxIdKeyMaskingMixin
from apps.core.admin_tools import ReadOnlyAdmin, ReasonActionsMixin
from apps.core.documents import mask_tax_id
from apps.core.errors import Conflict
from apps.pix import selectors as pix_selectors
from apps.pix.adapters import dict as dict_api
from apps.simulators.dict.models import DictClaim, DictEntry, DictTokenBucket
from apps.simulators.dict.simulator import DictSimulator


def _bank(ispb: str) -> str:
    return f"{pix_selectors.name_of(ispb)} ({ispb})" if ispb else "-"


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
        return request.user.has_perm("simulators.change_dictclaim")

    def _as_other_donor(self, request, queryset, *, confirm: bool):
        def perform(claim: DictClaim, reason: str) -> str:
            if claim.donor_participant == pix_selectors.own_ispb():
                raise Conflict("We are the donor here: use the Pix key claims page.")
            simulator = DictSimulator(claim.donor_participant)
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
        return request.user.has_perm("simulators.change_dicttokenbucket")

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
