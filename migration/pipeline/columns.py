"""The federation extract's columns (shared/data/README.md): Norwegian headers and the
English aliases, forgiving case, spacing, hyphens and underscores."""

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

MEMBERS = "members"
GROUPS = "groups"
WAITLIST = "waitlist"

# canonical field → accepted headers (the first is the Norwegian one written on export)
MEMBER_COLUMNS: dict[str, tuple[str, ...]] = {
    "member_no": ("Medlemsnr", "member_no", "Medlemsnummer", "member_number"),
    "first_name": ("Fornavn", "first_name"),
    "last_name": ("Etternavn", "last_name"),
    "birth_date": ("Fødselsdato", "birth_date"),
    "national_id": ("Personnummer", "national_id", "Fødselsnummer"),
    "gender": ("Kjønn", "gender"),
    "email": ("E-post", "email", "Epost"),
    "mobile": ("Mobil", "mobile", "Telefon"),
    "address": ("Adresse", "address"),
    "postal_code": ("Postnr", "postal_code", "Postnummer"),
    "city": ("Poststed", "city"),
    "guardian_name": ("Foresatt navn", "guardian_name"),
    "guardian_email": ("Foresatt e-post", "guardian_email"),
    "guardian_mobile": ("Foresatt mobil", "guardian_mobile"),
    "category": ("Medlemskategori", "category", "Kategori"),
    "groups": ("Parti", "groups"),
    "payment_method": ("Betalingsmåte", "payment_method"),
    "next_billing_date": ("Neste fakturadato", "next_billing_date"),
    "joined": ("Innmeldt", "joined"),
    # Written by our own export (R-MEM-6) so that it round-trips; optional on import.
    "person_id": ("Person-ID", "person_id"),
    "status": ("Status", "status"),
    "source": ("Kilde", "source"),
}
MEMBER_REQUIRED = ("first_name", "last_name", "birth_date")

GROUP_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("Parti", "name", "group"),
    "sport": ("Aktivitet", "sport", "activity"),
    "capacity": ("Kapasitet", "capacity"),
    "class_fee": ("Partiavgift", "class_fee", "fee"),
    "season": ("Periode", "season", "period"),
    "admin_email": ("Trener e-post", "admin_email", "coach_email"),
}
GROUP_REQUIRED = ("name",)

WAITLIST_COLUMNS: dict[str, tuple[str, ...]] = {
    "group": ("Parti", "group"),
    "position": ("Plass", "position"),
    "member_no": ("Medlemsnr", "member_no"),
    "first_name": ("Fornavn", "first_name"),
    "last_name": ("Etternavn", "last_name"),
    "birth_date": ("Fødselsdato", "birth_date"),
    "email": ("E-post", "email"),
    "mobile": ("Mobil", "mobile"),
    "guardian_email": ("Foresatt e-post", "guardian_email"),
    "registered": ("Registrert", "registered"),
}
WAITLIST_REQUIRED = ("group", "position", "first_name", "last_name")

SHEETS = {
    MEMBERS: ("Medlemmer", MEMBER_COLUMNS, MEMBER_REQUIRED),
    GROUPS: ("Parti", GROUP_COLUMNS, GROUP_REQUIRED),
    WAITLIST: ("Venteliste", WAITLIST_COLUMNS, WAITLIST_REQUIRED),
}
SHEET_LABELS = {MEMBERS: _("Members"), GROUPS: _("Groups"), WAITLIST: _("Waitlist")}


def header_key(header: str) -> str:
    """``" E-Post "`` → ``epost``; ``Foresatt_navn`` → ``foresattnavn``."""
    value = unicodedata.normalize("NFC", header or "").strip().casefold()
    return re.sub(r"[\s_\-.]+", "", value)


def alias_map(columns: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {header_key(alias): field for field, aliases in columns.items() for alias in aliases}
