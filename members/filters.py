"""The member overview's search and filters (R-MEM-1)."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

import django_filters
import phonenumbers
from django import forms
from django.db import connection
from django.db.models import CharField, Count, F, Q
from django.db.models.functions import Cast, Collate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Membership, MembershipCategory
from members.models.persons import Gender
from members.permissions import visible_groups

NEW_WITHIN_CHOICES = [("7", _("Last 7 days")), ("15", _("Last 15 days")), ("30", _("Last 30 days"))]
NEW_WITHIN_DAYS = (7, 15, 30)
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

NORWEGIAN = "nb-NO-x-icu"  # æ, ø, å after z, and "aa" as å (DOMAIN.md §11)


def ordering(sort: str) -> list:
    """ORDER BY for a sort key. Names sort the Norwegian way on PostgreSQL (ICU collation,
    served by the index person_name_nb); SQLite, the demo database, has no ICU."""
    fields = SORTS[sort]
    if sort.lstrip("-") != "name" or connection.vendor != "postgresql":
        return list(fields)
    out = []
    for name in fields:
        field = name.lstrip("-")
        expression = Collate(F(field), NORWEGIAN) if field.endswith("_key") else F(field)
        out.append(expression.desc() if name.startswith("-") else expression.asc())
    return out


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
            queryset = queryset.order_by(*ordering("name"))
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
        return queryset.filter(new_within(int(value)))

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*ordering(value))


def new_within(days: int, today: date | None = None) -> Q:
    """New members of the last ``days`` days (R-MEM-1, R-REG-8): "member since"
    (``started_on``) on one of the ``days`` days that end today — today and the days - 1
    before it. ``started_on`` and not the row's ``created_at``: a migrated member keeps
    the old system's date (an import is not a wave of new members), and a membership
    sent for approval starts on the day it is approved. A rejected request never was a
    membership."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    return Q(started_on__gte=first, started_on__lte=today) & ~Q(status=Membership.Status.REJECTED)


def quick_filters(queryset, data) -> list[dict]:
    """The overview's quick filters with their counts among the memberships this user
    sees (R-REG-8): new in the last 7, 15 and 30 days, and sent for approval. One query,
    served by the (club, started_on) and (club, status) indexes. Each is
    ``{"key", "label", "count", "query", "current"}``; ``query`` is the filter alone."""
    sent = Membership.Status.SENT_FOR_APPROVAL
    widest = max(NEW_WITHIN_DAYS)
    counts = queryset.filter(new_within(widest) | Q(status=sent)).aggregate(
        sent=Count("pk", filter=Q(status=sent)),
        **{f"new_{d}": Count("pk", filter=new_within(d)) for d in NEW_WITHIN_DAYS},
    )
    data = data or {}
    only = {k for k, v in data.items() if v and k not in ("page", "sort")}
    out = [
        {
            "key": f"new_{d}",
            "label": label,
            "count": counts[f"new_{d}"],
            "query": f"new={d}",
            "current": only == {"new"} and data.get("new") == str(d),
        }
        for d, (_v, label) in zip(NEW_WITHIN_DAYS, NEW_WITHIN_CHOICES, strict=True)
    ]
    out.append(
        {
            "key": "sent_for_approval",
            "label": Membership.Status.SENT_FOR_APPROVAL.label,
            "count": counts["sent"],
            "query": f"status={sent}",
            "current": only == {"status"} and data.get("status") == sent,
        }
    )
    return out


def _years_ago(years: int):
    today = timezone.localdate()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


SELECTS = ("status", "category", "group", "gender", "new")


def select_options(member_filter: MemberFilter) -> dict[str, dict]:
    """The filter's dropdowns as plain data. Rendering Django's Select widgets costs a
    template include per option; the overview renders these lists itself (bench/)."""
    form = member_filter.form
    data = form.data if form.is_bound else {}
    out = {}
    for name in SELECTS:
        field = form.fields[name]
        current = str(data.get(name, "") or "")
        if name in ("category", "group"):
            choices = [(str(pk), label) for pk, label in field.queryset.values_list("pk", "name")]
        else:
            choices = [(str(v), str(label)) for v, label in field.choices if v != ""]
        options = [("", str(field.empty_label or "---------"), current == "")]
        options += [(value, label, value == current) for value, label in choices]
        out[name] = {"name": name, "label": field.label, "options": options}
    return out


@dataclass(slots=True)
class MemberRow:
    """One line of the overview, read with values_list: no model instances and no phone
    number parsing per row (the overview is the page clubs open most, see bench/)."""

    pk: int
    member_number: str
    status: str
    started_on: date
    first_name: str
    last_name: str
    birth_date: date | None
    email: str
    mobile: str
    category: str | None
    gender: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def mobile_display(self) -> str:
        return format_phone(self.mobile)


STATUS_LABELS = dict(Membership.Status.choices)
ROW_FIELDS = (
    "pk",
    "member_number",
    "status",
    "started_on",
    "person__first_name",
    "person__last_name",
    "person__birth_date",
    "person__email",
    "mobile_text",
    "category__name",
    "person__gender",
)


def member_rows_query(queryset):
    """The overview's columns as tuples for MemberRow (paginate this, then wrap)."""
    mobile = Cast("person__mobile", CharField())
    return queryset.annotate(mobile_text=mobile).values_list(*ROW_FIELDS)


def format_phone(e164: str) -> str:
    """``+4791234567`` → ``+47 912 34 567``; other countries through phonenumbers."""
    if not e164:
        return ""
    if e164.startswith("+47") and len(e164) == 11:
        n = e164[3:]
        return f"+47 {n[:3]} {n[3:5]} {n[5:]}"
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
