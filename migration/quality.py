"""The data-quality report (R-MIG-8): what a club admin should fix before first billing.

Each section lists items with a link to where the item is fixed: the member's edit page,
the review list, or the import row.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.models import Club, Membership
from migration.models import ImportBatch, ImportRow
from migration.pipeline.match import Candidate, near_miss_reason, swapped_day_month
from migration.services import open_review_rows

LIVE = [
    Membership.Status.PENDING,
    Membership.Status.AWAITING_VERIFICATION,
    Membership.Status.SENT_FOR_APPROVAL,
    Membership.Status.ACTIVE,
]
LIMIT = 200
ADULT_AGE = 18


@dataclass
class Item:
    label: str
    detail: str
    url: str


@dataclass
class Section:
    key: str
    title: str
    help: str
    count: int = 0
    items: list[Item] = field(default_factory=list)


def _edit(club: Club, membership_id: int) -> str:
    return reverse("members:edit", args=[club.slug, membership_id])


def _live(club: Club):
    return Membership.objects.filter(club=club, status__in=LIVE).select_related("person")


def _section(key, title, help_text, queryset, detail, url) -> Section:
    section = Section(key, str(title), str(help_text), count=queryset.count())
    section.items = [Item(m.person.full_name, detail(m), url(m)) for m in queryset[:LIMIT]]
    return section


def data_quality(club: Club) -> list[Section]:
    today = timezone.localdate()
    adult_born = (
        today.replace(year=today.year - ADULT_AGE)
        if not (today.month == 2 and today.day == 29)
        else date(today.year - ADULT_AGE, 2, 28)
    )
    live = _live(club).order_by("person__last_name_key", "person__first_name_key")
    edit = lambda m: _edit(club, m.pk)  # noqa: E731
    sections = [
        _section(
            "missing_email",
            gettext_lazy("No e-mail address"),
            gettext_lazy(
                "Neither the member nor a guardian has an e-mail address: they get no "
                "verification, invitation or invoice by e-mail."
            ),
            live.filter(person__email="").exclude(person__guardians__email__gt=""),
            lambda m: m.person.mobile.as_e164 if m.person.mobile else _("no phone either"),
            edit,
        ),
        *_problem_sections(club),
        _section(
            "children_without_guardian",
            gettext_lazy("Children without a guardian"),
            gettext_lazy(
                "Members under 18 need a guardian, who receives their invoices and messages."
            ),
            live.filter(person__birth_date__gt=adult_born, person__guardians__isnull=True),
            lambda m: _("born %(d)s") % {"d": m.person.birth_date.strftime("%d.%m.%Y")},
            edit,
        ),
        _section(
            "without_category",
            gettext_lazy("Members without a category"),
            gettext_lazy("Without a category the membership fee cannot be computed."),
            live.filter(category__isnull=True),
            lambda m: m.get_status_display(),
            edit,
        ),
        _duplicates(club),
        _rejected(club),
        _open_review(club),
    ]
    return sections


PROBLEM_CODES = [
    ("invalid_email", gettext_lazy("Invalid e-mail addresses"), "email"),
    ("invalid_phone", gettext_lazy("Invalid phone numbers"), "mobile"),
    ("invalid_national_id", gettext_lazy("Invalid national id numbers"), "national_id"),
    (
        "national_id_mismatch",
        gettext_lazy("National id numbers that do not fit the birth date"),
        "national_id",
    ),
    (
        "national_id_taken",
        gettext_lazy("National id numbers held by another person"),
        "national_id",
    ),
]


def _problem_sections(club: Club) -> list[Section]:
    """Values the import had to drop; listed while the member still lacks them."""
    rows = (
        ImportRow.objects.filter(club=club, sheet="members", batch__status=ImportBatch.Status.DONE)
        .exclude(codes="")
        .filter(person__isnull=False)
        .select_related("person")
        .order_by("-batch__created_at", "row_number")
    )
    memberships = dict(
        Membership.objects.filter(club=club, status__in=LIVE).values_list("person_id", "pk")
    )
    sections = []
    for code, title, attribute in PROBLEM_CODES:
        section = Section(
            code,
            str(title),
            str(
                _(
                    "The old system's value could not be used and was left out. "
                    "Correct it on the member."
                )
            ),
        )
        seen = set()
        for row in rows.filter(codes__contains=code):
            person = row.person
            fixed = bool(
                person.national_id_hash
                if attribute == "national_id"
                else getattr(person, attribute)
            )
            if fixed or person.pk in seen or person.pk not in memberships:
                continue
            seen.add(person.pk)
            section.count += 1
            if len(section.items) < LIMIT:
                message = next((p["message"] for p in row.problems if p["code"] == code), "")
                section.items.append(
                    Item(person.full_name, message, _edit(club, memberships[person.pk]))
                )
        sections.append(section)
    return sections


def _duplicates(club: Club) -> Section:
    """Pairs of members who look like one person: a near miss between them (R-MIG-4)."""
    section = Section(
        "possible_duplicates",
        str(_("Possible duplicates")),
        str(
            _(
                "Two members of the club who look like the same person. "
                "Check both; correct or cancel one."
            )
        ),
    )
    rows = Membership.objects.filter(club=club, status__in=LIVE).values_list(
        "pk",
        "person_id",
        "person__first_name_key",
        "person__last_name_key",
        "person__birth_date",
        "person__first_name",
        "person__last_name",
    )
    by_birth: dict[date, list] = defaultdict(list)
    for row in rows:
        if row[4]:
            by_birth[row[4]].append(row)
    pairs = set()
    for born, group in by_birth.items():
        others = group + by_birth.get(swapped_day_month(born), [])
        for a in group:
            for b in others:
                if a[0] < b[0] and near_miss_reason(
                    a[2], a[3], a[4], Candidate(b[1], b[2], b[3], b[4], None)
                ):
                    pairs.add((a, b))
    section.count = len(pairs)
    for a, b in sorted(pairs)[:LIMIT]:
        why = near_miss_reason(a[2], a[3], a[4], Candidate(b[1], b[2], b[3], b[4], None))
        section.items.append(Item(f"{a[5]} {a[6]} / {b[5]} {b[6]}", why, _edit(club, a[0])))
    return section


def _rejected(club: Club) -> Section:
    rows = ImportRow.objects.filter(
        club=club, outcome=ImportRow.Outcome.REJECTED, batch__status=ImportBatch.Status.DONE
    ).select_related("batch")
    section = Section(
        "rejected",
        str(_("Rows the import rejected")),
        str(
            _(
                "These rows were not imported. Fix them in the old system's extract and "
                "import again, or create the member by hand."
            )
        ),
        count=rows.count(),
    )
    for row in rows.order_by("-batch__created_at", "row_number")[:LIMIT]:
        name = " ".join(
            filter(None, [row.raw.get("first_name", ""), row.raw.get("last_name", "")])
        ) or _("(no name)")
        url = (
            reverse("migration:batch", args=[club.slug, row.batch_id])
            + f"?outcome=rejected&row={row.sheet}-{row.row_number}#row-{row.sheet}-{row.row_number}"
        )
        section.items.append(
            Item(f"{row.get_sheet_display()} {row.row_number}: {name}", row.reason, url)
        )
    return section


def _open_review(club: Club) -> Section:
    rows = open_review_rows(club)
    section = Section(
        "review",
        str(_("Waiting for review")),
        str(_("Rows that look like a registered person but were not linked automatically.")),
        count=rows.count(),
    )
    url = reverse("migration:review", args=[club.slug])
    for row in rows[:LIMIT]:
        name = " ".join(filter(None, [row.raw.get("first_name", ""), row.raw.get("last_name", "")]))
        section.items.append(Item(name, row.reason, f"{url}#row-{row.pk}"))
    return section
