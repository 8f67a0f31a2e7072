"""Billing's answers to what happens in members: a membership that becomes active or a
person joining a group with a fee gets its agreement (R-BIL-2)."""


def connect() -> None:
    """Called from ``BillingConfig.ready()``; connects the receivers to members' signals."""
