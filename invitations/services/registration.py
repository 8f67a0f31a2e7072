"""A new login from an invitation (R-REG-2, R-REG-3, R-REG-4): who the person is in the
register, the login itself, and the consents given on the way.

A person already in the register (say, migrated) is found by national id number, or by
exact name and birth date when the register has no number for them (R-MIG-3), and the
new login is attached to that Person: never a second Person. A person who has a login
already cannot get another one (the page offers "Forgot password").

Everything happens in one transaction that locks the invitation row and holds an
advisory lock on the person's identity: a double submit, two tabs or two invitations for
the same person at once make one Person and one login.
"""

import hashlib
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scopes_disabled

from invitations.contacts import LOGIN_AGE
from invitations.models import Consent, ConsentKind, Invitation, InvitationState
from invitations.services.common import InvitationError, advisory_lock
from invitations.services.invites import link_state
from invitations.services.phone_codes import is_confirmed
from members import identity as ids
from members.models import Person
from members.services import IdentityQuery, MembersError, create_person, find_registry_matches

# The sport's rules (R-REG-3): the text shown and stored with each consent. A change of
# the text is a new version: change both together.
SPORT_RULES_VERSION = "2025-1"
SPORT_RULES_TEXT = gettext_lazy(
    "I will follow the rules of organised sport in Norway while I am a member: the law of "
    "the Norwegian Olympic and Paralympic Committee and Confederation of Sports (NIF) and "
    "the rules of my sport, including the rules against doping and match fixing."
)


class RegistrationRefused(InvitationError):
    """``reason``: closed (the invitation cannot be used), used (another login was made
    with it), has_user (this person has a login), ambiguous (several people in the
    register fit), contact (the person in the register has other contact details than
    the ones proven here), too_young, phone (not confirmed), email_taken, terms_changed;
    and for the membership steps (``invitations.services.joining``) too_young_alone,
    not_adult, too_old, not_yours, member_already, cart."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """Who registers: a national id number (checked, 11 digits) or, without one, the
    name, birth date and gender they give."""

    first_name: str
    last_name: str
    birth_date: date
    gender: str = ""
    national_id: str = ""

    @classmethod
    def from_form(cls, data: dict) -> "Identity":
        """From an identity form's cleaned data (``invitations.forms.IdentityForm``)."""
        return cls(
            first_name=data["first_name"],
            last_name=data["last_name"],
            birth_date=data["birth_date"],
            gender=data["gender"],
            national_id=data["national_id"],
        )


@dataclass(frozen=True)
class ConsentText:
    kind: str
    version: str
    text: str
    club: object = None


@dataclass(frozen=True)
class NewLogin:
    """Everything the wizard gathered: the person, the mobile number confirmed with the
    code ``phone_code_id``, the login (e-mail and an already hashed password) and the
    consents, as shown."""

    identity: Identity
    phone: str
    phone_code_id: int
    email: str
    password_hash: str
    consents: tuple[ConsentText, ...]


def phone_purpose(invitation: Invitation) -> str:
    """What a one-time code confirms: a number for this invitation's registration."""
    return f"invitation:{invitation.pk}"


def consent_texts(club) -> list[ConsentText]:
    """What the person must agree to: the sport's rules, and the club's terms when the
    club has written any (version: a digest of the text)."""
    texts = [ConsentText(ConsentKind.SPORT_RULES, SPORT_RULES_VERSION, str(SPORT_RULES_TEXT))]
    terms = (club.terms or "").strip()
    if terms:
        digest = hashlib.sha256(terms.encode()).hexdigest()[:16]
        texts.append(ConsentText(ConsentKind.CLUB_TERMS, f"sha256:{digest}", terms, club))
    return texts


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def check_identity(person: Identity) -> None:
    """Early answers for the identity step: too young for a login of their own, a
    login exists already, or the register is ambiguous. Raises RegistrationRefused."""
    if age_on(person.birth_date, timezone.localdate()) < LOGIN_AGE:
        raise RegistrationRefused(
            "too_young",
            _(
                "You must be at least %(age)d years old to create a user. A parent or "
                "guardian creates their own user and registers you."
            )
            % {"age": LOGIN_AGE},
        )
    with scopes_disabled():
        found = match_person(person)
        if found is not None and _has_login(found):
            raise _has_user()


def match_person(person: Identity, *, lock: bool = False) -> Person | None:
    """The Person in the register this is, or None. A national id number decides alone;
    without one in the register, exact name and birth date do (members.services). Several
    equal candidates are refused rather than guessed."""
    if person.national_id:
        found = find_registry_matches(IdentityQuery(national_id=person.national_id))
        if found:
            return _locked(found[0]) if lock else found[0]
    query = IdentityQuery(person.first_name, person.last_name, person.birth_date)
    candidates = find_registry_matches(query)
    if person.national_id:  # a number on both sides that differs: someone else
        candidates = [c for c in candidates if not c.national_id_hash]
    if len(candidates) > 1:
        raise RegistrationRefused(
            "ambiguous",
            _(
                "The member register has more than one person with this name and birth "
                "date, so we cannot tell which one is you. Please contact the club: they "
                "can sort it out."
            ),
        )
    if not candidates:
        return None
    return _locked(candidates[0]) if lock else candidates[0]


def _locked(person: Person) -> Person:
    return Person.objects.select_for_update().get(pk=person.pk)


def _has_login(person: Person) -> bool:
    return get_user_model().objects.filter(person=person).exists()


def _has_user() -> RegistrationRefused:
    return RegistrationRefused(
        "has_user",
        _(
            "There is already a user for this person, and one person can have only one "
            "user. Log in with it; if you have forgotten the password, use “Forgot "
            "password”."
        ),
    )


def contacts_of(*persons: Person) -> set[str]:
    """The e-mail addresses (case-folded) and mobile numbers (E.164) the register has for
    these persons."""
    known = set()
    for person in persons:
        if person.email.strip():
            known.add(person.email.strip().casefold())
        if person.mobile:
            known.add(str(person.mobile.as_e164))
    return known


def check_claim(known: set[str], proofs, *, child: bool = False) -> None:
    """Someone found in the register by national id number, or by name and birth date,
    is taken only by who proves one of the register's contact details for them
    (``proofs``: a mobile number confirmed by code, the address the invitation was sent
    to). Knowing a number or a birthday is not enough. A person the register has no
    contact details for can be taken (there is nothing to check against)."""
    proven = {str(p).strip().casefold() for p in proofs if p and str(p).strip()}
    if not known or known & proven:
        return
    if child:
        message = _(
            "This child is in the member register already, with other contact details than "
            "yours. To protect the child's data, it cannot be registered this way. Please "
            "contact the club: they can add you as a guardian."
        )
    else:
        message = _(
            "You are in the member register already, but with another mobile number and "
            "e-mail address than the ones you have used here. To protect your data, a user "
            "cannot be connected to you this way. Please contact the club: they can update "
            "your details or help you register."
        )
    raise RegistrationRefused("contact", message)


def check_login_claim(invitation: Invitation, person: Identity, phone: str) -> None:
    """The early answer on the mobile step: the person in the register this is (if any)
    must have the confirmed number or the invitation's e-mail address among their
    contact details, when they have any (``check_claim``)."""
    with scopes_disabled():
        found = match_person(person)
        if found is not None:
            check_claim(contacts_of(found), [phone, invitation.email])


def email_taken(email: str) -> bool:
    return get_user_model().objects.filter(email__iexact=email.strip()).exists()


def create_login(invitation_id: int, new: NewLogin):
    """R-REG-3: the Person (found in the register, or new) and their login, the
    confirmed mobile number on the Person, and the consents. Returns the user. The same
    registration submitted twice returns the login made the first time."""
    User = get_user_model()
    email = User.objects.normalize_email(new.email.strip()).lower()
    with scopes_disabled(), transaction.atomic():
        # No join to the login here: a row locked after a wait is read again, a joined
        # row is not (it would still show no login).
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("club")
            .get(pk=invitation_id)
        )
        if invitation.user_id is not None:
            earlier = User.objects.get(pk=invitation.user_id)
            if earlier.email == email:
                return earlier  # the same registration again
            raise RegistrationRefused(
                "used", _("A user has been created with this invitation already. Log in.")
            )
        if link_state(invitation) != "open":
            raise RegistrationRefused("closed", _("This invitation can no longer be used."))
        purpose = phone_purpose(invitation)
        if not is_confirmed(phone=new.phone, purpose=purpose, code_id=new.phone_code_id):
            raise RegistrationRefused("phone", _("The mobile number has not been confirmed."))
        current = {(c.kind, c.version) for c in consent_texts(invitation.club)}
        if current != {(c.kind, c.version) for c in new.consents}:
            raise RegistrationRefused(
                "terms_changed",
                _("The terms have just been changed. Please read them and agree again."),
            )
        if email_taken(email):
            raise RegistrationRefused(
                "email_taken", _("There is a user with this e-mail address already. Log in.")
            )
        person = _person_for(new, email, invitation)
        try:
            with transaction.atomic():
                user = User(email=email, person=person, password=new.password_hash)
                user.save()
        except IntegrityError as exc:  # the e-mail or the person got a login meanwhile
            raise RegistrationRefused(
                "email_taken", _("There is a user with this e-mail address already. Log in.")
            ) from exc
        now = timezone.now()
        Consent.objects.bulk_create(
            Consent(
                person=person,
                user=user,
                club=c.club,
                invitation=invitation,
                kind=c.kind,
                version=c.version,
                text=c.text,
                given_at=now,
            )
            for c in new.consents
        )
        _accept(invitation, user, now)
    return user


def lock_identity(who: Identity) -> None:
    """Hold, until the transaction ends, the locks on a person's identity (name and birth
    date; national id number) that make two registrations of one person at once find
    one Person (``advisory_lock``)."""
    advisory_lock(
        "person:"
        + "|".join((ids.name_key(who.last_name), ids.name_key(who.first_name), str(who.birth_date)))
    )
    if who.national_id:
        advisory_lock("person-nid:" + ids.national_id_hash(who.national_id))


def _person_for(new: NewLogin, email: str, invitation: Invitation) -> Person:
    """The Person the login belongs to, locked: found in the register (the confirmed
    number and, where missing, the rest is written onto it) — if the confirmed number
    or the invitation's address is one of theirs (``check_claim``) — or created."""
    who = new.identity
    lock_identity(who)
    person = match_person(who, lock=True)
    if person is None:
        try:
            with transaction.atomic():
                return create_person(
                    national_id=who.national_id,
                    first_name=who.first_name,
                    last_name=who.last_name,
                    birth_date=who.birth_date,
                    gender=who.gender,
                    email=email,
                    mobile=new.phone,
                )
        except MembersError:  # the number was registered meanwhile (by the operator)
            person = match_person(who, lock=True)
    if _has_login(person):
        raise _has_user()
    check_claim(contacts_of(person), [new.phone, invitation.email])
    changed = ["mobile"]
    person.mobile = new.phone
    if who.national_id and not person.national_id_hash:
        person.set_national_id(who.national_id)
        changed += ["national_id_encrypted", "national_id_hash"]
    for name, value in (("email", email), ("gender", who.gender), ("birth_date", who.birth_date)):
        if value and not getattr(person, name):
            setattr(person, name, value)
            changed.append(name)
    person._change_reason = "registered through an invitation"
    person.save(update_fields=[*changed, "updated_at"])
    return person


def accept_invitation(invitation: Invitation, user) -> None:
    """R-REG-4: an existing user takes the invitation (logged in, they skip the steps
    of a new user). Refused when another login took it, or when the login belongs to
    no person in the register."""
    if user.person_id is None:
        raise RegistrationRefused(
            "no_person",
            _(
                "Your user is not connected to a person in the member register, so it "
                "cannot be used to register. Please contact the club."
            ),
        )
    with scopes_disabled(), transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.user_id == user.pk:
            return
        if locked.user_id is not None:
            raise RegistrationRefused("used", _("Another user has taken this invitation already."))
        if link_state(locked) != "open":
            raise RegistrationRefused("closed", _("This invitation can no longer be used."))
        _accept(locked, user, timezone.now())
    invitation.user, invitation.accepted_at = user, locked.accepted_at


def _accept(invitation: Invitation, user, now) -> None:
    invitation.user = user
    invitation.accepted_at = now
    fields = ["user", "accepted_at"]
    if invitation.status == InvitationState.SENT:
        invitation.status, invitation.opened_at = InvitationState.OPENED, now
        fields += ["status", "opened_at"]
    invitation.save(update_fields=fields)
