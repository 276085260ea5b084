"""Portal statement page: filters, lines newest first with the running balance, "load more"
through htmx (the next page arrives as table rows), and links to the CSV/PDF/OFX files."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from apps.core.errors import NotFound, ValidationFailed

from . import selectors, statements
from .models import Account

PAGE_SIZE = statements.DEFAULT_PAGE_SIZE

# Entry kinds that only a product's own users ever have: the type filter names them only to
# a customer who may use the product (its KYC level, and its own conditions: loans are for
# natural persons), so it promises nothing the customer has no page for. A TED received, a
# deposit or a fee is anyone's.
PRODUCT_OF_KIND = {
    "ted_out": "ted",
    "ted_fee": "ted",
    "ted_return": "ted",
    "ted_fee_refund": "ted",
    "card_purchase": "cards",
    "card_refund": "cards",
    "loan_disbursement": "loans",
    "loan_installment": "loans",
    "loan_collection": "loans",
}


def kinds_for(account: Account) -> list[tuple[str, str]]:
    """The (kind, label) choices of the type filter for this account's customer."""
    products = selectors.products_of(customer=account.customer) if account.customer else None
    return [
        (kind, label)
        for kind, label in statements.KIND_LABELS.items()
        if products is None or PRODUCT_OF_KIND.get(kind, "") in ("", *products)
    ]


class StatementFilterForm(forms.Form):
    """GET filters; fields are named `from`, `to` and `kind`, as in the API."""

    def __init__(self, *args, kinds: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        date_widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["from"] = forms.DateField(
            label=_("Start date"), required=False, widget=date_widget, input_formats=["%Y-%m-%d"]
        )
        self.fields["to"] = forms.DateField(
            label=_("End date"), required=False, widget=date_widget, input_formats=["%Y-%m-%d"]
        )
        self.fields["kind"] = forms.ChoiceField(
            label=_("Type"),
            required=False,
            choices=[
                ("", _("All types")),
                *(kinds if kinds is not None else statements.KIND_LABELS.items()),
            ],
        )

    def clean(self):
        data = super().clean()
        if data.get("from") and data.get("to") and data["from"] > data["to"]:
            self.add_error("to", _("The end date must not be before the start date."))
        return data

    def filters(self) -> statements.StatementFilters:
        data = self.cleaned_data
        return statements.StatementFilters(
            date_from=data.get("from"), date_to=data.get("to"), kind=data.get("kind") or None
        )

    def query(self) -> dict[str, str]:
        """The valid filters as query parameters (for the next page and the exports)."""
        data = self.cleaned_data
        query = {}
        for name in ("from", "to"):
            if data.get(name):
                query[name] = data[name].isoformat()
        if data.get("kind"):
            query["kind"] = data["kind"]
        return query


def _own_account(request: HttpRequest, account_id: int) -> Account:
    try:
        return selectors.account_of_user(user=request.user, account_id=account_id)
    except NotFound:
        raise Http404("Account not found.") from None


def _page_context(request: HttpRequest, account: Account, form: StatementFilterForm) -> dict:
    """Lines of the requested page; raises ValidationFailed for a tampered cursor."""
    cursor = request.GET.get("cursor")
    before_id = statements.decode_cursor(cursor) if cursor is not None else None
    page = statements.statement_page(
        account_id=account.pk, filters=form.filters(), before_id=before_id, limit=PAGE_SIZE
    )
    next_query = ""
    if page.next_before_id is not None:
        next_query = urlencode(
            {**form.query(), "cursor": statements.encode_cursor(page.next_before_id)}
        )
    return {"lines": page.lines, "next_query": next_query, "is_first_page": before_id is None}


@login_required
@require_safe
def statement(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _own_account(request, account_id)
    form = StatementFilterForm(request.GET, kinds=kinds_for(account))
    context = {
        "account": account,
        "form": form,
        "lines": [],
        "next_query": "",
        "is_first_page": True,
        "export_query": "",
    }
    if not form.is_valid():
        return render(request, "portal/statement.html", context, status=400)
    try:
        context.update(_page_context(request, account, form))
    except ValidationFailed:
        return HttpResponseBadRequest(_("Invalid page link."))
    context["export_query"] = urlencode(form.query())
    return render(request, "portal/statement.html", context)


@login_required
@require_safe
def statement_lines(request: HttpRequest, account_id: int) -> HttpResponse:
    """The next page as table rows (htmx "load more" swaps them in for its own row)."""
    account = _own_account(request, account_id)
    form = StatementFilterForm(request.GET, kinds=kinds_for(account))
    if not form.is_valid():
        return HttpResponseBadRequest(_("Invalid filters."))
    try:
        context = _page_context(request, account, form)
    except ValidationFailed:
        return HttpResponseBadRequest(_("Invalid page link."))
    context["account"] = account
    return render(request, "portal/partials/statement_rows.html", context)
