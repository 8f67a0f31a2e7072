from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class Group(models.Model):
    """A class or team (parti) in a club (SPEC §2, §11)."""

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("name"), max_length=150)
    sport = models.CharField(_("sport / activity"), max_length=100, blank=True)
    season = models.CharField(_("season"), max_length=50, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    schedule = models.CharField(_("schedule"), max_length=200, blank=True)
    class_fee = models.DecimalField(
        _("class fee"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    open_for_registration = models.BooleanField(_("open for registration"), default=False)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["club", "name"], name="group_unique_name_per_club")
        ]

    def __str__(self) -> str:
        return self.name


class WaitlistEntry(models.Model):
    """A place in a group's waitlist (R-GRP-1); ``position`` 1 is first in line."""

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="waitlist")
    person = models.ForeignKey(
        "members.Person", on_delete=models.CASCADE, related_name="waitlist_places"
    )
    position = models.PositiveIntegerField(_("place"))
    registered_on = models.DateField(_("registered"), default=timezone.localdate)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("waitlist place")
        verbose_name_plural = _("waitlist places")
        ordering = ["group", "position"]
        constraints = [
            models.UniqueConstraint(fields=["group", "person"], name="waitlist_person_once")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} #{self.position} in {self.group_id}"


class GroupMember(models.Model):
    # The club of the group and of the membership, kept for scoping (R-SEC-1). Both of
    # those keys are checked by the database; a check of this one too cost every group
    # place an import writes a lookup at the commit (R-MIG-10), for nothing more.
    # No index either: every query of it names the group, the membership or the place
    # too, each indexed.
    club = models.ForeignKey(
        "members.Club",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    # no index of its own: group_member_unique (group, membership) leads with it
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="members", db_index=False
    )
    membership = models.ForeignKey(
        "members.Membership", on_delete=models.CASCADE, related_name="group_links"
    )
    joined_on = models.DateField(_("joined"), default=timezone.localdate)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        constraints = [
            models.UniqueConstraint(fields=["group", "membership"], name="group_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} in {self.group_id}"
