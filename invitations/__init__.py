"""Invitations, verification, Min side invitations and self-registration (SPEC §5, §8)."""
