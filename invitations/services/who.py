"""Whom a person registers (R-REG-5, R-REG-6): themself — from 15 (``CONSENT_AGE``) —
or, as the guardian, a child under 18: one of their children in the register, or one
they type in, found in the register the way a new user is (national id number, or
exact name and birth date). A child found in the register who is not theirs is taken
only when the registering person proves one of the register's contact details for the
child or its guardians (``registration.check_claim``). No one is registered twice in a
club.
"""

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from invitations.contacts import CONSENT_AGE
from invitations.models import Invitation, Registration
from invitations.services.cart import Applicant, household_of
from invitations.services.registration import (
    Identity,
    RegistrationRefused,
    age_on,
    check_claim,
    contacts_of,
    match_person,
)
from members.models import Club, Membership, Person

ADULT_AGE = 18
SELF, CHILD, NEW_CHILD = "self", "child", "new_child"


@dataclass(frozen=True)
class Who:
    """Whom the registration is for: ``self``; ``child`` — ``person_id``, a child of the
    registering person in the register —; or ``new_child``, typed in (``child``)."""

    kind: str
    person_id: int | None = None
    child: Identity | None = None


class AlreadyRegistered(RegistrationRefused):
    """The person is a member of the club already; ``registration`` is the one made
    through this invitation, if it was."""

    def __init__(self, message: str, registration: Registration | None = None):
        super().__init__("member_already", message)
        self.registration = registration


def check_self(invitation: Invitation, person: Person, today: date) -> None:
    """R-REG-6: from 15 a person registers themself; younger, a guardian does."""
    age = person.age_on(today)
    if age is not None and age < CONSENT_AGE:
        raise RegistrationRefused(
            "too_young_alone",
            _(
                "You must be %(age)d years old to register yourself as a member. Under "
                "%(age)d, a parent or guardian registers you: they log in with their own "
                "user and choose “My child”."
            )
            % {"age": CONSENT_AGE},
        )
    check_not_member(invitation, person)


def check_guardian(person: Person, today: date) -> None:
    """Only an adult registers a child."""
    age = person.age_on(today)
    if age is not None and age < ADULT_AGE:
        raise RegistrationRefused(
            "not_adult", _("Only a parent or guardian aged 18 or older can register a child.")
        )


def check_child_age(birth_date: date | None, today: date) -> None:
    age = None if birth_date is None else age_on(birth_date, today)
    if age is not None and age >= ADULT_AGE:
        raise RegistrationRefused(
            "too_old",
            _(
                "A person of 18 or older registers themself, with a user of their own. Send "
                "them the invitation, or ask the club to invite them."
            ),
        )


def children_of(person: Person, today: date, *, club: Club | None = None) -> list[Person]:
    """The registering person's children in the register who are under 18 (and, with
    ``club``, not members of it yet)."""
    with scopes_disabled():
        children = person.children.order_by("birth_date", "pk")
        if club is not None:
            children = children.exclude(memberships__club=club)
        children = list(children)
    return [c for c in children if c.age_on(today) is None or c.age_on(today) < ADULT_AGE]


def check_known_child(invitation: Invitation, guardian: Person, child_id, today) -> Person:
    """A child of ``guardian`` in the register, who may be registered."""
    child = known_child(guardian, child_id, today)
    check_not_member(invitation, child)
    return child


def known_child(guardian: Person, child_id, today) -> Person:
    check_guardian(guardian, today)
    with scopes_disabled():
        child = guardian.children.filter(pk=child_id).first()
    if child is None:
        raise RegistrationRefused("not_yours", _("Choose one of your children."))
    check_child_age(child.birth_date, today)
    return child


def check_new_child(invitation: Invitation, guardian: Person, child: Identity, today):
    """The early answer on the child step: the child's age, and, for a child found in
    the register, that they may be taken and are not a member yet. Returns the Person
    found, or None (a new one is made when the cart is sent)."""
    check_guardian(guardian, today)
    check_child_age(child.birth_date, today)
    with scopes_disabled():
        found = match_person(child)
        if found is not None:
            check_child_claim(found, guardian, invitation)
            check_not_member(invitation, found)
    return found


def check_child_claim(child: Person, guardian: Person, invitation: Invitation) -> None:
    if child.pk == guardian.pk:
        raise RegistrationRefused("not_yours", _("That is you: choose “Myself” instead."))
    guardians = list(child.guardians.all())
    if any(g.pk == guardian.pk for g in guardians):
        return
    proofs = [guardian.mobile.as_e164 if guardian.mobile else "", invitation.email]
    check_claim(contacts_of(child, *guardians), [*proofs, invitation.phone], child=True)


def check_not_member(invitation: Invitation, person: Person) -> None:
    with scope(club=invitation.club):
        membership = Membership.objects.filter(club=invitation.club, person=person).first()
        if membership is None:
            return
        earlier = Registration.objects.filter(invitation=invitation, person=person).first()
    raise AlreadyRegistered(
        _("%(name)s is already registered with %(club)s (%(status)s).")
        % {
            "name": person.full_name,
            "club": invitation.club.name,
            "status": membership.get_status_display().lower(),
        },
        earlier,
    )


def applicant(club: Club, registrant: Person, who: Who) -> Applicant:
    """The person the cart is priced for, and the household they will join."""
    if who.kind == SELF:
        person = registrant
    elif who.kind == CHILD:
        with scopes_disabled():
            person = registrant.children.get(pk=who.person_id)
    else:
        with scopes_disabled():
            person = match_person(who.child)
        if person is None:
            household = household_of(club, registrant.pk)
            c = who.child
            return Applicant(c.first_name, c.last_name, c.birth_date, None, pk_of(household))
    household = household_of(club, person.pk)
    if household is None and who.kind != SELF:
        household = household_of(club, registrant.pk)
    return Applicant(
        person.first_name, person.last_name, person.birth_date, person.pk, pk_of(household)
    )


def pk_of(obj) -> int | None:
    return obj.pk if obj is not None else None
