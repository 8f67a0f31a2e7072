from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ClubRole(models.Model):
    """What a user may do in a club: admin of the whole club, or admin of one group.

    Not scoped: the middleware reads it before any club scope is active, through
    ``members.permissions`` only.
    """

    class Kind(models.TextChoices):
        ADMIN = "admin", _("Club admin")
        GROUP_ADMIN = "group_admin", _("Group admin")

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="club_roles"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    group = models.ForeignKey(
        "members.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="roles"
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["club", "user"],
                condition=Q(kind="admin"),
                name="role_one_admin_per_user_club",
            ),
            models.UniqueConstraint(
                fields=["group", "user"],
                condition=Q(kind="group_admin"),
                name="role_one_group_admin_per_user_group",
            ),
            models.CheckConstraint(
                condition=Q(kind="admin", group__isnull=True)
                | Q(kind="group_admin", group__isnull=False),
                name="role_group_only_for_group_admin",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind} in {self.club_id}"
