"""Demo data for `make run` and the browser tests: two clubs that share some persons.

Deterministic (seeded random), so screenshots and tests see the same people each time.
"""

import random
from datetime import date, timedelta

from django.db import transaction
from django_scopes import scopes_disabled
from stdnum.no import fodselsnummer

from members import services, signals
from members.models import (
    Club,
    Group,
    GroupMember,
    Membership,
    MembershipCategory,
    Person,
    WaitlistEntry,
)

FIRST_F = [
    "Ingrid",
    "Kari",
    "Nora",
    "Emma",
    "Sofie",
    "Ida",
    "Maja",
    "Ella",
    "Sara",
    "Hanne",
    "Marte",
    "Anne",
    "Silje",
    "Thea",
    "Linnea",
    "Åse",
    "Bjørg",
    "Solveig",
    "Tiril",
    "Live",
]
FIRST_M = [
    "Ola",
    "Lars",
    "Jakob",
    "Emil",
    "Noah",
    "Oskar",
    "Filip",
    "Henrik",
    "Magnus",
    "Sander",
    "Jonas",
    "Kristian",
    "Per",
    "Håkon",
    "Øystein",
    "Bjørn",
    "Aksel",
    "Tobias",
    "Even",
    "Sindre",
]
LAST = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
    "Pettersen",
    "Eriksen",
    "Berg",
    "Haugen",
    "Hagen",
    "Johannessen",
    "Andreassen",
    "Jacobsen",
    "Dahl",
    "Jørgensen",
    "Halvorsen",
    "Lie",
    "Moen",
    "Strand",
    "Bakken",
    "Solberg",
    "Kristoffersen",
    "Holm",
    "Sæther",
    "Løken",
    "Aasen",
]
STREETS = ["Storgata", "Kirkeveien", "Skogveien", "Bjørkelia", "Fjellveien", "Sjøgata", "Lia"]
PLACES = [
    ("0150", "OSLO"),
    ("0373", "OSLO"),
    ("1360", "FORNEBU"),
    ("5003", "BERGEN"),
    ("7010", "TRONDHEIM"),
    ("4006", "STAVANGER"),
    ("9008", "TROMSØ"),
]

CLUBS = {
    "demo-a": {
        "name": "Demo Turnforening A",
        "org_number": "914778271",
        "bank_account": "12345678903",
        "categories": ["Ordinær", "Barn 6–12", "Ungdom", "Familie", "Støttemedlem"],
        "groups": [
            ("Turn 6–8 år", "Turn", 20),
            ("Turn 9–12 år", "Turn", 24),
            ("Troppsgym junior", "Troppsgym", 30),
            ("Voksen turn", "Turn", None),
            ("Parkour", "Parkour", 15),
        ],
    },
    "demo-b": {
        "name": "Demo Idrettslag B",
        "org_number": "974760673",
        "bank_account": "86011117947",
        "categories": ["Ordinær", "Barn", "Pensjonist"],
        "groups": [
            ("Fotball G10", "Fotball", 22),
            ("Fotball J12", "Fotball", 22),
            ("Håndball senior", "Håndball", None),
            ("Trim", "Trim", None),
        ],
    },
}


def national_id_for(born: date, rng: random.Random, male: bool) -> str:
    """A valid fødselsnummer for ``born`` (individual number in the right century)."""
    while True:
        individual = rng.randint(500, 999) if born.year >= 2000 else rng.randint(0, 499)
        if (individual % 2 == 1) != male:
            individual += 1
            if individual > 999 or (born.year < 2000 and individual > 499):
                continue
        base = born.strftime("%d%m%y") + f"{individual:03d}"
        try:
            k1 = fodselsnummer.calc_check_digit1(base)
            k2 = fodselsnummer.calc_check_digit2(base + k1)
            number = base + k1 + k2
            fodselsnummer.validate(number)
        except (ValueError, fodselsnummer.ValidationError):
            continue  # check digit 10: that individual number is never issued
        return number


class DemoBuilder:
    def __init__(self, seed: int = 2026, today: date | None = None):
        self.rng = random.Random(seed)
        self.today = today or date.today()

    def person(self, *, adult: bool) -> Person:
        rng = self.rng
        male = rng.random() < 0.5
        age = rng.randint(19, 75) if adult else rng.randint(5, 17)
        born = self.today - timedelta(days=age * 365 + rng.randint(0, 364))
        code, place = rng.choice(PLACES)
        first = rng.choice(FIRST_M if male else FIRST_F)
        if rng.random() < 0.08:
            first = f"{first}-{rng.choice(FIRST_M if male else FIRST_F)}"
        last = rng.choice(LAST)
        has_contact = adult or age >= 15
        person = Person(
            first_name=first,
            last_name=last,
            birth_date=born,
            gender="male" if male else "female",
            email=f"{first.lower()}.{last.lower()}{rng.randint(1, 999)}@example.no".replace(
                "ø", "o"
            )
            .replace("å", "a")
            .replace("æ", "ae")
            if has_contact
            else "",
            mobile=f"+47{rng.choice('49')}{rng.randint(1000000, 9999999)}" if has_contact else "",
            address_line=f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
            postal_code=code,
            city=place,
        )
        if rng.random() < 0.6:
            person.set_national_id(national_id_for(born, rng, male))
        person.save()
        return person

    def family(self) -> list[Person]:
        """A guardian with one to three children (children need a guardian, R-REG-6)."""
        parent = self.person(adult=True)
        children = []
        for _ in range(self.rng.randint(1, 3)):
            child = self.person(adult=False)
            child.last_name = parent.last_name
            child.address_line, child.postal_code, child.city = (
                parent.address_line,
                parent.postal_code,
                parent.city,
            )
            child.save()
            child.guardians.add(parent)
            children.append(child)
        return [parent, *children]


DEMO_LOGINS = {
    "admin-a@example.no": "club admin of demo-a",
    "admin-b@example.no": "club admin of demo-b",
    "admin-ab@example.no": "club admin of demo-a and demo-b (and a member of both)",
    "trener-a@example.no": "group admin of one group in demo-a",
    "forelder-a@example.no": "a member of demo-a with a child there (Min side, no admin role)",
}


@transaction.atomic
def seed_demo(*, members_per_club: int = 300, shared: int = 40, password: str) -> dict:
    """Create demo-a and demo-b with members, groups and admins, then let the apps above
    add their demo data (``members.signals.demo_seeded``). Returns the logins."""
    builder = DemoBuilder()
    rng = builder.rng
    with scopes_disabled():
        clubs = {}
        for slug, spec in CLUBS.items():
            club = Club.objects.create(
                slug=slug,
                name=spec["name"],
                org_number=spec["org_number"],
                bank_account=spec["bank_account"],
                address_line="Idrettsveien 1",
                postal_code="0150",
                city="OSLO",
                email_sender=f"post@{slug}.example.no",
                sms_sender=slug.replace("-", "").upper()[:11],
                terms="Medlemskapet løper til det sies opp.",
            )
            cats = [
                MembershipCategory.objects.create(club=club, name=n, sort_order=i)
                for i, n in enumerate(spec["categories"])
            ]
            groups = [
                Group.objects.create(club=club, name=n, sport=s, capacity=c, season="Høst 2026")
                for n, s, c in spec["groups"]
            ]
            clubs[slug] = (club, cats, groups)

        people_a: list[Person] = []
        while len(people_a) < members_per_club:
            people_a.extend(
                builder.family() if rng.random() < 0.35 else [builder.person(adult=True)]
            )
        people_b = people_a[:shared]
        while len(people_b) < members_per_club - 50:
            people_b.extend(
                builder.family() if rng.random() < 0.35 else [builder.person(adult=True)]
            )

        for slug, people in (("demo-a", people_a), ("demo-b", people_b)):
            club, cats, groups = clubs[slug]
            _enrol(club, cats, groups, people, rng, builder.today)

        for slug, email in (("demo-a", "admin-a@example.no"), ("demo-b", "admin-b@example.no")):
            user = services.get_or_create_user(email, password)
            services.grant_club_admin(clubs[slug][0], user)
        both = services.get_or_create_user("admin-ab@example.no", password)
        both.person = people_a[0]
        both.save()
        for slug in clubs:
            services.grant_club_admin(clubs[slug][0], both)
        coach = services.get_or_create_user("trener-a@example.no", password)
        services.grant_group_admin(clubs["demo-a"][2][0], coach)
        parent, child = _demo_parent(clubs["demo-a"][0], people_a[1:])
        user = services.get_or_create_user("forelder-a@example.no", password)
        user.person = parent
        user.save()
        _waitlist_place(clubs["demo-a"], child)
        # the apps above add theirs (billing: fees, agreements, an invoice run)
        signals.demo_seeded.send(
            sender=Club,
            clubs={slug: spec[0] for slug, spec in clubs.items()},
            today=builder.today,
            parent=parent,
        )
    return DEMO_LOGINS


def _demo_parent(club, people) -> tuple[Person, Person]:
    """The demo's plain member: the first guardian who is active in ``club`` with a child
    active there too, preferring one who is a member of the other club as well."""
    active = set(
        Membership.objects.filter(club=club, status=Membership.Status.ACTIVE).values_list(
            "person_id", flat=True
        )
    )
    children: dict[int, list[int]] = {}
    for child_id, guardian_id in Person.guardians.through.objects.filter(
        from_person_id__in=active, to_person_id__in=active
    ).values_list("from_person_id", "to_person_id"):
        children.setdefault(guardian_id, []).append(child_id)
    # ``people`` starts with the persons shared with the other club: the first fit wins,
    # one that looks like a real family if there is one (the generator is random).
    kids = {k.pk: k for k in Person.objects.filter(pk__in=active, guardians__isnull=False)}

    def plausible(parent: Person) -> bool:
        own = [kids[c] for c in children[parent.pk]]
        names = [k.first_name for k in own]
        return (
            parent.birth_date is not None
            and all(
                k.birth_date and 22 <= (k.birth_date - parent.birth_date).days // 365 <= 45
                for k in own
            )
            and len(set(names)) == len(names)
            and all(len(set(n.split("-"))) == len(n.split("-")) for n in names)  # no "Ida-Ida"
        )

    fits = [p for p in people if p.pk in children]
    parent = next((p for p in fits if plausible(p)), fits[0])
    return parent, Person.objects.get(pk=min(children[parent.pk]))


def _waitlist_place(club_spec, child: Person) -> None:
    """Put the demo child second in line for a group it is not in (Min side shows it)."""
    club, _cats, groups = club_spec
    joined = set(
        GroupMember.objects.filter(club=club, membership__person=child).values_list(
            "group_id", flat=True
        )
    )
    group = next(g for g in reversed(groups) if g.pk not in joined and g.capacity)
    ahead = next(
        p for p in Person.objects.filter(memberships__club=club).exclude(pk=child.pk).order_by("pk")
    )
    WaitlistEntry.objects.create(club=club, group=group, person=ahead, position=1)
    WaitlistEntry.objects.create(club=club, group=group, person=child, position=2)


def _category_for(person, cats, today):
    """Children in a children's category, young people in "Ungdom", the rest "Ordinær"."""
    by_name = {c.name: c for c in cats}
    age = person.age_on(today) or 30
    if age < 13:
        return by_name.get("Barn 6–12") or by_name.get("Barn") or cats[0]
    if age < 20:
        return by_name.get("Ungdom") or cats[0]
    return by_name.get("Ordinær") or cats[0]


def _enrol(club, cats, groups, people, rng, today) -> None:
    statuses = (
        [Membership.Status.ACTIVE] * 14
        + [Membership.Status.PENDING] * 3
        + [Membership.Status.SENT_FOR_APPROVAL, Membership.Status.CANCELLED]
    )
    for number, person in enumerate(people, start=1001):
        recent = rng.random() < 0.1
        started = today - timedelta(days=rng.randint(0, 29) if recent else rng.randint(31, 3000))
        status = rng.choice(statuses)
        m = Membership.objects.create(
            club=club,
            person=person,
            category=_category_for(person, cats, today),
            status=status,
            source=Membership.Source.MIGRATED if not recent else Membership.Source.ADMIN,
            member_number=str(number),
            started_on=started,
            ended_on=today if status == Membership.Status.CANCELLED else None,
        )
        for group in rng.sample(groups, k=rng.choice([0, 1, 1, 2])):
            GroupMember.objects.create(club=club, group=group, membership=m, joined_on=started)
