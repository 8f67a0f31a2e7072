"""The member overview's search and filters (R-MEM-1)."""

import re
from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Membership, MembershipCategory
from members.models.persons import Gender
from members.permissions import visible_groups

NEW_WITHIN_CHOICES = [("7", _("Last 7 days")), ("15", _("Last 15 days")), ("30", _("Last 30 days"))]
SORTS = {
    "name": ("person__last_name_key", "person__first_name_key", "id"),
    "-name": ("-person__last_name_key", "-person__first_name_key", "-id"),
    "born": ("person__birth_date", "id"),
    "-born": ("-person__birth_date", "-id"),
    "since": ("started_on", "id"),
    "-since": ("-started_on", "-id"),
    "number": ("member_number", "id"),
    "-number": ("-member_number", "-id"),
    "status": ("status", "id"),
    "-status": ("-status", "-id"),
}


class MemberFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Membership.Status.choices)
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=MembershipCategory.objects.none()
    )
    group = django_filters.ModelChoiceFilter(
        label=_("Group"), field_name="group_links__group", queryset=None
    )
    gender = django_filters.ChoiceFilter(
        label=_("Gender"), field_name="person__gender", choices=Gender.choices[:2]
    )
    age_min = django_filters.NumberFilter(label=_("Age from"), method="filter_age_min", min_value=0)
    age_max = django_filters.NumberFilter(label=_("Age to"), method="filter_age_max", min_value=0)
    new = django_filters.ChoiceFilter(
        label=_("New members"), choices=NEW_WITHIN_CHOICES, method="filter_new"
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort"),
        choices=[(k, k) for k in SORTS],
        method="filter_sort",
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Membership
        fields = ["q", "status", "category", "group", "gender", "age_min", "age_max", "new"]

    def __init__(self, data=None, *args, access, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["category"].queryset = MembershipCategory.objects.filter(club=access.club)
        self.filters["group"].queryset = visible_groups(access)

    @property
    def qs(self):
        if self.is_bound and not self.form.is_valid():
            # A wrong filter shows its error and no rows, never an unfiltered list.
            return self.queryset.none()
        queryset = super().qs
        if not getattr(self.form, "cleaned_data", {}).get("sort"):
            queryset = queryset.order_by(*SORTS["name"])
        return queryset

    def search(self, queryset, name, value):
        for term in value.split():
            digits = re.sub(r"\D", "", term)
            condition = (
                Q(person__first_name__icontains=term)
                | Q(person__last_name__icontains=term)
                | Q(person__email__istartswith=term)
                | Q(member_number=term)
            )
            if len(digits) >= 3 and len(digits) == len(term.lstrip("+")):
                condition |= Q(person__mobile__contains=digits)
            queryset = queryset.filter(condition)
        return queryset

    def filter_age_min(self, queryset, name, value):
        # Age at least N today: born on or before today N years ago.
        latest = _years_ago(int(value))
        return queryset.filter(person__birth_date__lte=latest)

    def filter_age_max(self, queryset, name, value):
        # Age at most N today: born after today N+1 years ago.
        earliest = _years_ago(int(value) + 1)
        return queryset.filter(person__birth_date__gt=earliest)

    def filter_new(self, queryset, name, value):
        since = timezone.localdate() - timedelta(days=int(value))
        return queryset.filter(started_on__gte=since)

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*SORTS[value])


def _years_ago(years: int):
    today = timezone.localdate()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)
