"""National id numbers (R-SEC-3) and matching keys (R-MIG-3)."""

import unicodedata

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django_scopes import scopes_disabled

from members import identity, services
from members.models import Person

VALID = "01019012138"  # valid MOD11 check digits
D_NUMBER = "41019012393"


def test_valid_numbers_pass_and_are_cleaned():
    assert identity.clean_national_id("010190 12138") == VALID
    assert identity.clean_national_id(D_NUMBER) == D_NUMBER


@pytest.mark.parametrize("bad", ["01019012139", "0101901213", "abc", "32019012138"])
def test_invalid_numbers_are_refused_in_plain_words(bad):
    with pytest.raises(ValidationError) as err:
        identity.clean_national_id(bad)
    assert "11" in str(err.value) or "valid" in str(err.value).lower() or "gyldig" in str(err.value)


def test_mask_keeps_only_the_birth_date():
    assert identity.mask_national_id(VALID) == "010190*****"


def test_encryption_round_trip_and_key_rotation(settings):
    token = identity.encrypt(VALID)
    assert VALID not in token
    assert identity.decrypt(token) == VALID
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    assert identity.decrypt(token) == VALID  # old key still decrypts
    rotated = identity.rotate(token)
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert identity.decrypt(rotated) == VALID


@pytest.mark.parametrize(
    "a,b",
    [
        ("Anne-Marie", "anne marie"),
        ("  Ola   Nordmann ", "ola nordmann"),
        (unicodedata.normalize("NFD", "Åse Ødegård"), "åse ødegård"),
        ("STRØM", "strøm"),
    ],
)
def test_name_keys_forgive_case_space_hyphen_and_unicode_form(a, b):
    assert identity.name_key(a) == identity.name_key(b)


def test_name_keys_keep_real_differences():
    assert identity.name_key("Kari") != identity.name_key("Karin")


@pytest.mark.django_db
def test_national_id_is_not_readable_in_the_database():
    person = services.create_person(
        first_name="Kari", last_name="Nordmann", national_id=VALID, gender="female"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT national_id_encrypted, national_id_hash FROM members_person WHERE id = %s",
            [person.pk],
        )
        encrypted, digest = cursor.fetchone()
        cursor.execute("SELECT * FROM members_historicalperson WHERE id = %s", [person.pk])
        history = " ".join(str(v) for row in cursor.fetchall() for v in row)
    assert VALID not in encrypted and VALID not in digest and VALID not in history
    assert person.national_id == VALID
    assert person.national_id_masked == "010190*****"
    assert str(person.birth_date) == "1990-01-01"


@pytest.mark.django_db
def test_a_national_id_is_registered_once():
    services.create_person(first_name="Kari", last_name="Nordmann", national_id=VALID)
    with pytest.raises(services.MembersError):
        services.create_person(first_name="Kari", last_name="Hansen", national_id=VALID)


@pytest.mark.django_db
def test_the_database_holds_a_national_id_once_and_any_number_of_persons_without():
    """The unique index covers only persons with a number (most have none, and each
    entry is paid for by every import, R-MIG-10): the database still refuses a second
    person with the same number, also one written past the services."""
    services.create_person(first_name="Kari", last_name="Nordmann", national_id=VALID)
    with scopes_disabled():
        Person.objects.create(first_name="Uten", last_name="Nummer")
        Person.objects.create(first_name="Også", last_name="Uten")
        twin = Person(first_name="Kari", last_name="Hansen")
        twin.set_national_id(VALID)
        with pytest.raises(IntegrityError), transaction.atomic():
            twin.save()
        assert Person.objects.filter(national_id_hash__isnull=True).count() >= 2


@pytest.mark.django_db
def test_registry_lookup_is_exact_only():
    from datetime import date

    with scopes_disabled():
        services.create_person(
            first_name="Per-Olav", last_name="Strand", birth_date=date(1980, 5, 4)
        )
    exact = services.IdentityQuery("per olav", "STRAND", date(1980, 5, 4))
    assert [p.full_name for p in services.find_registry_matches(exact)] == ["Per-Olav Strand"]
    for near in (
        services.IdentityQuery("Per-Ola", "Strand", date(1980, 5, 4)),  # one letter
        services.IdentityQuery("Strand", "Per-Olav", date(1980, 5, 4)),  # swapped
        services.IdentityQuery("Per-Olav", "Strand", date(1980, 4, 5)),  # day/month swapped
        services.IdentityQuery("Per-Olav", "Strand", None),  # incomplete
    ):
        assert services.find_registry_matches(near) == []
