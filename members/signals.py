"""What happens in members that higher apps act on (billing makes and ends agreements,
R-BIL-2). ``members`` never imports them: they connect receivers from their
``AppConfig.ready()``.

Every signal carries lists of ids, so that one bulk change (an import of 2,000 rows) is
one signal, and a single change is a list of one. They are sent inside the transaction
of the change: a receiver's writes commit or roll back with it.

* ``memberships_activated(club, membership_ids)``: these memberships became ``active``
  (created active, approved, verified, reactivated, or imported as matched).
* ``memberships_ended(club, membership_ids, on, by)``: these memberships were
  cancelled; ``on`` is the day they ended, ``by`` the user who did it (or None).
* ``group_joined(club, link_ids)``: new ``GroupMember`` rows.
* ``group_left(club, links, on, by)``: group links about to be deleted, as
  ``(group_id, membership_id)`` pairs; receivers run while the rows still exist.
* ``demo_seeded(clubs, today, password, parent)``: ``seed_demo`` made the demo clubs
  (``clubs`` by short name); higher apps add their own demo data.
"""

from django.dispatch import Signal

memberships_activated = Signal()
memberships_ended = Signal()
group_joined = Signal()
group_left = Signal()
demo_seeded = Signal()
