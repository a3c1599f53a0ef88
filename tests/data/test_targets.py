"""What each kind of typed target becomes (no network: names are resolved by the archive)."""

from __future__ import annotations

import pytest

from dashboard.data.errors import DataError
from dashboard.data.targets import Target, id_candidates, parse_target

KEPLER_10 = (285.6795833, 50.2413056)  # 19:02:43.1 +50:14:28.7

PARSED = [
    # Kepler
    ("KIC 8462852", Target("kic", id=8462852, mission_hint="Kepler")),
    ("kic8462852", Target("kic", id=8462852, mission_hint="Kepler")),
    ("  KIC-8462852 ", Target("kic", id=8462852, mission_hint="Kepler")),
    ("kplr008462852", Target("kic", id=8462852, mission_hint="Kepler")),
    # K2
    ("EPIC 201572338", Target("epic", id=201572338, mission_hint="K2")),
    ("ktwo201572338", Target("epic", id=201572338, mission_hint="K2")),
    ("epic_201572338", Target("epic", id=201572338, mission_hint="K2")),
    # TESS
    ("TIC 261136679", Target("tic", id=261136679, mission_hint="TESS")),
    ("TIC261136679", Target("tic", id=261136679, mission_hint="TESS")),
    ("tic 0261136679", Target("tic", id=261136679, mission_hint="TESS")),
    # bare numbers: ambiguous inside the KIC and EPIC ranges, otherwise TIC
    ("8462852", Target("id", id=8462852, candidates=("kic", "tic"))),
    ("201572338", Target("id", id=201572338, candidates=("epic", "tic"))),
    ("261136679", Target("id", id=261136679, mission_hint="TESS", candidates=("tic",))),
    # names
    ("Kepler-10", Target("name", name="Kepler-10")),
    ("Pi Men", Target("name", name="Pi Men")),
    ("  pi   Men ", Target("name", name="pi Men")),
    ("HD 209458", Target("name", name="HD 209458")),
    ("TRAPPIST-1", Target("name", name="TRAPPIST-1")),
    ("2MASS J19024305+5014286", Target("name", name="2MASS J19024305+5014286")),
    ("TICKET", Target("name", name="TICKET")),
    # coordinates, decimal degrees
    ("285.679 +50.241", Target("coordinates", ra=285.679, dec=50.241)),
    ("285.679, 50.241", Target("coordinates", ra=285.679, dec=50.241)),
    ("84.29119 -80.46912", Target("coordinates", ra=84.29119, dec=-80.46912)),
    ("0 0", Target("coordinates", ra=0.0, dec=0.0)),
]

SEXAGESIMAL = ["19:02:43.1 +50:14:28.7", "19h02m43.1s +50d14m28.7s", "19 02 43.1 +50 14 28.7",
               "19:02:43.1, +50:14:28.7", "19h02m43.1s 50d14m28.7s"]

GARBAGE = [
    ("", "No target given"),
    ("   ", "No target given"),
    ("@@@", "not a target"),
    ("KIC", "not followed by a number"),
    ("TIC 12a", "not followed by a number"),
    ("EPIC 2015-72338", "not followed by a number"),
    ("TIC 0", "positive number"),
    ("0", "positive number"),
    ("123456789012", "at most 10 digits"),
    ("400 10", "outside the sky"),
    ("10 -95", "outside the sky"),
    ("12:00 +100:00", "could not be read as coordinates"),
    ("1 2 3", "could not be read as coordinates"),
    ("Kepler-10; rm -rf /", "not a target"),
    ("x" * 101, "101 characters"),
]


@pytest.mark.parametrize(("text", "expected"), PARSED, ids=[t for t, _ in PARSED])
def test_parse(text, expected):
    assert parse_target(text) == expected


@pytest.mark.parametrize("text", SEXAGESIMAL)
def test_sexagesimal_right_ascension_is_in_hours(text):
    target = parse_target(text)
    assert target.kind == "coordinates" and target.id is None and target.name is None
    assert (target.ra, target.dec) == pytest.approx(KEPLER_10, abs=1e-6)


@pytest.mark.parametrize(("text", "message"), GARBAGE, ids=[t[:20] or "empty" for t, _ in GARBAGE])
def test_garbage_is_refused_with_a_helpful_message(text, message):
    with pytest.raises(DataError, match=message) as raised:
        parse_target(text)
    assert isinstance(raised.value, ValueError)


def test_every_refusal_lists_the_accepted_forms():
    for text in ("@@@", "KIC", "1 2 3"):
        with pytest.raises(DataError, match="KIC 8462852.*Kepler-10.*285.679"):
            parse_target(text)


def test_non_text_is_refused():
    with pytest.raises(DataError):
        parse_target(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("number", "candidates"), [
    (1, ("kic", "tic")), (13_161_029, ("kic", "tic")), (13_161_030, ("tic",)),
    (201_000_000, ("tic",)), (201_000_001, ("epic", "tic")), (251_809_654, ("epic", "tic")),
    (251_809_655, ("tic",)), (9_999_999_999, ("tic",))])
def test_bare_number_rule(number, candidates):
    assert id_candidates(number) == candidates


def test_labels_read_back_as_people_write_them():
    assert parse_target("kplr008462852").label == "KIC 8462852"
    assert parse_target("ktwo201572338").label == "EPIC 201572338"
    assert parse_target("TIC261136679").label == "TIC 261136679"
    assert parse_target("Pi Men").label == "Pi Men"
    assert parse_target("285.679 +50.241").label == "285.67900 +50.24100"
