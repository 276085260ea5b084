"""Journal entries and their postings: read-only; "Request reversal" is the one write."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.accounts import services
from apps.accounts.ledger_lines import kind_label
from apps.accounts.models import Account, JournalEntry, Posting, ReversalRequest
from apps.core.admin_states import state_change
from apps.core.admin_tools import ReadOnlyAdmin, ReasonActionsMixin, admin_link, pretty_json
from apps.core.errors import Conflict
from apps.core.money import format_brl

from ._common import _account_link, _entry_link

# --- Journal entries and postings ----------------------------------------------------------


class KindFilter(admin.SimpleListFilter):
    """Entry kinds, read from the entries (smaller than postings, whose kind is a copy)."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        kinds = JournalEntry.objects.order_by("kind").values_list("kind", flat=True).distinct()
        # The kinds' labels in the reader's language (ledger_lines), never the codes.
        return sorted(((kind, kind_label(kind)) for kind in kinds), key=lambda item: item[1])

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
    fields = ("account_display", "amount_display", "kind_display", "created_at")
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

    @admin.display(description=_("kind"), ordering="kind")
    def kind_display(self, obj: JournalEntry | Posting) -> str:
        return kind_label(obj.kind)


def _reversible(entry: JournalEntry) -> bool:
    """Neither a reversal itself nor reversed already (the entry button's condition)."""
    if entry.reverses_id is not None:
        return False
    if hasattr(entry, "reversal_id"):  # annotated by the admin's queryset
        return entry.reversal_id is None
    return not JournalEntry.objects.filter(reverses_id=entry.pk).exists()


def _why_not_reversible(entry: JournalEntry) -> str:
    if entry.reverses_id is not None:
        return gettext("A reversal cannot itself be reversed; post a new entry instead.")
    return gettext("This entry was already reversed.")


def _reversal_summary(entry: JournalEntry) -> str:
    threshold = services.FOUR_EYES_THRESHOLD_CENTS
    values = {"amount": format_brl(entry.positive_total or 0), "threshold": format_brl(threshold)}
    if (entry.positive_total or 0) <= threshold:
        return (
            gettext(
                "A mirror entry of %(amount)s is posted at once (up to %(threshold)s no second "
                "approval is needed)."
            )
            % values
        )
    return (
        gettext(
            "Above %(threshold)s the reversal of %(amount)s waits for a second operator's "
            "approval (four eyes): nothing is posted until then."
        )
        % values
    )


@admin.register(JournalEntry)
class JournalEntryAdmin(ReasonActionsMixin, ReadOnlyAdmin):
    """Read-only for everyone. The one write is "Request reversal", which posts a mirror
    entry (at once up to R$ 10.000,00, after a second operator's approval above it)."""

    list_display = (
        "id",
        "kind_display",
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
        "kind_display",
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

    @admin.display(description=_("kind"), ordering="kind")
    def kind_display(self, obj: JournalEntry | Posting) -> str:
        return kind_label(obj.kind)

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

    @state_change(
        available=_reversible,
        unavailable=_why_not_reversible,
        amount=lambda entry: entry.positive_total or 0,
        summary=_reversal_summary,
        element_id="request-reversal",
    )
    @admin.action(description=_("Request reversal"), permissions=("reverse",))
    def request_reversal(self, request: HttpRequest, queryset: QuerySet[JournalEntry]):
        threshold = format_brl(services.FOUR_EYES_THRESHOLD_CENTS)

        def perform(entry: JournalEntry, reason: str) -> str:
            # The service refuses these too, but only once it posts: above the threshold it
            # would first leave a pending request that no approval can ever execute.
            if not _reversible(entry):
                raise Conflict(_why_not_reversible(entry))
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
    list_display = (
        "id",
        "entry_link",
        "account_display",
        "amount_display",
        "kind_display",
        "created_at",
    )
    list_display_links = ("id",)
    list_filter = (AccountIdFilter, KindFilter)
    list_select_related = ("account",)
    search_help_text = _("Entry id (exact).")
    search_fields = ("=entry__id",)  # see get_search_results
    ordering = ("-id",)
    fields = ("id", "entry_link", "account_display", "amount_display", "kind_display", "created_at")
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

    @admin.display(description=_("kind"), ordering="kind")
    def kind_display(self, obj: JournalEntry | Posting) -> str:
        return kind_label(obj.kind)
