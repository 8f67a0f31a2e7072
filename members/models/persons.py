import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from members import identity


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    UNKNOWN = "", _("Not given")


class Person(models.Model):
    """The central registry, shared by every club (SPEC §2). Not club-scoped: a club
    reaches a person only through a Membership of that club (R-SEC-1)."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, blank=True)
    national_id_encrypted = models.TextField(blank=True, editable=False)
    # unique through Meta.constraints: one index, no pattern-ops twin
    national_id_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    email = models.EmailField(_("e-mail"), blank=True)
    mobile = PhoneNumberField(_("mobile"), blank=True, region="NO")
    address_line = models.CharField(_("address"), max_length=200, blank=True)
    co_line = models.CharField(_("c/o"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="NO")
    guardians = models.ManyToManyField(
        "self", symmetrical=False, related_name="children", blank=True, verbose_name=_("guardians")
    )
    newsletter_opt_out_at = models.DateTimeField(
        _("opted out of newsletters"),
        null=True,
        blank=True,
        help_text=_("Set when the person opted out of newsletters."),  # R-COM-5
    )
    first_name_key = models.CharField(max_length=150, editable=False)
    last_name_key = models.CharField(max_length=150, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # History is read per person (by id; not by date alone: SIMPLE_HISTORY_DATE_INDEX);
    # its other columns need no index, and every index is paid for by each import row
    # (R-MIG-10).
    history = HistoricalRecords(
        excluded_fields=["national_id_encrypted", "updated_at"], no_db_index=["public_id"]
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [
            models.Index(
                fields=["last_name_key", "first_name_key", "birth_date"], name="person_match_key"
            ),
            # the matcher loads the registry persons born on a chunk's birth dates (only
            # persons with one: a guardian without is never looked up by it)
            models.Index(
                fields=["birth_date"],
                name="person_birth_date",
                condition=models.Q(birth_date__isnull=False),
            ),
            # the import looks up the persons without one (guardians) by name, each
            # chunk: the match key above would be read whole for them
            models.Index(
                fields=["last_name_key", "first_name_key"],
                name="person_birthless_name",
                condition=models.Q(birth_date__isnull=True),
            ),
        ]
        constraints = [
            # only the numbers: most persons have none, and every entry is paid for by
            # each import (R-MIG-10)
            models.UniqueConstraint(
                fields=["national_id_hash"],
                name="person_national_id_once",
                condition=models.Q(national_id_hash__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.normalise()
        super().save(*args, **kwargs)

    def normalise(self) -> "Person":
        """Clean the names and compute the matching keys; bulk writers call this too."""
        self.first_name, self.last_name, self.first_name_key, self.last_name_key = self.clean_names(
            self.first_name, self.last_name
        )
        return self

    @staticmethod
    def clean_names(first: str, last: str) -> tuple[str, str, str, str]:
        """(first name, last name, first name key, last name key) as stored."""
        first, last = identity.clean_name(first), identity.clean_name(last)
        # Keys are cut to their column (casefold can lengthen a name: ß → ss).
        return first, last, identity.name_key(first)[:150], identity.name_key(last)[:150]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def has_national_id(self) -> bool:
        return bool(self.national_id_encrypted)

    @property
    def national_id(self) -> str:
        """The clear number. Only services that log the access should read it."""
        return identity.decrypt(self.national_id_encrypted) if self.national_id_encrypted else ""

    @property
    def national_id_masked(self) -> str:
        if not self.national_id_encrypted:
            return ""
        return identity.mask_national_id(self.national_id)

    def set_national_id(self, number: str) -> None:
        """Store an already validated number encrypted, with its look-up hash."""
        if number:
            self.national_id_encrypted = identity.encrypt(number)
            self.national_id_hash = identity.national_id_hash(number)
        else:
            self.national_id_encrypted = ""
            self.national_id_hash = None

    def age_on(self, day) -> int | None:
        if not self.birth_date:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


class PersonAccessLog(models.Model):
    """Who read a person's national id number in clear, from which club (DOMAIN.md §9)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="access_log")
    club = models.ForeignKey("members.Club", null=True, on_delete=models.SET_NULL)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    field = models.CharField(max_length=50, default="national_id")
    accessed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-accessed_at"]

    def __str__(self) -> str:
        return f"{self.field} of {self.person_id} read by {self.user_id}"
