"""The invitations app's models: activation (verification, Min side invitations),
registration (invitations to register, consents) and one-time SMS codes."""

from invitations.models.activation import MinSideInvite, VerificationRequest
from invitations.models.codes import PhoneCode
from invitations.models.registration import (
    OPEN_STATES,
    Consent,
    ConsentKind,
    Invitation,
    InvitationState,
)

__all__ = [
    "OPEN_STATES",
    "Consent",
    "ConsentKind",
    "Invitation",
    "InvitationState",
    "MinSideInvite",
    "PhoneCode",
    "VerificationRequest",
]
