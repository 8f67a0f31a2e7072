"""Billing's answers to what happens in members (``members.signals``): a membership that
becomes active or a member joining a group with a fee gets its agreements; a membership
that ends, or a member leaving a group, ends them (R-BIL-2, ``billing.automatic``); a
fee made or turned on reaches the active members it applies to. The demo clubs get
fees, agreements and a finished invoice run (``billing.demo``).

The receivers run inside the transaction of the change that sent the signal."""

from django.db.models.signals import post_save

from billing import automatic
from billing import demo as billing_demo
from billing.models import Fee
from members import signals

UID = "billing.receivers"


def activated(sender, *, club, membership_ids, **kwargs) -> None:
    automatic.on_activated(club, membership_ids)


def ended(sender, *, club, membership_ids, on, by=None, **kwargs) -> None:
    automatic.on_ended(club, membership_ids, on, by=by)


def joined(sender, *, club, link_ids, **kwargs) -> None:
    automatic.on_joined(club, link_ids)


def left(sender, *, club, links, on, by=None, **kwargs) -> None:
    automatic.on_left(club, links, on, by=by)


def fee_saved(sender, *, instance, raw=False, **kwargs) -> None:
    if not raw:
        automatic.on_fee(instance)


def demo(sender, *, clubs, today, parent, **kwargs) -> None:
    billing_demo.seed(clubs, today=today, parent=parent)


def connect() -> None:
    """Called from ``BillingConfig.ready()``; connects the receivers to members' signals."""
    signals.memberships_activated.connect(activated, dispatch_uid=f"{UID}.activated")
    signals.memberships_ended.connect(ended, dispatch_uid=f"{UID}.ended")
    signals.group_joined.connect(joined, dispatch_uid=f"{UID}.joined")
    signals.group_left.connect(left, dispatch_uid=f"{UID}.left")
    signals.demo_seeded.connect(demo, dispatch_uid=f"{UID}.demo")
    post_save.connect(fee_saved, sender=Fee, dispatch_uid=f"{UID}.fee_saved")
