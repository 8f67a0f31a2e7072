"""Waitlists (R-MIG-7): places in the file's order, persons matched like members."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from members import identity
from members.models import Membership, Person, WaitlistEntry
from migration.models import ImportRow
from migration.pipeline import columns as cols
from migration.pipeline import match
from migration.pipeline.match import MATCHED, REJECTED, REVIEW, Candidate
from migration.pipeline.normalise import normalise_waitlist
from migration.pipeline.persons import NewPerson, write_new_persons


class WaitlistImport:
    """Mixin of the Importer: the Venteliste sheet."""

    def import_waitlist(self, rows: Iterator[tuple[int, dict]]) -> None:
        checked = [(n, raw, normalise_waitlist(raw)) for n, raw in rows]
        records, places = [], []
        valid = [(n, raw, c) for n, raw, c in checked if not c.errors]
        index = match.RegistryCache().for_rows(
            {c.values["birth_date"] for *_x, c in valid if c.values["birth_date"]}, set()
        )
        by_number = dict(
            Membership.objects.filter(club=self.club)
            .exclude(member_number="")
            .values_list("member_number", "person_id")
        )
        for n, raw, c in checked:
            if c.errors:
                records.append(self.row(cols.WAITLIST, n, raw, c, REJECTED, c.error_text()))
                continue
            v = c.values
            if v["member_no"] and v["member_no"] in by_number:
                person, outcome, reason = (
                    by_number[v["member_no"]],
                    MATCHED,
                    _("Member number %(no)s of this club.") % {"no": v["member_no"]},
                )
            else:
                d = match.decide(
                    identity.name_key(v["first_name"]),
                    identity.name_key(v["last_name"]),
                    v["birth_date"],
                    None,
                    index,
                )
                if d.outcome == REVIEW:
                    records.append(
                        self.row(
                            cols.WAITLIST,
                            n,
                            raw,
                            c,
                            REVIEW,
                            d.reason,
                            rule=d.rule,
                            candidates=d.candidates,
                        )
                    )
                    continue
                outcome, reason = d.outcome, d.reason
                person = d.person_pk if d.outcome == MATCHED else _new_waitlist_person(v)
                if isinstance(person, NewPerson):
                    self.created(
                        "person",
                        write_new_persons([person], user=self.user, reason="import: waitlist"),
                    )
                    _first, _last, first_key, last_key = Person.clean_names(
                        person.first_name, person.last_name
                    )
                    index.add(Candidate(person.pk, first_key, last_key, person.birth_date, None))
            places.append((v["group"], v["position"], n, _pk(person), v["registered"]))
            records.append(
                self.row(cols.WAITLIST, n, raw, c, outcome, reason, person_id=_pk(person))
            )
        self.write_places(places)
        ImportRow.objects.bulk_create(records, batch_size=2000)

    def place_on_waitlist(self, v: dict, person_pk: int | None) -> int:
        """One resolved review row: the person (given, or created from the row) takes the
        row's place in the group's line; those behind move one place back."""
        if person_pk is None:
            person = _new_waitlist_person(v)
            self.created(
                "person", write_new_persons([person], user=self.user, reason="import: waitlist")
            )
            person_pk = person.pk
        group = self.group_named(v["group"])
        if WaitlistEntry.objects.filter(group=group, person_id=person_pk).exists():
            return person_pk
        position = v["position"]
        behind = WaitlistEntry.objects.filter(group=group, position__gte=position)
        for entry in behind.order_by("-position"):
            entry.position += 1
            entry.save(update_fields=["position"])
        entry = WaitlistEntry.objects.create(
            club=self.club,
            group=group,
            person_id=person_pk,
            position=position,
            registered_on=v.get("registered") or self.today,
        )
        self.created("waitlist", [entry])
        return person_pk

    def write_places(self, places: list[tuple]) -> None:
        """Places keep the file's order; positions are renumbered 1, 2, 3 … per group."""
        by_group: dict[str, list] = {}
        for name, _position, _number, person, registered in sorted(
            places, key=lambda p: (p[0].casefold(), p[1], p[2])
        ):
            by_group.setdefault(name.casefold(), []).append((name, person, registered))
        created = []
        for places_in_group in by_group.values():
            group = self.group_named(places_in_group[0][0])
            existing = {e.person_id: e for e in WaitlistEntry.objects.filter(group=group)}
            seen: set[int] = set()
            position = 0
            for _name, person, registered in places_in_group:
                if person in seen:
                    continue
                seen.add(person)
                position += 1
                entry = existing.get(person)
                if entry is None:
                    created.append(
                        WaitlistEntry(
                            club=self.club,
                            group=group,
                            person_id=person,
                            position=position,
                            registered_on=registered or self.today,
                        )
                    )
                elif entry.position != position:
                    entry.position = position
                    entry.save(update_fields=["position"])
        WaitlistEntry.objects.bulk_create(created)
        self.created("waitlist", created)


def _pk(ref) -> int:
    return ref.pk if isinstance(ref, NewPerson) else ref


def _new_waitlist_person(v: dict) -> NewPerson:
    return NewPerson(
        first_name=v["first_name"],
        last_name=v["last_name"],
        birth_date=v["birth_date"],
        email=v["email"],
        mobile=v["mobile"],
    )
