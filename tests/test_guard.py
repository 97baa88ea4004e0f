"""The mass-change guard, as a pure function: a release and its predecessor in, a verdict out."""

from __future__ import annotations

from datetime import date

from tracker.guard import Guard, Previous, Verdict, judge
from tracker.records import CPT, HCPCS, ParsedRelease, Record

LIMITS = Guard(max_drop=0.10, min_codes=5, max_removed=2)
ADVICE = "(truncated or wrong file?); use --force if it is real"


def _release(codes: range, code_set: str = HCPCS) -> ParsedRelease:
    records = tuple(Record(f"A{i:04d}", {"code": f"A{i:04d}"}) for i in codes)
    return ParsedRelease(code_set, "2025-Q2", date(2025, 4, 1), "new.txt", "s", records)


def _previous(codes: int, live: range) -> Previous:
    return Previous("2025", codes, frozenset(f"A{i:04d}" for i in live))


def test_a_release_like_its_predecessor_is_accepted() -> None:
    verdict = judge(_release(range(100)), _previous(100, range(100)), LIMITS)
    assert verdict == Verdict() and verdict.ok


def test_the_first_release_is_held_to_the_floor_only() -> None:
    assert judge(_release(range(5)), None, LIMITS) == Verdict()
    assert judge(_release(range(4)), None, LIMITS) == Verdict(
        f"new.txt: only 4 codes, below the floor of 5 {ADVICE}"
    )


def test_too_many_fewer_codes_than_the_predecessor() -> None:
    verdict = judge(_release(range(89)), _previous(100, range(0)), LIMITS)
    assert not verdict.ok
    assert verdict.reason == (
        f"new.txt: 89 codes, 11.0% fewer than 2025 (100), over the 10% limit {ADVICE}"
    )


def test_live_codes_that_vanish() -> None:
    # A0000..A0099 live before; A0097..A0099 are gone from the new file: 3 over the limit of 2.
    verdict = judge(_release(range(97)), _previous(100, range(100)), LIMITS)
    assert verdict.reason == (
        f"new.txt: 3 codes of 2025 vanish without a termination date, over the limit of 2 {ADVICE}"
    )
    # Terminated codes may go: only A0097 was live. Accepted, with a warning naming it.
    assert judge(_release(range(97)), _previous(100, range(98)), LIMITS) == Verdict(
        warning="new.txt: 1 code(s) of 2025 vanish without a termination date (A0097); CMS "
        "terminates a code before it drops it: check that the file is whole"
    )


def test_a_warning_names_ten_vanished_codes_and_counts_the_rest() -> None:
    verdict = judge(_release(range(88)), _previous(100, range(100)), Guard(0.2, 5, 50))
    assert verdict.ok and verdict.warning == (
        "new.txt: 12 code(s) of 2025 vanish without a termination date (A0088, A0089, A0090, "
        "A0091, A0092, A0093, A0094, A0095, A0096, A0097 and 2 more); CMS terminates a code "
        "before it drops it: check that the file is whole"
    )


def test_cpt_has_no_floor_and_no_termination_rule() -> None:
    assert judge(_release(range(1), CPT), None, LIMITS).ok
    assert judge(_release(range(95), CPT), _previous(100, range(100)), LIMITS).ok
    assert not judge(_release(range(80), CPT), _previous(100, range(100)), LIMITS).ok
