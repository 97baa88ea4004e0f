"""Successors in every diff, a code's whole life, its record and validity on a date, and every
code valid on a date: three releases in the ANWEB format imported through the CLI."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path

import pytest

from tests.anweb import anweb_text
from tracker.cli import main
from tracker.query import stored_diff
from tracker.query.lookup import code_life, show, valid_codes
from tracker.records import Successor, Value
from tracker.report import render
from tracker.store import Store

Rows = Sequence[tuple[str, Mapping[str, Value]]]


def _r(
    long: str, *, add: str = "20100101", term: str = "", xref: tuple[str, ...] = (), short: str = ""
) -> dict[str, Value]:
    fields: dict[str, Value] = {"long_description": long, "short_description": short or long[:28]}
    fields.update({"add_dt": add, "action_cd": "N"})
    fields.update({"term_dt": term} if term else {})
    fields.update({"xref": xref} if xref else {})
    return fields


R2024: Rows = [
    ("A9999", _r("Always current", add="20000101")),
    ("C9901", _r("Drug one")),
    ("C9902", _r("Injection, twoumab, 1mg", short="Inj twoumab")),
    ("C9903", _r("Ends in 2025")),
    ("C9910", _r("Chain start", term="20231231", xref=("Q9910",))),
    ("E9901", _r("Old walker", term="20211231", xref=("K9901",))),
    ("J9903", _r("Successor later ended")),
    ("J9906", _r("Ends on a date")),
    ("K9901", _r("Walker, new")),
    ("Q9910", _r("Chain middle")),
]
R2025: Rows = [
    ("A9999", _r("Always current", add="20000101")),
    ("C9901", _r("Drug one", term="20241231", xref=("J9901",))),
    ("C9902", _r("Injection, twoumab, 1mg", short="Inj twoumab")),
    # J9903 is active in 2025 and ended in 2026: a diff of 2024 and 2025 says "ended".
    ("C9903", _r("Ends in 2025", term="20241231", xref=("J9903",))),
    ("C9910", _r("Chain start", term="20231231", xref=("Q9910",))),
    ("E9901", _r("Old walker", term="20211231", xref=("K9901",))),
    ("J9901", _r("Drug one, permanent", add="20250101")),
    ("J9903", _r("Successor later ended")),
    ("J9906", _r("Ends on a date", term="20250630")),
    ("J9910", _r("Chain end", add="20250101")),
    ("K9901", _r("Walker, new")),
    ("Q9910", _r("Chain middle", term="20241231", xref=("J9910",))),
]
R2026: Rows = [
    ("A9999", _r("Always current", add="20000101")),
    ("C9901", _r("Drug one", term="20241231", xref=("J9901",))),
    ("C9902", _r("Injection, twoumab, 1mg", term="20251231", short="Inj twoumab")),
    ("C9903", _r("Ends in 2025", term="20241231", xref=("J9903",))),
    ("C9910", _r("Chain start", term="20231231", xref=("Q9910",))),
    # E9901 ages out: gone from the file four years after its termination.
    ("J9901", _r("Drug one, permanent", add="20250101")),
    # The same long description as C9902 but for white space: an inferred successor.
    ("J9902", _r("Injection, twoumab, 1 mg", add="20260101", short="Inj twoumab 1 mg")),
    ("J9903", _r("Successor later ended", term="20251231")),
    # Added retroactively: its add date precedes the 2025 release, which lacks it.
    ("J9905", _r("Retroactive", add="20240601")),
    ("J9906", _r("Ends on a date", term="20250630")),
    ("J9910", _r("Chain end", add="20250101")),
    ("K9901", _r("Walker, new")),
    ("Q9910", _r("Chain middle", term="20241231", xref=("J9910",))),
]
RELEASES = {"2024": R2024, "2025": R2025, "2026": R2026}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    url = db_url  # SQLite, then PostgreSQL (tests/conftest.py)
    for label, rows in RELEASES.items():
        path = tmp_path / f"HCPC{label}_ANWEB.txt"
        path.write_bytes(anweb_text(rows))
        assert run(capsys, "--db", url, "import", "--force", str(path))[0] == 0
    return url


@pytest.fixture
def store(db: str) -> Iterator[Store]:
    with Store(db, create=False) as store:
        yield store


def _successors(store: Store, old: str, new: str) -> dict[str, tuple[Successor, ...]]:
    diff = stored_diff(store, old, new)
    return {c.code: c.successors for c in diff.changes if c.category in ("deleted", "discontinued")}


J9901 = Successor("J9901", "cms", "active", None)
J9910 = Successor("J9910", "cms", "active", None)


def test_a_diff_gives_successors_with_their_status_in_the_newest_release(store: Store) -> None:
    assert _successors(store, "2024", "2025") == {
        "C9901": (J9901,),
        # J9903 is still active in 2025, the diff's new release; it ended in 2026, the newest.
        "C9903": (Successor("J9903", "cms", "ended", date(2025, 12, 31)),),
        "J9906": (),
        "Q9910": (J9910,),
    }


def test_a_diff_reads_a_deleted_codes_old_record_and_infers_from_its_added_codes(
    store: Store,
) -> None:
    assert _successors(store, "2025", "2026") == {
        "C9902": (Successor("J9902", "inferred", "active", None),),
        "E9901": (Successor("K9901", "cms", "active", None),),  # aged out: its 2025 record
        "J9903": (),
    }


def test_every_diff_format_shows_successors(store: Store) -> None:
    diff = stored_diff(store, "2024", "2025")
    text = render(diff, "text")
    # Each successor with what it is: its own long description.
    assert (
        "      successors: J9903 (cms, ended 2025-12-31, from 2010-01-01): Successor later ended\n"
        in text
    )
    rows = csv.DictReader(io.StringIO(render(diff, "csv").lstrip("\ufeff")))
    assert {r["code"]: r["successors"] for r in rows if r["successors"]} == {
        '="C9901"': "J9901 (cms, active, from 2025-01-01): Drug one, permanent",
        '="C9903"': "J9903 (cms, ended 2025-12-31, from 2010-01-01): Successor later ended",
        '="Q9910"': "J9910 (cms, active, from 2025-01-01): Chain end",
    }
    changes = {c["code"]: c for c in json.loads(render(diff, "json"))["changes"]}
    assert changes["Q9910"]["successors"] == [
        {"code": "J9910", "description": "Chain end", "source": "cms", "status": "active",
         "terminated": None, "added": "2025-01-01", "range": None, "ends": ["J9910"],
         "next": [], "cycle": []},
    ]  # fmt: skip


def test_history_tells_the_whole_life_with_a_chain(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    code, out, err = run(capsys, "--db", db, "history", "C9910")
    assert (code, err) == (0, "")
    assert out == (
        "C9910  Chain start\n"
        "status: ended 2023-12-31 (in 2026)\n"
        "first seen: 2024 (effective 2024-01-01), added 2010-01-01\n"
        "successors: Q9910 (cms, ended 2024-12-31, from 2010-01-01): Chain middle -> "
        "J9910 (cms, active, from 2025-01-01): Chain end\n"
        "\n"
        "2024 (effective 2024-01-01): first seen\n"
        "  C9910  [N] Chain start\n"
        "      added 2010-01-01, terminated 2023-12-31\n"
    )


def test_history_of_a_discontinued_code(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "history", "c9902")
    assert (code, out) == (
        0,
        "C9902  Injection, twoumab, 1mg\n"
        "status: ended 2025-12-31 (in 2026)\n"
        "first seen: 2024 (effective 2024-01-01), added 2010-01-01\n"
        "successors: J9902 (inferred, active, from 2026-01-01): Injection, twoumab, 1 mg\n"
        "\n"
        "2024 (effective 2024-01-01): first seen\n"
        "  C9902  [N] Injection, twoumab, 1mg\n"
        "      added 2010-01-01\n"
        "\n"
        "2026 (effective 2026-01-01): discontinued since 2025\n"
        "  C9902  [N] (unflagged) Injection, twoumab, 1mg\n"
        "      added 2010-01-01, terminated 2025-12-31\n"
        "      Termination date (term_dt): '' -> '2025-12-31'\n",
    )


def test_life_of_an_aged_out_code(store: Store) -> None:
    life = code_life(store, "E9901")
    assert [(e.release.info.label, e.change.category, e.change.explanation)
            for e in life.entries] == [
        ("2024", "first_seen", None), ("2026", "deleted", "aged_out"),
    ]  # fmt: skip
    assert (life.standing.status, life.standing.last_seen.label, life.standing.terminated) == (
        "dropped", "2025", date(2021, 12, 31),
    )  # fmt: skip
    assert life.successors == (Successor("K9901", "cms", "active", None),)
    assert life.successors[0].description == "Walker, new"  # from the newest record


def test_history_json_of_a_code_still_current(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "history", "J9905", "--json")
    life = json.loads(out)
    assert (code, life["status"], life["first_seen"], life["successors"]) == (
        0,
        {"status": "current", "text": "still current in 2026", "newest": "2026",
         "terminated": None, "last_seen": "2026"},
        {"release": "2026", "effective": "2026-01-01", "added": "2024-06-01"},
        [],
    )  # fmt: skip
    assert [(e["category"], e["explanation"]) for e in life["entries"]] == [
        ("added", "retroactive")
    ]


# --- validity and show ---------------------------------------------------------------------


def _status(store: Store, code: str, on: date, known_in: str | None = None) -> tuple[str, str]:
    v = show(store, code, on, known_in=known_in).validity
    return v.status, v.reason


def test_a_code_is_valid_on_its_termination_date_and_ended_the_day_after(store: Store) -> None:
    assert _status(store, "J9906", date(2025, 6, 30)) == (
        "valid", "valid: added 2010-01-01, terminated 2025-06-30",
    )  # fmt: skip
    assert _status(store, "J9906", date(2025, 7, 1)) == ("ended", "ended: terminated 2025-06-30")


def test_the_latest_word_counts_a_retroactive_addition(store: Store) -> None:
    assert _status(store, "J9905", date(2024, 6, 1)) == ("valid", "valid: added 2024-06-01")
    assert _status(store, "J9905", date(2024, 5, 31)) == (
        "not_yet_valid", "not yet valid: added 2024-06-01",
    )  # fmt: skip


def test_known_in_answers_with_what_that_release_knew(store: Store) -> None:
    on = date(2025, 1, 15)
    assert _status(store, "C9902", date(2026, 1, 1)) == ("ended", "ended: terminated 2025-12-31")
    assert _status(store, "C9902", date(2025, 3, 31), "2025") == (
        "valid", "valid: added 2010-01-01",
    )  # fmt: skip
    # 2025 spoke for dates up to 2025-03-31, when the code was not yet known to end.
    assert _status(store, "C9902", date(2026, 1, 1), "2025") == (
        "unconfirmed",
        "unconfirmed: valid in 2025, which speaks for dates up to 2025-03-31; a later release "
        "may have ended it",
    )
    assert _status(store, "J9906", date(2024, 3, 31), "2024") == (
        "valid",
        "valid: added 2010-01-01",
    )
    assert _status(store, "J9906", on, "2024")[0] == "unconfirmed"  # 2024 spoke up to 2024-03-31
    with pytest.raises(Exception, match="code 'J9905' is in no stored HCPCS release up to 2025"):
        show(store, "J9905", on, known_in="2025")


def test_a_date_older_than_every_release_is_unknown(store: Store) -> None:
    assert _status(store, "A9999", date(2023, 12, 31)) == (
        "unknown",
        "unknown: no release that old is stored (the oldest took effect 2024-01-01)",
    )


def test_show_text(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, err = run(capsys, "--db", db, "show", "c9901", "--on", "2025-01-01")
    assert (code, err) == (0, "")
    assert out == (
        "C9901  Drug one\n"
        "on 2025-01-01: ended: terminated 2024-12-31\n"
        "record: the latest stored, from 2026 (effective 2026-01-01)\n"
        "status: ended 2024-12-31 (in 2026)\n"
        "successors: J9901 (cms, active, from 2025-01-01): Drug one, permanent\n"
        "\n"
        "HCPCS code (code): C9901\n"
        "Sequence number (seq_num): 00100\n"
        "Record type (rec_id): 3 (First line of procedure record; also contains detail "
        "information in positions 92-275)\n"
        "Long description (long_description): Drug one\n"
        "Short description (short_description): Drug one\n"
        "Pricing indicator (price): -\n"
        "Multiple pricing indicator (mult_pi): -\n"
        "Coverage Issues Manual reference (cim): -\n"
        "Medicare Carriers Manual reference (mcm): -\n"
        "Statute reference (statute): -\n"
        "Lab certification category (labcert): -\n"
        "Cross reference (xref): J9901\n"
        "Medicare coverage (cov): -\n"
        "ASC payment group (asc_grp): - (Not approved for ASC)\n"
        "ASC payment group effective date (asc_dt): -\n"
        "Outpatient (MOG) payment group (opps): -\n"
        "Outpatient (MOG) payment policy indicator (opps_pi): -\n"
        "Outpatient (MOG) payment group effective date (opps_dt): -\n"
        "Processing note (procnote): -\n"
        "BETOS category (betos): -\n"
        "Type of service (tos): -\n"
        "Anesthesia base units (anest_bu): -\n"
        "Add date (add_dt): 2010-01-01\n"
        "Action effective date (act_eff_dt): -\n"
        "Termination date (term_dt): 2024-12-31\n"
        "Action code (action_cd): N (No maintenance for this code)\n"
    )


def test_show_json_of_a_record_in_one_release(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "show", "C9901", "--release", "2024", "--json")
    shown = json.loads(out)
    assert code == 0
    release = shown["record"]["release"]
    assert (shown["record"]["chosen"], release["label"], release["effective"]) == (
        "release", "2024", "2024-01-01",
    )  # fmt: skip
    assert shown["status"]["text"] == "ended 2024-12-31 (in 2026)"
    assert shown["validity"]["release"] == "2024"  # judged by that release's record
    assert shown["successors"] == [
        {"code": "J9901", "description": "Drug one, permanent", "source": "cms",
         "status": "active", "terminated": None, "added": "2025-01-01", "range": None,
         "ends": ["J9901"], "next": [], "cycle": []},
    ]  # fmt: skip
    assert shown["fields"][-3:] == [
        {"field": "act_eff_dt", "label": "Action effective date", "value": "", "meanings": {}},
        {"field": "term_dt", "label": "Termination date", "value": "", "meanings": {}},
        {"field": "action_cd", "label": "Action code", "value": "N",
         "meanings": {"N": "No maintenance for this code"}},
    ]  # fmt: skip


def test_show_errors(capsys: pytest.CaptureFixture[str], db: str) -> None:
    assert run(capsys, "--db", db, "show", "Z0000") == (
        1, "", "tracker: error: code 'Z0000' is in no stored HCPCS release\n",
    )  # fmt: skip
    assert run(capsys, "--db", db, "show", "J9902", "--release", "2025") == (
        1, "", "tracker: error: code 'J9902' is not in release 2025\n",
    )  # fmt: skip
    assert run(capsys, "--db", db, "show", "J9902", "--release", "2025", "--known-in", "2025") == (
        2, "", "tracker: error: --release names the record, --known-in the release known: "
        "give one\n",
    )  # fmt: skip
    with pytest.raises(SystemExit) as exit_:
        main(["--db", db, "show", "J9902", "--release", "2025", "--on", "2025-01-01"])
    assert exit_.value.code == 2
    assert run(capsys, "--db", db, "show", "J9902", "--known-in", "2019")[0] == 1


# --- codes --on DATE -----------------------------------------------------------------------


def test_codes_valid_on_a_date(store: Store) -> None:
    found = valid_codes(store, date(2025, 7, 1))
    assert [(k.record.code, k.release) for k in found] == [
        ("A9999", "2026"), ("C9902", "2026"), ("J9901", "2026"), ("J9903", "2026"),
        ("J9905", "2026"), ("J9910", "2026"), ("K9901", "2026"),
    ]  # fmt: skip


def test_codes_csv_and_json(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "codes", "--on", "2025-12-31")
    assert code == 0
    assert out.splitlines()[:3] == [
        "\ufeffcode,short_description,long_description,added,terminated,release",
        '"=""A9999""",Always current,Always current,"=""2000-01-01""",,"=""2026"""',
        '"=""C9902""",Inj twoumab,"Injection, twoumab, 1mg","=""2010-01-01""",'
        '"=""2025-12-31""","=""2026"""',
    ]
    code, out, _ = run(capsys, "--db", db, "codes", "--on", "2026-01-01", "--format", "json")
    assert json.loads(out)[:2] == [
        {"code": "A9999", "short_description": "Always current",
         "long_description": "Always current", "added": "2000-01-01", "terminated": None,
         "release": "2026"},
        {"code": "J9901", "short_description": "Drug one, permanent",
         "long_description": "Drug one, permanent", "added": "2025-01-01", "terminated": None,
         "release": "2026"},
    ]  # fmt: skip


def test_codes_before_every_release(capsys: pytest.CaptureFixture[str], db: str) -> None:
    assert run(capsys, "--db", db, "codes", "--on", "2020-01-01") == (
        1, "", "tracker: error: no release that old is stored: the oldest took effect "
        "2024-01-01, after 2020-01-01\n",
    )  # fmt: skip


def test_codes_after_the_newest_release_s_quarter(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    """A list for a billing system must not hold codes a release not stored may have ended."""
    assert run(capsys, "--db", db, "codes", "--on", "2026-03-31")[0] == 0
    assert run(capsys, "--db", db, "codes", "--on", "2026-04-01") == (
        1, "", "tracker: error: no release that new is stored: the newest, 2026, speaks for "
        "dates up to 2026-03-31; import a later release, or ask for a date up to then\n",
    )  # fmt: skip
