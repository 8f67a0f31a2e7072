"""What a chunk's writes must know of the rows already stored, without waiting for the
run's own writes.

Writing a chunk asks what exists: the club's memberships of its registered persons,
their group places, the guardian links of its children, the contact details of the
persons it matched. The answer is what the database held before the run (``Stored``,
read where the chunk is decided: on the deciding thread's own connection when the run is
pipelined, which sees what is committed, and the run's writes are not) with what the run
itself wrote on top (``Written``, kept in memory by the run's thread as it plans the
writes). So the run's thread plans a chunk while the writing thread still sends the
chunk before it, and the answer is the same whichever of those writes are done; without
a pipeline (SQLite, a test's transaction, an admin's review) the database already holds
the run's writes, and ``Written`` says the same again.
"""

from dataclasses import dataclass, field

from members.models import GroupMember, Membership, Person
from migration.pipeline import tables
from migration.pipeline.guardians import contact_text

MEMBERSHIP_UPDATES = ("category_id", "member_number", "payment_method", "next_billing_date")
CONTACT_FIELDS = ("email", "mobile", "address_line", "postal_code", "city")

# A membership as the writes compare it: (membership pk, *MEMBERSHIP_UPDATES values).
MembershipState = tuple
# A person's contact details as the normaliser writes them ("" for nothing), and whether
# a national id number is stored.
ContactState = tuple[tuple, bool]


@dataclass
class Stored:
    """What the database holds for a chunk's registered persons (by person pk)."""

    memberships: dict[int, MembershipState] = field(default_factory=dict)  # this club's
    group_links: set[tuple[int, int]] = field(default_factory=set)  # (group, membership)
    guardian_links: set[tuple[int, int]] = field(default_factory=set)  # (child, guardian)
    contacts: dict[int, ContactState] = field(default_factory=dict)

    @classmethod
    def read(cls, club_pk: int, persons: set[int], matched: set[int], children: set[int]):
        """This club's memberships of ``persons`` and their group places, the guardian
        links of ``children``, and the contact details of ``matched``."""
        memberships = {
            person: (pk, *values)
            for pk, person, *values in tables.select_in(
                Membership,
                ["pk", "person_id", *MEMBERSHIP_UPDATES],
                "person_id",
                persons,
                club_id=club_pk,
            )
        }
        group_links = tables.select_in(
            GroupMember,
            ["group_id", "membership_id"],
            "membership_id",
            {m[0] for m in memberships.values()},
        )
        guardian_links = tables.select_in(
            Person.guardians.through,
            ["from_person_id", "to_person_id"],
            "from_person_id",
            children,
        )
        contacts = {
            pk: (
                (email or "", contact_text(mobile) if mobile else "", *(x or "" for x in rest)),
                bool(id_hash),
            )
            for pk, email, mobile, *rest, id_hash in tables.select_in(
                Person, ["pk", *CONTACT_FIELDS, "national_id_hash"], "pk", matched
            )
        }
        return cls(memberships, set(group_links), set(guardian_links), contacts)


@dataclass
class Written(Stored):
    """What the run has written so far (same shapes as ``Stored``), and the view of both
    that the writes read (``membership``, ``contact``, ``has_group_link``…): what the run
    wrote wins."""

    def membership(self, stored: Stored, person: int) -> MembershipState | None:
        return self.memberships.get(person) or stored.memberships.get(person)

    def contact(self, stored: Stored, person: int) -> ContactState:
        return self.contacts.get(person) or stored.contacts[person]

    def has_group_link(self, stored: Stored, link: tuple[int, int]) -> bool:
        return link in self.group_links or link in stored.group_links

    def has_guardian_link(self, stored: Stored, link: tuple[int, int]) -> bool:
        return link in self.guardian_links or link in stored.guardian_links
