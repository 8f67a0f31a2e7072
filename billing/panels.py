"""Billing's navigation entry and its panels on the member card and on Min side,
registered into members' registries (members never imports billing)."""


def register() -> None:
    """Called from ``BillingConfig.ready()``; the pages land here as they are built."""
