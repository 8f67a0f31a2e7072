"""Activation of a migrated club, verification of its members, and Min side invitations
(SPEC §5, R-ACT-1 … R-ACT-5). Views, the ``activate_club`` command and tests call these.

Every e-mail goes through the outbox (``comms.services.queue_email``) in the transaction
that records why it was sent, with an idempotency key: running an activation twice, a
double click or a repeated form sends nothing twice. Keys of sends an admin starts from
a page carry the form's own key (``new_send_key()``, rendered into the form), so the same
form submitted twice is one send and a later, deliberate "send again" is another.
"""

from invitations.services.common import (
    InvitationError,
    clean_key,
    new_batch,
    new_send_key,
    running_batches,
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

__all__ = [
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
