"""The ledger console: customers, payment accounts, journal entries with their postings,
holds, reversal requests (four eyes above R$ 10.000,00), reconciliation reports and alerts.

Rules of this console:

* Money is never edited here. Balances, holds, entries and postings are read-only for
  everyone, superusers included; money moves only through the services. A mistake is
  corrected by a reversing entry, requested from the entry list ("Request reversal").
* Every state change is an admin action that asks for a reason on an intermediate page,
  goes through `apply_transition` or a service, is logged with `log_change` (so it lands in
  the audit trail) and shows in the object's history tab.
* CPF/CNPJ is shown masked (as BACEN's DICT does), in full only to users holding
  `accounts.view_full_tax_id`, and is never editable. The column is encrypted at rest:
  exact search goes through its keyed hash (`tax_id_hash`).
* Nothing is added or deleted here: customers sign up, accounts are opened by services,
  ledger rows are immutable, requests come from the entry action, runs from the button.
* Saves never rewrite a row whole where the ledger moves money: an account's `balance` and
  `held` change under its row lock, so transitions lock the row first and edits write only
  the fields that changed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import (
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
)
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from apps.accounts import services
from apps.accounts.models import (
    Account,
    Customer,
    Hold,
    JournalEntry,
    LedgerAlert,
    Posting,
    ReconciliationRun,
    ReversalRequest,
)
from apps.accounts.reconciliation import reconcile
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    NoAddDeleteMixin,
    ReadOnlyAdmin,
    ReadOnlyMixin,
    ReasonActionsMixin,
    StateFirstOrdering,
    admin_link,
    html_table,
    locked_transition,
    pretty_json,
    transition_action,
)
from apps.core.documents import mask_tax_id, normalize_tax_id
from apps.core.errors import Conflict, DomainError
from apps.core.money import format_brl

FULL_TAX_ID_PERMISSION = "accounts.view_full_tax_id"


# --- Helpers -------------------------------------------------------------------------------


def _entry_link(entry_id: int | None) -> str:
    if entry_id is None:
        return "-"
    url = reverse("admin:accounts_journalentry_change", args=[entry_id])
    return format_html('<a href="{}">#{}</a>', url, entry_id)


def _account_link(account_id: int | None, text: Any = None) -> str:
    if account_id is None:
        return "-"
    url = reverse("admin:accounts_account_change", args=[account_id])
    return format_html('<a href="{}">{}</a>', url, account_id if text is None else text)


# --- Customers -----------------------------------------------------------------------------


class AccountInline(admin.TabularInline):
    """The customer's accounts with their balances; read-only (accounts move by services)."""

    model = Account
    fk_name = "customer"
    fields = ("account_link", "kind", "state", "balance_display", "held_display", "available")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        return super().get_queryset(request).with_balances().order_by("pk")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("account"))
    def account_link(self, obj: Account) -> str:
        return _account_link(obj.pk, f"{obj.branch}/{obj.number}")

    @admin.display(description=_("balance"))
    def balance_display(self, obj: Account) -> str:
        return format_brl(obj.total_balance)

    @admin.display(description=_("held"))
    def held_display(self, obj: Account) -> str:
        return format_brl(obj.held)

    @admin.display(description=_("available"))
    def available(self, obj: Account) -> str:
        return format_brl(obj.available_balance)


def _format_tax_id(value: str) -> str:
    """12345678909 -> 123.456.789-09; 12ABC34501DE35 -> 12.ABC.345/01DE-35."""
    n = normalize_tax_id(value)
    if len(n) == 11:
        return f"{n[:3]}.{n[3:6]}.{n[6:9]}-{n[9:]}"
    if len(n) == 14:
        return f"{n[:2]}.{n[2:5]}.{n[5:8]}/{n[8:12]}-{n[12:]}"
    return n


class _MaskedTaxIdHistory(HistoricalRecordContextHelper):
    """History deltas with the CPF/CNPJ masked, for users who may not see it in full."""

    def prepare_delta_change_value(self, change, value):
        if change.field == "tax_id":
            return mask_tax_id(value or "")
        return super().prepare_delta_change_value(change, value)


@admin.register(Customer)
class CustomerAdmin(ReasonActionsMixin, HistoryViewOnlyMixin, NoAddDeleteMixin, SimpleHistoryAdmin):
    list_display = ("full_name", "kind", "masked_tax_id", "kyc_level", "state", "created_at")
    list_filter = ("kind", "state", "kyc_level")
    search_fields = ("full_name",)
    search_help_text = _("Name, or the exact CPF/CNPJ (with or without punctuation).")
    ordering = ("-created_at",)
    show_full_result_count = False
    inlines = (AccountInline,)
    history_list_display = ("state", "state_reason")
    actions = (
        transition_action("activate", _("Activate")),
        transition_action("block", _("Block")),
        transition_action("unblock", _("Unblock")),
        transition_action("close", _("Close")),
    )

    # The tax id is never a form field: only one of the two display methods below is shown.
    _READONLY = (
        "kind",
        "kyc_level",
        "state",
        "state_reason",
        "user",
        "created_at",
        "updated_at",
    )

    def _tax_id_field(self, request: HttpRequest) -> str:
        return "full_tax_id" if request.user.has_perm(FULL_TAX_ID_PERMISSION) else "masked_tax_id"

    def get_fields(self, request: HttpRequest, obj=None):
        return (
            "full_name",
            "kind",
            self._tax_id_field(request),
            "kyc_level",
            "state",
            "state_reason",
            "user",
            "created_at",
            "updated_at",
        )

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return (*self._READONLY, self._tax_id_field(request))

    @admin.display(description=_("CPF/CNPJ"))
    def masked_tax_id(self, obj: Customer) -> str:
        return mask_tax_id(obj.tax_id)

    @admin.display(description=_("CPF/CNPJ"))
    def full_tax_id(self, obj: Customer) -> str:
        return _format_tax_id(obj.tax_id)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        """Name (icontains) or, the column being encrypted, the exact CPF/CNPJ by its hash."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if len(normalize_tax_id(search_term)) in (11, 14):
            results |= queryset.filter(tax_id_hash=services.tax_id_lookup_hash(search_term))
        return results, may_have_duplicates

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record):
        if request.user.has_perm(FULL_TAX_ID_PERMISSION):
            return super().get_historical_record_context_helper(request, historical_record)
        return _MaskedTaxIdHistory(self.model, historical_record)

    def save_model(self, request: HttpRequest, obj: Customer, form, change: bool) -> None:
        """Write only what the form changed: never the tax id, never the state."""
        obj._history_user = request.user
        obj.save(update_fields=[*form.changed_data, "updated_at"])


# --- Accounts ------------------------------------------------------------------------------


def _account_transition_action(name: str, description: str):
    def action(modeladmin, request: HttpRequest, queryset: QuerySet):
        def perform(account: Account, reason: str) -> str:
            if account.kind == Account.Kind.INTERNAL:
                # Blocking the reserves account would stop every Pix: not a console click.
                raise Conflict("Internal ledger accounts are not changed from the admin.")
            if name == "close":
                done = services.account_close(
                    account_id=account.pk, actor=request.user, reason=reason
                )
            else:
                done = locked_transition(Account, account.pk, name, by=request.user, reason=reason)
            return gettext("%(action)s done; now %(state)s.") % {
                "action": description,
                "state": done.get_state_display(),
            }

        return modeladmin.run_with_reason(
            request, queryset, title=str(description), perform=perform
        )

    action.__name__ = name
    return admin.action(description=description, permissions=("change",))(action)


@admin.register(Account)
class AccountAdmin(ReasonActionsMixin, HistoryViewOnlyMixin, NoAddDeleteMixin, SimpleHistoryAdmin):
    list_display = (
        "name",
        "owner",
        "branch_number",
        "kind",
        "code",
        "state",
        "balance_display",
        "held_display",
        "available",
    )
    list_filter = ("kind", "state")
    search_fields = ("=number", "=code", "name", "customer__full_name")
    list_select_related = ("customer",)
    ordering = ("-created_at",)
    show_full_result_count = False
    history_list_display = ("state", "state_reason")
    fields = (
        "kind",
        "code",
        "owner",
        "name",
        "branch",
        "number",
        "balance_display",
        "held_display",
        "available",
        "overdraft_display",
        "state",
        "state_reason",
        "postings_link",
        "holds_link",
        "created_at",
        "updated_at",
    )
    # Everything but the display name; the balance fields are never editable.
    readonly_fields = tuple(f for f in fields if f != "name")
    actions = (
        _account_transition_action("block_debit", _("Block debits")),
        _account_transition_action("block", _("Block")),
        _account_transition_action("unblock", _("Unblock")),
        _account_transition_action("close", _("Close (zero balance, no holds)")),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        return (
            super()
            .get_queryset(request)
            .with_balances()
            .annotate(balance_total=F("balance") + F("shard_total"))
        )

    @admin.display(description=_("owner"), ordering="customer__full_name")
    def owner(self, obj: Account) -> str:
        if obj.customer_id is None:
            return _("(internal)")
        return admin_link(obj.customer)

    @admin.display(description=_("branch/number"), ordering="number")
    def branch_number(self, obj: Account) -> str:
        return f"{obj.branch}/{obj.number}" if obj.number else "-"

    @admin.display(description=_("balance"), ordering="balance_total")
    def balance_display(self, obj: Account) -> str:
        return format_brl(obj.total_balance)

    @admin.display(description=_("held"), ordering="held")
    def held_display(self, obj: Account) -> str:
        return format_brl(obj.held)

    @admin.display(description=_("available"))
    def available(self, obj: Account) -> str:
        return format_brl(obj.available_balance)

    @admin.display(description=_("overdraft limit"))
    def overdraft_display(self, obj: Account) -> str:
        return format_brl(obj.overdraft_limit)

    @admin.display(description=_("postings"))
    def postings_link(self, obj: Account) -> str:
        url = reverse("admin:accounts_posting_changelist")
        return format_html('<a href="{}?account={}">{}</a>', url, obj.pk, _("Postings"))

    @admin.display(description=_("holds"))
    def holds_link(self, obj: Account) -> str:
        url = reverse("admin:accounts_hold_changelist")
        return format_html('<a href="{}?account__id__exact={}">{}</a>', url, obj.pk, _("Holds"))

    def save_model(self, request: HttpRequest, obj: Account, form, change: bool) -> None:
        """Write only what the form changed: a whole-row save would put back a stale
        balance that the ledger moved meanwhile."""
        obj._history_user = request.user
        obj.save(update_fields=[*form.changed_data, "updated_at"])


# --- Journal entries and postings ----------------------------------------------------------


class KindFilter(admin.SimpleListFilter):
    """Entry kinds, read from the entries (smaller than postings, whose kind is a copy)."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        kinds = JournalEntry.objects.order_by("kind").values_list("kind", flat=True).distinct()
        return [(kind, kind) for kind in kinds]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(kind=self.value())
        return queryset


class AccountIdFilter(admin.SimpleListFilter):
    """`?account=<id>`: the postings of one account (linked from the account page). No list
    of every account in the sidebar: only the chosen one, so it can be cleared."""

    title = _("account")
    parameter_name = "account"

    def lookups(self, request, model_admin):
        # A filter without choices is dropped from the list, unapplied: always offer the
        # chosen value, so an unknown id lists nothing and a malformed one is refused.
        value = self.value()
        if not value:
            return []
        account = Account.objects.filter(pk=int(value)).first() if value.isdigit() else None
        return [(value, str(account) if account is not None else value)]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            raise IncorrectLookupParameters(f"Invalid account id: {value!r}")
        return queryset.filter(account_id=int(value))


class PostingInline(admin.TabularInline):
    model = Posting
    fields = ("account_display", "amount_display", "kind", "created_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Posting]:
        return super().get_queryset(request).select_related("account").order_by("pk")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("account"))
    def account_display(self, obj: Posting) -> str:
        return _account_link(obj.account_id, obj.account)

    @admin.display(description=_("amount"))
    def amount_display(self, obj: Posting) -> str:
        return format_brl(obj.amount)


@admin.register(JournalEntry)
class JournalEntryAdmin(ReasonActionsMixin, ReadOnlyAdmin):
    """Read-only for everyone. The one write is "Request reversal", which posts a mirror
    entry (at once up to R$ 10.000,00, after a second operator's approval above it)."""

    list_display = (
        "id",
        "kind",
        "description",
        "created_at",
        "amount",
        "reverses_link",
        "reversed_by_link",
    )
    list_display_links = ("id",)
    list_filter = (KindFilter, "created_at")
    search_help_text = _("Entry id (exact), or words of the description.")
    search_fields = ("description",)  # see get_search_results
    ordering = ("-id",)
    inlines = (PostingInline,)
    fields = (
        "id",
        "kind",
        "description",
        "amount",
        "created_at",
        "created_by",
        "reference_type",
        "reference_id",
        "reverses_link",
        "reversed_by_link",
        "reversal_requests",
        "metadata_display",
    )
    readonly_fields = fields
    actions = ("request_reversal",)
    change_form_template = "admin/accounts/journalentry/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[JournalEntry]:
        positive = (
            Posting.objects.filter(entry=OuterRef("pk"), amount__gt=0)
            .order_by()
            .values("entry")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        reversal = JournalEntry.objects.filter(reverses=OuterRef("pk")).values("pk")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(
                positive_total=Subquery(positive, output_field=models.BigIntegerField()),
                reversal_id=Subquery(reversal, output_field=models.BigIntegerField()),
            )
        )

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        # An id is looked up by primary key only: reference_id alone has no index of its
        # own (it trails reference_type), and an OR on it would scan the whole journal.
        term = search_term.strip().lstrip("#")
        if term.isdigit():
            return queryset.filter(pk=int(term)), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("amount"))
    def amount(self, obj: JournalEntry) -> str:
        return format_brl(obj.positive_total or 0)

    @admin.display(description=_("reverses"))
    def reverses_link(self, obj: JournalEntry) -> str:
        return _entry_link(obj.reverses_id)

    @admin.display(description=_("reversed by"))
    def reversed_by_link(self, obj: JournalEntry) -> str:
        return _entry_link(obj.reversal_id)

    @admin.display(description=_("reversal requests"))
    def reversal_requests(self, obj: JournalEntry) -> str:
        requests = ReversalRequest.objects.filter(entry_id=obj.pk).order_by("pk")
        if not requests:
            return "-"
        return format_html_join(
            ", ", "{}", ((admin_link(r, f"#{r.pk} {r.get_state_display()}"),) for r in requests)
        )

    @admin.display(description=_("metadata"))
    def metadata_display(self, obj: JournalEntry) -> str:
        return pretty_json(obj.metadata)

    def has_reverse_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.add_reversalrequest")

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_request_reversal"] = (
            obj is not None
            and self.has_reverse_permission(request)
            and obj.reverses_id is None
            and getattr(obj, "reversal_id", None) is None
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.action(description=_("Request reversal"), permissions=("reverse",))
    def request_reversal(self, request: HttpRequest, queryset: QuerySet[JournalEntry]):
        threshold = format_brl(services.FOUR_EYES_THRESHOLD_CENTS)

        def perform(entry: JournalEntry, reason: str) -> str:
            # The service refuses these too, but only once it posts: above the threshold it
            # would first leave a pending request that no approval can ever execute.
            if entry.reverses_id is not None:
                raise Conflict("A reversal cannot itself be reversed; post a new entry instead.")
            if JournalEntry.objects.filter(reverses_id=entry.pk).exists():
                raise Conflict("This entry was already reversed.")
            rr = services.reversal_request(entry_id=entry.pk, reason=reason, actor=request.user)
            if rr.state == ReversalRequest.State.EXECUTED:
                return gettext(
                    "reversed at once by entry #%(reversal)s (%(amount)s); "
                    "request #%(request)s %(state)s."
                ) % {
                    "reversal": rr.reversal_entry_id,
                    "amount": format_brl(rr.amount),
                    "request": rr.pk,
                    "state": rr.get_state_display(),
                }
            return gettext(
                "reversal of %(amount)s requested (request #%(request)s, %(state)s): "
                "above %(threshold)s a second operator must approve."
            ) % {
                "amount": format_brl(rr.amount),
                "request": rr.pk,
                "state": rr.get_state_display(),
                "threshold": threshold,
            }

        return self.run_with_reason(
            request,
            queryset,
            title=_("Request reversal"),
            perform=perform,
            describe=lambda e: f"{e} - {format_brl(e.positive_total or 0)} - {e.description}",
            notice=_(
                "Each entry is mirrored by a reversing entry. Up to %(threshold)s the reversal "
                "is posted at once; above it, it waits for a second operator's approval."
            )
            % {"threshold": threshold},
        )


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    list_display = ("id", "entry_link", "account_display", "amount_display", "kind", "created_at")
    list_display_links = ("id",)
    list_filter = (AccountIdFilter, KindFilter)
    list_select_related = ("account",)
    search_help_text = _("Entry id (exact).")
    search_fields = ("=entry__id",)  # see get_search_results
    ordering = ("-id",)
    fields = ("id", "entry_link", "account_display", "amount_display", "kind", "created_at")
    readonly_fields = fields

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip().lstrip("#")
        if not term:
            return queryset, False
        if term.isdigit():
            return queryset.filter(entry_id=int(term)), False
        return queryset.none(), False

    @admin.display(description=_("entry"), ordering="entry_id")
    def entry_link(self, obj: Posting) -> str:
        return _entry_link(obj.entry_id)

    @admin.display(description=_("account"))
    def account_display(self, obj: Posting) -> str:
        return _account_link(obj.account_id, obj.account)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: Posting) -> str:
        return format_brl(obj.amount)


# --- Holds ---------------------------------------------------------------------------------


@admin.register(Hold)
class HoldAdmin(
    ReasonActionsMixin, HistoryViewOnlyMixin, StateFirstOrdering, ReadOnlyMixin, SimpleHistoryAdmin
):
    first_states = (Hold.State.ACTIVE,)
    list_display = (
        "id",
        "account_display",
        "amount_display",
        "captured_display",
        "state",
        "reason",
        "reference",
        "expires_at",
        "created_at",
    )
    list_display_links = ("id",)
    list_filter = ("state", "reference_type", "expires_at")
    list_select_related = ("account",)
    search_fields = ("=account__number", "=reference_id", "reason")
    show_full_result_count = False
    history_list_display = ("state",)
    fields = (
        "account_display",
        "amount_display",
        "captured_display",
        "state",
        "reason",
        "reference",
        "expires_at",
        "capture_entry_link",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("release",)

    @admin.display(description=_("account"))
    def account_display(self, obj: Hold) -> str:
        return _account_link(obj.account_id, obj.account)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: Hold) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("captured"))
    def captured_display(self, obj: Hold) -> str:
        return format_brl(obj.captured_amount)

    @admin.display(description=_("reference"))
    def reference(self, obj: Hold) -> str:
        return f"{obj.reference_type} {obj.reference_id}".strip() or "-"

    @admin.display(description=_("capture entry"))
    def capture_entry_link(self, obj: Hold) -> str:
        return _entry_link(obj.capture_entry_id)

    def has_release_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_hold")

    @admin.action(description=_("Release"), permissions=("release",))
    def release(self, request: HttpRequest, queryset: QuerySet[Hold]):
        def perform(hold: Hold, reason: str) -> str:
            done = services.hold_release(hold_id=hold.pk, actor=request.user, reason=reason)
            return gettext("%(amount)s released; now %(state)s.") % {
                "amount": format_brl(done.amount),
                "state": done.get_state_display(),
            }

        return self.run_with_reason(
            request,
            queryset,
            title=_("Release"),
            perform=perform,
            describe=lambda h: f"{h} - {format_brl(h.amount)} - {h.reason}",
        )


# --- Reversal requests ---------------------------------------------------------------------


@admin.register(ReversalRequest)
class ReversalRequestAdmin(
    ReasonActionsMixin, HistoryViewOnlyMixin, StateFirstOrdering, ReadOnlyMixin, SimpleHistoryAdmin
):
    """Pending first. Requests come from the entry action; above R$ 10.000,00 a second
    operator approves (the service refuses the requester's own approval)."""

    first_states = (ReversalRequest.State.PENDING,)
    list_display = (
        "id",
        "entry_display",
        "amount_display",
        "state",
        "requested_by",
        "decided_by",
        "short_reason",
        "reversal_entry_display",
        "created_at",
    )
    list_display_links = ("id",)
    list_filter = ("state", "created_at")
    list_select_related = ("requested_by", "decided_by")
    search_fields = ("=entry__id", "reason")
    history_list_display = ("state", "decided_by")
    fields = (
        "entry_display",
        "amount_display",
        "reason",
        "state",
        "requested_by",
        "decided_by",
        "reversal_entry_display",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("approve", "reject")

    @admin.display(description=_("entry"), ordering="entry_id")
    def entry_display(self, obj: ReversalRequest) -> str:
        return _entry_link(obj.entry_id)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: ReversalRequest) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("reversal entry"))
    def reversal_entry_display(self, obj: ReversalRequest) -> str:
        return _entry_link(obj.reversal_entry_id)

    @admin.display(description=_("reason"))
    def short_reason(self, obj: ReversalRequest) -> str:
        return obj.reason if len(obj.reason) <= 80 else obj.reason[:79] + "…"

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_reversalrequest")

    @admin.action(description=_("Approve (second operator)"), permissions=("decide",))
    def approve(self, request: HttpRequest, queryset: QuerySet[ReversalRequest]) -> None:
        for rr in queryset:
            if rr.state != ReversalRequest.State.PENDING:
                self.message_user(
                    request,
                    gettext("%(request)s: only a pending request can be approved.")
                    % {"request": rr},
                    messages.ERROR,
                )
                continue
            try:
                done = services.reversal_approve(request_id=rr.pk, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{rr}: {exc.message}", messages.ERROR)
                continue
            self.log_change(
                request,
                done,
                f"Approve (second operator) - reversed by entry #{done.reversal_entry_id}.",
            )
            self.message_user(
                request,
                gettext("%(request)s: approved; reversed by entry #%(entry)s.")
                % {"request": done, "entry": done.reversal_entry_id},
                messages.SUCCESS,
            )

    @admin.action(description=_("Reject"), permissions=("decide",))
    def reject(self, request: HttpRequest, queryset: QuerySet[ReversalRequest]):
        def perform(rr: ReversalRequest, reason: str) -> str:
            done = services.reversal_reject(request_id=rr.pk, actor=request.user, reason=reason)
            return gettext("now %(state)s.") % {"state": done.get_state_display()}

        return self.run_with_reason(
            request,
            queryset,
            title=_("Reject"),
            perform=perform,
            describe=lambda r: f"{r} - {format_brl(r.amount)} - {r.reason}",
        )


# --- Reconciliation ------------------------------------------------------------------------


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    """The report of each proof that the ledger is whole; "Run reconciliation now" on the
    list starts one (needs `accounts.add_reconciliationrun`)."""

    list_display = (
        "started_at",
        "ok",
        "accounts_checked",
        "postings_checked",
        "postings_total_display",
        "mismatch_count",
        "unbalanced_count",
        "duration",
    )
    list_filter = ("ok", "started_at")
    ordering = ("-started_at",)
    fields = (
        "ok",
        "started_at",
        "finished_at",
        "duration",
        "accounts_checked",
        "postings_checked",
        "postings_total_display",
        "mismatches_table",
        "unbalanced_table",
        "alerts_display",
    )
    readonly_fields = fields
    change_list_template = "admin/accounts/reconciliationrun/change_list.html"

    def get_urls(self):
        run = path(
            "run/",
            self.admin_site.admin_view(self.run_view),
            name="accounts_reconciliationrun_run",
        )
        return [run, *super().get_urls()]

    def has_run_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.add_reconciliationrun")

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {**(extra_context or {}), "can_run": self.has_run_permission(request)}
        return super().changelist_view(request, extra_context)

    def run_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_run_permission(request):
            raise PermissionDenied
        run = reconcile()
        self.log_addition(request, run, "Run reconciliation now")
        if run.ok:
            self.message_user(
                request, gettext("%(run)s: the ledger is whole.") % {"run": run}, messages.SUCCESS
            )
        else:
            self.message_user(
                request,
                gettext("%(run)s: differences found; an alert is open for operators.")
                % {"run": run},
                messages.ERROR,
            )
        return HttpResponseRedirect(
            reverse("admin:accounts_reconciliationrun_change", args=[run.pk])
        )

    @admin.display(description=_("sum of all postings"))
    def postings_total_display(self, obj: ReconciliationRun) -> str:
        return format_brl(obj.postings_total)

    @admin.display(description=_("balance differences"))
    def mismatch_count(self, obj: ReconciliationRun) -> int:
        return len(obj.mismatches)

    @admin.display(description=_("unbalanced entries"))
    def unbalanced_count(self, obj: ReconciliationRun) -> int:
        return len(obj.unbalanced_entries)

    @admin.display(description=_("duration"))
    def duration(self, obj: ReconciliationRun) -> str:
        return f"{(obj.finished_at - obj.started_at).total_seconds():.3f} s"

    @admin.display(description=_("balance differences"))
    def mismatches_table(self, obj: ReconciliationRun) -> str:
        if not obj.mismatches:
            return _("none")
        rows = (
            (
                _account_link(m.get("account_id")),
                format_brl(int(m.get("cached", 0))),
                format_brl(int(m.get("derived", 0))),
                format_brl(int(m.get("difference", 0))),
            )
            for m in obj.mismatches
        )
        return html_table(
            (_("account"), _("cached balance"), _("sum of postings"), _("difference")), rows
        )

    @admin.display(description=_("unbalanced entries"))
    def unbalanced_table(self, obj: ReconciliationRun) -> str:
        if not obj.unbalanced_entries:
            return _("none")
        rows = []
        for item in obj.unbalanced_entries:
            if "orphan_postings" in item:
                rows.append((_("postings on no account"), item["orphan_postings"]))
            else:
                rows.append(
                    (_entry_link(item.get("entry_id")), format_brl(int(item.get("sum", 0))))
                )
        return html_table((_("entry"), _("sum of its postings")), rows)

    @admin.display(description=_("alerts"))
    def alerts_display(self, obj: ReconciliationRun) -> str:
        alerts = list(obj.alerts.order_by("pk"))
        if not alerts:
            return "-"
        return format_html_join(
            ", ", "{}", ((admin_link(a, f"#{a.pk} {a.get_state_display()}"),) for a in alerts)
        )


@admin.register(LedgerAlert)
class LedgerAlertAdmin(
    ReasonActionsMixin, HistoryViewOnlyMixin, StateFirstOrdering, ReadOnlyMixin, SimpleHistoryAdmin
):
    first_states = (LedgerAlert.State.OPEN,)
    list_display = ("id", "kind", "state", "short_message", "run_link", "created_at")
    list_display_links = ("id",)
    list_filter = ("state", "kind", "created_at")
    search_fields = ("message",)
    history_list_display = ("state",)
    fields = ("kind", "state", "message", "run_link", "detail_display", "created_at", "updated_at")
    readonly_fields = fields
    actions = (
        transition_action("acknowledge", _("Acknowledge"), permission="handle"),
        transition_action("resolve", _("Resolve"), permission="handle"),
    )

    def has_handle_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_ledgeralert")

    @admin.display(description=_("message"))
    def short_message(self, obj: LedgerAlert) -> str:
        return obj.message if len(obj.message) <= 100 else obj.message[:99] + "…"

    @admin.display(description=_("reconciliation run"))
    def run_link(self, obj: LedgerAlert) -> str:
        if obj.run_id is None:
            return "-"
        url = reverse("admin:accounts_reconciliationrun_change", args=[obj.run_id])
        return format_html('<a href="{}">#{}</a>', url, obj.run_id)

    @admin.display(description=_("detail"))
    def detail_display(self, obj: LedgerAlert) -> str:
        return pretty_json(obj.detail)
