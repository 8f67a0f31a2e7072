"""Outbound e-mail and SMS: the outbox, templates and providers (SPEC §7)."""
