"""The registration itself (R-REG-7): ``checkout`` makes the membership for the cart,
in one transaction that locks the invitation row. By the club's settings it is sent for
approval; or active, with the first invoice on the next billing day; or active and
billed at once, to be paid by card (``billing.services.bill_now``). The invitation
becomes registered and the registering user gets a receipt by e-mail.

The same cart sent twice, the back button or two tabs find the first ``Registration``
instead of making a second person, membership or invoice; the database's unique
constraints (one membership per person and club, one registration per person and
invitation, one charge per agreement and period) are the last word. Whom may be
registered is ``invitations.services.who``.
"""

from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from billing import services as billing
from billing.models import Agreement, CardPayment, Invoice, InvoicePaymentMethod
from billing.pdf.tasks import issue_invoices
from comms.rendering import absolute_url
from comms.services import queue_email
from invitations.models import Invitation, InvitationState, Registration
from invitations.services.cart import Applicant, CartView, Outcome, cart_view, outcome_for
from invitations.services.registration import (
    Identity,
    RegistrationRefused,
    lock_identity,
    match_person,
)
from invitations.services.who import (
    CHILD,
    NEW_CHILD,
    SELF,
    AlreadyRegistered,
    Who,
    check_child_age,
    check_child_claim,
    check_guardian,
    check_not_member,
    check_self,
    household_of,
    known_child,
    pk_of,
)
from members.models import Club, Group, GroupMember, Household, Membership, Person
from members.services import AlreadyMember, MembersError, add_membership, add_to_group
from members.services import create_person as new_person

RECEIPT_TEMPLATE = "invitations/email/registered"


# --- the registration ------------------------------------------------------------------


def checkout(
    invitation_id: int, user, who: Who, category_id, group_ids, *, today: date | None = None
) -> Registration:
    """R-REG-7: the membership for the cart, by the club's settings; the invitation is
    registered and a receipt is e-mailed. Returns the Registration (the first one, when
    the same person was registered with this invitation already)."""
    today = today or timezone.localdate()
    with scopes_disabled(), transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("club")
            .get(pk=invitation_id)
        )
        club = invitation.club
        if invitation.user_id != user.pk or user.person_id is None:
            raise RegistrationRefused("not_yours", _("This invitation belongs to another user."))
        if invitation.status == InvitationState.REVOKED or invitation.is_expired():
            raise RegistrationRefused("closed", _("This invitation can no longer be used."))
        registrant = Person.objects.get(pk=user.person_id)
        person = _member(invitation, registrant, who, today, by=user)
        earlier = Registration.objects.filter(invitation=invitation, person=person).first()
        if earlier is not None:
            return earlier
        if who.kind == SELF:
            check_self(invitation, person, today)
        else:
            check_not_member(invitation, person)
        household = _household(club, registrant, person, who)
        applying = Applicant(
            person.first_name, person.last_name, person.birth_date, person.pk, pk_of(household)
        )
        cart = cart_view(club, applying, category_id, list(group_ids), today)
        _check_cart(cart)
        registration = _register(invitation, user, person, household, cart, today)
    return registration


def _member(invitation, registrant: Person, who: Who, today: date, *, by) -> Person:
    if who.kind == SELF:
        return registrant
    if who.kind == CHILD:
        return known_child(registrant, who.person_id, today)
    if who.kind != NEW_CHILD or who.child is None:
        raise RegistrationRefused("cart", _("Choose whom to register first."))
    check_guardian(registrant, today)
    check_child_age(who.child.birth_date, today)
    return _child_person(invitation, registrant, who.child, by=by)


def _child_person(invitation, guardian: Person, child: Identity, *, by) -> Person:
    """The child's Person, locked: found in the register (and taken only as
    ``check_child_claim`` allows) or made, with ``guardian`` as a guardian."""
    lock_identity(child)
    person = match_person(child, lock=True)
    if person is None:
        try:
            with transaction.atomic():
                person = new_person(
                    national_id=child.national_id,
                    first_name=child.first_name,
                    last_name=child.last_name,
                    birth_date=child.birth_date,
                    gender=child.gender,
                    by=by,
                )
        except MembersError:  # the number was registered meanwhile
            person = match_person(child, lock=True)
    check_child_claim(person, guardian, invitation)
    changed = []
    if child.national_id and not person.national_id_hash:
        person.set_national_id(child.national_id)
        changed += ["national_id_encrypted", "national_id_hash"]
    if child.gender and not person.gender:
        person.gender = child.gender
        changed.append("gender")
    if changed:
        person._change_reason = "registered through an invitation"
        person.save(update_fields=[*changed, "updated_at"])
    person.guardians.add(guardian)
    return person


def _household(club: Club, registrant: Person, person: Person, who: Who) -> Household | None:
    """A person registering themself joins their family's household, if there is one; a
    child joins theirs or the guardian's, made when missing (the guardian pays; family
    discount, R-MEM-3, R-BIL-3)."""
    found = household_of(club, person.pk)
    if found is not None or who.kind == SELF:
        return found
    found = household_of(club, registrant.pk)
    if found is not None:
        return found
    household = Household.objects.create(
        club=club, name=f"Familien {registrant.last_name}", payer=registrant
    )
    Membership.objects.filter(club=club, person=registrant, household__isnull=True).update(
        household=household
    )
    return household


def _check_cart(cart: CartView) -> None:
    if cart.problems:
        raise RegistrationRefused("cart", " ".join(cart.problems))
    if cart.category is None:
        raise RegistrationRefused("cart", _("Choose a membership first."))


def _register(invitation, user, person, household, cart: CartView, today) -> Registration:
    club = invitation.club
    outcome = outcome_for(club)
    status = (
        Membership.Status.SENT_FOR_APPROVAL
        if outcome == Outcome.APPROVAL
        else Membership.Status.ACTIVE
    )
    with scope(club=club):
        category = club.categories.get(pk=cart.category.pk)
        try:
            membership = add_membership(
                club,
                person,
                source=Membership.Source.INVITED,
                category=category,
                status=status,
                household=household,
                by=user,
            )
        except AlreadyMember as exc:  # registered meanwhile through another invitation
            raise AlreadyRegistered(str(exc)) from exc
        _join_groups(club, membership, [g.pk for g in cart.groups])
        invoice = None
        if outcome == Outcome.PAY_NOW and cart.total > 0:
            invoice = _bill_now(club, membership, today)
        now = timezone.now()
        registration = Registration.objects.create(
            club=club,
            invitation=invitation,
            membership=membership,
            person=person,
            registered_by=user,
            outcome=outcome,
            total=cart.total,
            first_invoice_date=None
            if outcome == Outcome.APPROVAL
            else billing.first_billing_date(club, today),
            invoice=invoice,
            created_at=now,
        )
        if invitation.status != InvitationState.REGISTERED:
            invitation.status, invitation.registered_at = InvitationState.REGISTERED, now
            invitation.save(update_fields=["status", "registered_at"])
        _email_receipt(registration, user)
        if invoice is not None and not card_payable(registration, user.person_id):
            transaction.on_commit(lambda: issue_invoices.delay([invoice.pk], True))
    return registration


def _join_groups(club: Club, membership: Membership, group_ids: list[int]) -> None:
    """Places in the groups, checked again under the groups' row locks (two people
    taking the last place at once: one gets it, the other's registration is refused)."""
    groups = list(Group.objects.select_for_update().filter(pk__in=group_ids).order_by("pk"))
    for group in groups:
        taken = GroupMember.objects.filter(group=group).count()
        if group.capacity is not None and taken >= group.capacity:
            raise RegistrationRefused(
                "cart",
                _("%(group)s became full just now. Take it out of the cart.")
                % {"group": group.name},
            )
        add_to_group(group, membership)


def _bill_now(club: Club, membership: Membership, today: date) -> Invoice | None:
    """R-REG-7 (iii): the new member's agreements billed at once, to be paid by card (or,
    where the club takes no cards, an ordinary invoice sent at once)."""
    agreements = list(
        Agreement.objects.filter(membership=membership, cancelled_at__isnull=True).select_related(
            "club"
        )
    )
    method = InvoicePaymentMethod.CARD if club.accepts_card else InvoicePaymentMethod.INVOICE
    return billing.bill_now(agreements, on=today, payment_method=method)


def card_payable(registration: Registration, person_id: int | None) -> bool:
    """The registration's invoice can be paid by card now by ``person_id`` (its
    recipient, in a club that takes cards, the invoice still open)."""
    invoice = registration.invoice
    return (
        invoice is not None
        and invoice.recipient_id == person_id
        and registration.club.accepts_card
        and invoice.status in (Invoice.Status.ISSUED, Invoice.Status.PARTLY_CREDITED)
    )


def _email_receipt(registration: Registration, user) -> None:
    """The receipt by e-mail to the registering user (in the transaction; once)."""
    queue_email(
        club=registration.club,
        person=user.person,
        about_person=registration.person if registration.person.pk != user.person_id else None,
        to_address=user.email,
        template=RECEIPT_TEMPLATE,
        context={
            "registration": registration,
            "membership": registration.membership,
            "member": registration.person,
            "min_side_url": absolute_url(reverse("minside:index")),
        },
        idempotency_key=f"inv:joined:{registration.pk}",
    )


# --- afterwards ------------------------------------------------------------------------


def registration_for(invitation: Invitation, user, registration_id: int) -> Registration | None:
    """A registration made with ``invitation`` by ``user`` (anyone else: None)."""
    if invitation.user_id != user.pk:
        return None
    with scopes_disabled():
        return (
            Registration.objects.select_related(
                "club", "person", "membership__category", "invoice", "invitation"
            )
            .filter(pk=registration_id, invitation=invitation, registered_by=user)
            .first()
        )


def registrations_of(invitation: Invitation) -> list[Registration]:
    with scopes_disabled():
        return list(
            Registration.objects.filter(invitation=invitation).select_related(
                "person", "membership__category"
            )
        )


def last_card_payment(registration: Registration) -> CardPayment | None:
    if registration.invoice_id is None:
        return None
    with scope(club=registration.club):
        return CardPayment.objects.filter(invoice_id=registration.invoice_id).first()


def groups_of(registration: Registration) -> list[Group]:
    with scope(club=registration.club):
        return [link.group for link in registration.membership.group_links.select_related("group")]
