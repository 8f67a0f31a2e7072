"""Activation of a migrated club, verification of its members, and Min side invitations
(SPEC §5, R-ACT-1 … R-ACT-5); invitations to register, one-time SMS codes and new logins
from an invitation (SPEC §8, R-REG-1 … R-REG-4). Views, the ``activate_club`` command and
tests call these.

Every e-mail goes through the outbox (``comms.services.queue_email``) in the transaction
that records why it was sent, with an idempotency key: running an activation twice, a
double click or a repeated form sends nothing twice. Keys of sends an admin starts from
a page carry the form's own key (``new_send_key()``, rendered into the form), so the same
form submitted twice is one send and a later, deliberate "send again" is another.
"""

from invitations.services.cart import (
    Applicant,
    CartView,
    Offer,
    cart_view,
    offers,
    outcome_for,
    reference_date,
)
from invitations.services.common import (
    InvitationError,
    clean_key,
    new_batch,
    new_send_key,
    running_batches,
)
from invitations.services.invites import VALID_DAYS as INVITATION_VALID_DAYS
from invitations.services.invites import (
    InvitationResult,
    find_invitation,
    link_state,
    list_counts,
    mark_opened,
    resend_invitation,
    revoke_invitation,
    send_invitations,
)
from invitations.services.joining import (
    card_payable,
    checkout,
    groups_of,
    last_card_payment,
    registration_for,
    registrations_of,
)
from invitations.services.min_side import (
    InviteRefused,
    InviteResult,
    Signup,
    active_memberships,
    email_has_login,
    find_invite,
    invite_state,
    redeem_invite,
    send_min_side_invites,
)
from invitations.services.phone_codes import (
    CodeRefused,
    check_code,
    seconds_until_resend,
    send_code,
)
from invitations.services.registration import (
    Identity,
    NewLogin,
    RegistrationRefused,
    accept_invitation,
    check_identity,
    check_login_claim,
    consent_texts,
    create_login,
    email_taken,
    phone_purpose,
)
from invitations.services.verification import (
    ActivationOverview,
    ActivationResult,
    Confirmation,
    Outcome,
    SendResult,
    activate_club,
    activation_overview,
    check_verification,
    confirm,
    resend_verifications,
    send_verification,
)
from invitations.services.who import (
    AlreadyRegistered,
    Who,
    applicant,
    check_guardian,
    check_known_child,
    check_new_child,
    check_self,
    children_of,
)

__all__ = [
    "AlreadyRegistered",
    "Applicant",
    "CartView",
    "Offer",
    "Who",
    "applicant",
    "card_payable",
    "cart_view",
    "check_guardian",
    "check_known_child",
    "check_new_child",
    "check_self",
    "checkout",
    "children_of",
    "groups_of",
    "last_card_payment",
    "offers",
    "outcome_for",
    "reference_date",
    "registration_for",
    "registrations_of",
    "INVITATION_VALID_DAYS",
    "CodeRefused",
    "Identity",
    "InvitationResult",
    "NewLogin",
    "RegistrationRefused",
    "accept_invitation",
    "check_code",
    "check_identity",
    "check_login_claim",
    "consent_texts",
    "create_login",
    "email_taken",
    "find_invitation",
    "link_state",
    "list_counts",
    "mark_opened",
    "phone_purpose",
    "resend_invitation",
    "revoke_invitation",
    "seconds_until_resend",
    "send_code",
    "send_invitations",
    "ActivationOverview",
    "ActivationResult",
    "Confirmation",
    "InvitationError",
    "InviteRefused",
    "InviteResult",
    "Outcome",
    "SendResult",
    "Signup",
    "activate_club",
    "activation_overview",
    "active_memberships",
    "check_verification",
    "clean_key",
    "confirm",
    "email_has_login",
    "find_invite",
    "invite_state",
    "new_batch",
    "new_send_key",
    "redeem_invite",
    "resend_verifications",
    "running_batches",
    "send_min_side_invites",
    "send_verification",
]
