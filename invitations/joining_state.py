"""Whom a person registers and what is in their cart (R-REG-5 … R-REG-7), kept in their
session per invitation, so that going back, or another tab, shows it again.

A child typed in is kept as the identity step keeps a person (``invitations.wizard``:
the national id number encrypted). ``version`` is a digest of whom and what: the cart
page sends it with "Send for approval", "Activate" or "Pay now", and a cart changed in
another tab meanwhile is shown again instead of registered. ``done`` remembers the last
registration, so the same form sent again (the back button) goes to its receipt.
"""

import hashlib
import json

from invitations.services.registration import Identity
from invitations.services.who import NEW_CHILD
from invitations.wizard import identity_initial, pack_identity, unpack_identity


class JoiningState:
    def __init__(self, session, invitation):
        self.session = session
        self.key = f"joining:{invitation.pk}"
        self.data: dict = dict(session.get(self.key) or {})

    def _save(self) -> None:
        self.session[self.key] = self.data
        self.session.modified = True

    # Who -------------------------------------------------------------------------------

    def choose(self, kind: str, person_id: int | None = None) -> None:
        """Register ``kind`` (self, child — a child in the register, ``person_id`` —, or
        new_child); choosing someone else empties the cart."""
        who = {"kind": kind, "person_id": person_id}
        if who != self.data.get("who"):
            self.data["cart"] = {"category": None, "groups": []}
        self.data["who"] = who
        self.data.pop("done", None)
        self._save()

    def set_child(self, cleaned: dict) -> None:
        """The child typed in on the child step (chosen as ``new_child``)."""
        packed = pack_identity(cleaned)
        if packed != self.data.get("child"):
            self.data["child"] = packed
            self.data["cart"] = {"category": None, "groups": []}
        self.choose(NEW_CHILD)

    def who(self) -> dict | None:
        return self.data.get("who")

    def child_initial(self) -> dict:
        return identity_initial(self.data.get("child"))

    def child(self) -> Identity | None:
        return unpack_identity(self.data.get("child"))

    # The cart --------------------------------------------------------------------------

    def _cart(self) -> dict:
        return self.data.setdefault("cart", {"category": None, "groups": []})

    @property
    def category_id(self) -> int | None:
        return self._cart()["category"]

    @property
    def group_ids(self) -> list[int]:
        return list(self._cart()["groups"])

    def put_category(self, category_id: int | None) -> None:
        """One membership category at a time: a second one replaces the first."""
        self._cart()["category"] = category_id
        self.data.pop("done", None)
        self._save()

    def put_group(self, group_id: int) -> None:
        groups = self._cart()["groups"]
        if group_id not in groups:
            groups.append(group_id)
        self.data.pop("done", None)
        self._save()

    def remove_group(self, group_id: int) -> None:
        self._cart()["groups"] = [g for g in self._cart()["groups"] if g != group_id]
        self.data.pop("done", None)
        self._save()

    def count(self) -> int:
        return (1 if self.category_id else 0) + len(self.group_ids)

    def version(self) -> str:
        """A digest of whom and what is in the cart."""
        blob = json.dumps(
            [self.data.get("who"), self.data.get("child"), self._cart()], sort_keys=True
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    # Done ------------------------------------------------------------------------------

    def set_done(self, registration_id: int, version: str) -> None:
        """The cart was sent: the next child starts from an empty form."""
        self.data["done"] = {"registration": registration_id, "version": version}
        self.data.pop("child", None)
        self._save()

    def done(self) -> dict | None:
        return self.data.get("done")
