"""The invitations app's models: activation (verification, Min side invitations),
registration (invitations to register, consents), one-time SMS codes and the answers
to memberships sent for approval."""

from invitations.models.activation import MinSideInvite, VerificationRequest
from invitations.models.approval import ApprovalDecision
from invitations.models.codes import PhoneCode
from invitations.models.joining import JoinOutcome, Registration
from invitations.models.registration import (
    OPEN_STATES,
    Consent,
    ConsentKind,
    Invitation,
    InvitationState,
)

__all__ = [
    "ApprovalDecision",
    "OPEN_STATES",
    "Consent",
    "ConsentKind",
    "Invitation",
    "InvitationState",
    "JoinOutcome",
    "MinSideInvite",
    "PhoneCode",
    "Registration",
    "VerificationRequest",
]
