from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_scopes import scope

from members import exports
from members.actions import page_actions
from members.filters import (
    SORTS,
    MemberFilter,
    MemberRow,
    member_rows_query,
    quick_filters,
    select_options,
)
from members.permissions import visible_memberships


def _filtered(request):
    access = request.club_access
    return MemberFilter(request.GET or None, queryset=visible_memberships(access), access=access)


def member_list(request, club_slug):
    """The member overview (R-MEM-1): search, filters, sort, pages; htmx swaps the table."""
    member_filter = _filtered(request)
    paginator = Paginator(member_filter.qs, settings.MEMBER_LIST_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    # Counted on the plain query (no joins); the page itself read as tuples.
    page.object_list = [MemberRow(*values) for values in member_rows_query(page.object_list)]
    params = request.GET.copy()
    params.pop("page", None)
    current_sort = request.GET.get("sort") or "name"
    sort_params = params.copy()
    sort_params.pop("sort", None)
    context = {
        "filter": member_filter,
        "page": page,
        "query": params.urlencode(),
        "sort_query": sort_params.urlencode(),
        "current_sort": current_sort if current_sort in SORTS else "name",
        "today": timezone.localdate(),
        "actions": page_actions(request, "member_list", params.urlencode()),
        "quick": quick_filters(visible_memberships(request.club_access), request.GET),
    }
    partial = request.htmx and not request.htmx.boosted
    if not partial:
        context["selects"] = select_options(member_filter)
    template = "members/_member_table.html" if partial else "members/member_list.html"
    return render(request, template, context)


def member_export(request, club_slug, fmt):
    """The current filter result as CSV or XLSX (R-MEM-6)."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    club = request.club
    queryset = _filtered(request).qs
    stamp = timezone.localdate().strftime("%Y-%m-%d")
    filename = f"{club.slug}-medlemmer-{stamp}.{fmt}"
    if fmt == "xlsx":
        header, data = exports.export_queryset(queryset)
        body = exports.xlsx_bytes(header, data, title="Medlemmer")
        response = HttpResponse(
            body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        response = StreamingHttpResponse(
            _scoped_stream(club, queryset), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _scoped_stream(club, queryset):
    """A streamed body is consumed after the middleware returns: keep the scope."""
    with scope(club=club):
        header, data = exports.export_queryset(queryset)
        yield from exports.csv_chunks(header, data)
