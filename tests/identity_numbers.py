"""Valid Norwegian national id numbers (fødselsnummer) for tests."""

from datetime import date

from stdnum.no import fodselsnummer


def national_id(born: date, first: int | None = None, *, female: bool = True) -> str:
    """A valid fødselsnummer for ``born`` (the first individual number that gives one)."""
    start = first if first is not None else (100 if born.year < 2000 else 500)
    weights = ([3, 7, 6, 1, 8, 9, 4, 5, 2], [5, 4, 3, 2, 7, 6, 5, 4, 3, 2])
    for individual in range(start, 1000):
        if (individual % 2 == 0) != female:  # the third individual digit: even for women
            continue
        number = f"{born:%d%m%y}{individual:03d}"
        for w in weights:
            check = (11 - sum(int(d) * x for d, x in zip(number, w, strict=True)) % 11) % 11
            if check == 10:  # no valid number with this individual number
                break
            number += str(check)
        if fodselsnummer.is_valid(number):
            return number
    raise AssertionError(born)
