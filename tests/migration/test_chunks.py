"""How the member rows are cut into chunks (``importer.ReadAhead``): the first and the
last chunk are small (the writing thread starts and ends sooner), the others
``CHUNK`` rows, and every row is read exactly once, in order."""

import functools

import pytest

from migration.pipeline import importer
from migration.pipeline.normalise import normalise_member


@functools.cache
def empty_row() -> importer.Checked:
    return normalise_member({})  # rejected: no name, no birth date


def rejected(raw: dict) -> importer.Checked:
    """A stand-in for the normaliser (what it makes of a row is not the point here)."""
    empty = empty_row()
    return importer.Checked(values=dict(empty.values), problems=list(empty.problems))


@pytest.mark.parametrize(
    "total, chunk, sizes",
    [
        (100_000, 2000, [500] + [2000] * 49 + [1000, 500]),
        (2400, 2000, [500, 1400, 500]),
        (100, 2000, [100]),
        (300, 40, [40] * 6 + [20, 40]),
        (3, 1, [1, 1, 1]),
        (0, 2000, []),
    ],
)
def test_the_first_and_the_last_chunk_are_small(monkeypatch, total, chunk, sizes):
    monkeypatch.setattr(importer, "CHUNK", chunk)
    rows = ((n, {"n": n}) for n in range(1, total + 1))
    read_ahead = importer.ReadAhead(rows, total)
    read_ahead_sizes, numbers = [], []
    monkeypatch.setattr(importer, "normalise_member", rejected)
    while works := read_ahead.next_chunk():
        read_ahead_sizes.append(len(works))
        numbers += [w.number for w in works]
    assert read_ahead_sizes == sizes
    assert numbers == list(range(1, total + 1))


def test_a_wrong_count_still_reads_every_row(monkeypatch):
    """The count is only the progress bar's: more or fewer rows are all read."""
    for counted in (0, 10, 5000):
        rows = ((n, {}) for n in range(1, 3001))
        read_ahead = importer.ReadAhead(rows, counted)
        monkeypatch.setattr(importer, "normalise_member", rejected)
        read = 0
        while works := read_ahead.next_chunk():
            read += len(works)
        assert read == 3000
