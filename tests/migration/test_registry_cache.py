"""The registry as an import's chunks see it (R-MIG-3, R-MIG-4): read once per birth
date and national id hash, kept for the run, without the persons the run made itself,
and with the run's own changes — the same decisions as a fresh read per chunk."""

from datetime import date

import pytest
from django_scopes import scopes_disabled

from members import identity
from members.services import create_person
from migration.pipeline import importer
from migration.pipeline.match import RegistryCache

from .helpers import run_import
from .test_samples import CLUB_A, CLUB_B, differences_from_truth, make_clubs

BORN = date(1990, 5, 1)


def keys(person):
    return (person.first_name_key, person.last_name_key)


@pytest.fixture
def people(db):
    with scopes_disabled():
        return [
            create_person(first_name="Kari", last_name="Hansen", birth_date=BORN),
            create_person(first_name="Ola", last_name="Hansen", birth_date=BORN),
            create_person(first_name="Per", last_name="Berg", birth_date=date(1990, 1, 5)),
        ]


def test_a_date_is_read_once_and_its_persons_kept_in_id_order(people, django_assert_num_queries):
    cache = RegistryCache()
    index = cache.for_rows({BORN}, set())
    assert [c.pk for c in index.candidates_near(BORN)] == [people[0].pk, people[1].pk, people[2].pk]
    with django_assert_num_queries(0):  # the dates are known: no query
        assert cache.for_rows({BORN, date(1990, 1, 5)}, set()) is index


def test_persons_the_run_made_are_left_out(people):
    cache = RegistryCache()
    cache.created.add(people[1].pk)
    index = cache.for_rows({BORN}, set())
    assert people[1].pk not in {c.pk for c in index.candidates_near(BORN)}


def test_a_change_by_the_run_is_seen_as_the_database_has_it(people):
    cache = RegistryCache()
    index = cache.for_rows({BORN}, set())
    kari = people[0]
    hash_ = identity.national_id_hash("01059012345")
    cache.changed(kari.pk, *keys(kari), date(1991, 2, 3), hash_)
    assert kari.pk not in {c.pk for c in index.candidates_near(BORN)}
    assert [c.pk for c in index.by_birth[date(1991, 2, 3)]] == [kari.pk]
    assert index.by_hash[hash_].pk == kari.pk
    cache.changed(kari.pk, *keys(kari), date(1991, 2, 3), None)
    assert hash_ not in index.by_hash
    cache.changed(10**9, "x", "y", BORN, None)  # not read yet: a later read finds it
    assert 10**9 not in {c.pk for c in index.candidates_near(BORN)}


@pytest.mark.parametrize("chunk", [1, 7])
def test_small_chunks_end_as_the_truth_file_says(db, tmp_path, monkeypatch, chunk):
    """Club A then club B with chunks of 1 and 7 rows: the persons of every earlier
    chunk are in the registry kept by the run, and every row ends as truth.csv says."""
    monkeypatch.setattr(importer, "CHUNK", chunk)
    make_clubs()
    _out, report_a = run_import(CLUB_A, "klubb-a", tmp_path, "report-a")
    _out, report_b = run_import(CLUB_B, "klubb-b", tmp_path, "report-b")
    assert differences_from_truth(report_a, report_b) == []
