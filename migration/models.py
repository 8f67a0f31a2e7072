"""Import batches: every extract, every row of it, and what became of each (R-MIG-2, R-MIG-9)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class ImportBatch(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        ROLLED_BACK = "rolled_back", _("Rolled back")

    club = models.ForeignKey(
        "members.Club", on_delete=models.CASCADE, related_name="import_batches"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    name = models.CharField(_("file"), max_length=255)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    totals = models.JSONField(_("totals"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rolled_back_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.created_at:%d.%m.%Y})"


class ImportSource(models.Model):
    """An original file of a batch, kept with its SHA-256 so the import can be audited
    and repeated (R-MIG-9)."""

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    file = models.FileField(upload_to="imports/%Y/%m/")

    objects = ScopedManager(club="club")

    def __str__(self) -> str:
        return f"{self.name} {self.sha256[:12]}"


class ImportRow(models.Model):
    class Outcome(models.TextChoices):
        NEW = "new", _("New person")
        MATCHED = "matched", _("Matched")
        MERGED = "merged", _("Merged with a row above")
        REVIEW = "review", _("For review")
        REJECTED = "rejected", _("Rejected")

    class Sheet(models.TextChoices):
        MEMBERS = "members", _("Members")
        GROUPS = "groups", _("Groups")
        WAITLIST = "waitlist", _("Waitlist")

    # No single-column indexes on club and batch: every imported row paid for them, and
    # the indexes below lead with the same columns (club, outcome; batch, sheet, row).
    # The club is the batch's, whose key the database checks; a check of this one too
    # cost every imported row a lookup at the commit (R-MIG-10).
    club = models.ForeignKey(
        "members.Club",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="rows", db_index=False
    )
    sheet = models.CharField(max_length=10, choices=Sheet.choices, default=Sheet.MEMBERS)
    row_number = models.PositiveIntegerField(_("row"))
    member_no = models.CharField(_("member number"), max_length=40, blank=True)
    raw = models.JSONField(default=dict)
    values = models.JSONField(default=dict, help_text="the normalised values, for review")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    rule = models.CharField(max_length=30, blank=True)
    reason = models.TextField(_("explanation"), blank=True)
    problems = models.JSONField(default=list, blank=True)
    codes = models.CharField(
        max_length=250, blank=True, help_text="problem codes, comma separated, for filtering"
    )
    person = models.ForeignKey(
        "members.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_into_row = models.PositiveIntegerField(null=True, blank=True)
    candidates = models.JSONField(default=list, blank=True, help_text="registry person ids")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # indexed where set only (below): most rows are never resolved
    )

    objects = ScopedManager(club="club")

    class Meta:
        ordering = ["batch", "sheet", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "sheet", "row_number"], name="import_row_once")
        ]
        indexes = [
            # The review list and the data-quality page ask for a club's rows held for
            # review or rejected; the others are read by batch (import_row_once).
            models.Index(
                fields=["club", "outcome"],
                name="import_row_club_outcome",
                condition=models.Q(outcome__in=["review", "rejected"]),
            ),
            models.Index(
                fields=["resolved_by"],
                name="import_row_resolved_by",
                condition=models.Q(resolved_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sheet} row {self.row_number}: {self.outcome}"

    @property
    def has_warnings(self) -> bool:
        return any(p.get("severity") == "warning" for p in self.problems)


class ImportCreated(models.Model):
    """Everything a batch created, so that it can be rolled back: the ids of one kind of
    object, written together (one row per kind and chunk, not one per object — a large
    extract creates hundreds of thousands). A guardian link is a [child, guardian] pair."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="created")
    kind = models.CharField(max_length=20)
    ids = models.JSONField(default=list)

    class Meta:
        indexes = [models.Index(fields=["batch", "kind"], name="import_created_kind")]

    def __str__(self) -> str:
        return f"{self.kind} ×{len(self.ids)}"
