"""The compliance console for screening: lists and results read-only, the watchlist
editable by compliance officers (their role holds the watchlist's add/change permissions).
The watchlist and the hits' decisions keep their history (who changed what, when)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.core.admin_tools import HistoryViewOnlyMixin, ReadOnlyAdmin, ReadOnlyMixin, admin_link

from . import services
from .models import (
    EntryName,
    ListEntry,
    ListVersion,
    ScreeningHit,
    ScreeningResult,
    WatchlistEntry,
)


@admin.register(ListVersion)
class ListVersionAdmin(ReadOnlyAdmin):
    list_display = (
        "source",
        "version",
        "published_on",
        "imported_at",
        "entry_count",
        "changed_count",
        "is_active",
        "rescreened_at",
    )
    list_filter = ("source", "is_active")
    fields = list_display + ("checksum", "file_name")
    readonly_fields = fields


class EntryNameInline(admin.TabularInline):
    model = EntryName
    fields = ("name", "normalized", "is_alias", "quality")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ListEntry)
class ListEntryAdmin(ReadOnlyAdmin):
    list_display = ("entry_id", "primary_name", "kind", "source", "version", "is_changed")
    list_filter = ("version__source", "kind", "version__is_active", "is_changed")
    search_fields = ("entry_id", "primary_name", "names__normalized")
    list_select_related = ("version",)
    fields = (
        "version",
        "entry_id",
        "kind",
        "primary_name",
        "birth_dates",
        "countries",
        "programs",
        "identifiers",
        "remarks",
        "is_changed",
    )
    readonly_fields = fields
    inlines = [EntryNameInline]

    @admin.display(description=_("list"), ordering="version__source")
    def source(self, obj: ListEntry) -> str:
        return obj.version.get_source_display()


@admin.register(WatchlistEntry)
class WatchlistEntryAdmin(HistoryViewOnlyMixin, SimpleHistoryAdmin):
    list_display = ("name", "kind", "country", "birth_date", "is_active", "updated_at")
    list_filter = ("is_active", "kind")
    search_fields = ("name", "aliases")
    fields = ("name", "aliases", "kind", "birth_date", "country", "reason", "is_active")

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        services.invalidate_index()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Hits point at watchlist rows (kept for audit): deactivate instead.
        return False


class ScreeningHitInline(admin.TabularInline):
    model = ScreeningHit
    fields = ("source", "entry_id", "listed_name", "matched_name", "score", "status")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ScreeningResult)
class ScreeningResultAdmin(ReadOnlyAdmin):
    list_display = ("screened_name", "subject_type", "context", "hit_count", "created_at")
    list_filter = ("subject_type", "context")
    search_fields = ("screened_name",)
    date_hierarchy = "created_at"
    fields = (
        "subject_type",
        "customer_link",
        "screened_name",
        "tax_id_masked",
        "birth_date",
        "country",
        "context",
        "threshold",
        "hit_count",
        "versions",
        "created_at",
    )
    readonly_fields = fields
    inlines = [ScreeningHitInline]

    @admin.display(description=_("customer"))
    def customer_link(self, obj: ScreeningResult) -> str:
        return admin_link(obj.customer)

    @admin.display(description=_("list versions used"))
    def versions(self, obj: ScreeningResult) -> str:
        return ", ".join(str(v) for v in obj.list_versions.all())


@admin.register(ScreeningHit)
class ScreeningHitAdmin(HistoryViewOnlyMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("listed_name", "source", "entry_id", "score", "status", "result_link")
    list_filter = ("status", "source")
    search_fields = ("listed_name", "matched_name", "result__screened_name")
    list_select_related = ("result",)
    fields = (
        "result_link",
        "source",
        "entry_id",
        "listed_name",
        "matched_name",
        "score",
        "status",
    )
    readonly_fields = fields
    actions = ["clear_hits", "confirm_hits"]

    @admin.display(description=_("screening"))
    def result_link(self, obj: ScreeningHit) -> str:
        return admin_link(obj.result)

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("compliance.change_screeninghit")

    def _set(self, request: HttpRequest, queryset, status: str) -> None:
        for hit in queryset:
            services.hit_set_status(hit=hit, status=status, actor=request.user)
        message = _("%(n)s hit(s) updated.") % {"n": len(queryset)}
        self.message_user(request, message, messages.SUCCESS)

    @admin.action(description=_("Clear (false positive)"), permissions=["decide"])
    def clear_hits(self, request: HttpRequest, queryset) -> None:
        self._set(request, queryset, ScreeningHit.Status.CLEARED)

    @admin.action(description=_("Confirm"), permissions=["decide"])
    def confirm_hits(self, request: HttpRequest, queryset) -> None:
        self._set(request, queryset, ScreeningHit.Status.CONFIRMED)
