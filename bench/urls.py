"""The app's URLs plus a bare Django ListView over the same Membership table.

The bare view is the baseline of the benchmark: the same rows (club, status and category
filter, default sort by name), the same page size, select_related of person and category,
a minimal template, and no filter form, permissions, navigation or base layout.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import include, path
from django.views.generic import ListView
from django_scopes import scope

from members.filters import ordering
from members.models import Club, Membership


class BareMemberList(ListView):
    template_name = "bench/member_list_bare.html"
    paginate_by = settings.MEMBER_LIST_PAGE_SIZE
    context_object_name = "memberships"

    def dispatch(self, request, *args, **kwargs):
        self.club = get_object_or_404(Club, slug=kwargs["slug"])
        with scope(club=self.club):
            response = super().dispatch(request, *args, **kwargs)
            # A TemplateResponse renders after dispatch returns: render inside the scope.
            if hasattr(response, "render"):
                response.render()
            return response

    def get_queryset(self):
        queryset = Membership.objects.filter(club=self.club)
        if status := self.request.GET.get("status"):
            queryset = queryset.filter(status=status)
        if category := self.request.GET.get("category"):
            queryset = queryset.filter(category_id=category)
        # The same order as the overview: Norwegian name order (ICU) on PostgreSQL.
        return queryset.select_related("person", "category").order_by(*ordering("name"))


# The kwarg is "slug", not "club_slug": the club scope middleware leaves this URL alone.
urlpatterns = [
    path("bench/bare/<slug:slug>/members/", BareMemberList.as_view(), name="bench_bare"),
    path("", include("ims.urls")),
]
