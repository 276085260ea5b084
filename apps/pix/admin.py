"""The Pix console: keys and claims, transfers, refunds, charges, webhooks, the MED queue,
night limits, and the DICT and SPI simulators' tables.

* Everything here is read-only: rows change through the services, from admin actions (most
  ask for a reason, recorded in history, the transition log and the audit trail).
  Keys: "Delete from the DICT". Claims against our keys: "Give the key up" (the holder
  asked us to) and "Refuse / cancel (fraud)". Our own claims: "Withdraw", and "Sync with
  the DICT now" for any selection. Transfers: "Send to the SPI again" (SENT ones) and
  "Cancel scheduled". MED queue (compliance officers): acknowledge, close agreed / close
  disagreed, release a cautionary block.
* The MED queue lists what waits for a decision (open reports, active blocks), oldest first.
* The simulators' directory, claims, buckets and messages are read-only evidence; the
  simulator's own actions (another PSP answering a claim, refilling a bucket) are for admins
  only.
* CPF and CNPJ are masked (as elsewhere in the console) for staff without
  `accounts.view_full_tax_id`: keys, counterparties, debtors, and the tax ids inside the
  ISO 20022 messages, in lists, forms and history. Other keys are shown whole (they are
  what the customer gave to be paid with). Lists mask the counterparty for everyone.
* Webhook secrets (encrypted at rest) are never shown, to anyone.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from lxml import etree
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from apps.core.admin_masking import (
    mask_tax_ids_in_data,
    mask_tax_ids_in_text,
    sees_full_tax_ids,
)
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyAdmin,
    ReadOnlyMixin,
    ReasonActionsMixin,
    StateFirstOrdering,
    admin_link,
    html_table,
    pretty_json,
)
from apps.core.documents import mask_tax_id, normalize_tax_id
from apps.core.errors import Conflict, DomainError
from apps.core.fsm import transitions_of
from apps.core.money import format_brl
from apps.pix import participants, services
from apps.pix.adapters import dict as dict_api
from apps.pix.keys import mask_key
from apps.pix.models import (
    CautionaryBlock,
    DictClaim,
    DictEntry,
    DictTokenBucket,
    InfractionReport,
    PixCharge,
    PixClaim,
    PixKey,
    PixLimitSettings,
    PixLocation,
    PixRefund,
    PixTransfer,
    PixWebhook,
    SpiSimulatedMessage,
)

_BR = mark_safe("<br>")  # a constant separator for format_html_join


def _bank(ispb: str) -> str:
    return f"{participants.name_of(ispb)} ({ispb})" if ispb else "-"


def _sees_tax_ids(request: HttpRequest) -> bool:
    return sees_full_tax_ids(request)


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


# --- Money side: shared display helpers ------------------------------------------------------


def _entry_link(entry_id: int | None) -> str:
    if entry_id is None:
        return "-"
    url = reverse("admin:accounts_journalentry_change", args=[entry_id])
    return format_html('<a href="{}">#{}</a>', url, entry_id)


def _full_tax_id(value: str) -> str:
    return normalize_tax_id(value) or "-"


def _masked_tax_id(value: str) -> str:
    return mask_tax_id(value) if value else "-"


def _owner_type(tax_id: str) -> str:
    return dict_api.NATURAL_PERSON if len(normalize_tax_id(tax_id)) == 11 else dict_api.LEGAL_PERSON


def pretty_xml(xml: str, *, full_tax_ids: bool) -> str:
    """An ISO 20022 message indented inside <pre>, escaped; CPF/CNPJ masked unless allowed.

    The stored text is evidence: a message that does not parse, or declares a DTD (which
    libxml2 is never handed, so no entity is ever expanded), is shown as stored."""
    if not xml:
        return "-"
    text = xml
    if "<!DOCTYPE" not in xml and "<!ENTITY" not in xml:
        parser = etree.XMLParser(
            resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False
        )
        try:
            root = etree.fromstring(xml.encode("utf-8"), parser)
        except (etree.XMLSyntaxError, ValueError):
            root = None
        if root is not None:
            etree.indent(root, space="  ")
            text = etree.tostring(root, encoding="unicode")
    if not full_tax_ids:
        text = mask_tax_ids_in_text(text)
    return format_html(
        '<pre class="iso20022" style="margin:0;white-space:pre-wrap;max-height:40em;'
        'overflow:auto">{}</pre>',
        text,
    )


def _xml_display(field: str, description, *, full: bool):
    """A read-only display of the XML column `field` (masked, or in full)."""

    @admin.display(description=description)
    def display(self, obj) -> str:
        # Historical versions do not keep the messages (excluded from history): "-".
        return pretty_xml(getattr(obj, field, "") or "", full_tax_ids=full)

    return display


def _transitions_table(obj) -> str:
    rows = [
        (
            timezone.localtime(log.at).strftime("%Y-%m-%d %H:%M:%S"),
            log.transition,
            f"{log.source_state} → {log.target_state}",
            log.actor_label,
            log.reason,
        )
        for log in transitions_of(obj).order_by("at", "id")
    ]
    if not rows:
        return "-"
    return html_table((_("at"), _("transition"), _("states"), _("by"), _("reason")), rows)


class _MaskedTaxIdHistory(HistoricalRecordContextHelper):
    """History deltas with every CPF/CNPJ masked, for staff who may not see them."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        return mask_tax_ids_in_text(value) if isinstance(value, str) else value


class FullTaxIdSwapMixin:
    """Detail fields are declared masked; staff holding `accounts.view_full_tax_id` get each
    one's full twin instead (`full_tax_id_swaps`: masked name -> full name). Lists stay
    masked for everyone; history deltas are masked for those without the permission."""

    full_tax_id_swaps: dict[str, str] = {}

    def _swap_full(self, request: HttpRequest, names) -> tuple:
        if not sees_full_tax_ids(request):
            return tuple(names)
        return tuple(self.full_tax_id_swaps.get(name, name) for name in names)

    def get_fields(self, request: HttpRequest, obj=None):
        return self._swap_full(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self._swap_full(request, super().get_readonly_fields(request, obj))

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record):
        if sees_full_tax_ids(request):
            return super().get_historical_record_context_helper(request, historical_record)
        return _MaskedTaxIdHistory(self.model, historical_record)


class QueueFilter(admin.SimpleListFilter):
    """A state filter whose default, with no parameter, is the work queue (`pending_states`);
    each state, and "all", are a click away."""

    title = _("queue")
    parameter_name = "queue"
    pending_states: tuple[str, ...] = ()
    PENDING = "pending"
    ALL = "all"

    def lookups(self, request, model_admin):
        states = model_admin.model._meta.get_field("state").choices
        return [(self.PENDING, _("waiting for a decision")), *states, (self.ALL, _("all"))]

    def value(self):
        return super().value() or self.PENDING

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.PENDING:
            return queryset.filter(state__in=self.pending_states)
        if value == self.ALL:
            return queryset
        if value in {str(lookup) for lookup, _title in self.lookup_choices}:
            return queryset.filter(state=value)
        raise IncorrectLookupParameters(f"Unknown queue {value!r}.")


# --- Transfers ---------------------------------------------------------------------------------


@admin.register(PixTransfer)
class PixTransferAdmin(
    FullTaxIdSwapMixin,
    ReasonActionsMixin,
    HistoryViewOnlyMixin,
    ReadOnlyMixin,
    SimpleHistoryAdmin,
):
    list_display = (
        "e2e_id",
        "direction",
        "state",
        "amount_display",
        "counterparty",
        "created_at",
    )
    list_display_links = ("e2e_id",)
    list_filter = ("state", "direction", "internal", "initiation", "created_at")
    search_fields = ("end_to_end_id",)  # see get_search_results: exact id only
    search_help_text = _("Exact endToEndId (E...) or txid.")
    ordering = ("-created_at", "-pk")
    date_hierarchy = "created_at"
    show_full_result_count = False
    history_list_display = ("state",)
    fields = (
        "end_to_end_id",
        "direction",
        "state",
        "reject_reason",
        "amount_display",
        "account_link",
        "internal",
        "counterparty_name",
        "counterparty_tax_id_masked",
        "counterparty_bank",
        "counterparty_branch",
        "counterparty_account_number",
        "counterparty_account_type",
        "counterparty_key_shown",
        "description",
        "initiation",
        "tx_id",
        "charge_link",
        "scheduled_for",
        "settled_at",
        "ledger_entries",
        "refunds_display",
        "med_display",
        "transitions_display",
        "pacs008_display",
        "pacs002_display",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    full_tax_id_swaps = {
        "counterparty_tax_id_masked": "counterparty_tax_id_full",
        "counterparty_key_shown": "counterparty_key",
        "pacs008_display": "pacs008_full",
        "pacs002_display": "pacs002_full",
    }
    actions = ("retry_send", "cancel_scheduled")

    pacs008_display = _xml_display("pacs008", _("pacs.008 (credit transfer)"), full=False)
    pacs008_full = _xml_display("pacs008", _("pacs.008 (credit transfer)"), full=True)
    pacs002_display = _xml_display("pacs002", _("pacs.002 (SPI answer)"), full=False)
    pacs002_full = _xml_display("pacs002", _("pacs.002 (SPI answer)"), full=True)

    def get_fields(self, request: HttpRequest, obj=None):
        fields = super().get_fields(request, obj)
        if not request.user.has_perm("pix.view_infractionreport"):
            fields = tuple(f for f in fields if f != "med_display")
        return fields

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        # Exact matches on one column each: an OR with the unindexed txid would scan every
        # transfer even for an endToEndId.
        term = search_term.strip()
        if not term:
            return queryset, False
        from apps.pix import e2e

        if e2e.is_valid_end_to_end_id(term, kind="E"):
            return queryset.filter(end_to_end_id=term), False
        return queryset.filter(tx_id=term), False

    @admin.display(description=_("endToEndId"), ordering="end_to_end_id")
    def e2e_id(self, obj: PixTransfer) -> str:
        return obj.end_to_end_id or gettext("(scheduled #%(id)s)") % {"id": obj.pk}

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: PixTransfer) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("counterparty"))
    def counterparty(self, obj: PixTransfer) -> str:
        name = dict_api.mask_owner_name(_owner_type(obj.counterparty_tax_id), obj.counterparty_name)
        parts = [name or "-"]
        if obj.counterparty_tax_id:
            parts.append(f"({mask_tax_id(obj.counterparty_tax_id)})")
        parts.append(f"- {participants.name_of(obj.counterparty_ispb)}")
        return " ".join(parts)

    @admin.display(description=_("counterparty CPF/CNPJ"))
    def counterparty_tax_id_masked(self, obj: PixTransfer) -> str:
        return _masked_tax_id(obj.counterparty_tax_id)

    @admin.display(description=_("counterparty CPF/CNPJ"))
    def counterparty_tax_id_full(self, obj: PixTransfer) -> str:
        return _full_tax_id(obj.counterparty_tax_id)

    @admin.display(description=_("counterparty key"))
    def counterparty_key_shown(self, obj: PixTransfer) -> str:
        return mask_tax_ids_in_text(obj.counterparty_key) or "-"

    @admin.display(description=_("counterparty institution"))
    def counterparty_bank(self, obj: PixTransfer) -> str:
        return _bank(obj.counterparty_ispb)

    @admin.display(description=_("account"))
    def account_link(self, obj: PixTransfer) -> str:
        account = obj.account
        return admin_link(account, f"{account.branch}/{account.number}")

    @admin.display(description=_("charge"))
    def charge_link(self, obj: PixTransfer) -> str:
        return admin_link(obj.charge) if obj.charge_id else "-"

    @admin.display(description=_("ledger entries"))
    def ledger_entries(self, obj: PixTransfer) -> str:
        legs = (
            (_("debit"), obj.debit_entry_id),
            (_("credit"), obj.credit_entry_id),
            (_("money returned"), obj.return_entry_id),
        )
        rows = [(label, _entry_link(entry_id)) for label, entry_id in legs if entry_id]
        return html_table((_("movement"), _("journal entry")), rows) if rows else "-"

    @admin.display(description=_("refunds"))
    def refunds_display(self, obj: PixTransfer) -> str:
        refunds = list(obj.refunds.order_by("pk")) if obj.pk else []
        if not refunds:
            return "-"
        return format_html_join(
            _BR,
            "{}",
            (
                (admin_link(r, f"{r.return_id} {format_brl(r.amount)} ({r.get_state_display()})"),)
                for r in refunds
            ),
        )

    @admin.display(description=_("MED"))
    def med_display(self, obj: PixTransfer) -> str:
        links = [
            admin_link(report, f"{report.get_role_display()}: {report.get_state_display()}")
            for report in obj.infraction_reports.order_by("pk")
        ] + [
            admin_link(
                block,
                gettext("cautionary block %(amount)s: %(state)s")
                % {"amount": format_brl(block.amount), "state": block.get_state_display()},
            )
            for block in obj.cautionary_blocks.order_by("pk")
        ]
        if not links:
            return "-"
        return format_html_join(_BR, "{}", ((link,) for link in links))

    @admin.display(description=_("state transitions"))
    def transitions_display(self, obj: PixTransfer) -> str:
        return _transitions_table(obj)

    # --- actions --------------------------------------------------------------------------

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("pix.change_pixtransfer")

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("pix.change_pixtransfer")

    @admin.action(
        description=_("Send to the SPI again (sent, still unanswered)"), permissions=("resend",)
    )
    def retry_send(self, request: HttpRequest, queryset: QuerySet[PixTransfer]) -> None:
        from apps.pix.transfers import pix_submit

        for transfer in queryset.order_by("pk"):
            if transfer.state != PixTransfer.State.SENT:
                self.message_user(
                    request,
                    gettext(
                        "%(transfer)s: only a Pix sent to the SPI and still unanswered can "
                        "be sent again."
                    )
                    % {"transfer": transfer},
                    messages.ERROR,
                )
                continue
            # pix_submit settles what the SPI answers, and after a DUPL (an earlier answer
            # was lost) asks the SPI's status query: money the SPI moved is never given back.
            done = pix_submit(transfer.pk)
            if done.state == PixTransfer.State.SENT:
                outcome = gettext("no final answer from the SPI; it stays sent, to be retried.")
                level = messages.WARNING
            else:
                outcome = gettext("now %(state)s.") % {"state": done.get_state_display()}
                level = messages.SUCCESS
            self.log_change(request, transfer, f"retry_send: {outcome}")
            self.message_user(request, f"{transfer.end_to_end_id}: {outcome}", level)

    @admin.action(description=_("Cancel scheduled Pix"), permissions=("cancel",))
    def cancel_scheduled(self, request: HttpRequest, queryset: QuerySet[PixTransfer]):
        from apps.pix.transfers import pix_cancel_scheduled

        def perform(transfer: PixTransfer, reason: str) -> str:
            done = pix_cancel_scheduled(
                transfer_id=transfer.pk, account=transfer.account, actor=request.user
            )
            return gettext("now %(state)s.") % {"state": done.get_state_display()}

        return self.run_with_reason(
            request,
            queryset.select_related("account"),
            title=_("Cancel scheduled Pix"),
            perform=perform,
            describe=lambda t: (
                f"#{t.pk} {format_brl(t.amount)} - {t.get_state_display()}"
                + (f" ({t.scheduled_for:%d/%m/%Y})" if t.scheduled_for else "")
            ),
            notice=_("Only scheduled Pix can be cancelled; the customer is not debited."),
        )


# --- Refunds (devoluções) ------------------------------------------------------------------


@admin.register(PixRefund)
class PixRefundAdmin(FullTaxIdSwapMixin, HistoryViewOnlyMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = (
        "return_id",
        "refund_id",
        "transfer_link",
        "amount_display",
        "reason_code",
        "state",
        "created_at",
    )
    list_display_links = ("return_id",)
    list_filter = ("state", "reason_code", "created_at")
    list_select_related = ("transfer",)
    search_fields = ("return_id",)  # see get_search_results: exact ids only
    search_help_text = _("Exact returnId (D...), the Pix's endToEndId (E...) or the refund id.")
    ordering = ("-created_at", "-pk")
    show_full_result_count = False
    history_list_display = ("state",)
    fields = (
        "return_id",
        "refund_id",
        "transfer_link",
        "amount_display",
        "reason_code",
        "description",
        "state",
        "reject_reason",
        "returned_at",
        "ledger_entries",
        "transitions_display",
        "pacs004_display",
        "pacs002_display",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    full_tax_id_swaps = {"pacs004_display": "pacs004_full", "pacs002_display": "pacs002_full"}

    pacs004_display = _xml_display("pacs004", _("pacs.004 (return)"), full=False)
    pacs004_full = _xml_display("pacs004", _("pacs.004 (return)"), full=True)
    pacs002_display = _xml_display("pacs002", _("pacs.002 (SPI answer)"), full=False)
    pacs002_full = _xml_display("pacs002", _("pacs.002 (SPI answer)"), full=True)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        if not term:
            return queryset, False
        from apps.pix import e2e

        if e2e.is_valid_end_to_end_id(term, kind="D"):
            return queryset.filter(return_id=term), False
        if e2e.is_valid_end_to_end_id(term, kind="E"):
            return queryset.filter(transfer__end_to_end_id=term), False
        return queryset.filter(refund_id=term), False

    @admin.display(description=_("Pix"), ordering="transfer__end_to_end_id")
    def transfer_link(self, obj: PixRefund) -> str:
        return admin_link(obj.transfer, obj.transfer.end_to_end_id)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: PixRefund) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("ledger entries"))
    def ledger_entries(self, obj: PixRefund) -> str:
        legs = ((_("debit"), obj.debit_entry_id), (_("money returned"), obj.return_entry_id))
        rows = [(label, _entry_link(entry_id)) for label, entry_id in legs if entry_id]
        return html_table((_("movement"), _("journal entry")), rows) if rows else "-"

    @admin.display(description=_("state transitions"))
    def transitions_display(self, obj: PixRefund) -> str:
        return _transitions_table(obj)


# --- Charges (cob/cobv) and payload locations -------------------------------------------------


class ChargePaymentInline(admin.TabularInline):
    """The Pix that paid the charge; read-only."""

    model = PixTransfer
    fk_name = "charge"
    verbose_name = _("payment")
    verbose_name_plural = _("payments")
    fields = ("transfer_link", "amount_display", "state", "payer", "settled_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("endToEndId"))
    def transfer_link(self, obj: PixTransfer) -> str:
        return admin_link(obj, obj.end_to_end_id)

    @admin.display(description=_("amount"))
    def amount_display(self, obj: PixTransfer) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("payer"))
    def payer(self, obj: PixTransfer) -> str:
        name = dict_api.mask_owner_name(_owner_type(obj.counterparty_tax_id), obj.counterparty_name)
        return f"{name} - {participants.name_of(obj.counterparty_ispb)}"


def _debtor_data(obj: PixCharge) -> dict | None:
    from apps.pix.charges import debtor_of

    # Historical versions do not keep the debtor (excluded from history).
    return debtor_of(obj) if getattr(obj, "debtor", "") else None


@admin.register(PixCharge)
class PixChargeAdmin(FullTaxIdSwapMixin, HistoryViewOnlyMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = (
        "txid",
        "kind",
        "status",
        "amount_display",
        "customer_link",
        "due_date",
        "created_at",
    )
    list_display_links = ("txid",)
    list_filter = ("status", "kind", "created_at")
    list_select_related = ("customer",)
    search_fields = ("txid",)  # see get_search_results: exact txid
    search_help_text = _("Exact txid.")
    ordering = ("-created_at", "-pk")
    show_full_result_count = False
    history_list_display = ("status",)
    inlines = (ChargePaymentInline,)
    fields = (
        "kind",
        "txid",
        "status",
        "revision",
        "customer_link",
        "account_link",
        "key_shown",
        "amount_display",
        "amount_editable",
        "expires_in_seconds",
        "due_date",
        "valid_days_after_due",
        "value_terms_display",
        "debtor_masked",
        "payer_request",
        "additional_info_display",
        "location_link",
        "concluded_at",
        "removed_reason",
        "transitions_display",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    full_tax_id_swaps = {"key_shown": "key", "debtor_masked": "debtor_full"}

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        return (queryset.filter(txid=term) if term else queryset), False

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: PixCharge) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("customer"))
    def customer_link(self, obj: PixCharge) -> str:
        return admin_link(obj.customer)

    @admin.display(description=_("account"))
    def account_link(self, obj: PixCharge) -> str:
        return admin_link(obj.account, f"{obj.account.branch}/{obj.account.number}")

    @admin.display(description=_("key"))
    def key_shown(self, obj: PixCharge) -> str:
        return mask_tax_ids_in_text(obj.key)

    @admin.display(description=_("value terms"))
    def value_terms_display(self, obj: PixCharge) -> str:
        return pretty_json(obj.value_terms) if obj.value_terms else "-"

    @admin.display(description=_("debtor (devedor)"))
    def debtor_masked(self, obj: PixCharge) -> str:
        data = _debtor_data(obj)
        return "-" if data is None else pretty_json(mask_tax_ids_in_data(data))

    @admin.display(description=_("debtor (devedor)"))
    def debtor_full(self, obj: PixCharge) -> str:
        data = _debtor_data(obj)
        return "-" if data is None else pretty_json(data)

    @admin.display(description=_("infoAdicionais"))
    def additional_info_display(self, obj: PixCharge) -> str:
        return pretty_json(obj.additional_info) if obj.additional_info else "-"

    @admin.display(description=_("location"))
    def location_link(self, obj: PixCharge) -> str:
        return admin_link(obj.location) if obj.location_id else "-"

    @admin.display(description=_("state transitions"))
    def transitions_display(self, obj: PixCharge) -> str:
        return _transitions_table(obj)


@admin.register(PixLocation)
class PixLocationAdmin(ReadOnlyAdmin):
    list_display = ("id", "charge_type", "customer_link", "charge_link", "created_at")
    list_filter = ("charge_type", "created_at")
    list_select_related = ("customer", "charge")
    search_fields = ("uuid",)  # see get_search_results: id or uuid, exact
    search_help_text = _("Exact location id or uuid.")
    ordering = ("-created_at", "-pk")
    fields = ("id", "uuid", "url", "charge_type", "customer_link", "charge_link", "created_at")
    readonly_fields = fields

    @admin.display(description=_("location (as in the BR Code)"))
    def url(self, obj: PixLocation) -> str:
        from apps.pix.charges import location_url

        return location_url(obj)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        import uuid

        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit():
            return queryset.filter(pk=int(term)), False
        try:
            return queryset.filter(uuid=uuid.UUID(term)), False
        except ValueError:
            return queryset.none(), False

    @admin.display(description=_("customer"))
    def customer_link(self, obj: PixLocation) -> str:
        return admin_link(obj.customer)

    @admin.display(description=_("charge"))
    def charge_link(self, obj: PixLocation) -> str:
        charge = PixCharge.objects.filter(location_id=obj.pk).first()
        return admin_link(charge) if charge else "-"


# --- Webhooks (API Pix) -----------------------------------------------------------------------


@admin.register(PixWebhook)
class PixWebhookAdmin(FullTaxIdSwapMixin, ReadOnlyAdmin):
    """The integrator's URL per key. The HMAC secret is never shown (not even to admins)."""

    list_display = ("url", "key_shown", "customer_link", "created_at")
    list_select_related = ("pix_key", "customer")
    search_fields = ("url",)
    ordering = ("-created_at", "-pk")
    fields = ("url", "key_link", "key_shown", "customer_link", "created_at", "updated_at")
    readonly_fields = fields
    full_tax_id_swaps = {"key_shown": "key_full"}

    @admin.display(description=_("key"))
    def key_shown(self, obj: PixWebhook) -> str:
        return _masked(obj.pix_key.key_type, obj.pix_key.key)

    @admin.display(description=_("key"))
    def key_full(self, obj: PixWebhook) -> str:
        return obj.pix_key.key

    @admin.display(description=_("Pix key"))
    def key_link(self, obj: PixWebhook) -> str:
        return admin_link(obj.pix_key)

    @admin.display(description=_("customer"))
    def customer_link(self, obj: PixWebhook) -> str:
        return admin_link(obj.customer)


# --- MED: the compliance officers' queue -----------------------------------------------------


class InfractionQueueFilter(QueueFilter):
    pending_states = (InfractionReport.State.OPEN, InfractionReport.State.ACKNOWLEDGED)


class BlockQueueFilter(QueueFilter):
    pending_states = (CautionaryBlock.State.ACTIVE,)


@admin.register(InfractionReport)
class InfractionReportAdmin(
    ReasonActionsMixin, HistoryViewOnlyMixin, ReadOnlyMixin, SimpleHistoryAdmin
):
    """Open and acknowledged reports first in line, oldest first (MED deadlines run from
    the report). Decisions go through apps.pix.med, which audits them."""

    list_display = (
        "id",
        "state",
        "role",
        "situation",
        "transfer_link",
        "transfer_amount",
        "reporter",
        "analysis_result",
        "created_at",
        "waiting",
    )
    list_display_links = ("id",)
    list_filter = (InfractionQueueFilter, "role", "situation", "analysis_result")
    list_select_related = ("transfer",)
    search_fields = ("dict_report_id",)  # see get_search_results
    search_help_text = _("Exact endToEndId of the Pix, or the DICT report id.")
    ordering = ("created_at", "pk")
    history_list_display = ("state", "analysis_result")
    fields = (
        "dict_report_id",
        "role",
        "situation",
        "state",
        "details",
        "transfer_link",
        "transfer_amount",
        "reporter",
        "reported_by",
        "analysis_result",
        "analysis_details",
        "analysed_by",
        "closed_at",
        "refund_link",
        "blocks_display",
        "transitions_display",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("acknowledge", "close_agreed", "close_disagreed")

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        import uuid

        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(dict_report_id=uuid.UUID(term)), False
        except ValueError:
            return queryset.filter(transfer__end_to_end_id=term), False

    @admin.display(description=_("Pix"))
    def transfer_link(self, obj: InfractionReport) -> str:
        return admin_link(obj.transfer, obj.transfer.end_to_end_id)

    @admin.display(description=_("amount"))
    def transfer_amount(self, obj: InfractionReport) -> str:
        return format_brl(obj.transfer.amount)

    @admin.display(description=_("reporting institution"))
    def reporter(self, obj: InfractionReport) -> str:
        return _bank(obj.reporter_participant)

    @admin.display(description=_("waiting for"))
    def waiting(self, obj: InfractionReport) -> str:
        from django.utils.timesince import timesince

        return timesince(obj.created_at) if obj.closed_at is None else "-"

    @admin.display(description=_("MED refund"))
    def refund_link(self, obj: InfractionReport) -> str:
        return admin_link(obj.refund, obj.refund.return_id) if obj.refund_id else "-"

    @admin.display(description=_("cautionary blocks"))
    def blocks_display(self, obj: InfractionReport) -> str:
        blocks = list(obj.cautionary_blocks.order_by("pk")) if obj.pk else []
        if not blocks:
            return "-"
        return format_html_join(
            _BR,
            "{}",
            ((admin_link(b, f"{format_brl(b.amount)} ({b.get_state_display()})"),) for b in blocks),
        )

    @admin.display(description=_("state transitions"))
    def transitions_display(self, obj: InfractionReport) -> str:
        return _transitions_table(obj)

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("pix.change_infractionreport")

    @admin.action(description=_("Acknowledge (start the analysis)"), permissions=("decide",))
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[InfractionReport]) -> None:
        from apps.pix import med

        for report in queryset.order_by("created_at", "pk"):
            try:
                done = med.infraction_report_acknowledge(report=report, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{report}: {exc.message}", messages.ERROR)
                continue
            outcome = gettext("now %(state)s.") % {"state": done.get_state_display()}
            self.log_change(request, report, f"acknowledge: {outcome}")
            self.message_user(request, f"{report}: {outcome}", messages.SUCCESS)

    def _close(self, request: HttpRequest, queryset, *, result: str, title):
        from apps.pix import med

        def perform(report: InfractionReport, reason: str) -> str:
            done = med.infraction_report_close(
                report=report, result=result, details=reason, actor=request.user
            )
            return gettext("now %(state)s (%(result)s).") % {
                "state": done.get_state_display(),
                "result": done.get_analysis_result_display() or result,
            }

        return self.run_with_reason(
            request,
            queryset.select_related("transfer"),
            title=title,
            perform=perform,
            describe=lambda r: (
                f"{r} - {format_brl(r.transfer.amount)} - {r.get_situation_display()}"
            ),
            notice=_(
                "The reason is the analysis recorded with the report and sent to the DICT. "
                "Agreeing with a report against one of our customers returns what is left of "
                "the money to the payer (MED refund)."
            ),
        )

    @admin.action(description=_("Close: agreed (fraud confirmed)"), permissions=("decide",))
    def close_agreed(self, request: HttpRequest, queryset: QuerySet[InfractionReport]):
        return self._close(
            request,
            queryset,
            result=InfractionReport.Result.AGREED,
            title=_("Close: agreed (fraud confirmed)"),
        )

    @admin.action(description=_("Close: disagreed"), permissions=("decide",))
    def close_disagreed(self, request: HttpRequest, queryset: QuerySet[InfractionReport]):
        return self._close(
            request,
            queryset,
            result=InfractionReport.Result.DISAGREED,
            title=_("Close: disagreed"),
        )


@admin.register(CautionaryBlock)
class CautionaryBlockAdmin(
    ReasonActionsMixin, HistoryViewOnlyMixin, ReadOnlyMixin, SimpleHistoryAdmin
):
    """Active blocks first in line, oldest first: the 72 h run out in that order."""

    list_display = (
        "id",
        "state",
        "transfer_link",
        "amount_display",
        "reason",
        "expires_at",
        "infraction_link",
        "created_at",
    )
    list_display_links = ("id",)
    list_filter = (BlockQueueFilter, "expires_at")
    list_select_related = ("transfer", "infraction")
    search_fields = ("transfer__end_to_end_id",)  # see get_search_results
    search_help_text = _("Exact endToEndId of the Pix.")
    ordering = ("created_at", "pk")
    history_list_display = ("state",)
    fields = (
        "transfer_link",
        "account_link",
        "amount_display",
        "state",
        "reason",
        "expires_at",
        "hold_link",
        "infraction_link",
        "created_by",
        "transitions_display",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("release_block",)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        return (queryset.filter(transfer__end_to_end_id=term) if term else queryset), False

    @admin.display(description=_("Pix"))
    def transfer_link(self, obj: CautionaryBlock) -> str:
        return admin_link(obj.transfer, obj.transfer.end_to_end_id)

    @admin.display(description=_("account"))
    def account_link(self, obj: CautionaryBlock) -> str:
        account = obj.transfer.account
        return admin_link(account, f"{account.branch}/{account.number}")

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: CautionaryBlock) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("hold"))
    def hold_link(self, obj: CautionaryBlock) -> str:
        return admin_link(obj.hold, f"#{obj.hold_id}")

    @admin.display(description=_("infraction report"))
    def infraction_link(self, obj: CautionaryBlock) -> str:
        return admin_link(obj.infraction, f"#{obj.infraction_id}") if obj.infraction_id else "-"

    @admin.display(description=_("state transitions"))
    def transitions_display(self, obj: CautionaryBlock) -> str:
        return _transitions_table(obj)

    def has_release_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("pix.change_cautionaryblock")

    @admin.action(description=_("Release the block"), permissions=("release",))
    def release_block(self, request: HttpRequest, queryset: QuerySet[CautionaryBlock]):
        from apps.pix import med

        def perform(block: CautionaryBlock, reason: str) -> str:
            done = med.cautionary_block_release(block=block, actor=request.user, reason=reason)
            return gettext("%(amount)s released; now %(state)s.") % {
                "amount": format_brl(done.amount),
                "state": done.get_state_display(),
            }

        return self.run_with_reason(
            request,
            queryset.select_related("transfer"),
            title=_("Release the block"),
            perform=perform,
            describe=lambda b: f"{b.transfer.end_to_end_id} - {format_brl(b.amount)} - {b.reason}",
            notice=_("The held money becomes available to the customer again."),
        )


# --- Night limits ----------------------------------------------------------------------------


@admin.register(PixLimitSettings)
class PixLimitSettingsAdmin(HistoryViewOnlyMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = (
        "account_link",
        "night_starts_at_hour",
        "night_limit_display",
        "pending_display",
        "pending_effective_at",
        "updated_at",
    )
    list_display_links = ("account_link",)
    list_filter = ("night_starts_at_hour",)
    list_select_related = ("account",)
    search_fields = ("=account__number",)
    ordering = ("-updated_at", "-pk")
    history_list_display = ("night_starts_at_hour", "night_limit", "pending_night_limit")
    fields = (
        "account_link",
        "night_starts_at_hour",
        "night_limit_display",
        "pending_display",
        "pending_effective_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=_("account"))
    def account_link(self, obj: PixLimitSettings) -> str:
        return admin_link(obj.account, f"{obj.account.branch}/{obj.account.number}")

    @admin.display(description=_("night limit"), ordering="night_limit")
    def night_limit_display(self, obj: PixLimitSettings) -> str:
        return format_brl(obj.night_limit)

    @admin.display(description=_("pending night limit"))
    def pending_display(self, obj: PixLimitSettings) -> str:
        return "-" if obj.pending_night_limit is None else format_brl(obj.pending_night_limit)


# --- The SPI simulator -------------------------------------------------------------------------


@admin.register(SpiSimulatedMessage)
class SpiSimulatedMessageAdmin(FullTaxIdSwapMixin, ReadOnlyAdmin):
    list_display = (
        "end_to_end_id",
        "kind",
        "direction",
        "debtor_bank",
        "creditor_bank",
        "amount_display",
        "status",
        "reason",
        "created_at",
    )
    list_filter = ("kind", "direction", "status", "reason")
    search_fields = ("end_to_end_id",)  # see get_search_results
    search_help_text = _("Exact endToEndId or returnId (also finds the returns of a Pix).")
    ordering = ("-created_at", "-pk")
    fields = (
        "end_to_end_id",
        "original_end_to_end_id",
        "kind",
        "direction",
        "debtor_bank",
        "creditor_bank",
        "amount_display",
        "status",
        "reason",
        "created_at",
        "xml_display",
    )
    readonly_fields = fields
    full_tax_id_swaps = {"xml_display": "xml_full"}

    xml_display = _xml_display("xml", _("message"), full=False)
    xml_full = _xml_display("xml", _("message"), full=True)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        from django.db.models import Q

        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(end_to_end_id=term) | Q(original_end_to_end_id=term)), False

    @admin.display(description=_("debtor institution"))
    def debtor_bank(self, obj: SpiSimulatedMessage) -> str:
        return _bank(obj.debtor_ispb)

    @admin.display(description=_("creditor institution"))
    def creditor_bank(self, obj: SpiSimulatedMessage) -> str:
        return _bank(obj.creditor_ispb)

    @admin.display(description=_("amount"), ordering="amount_cents")
    def amount_display(self, obj: SpiSimulatedMessage) -> str:
        return format_brl(obj.amount_cents)
