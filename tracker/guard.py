"""The mass-change guard: refuse a release file that looks truncated or wrong.

A broken file must never turn into a report that codes were deleted. Pure: the new release and
what the guard needs of its predecessor in, a verdict out; whoever stores a release asks first
(``tracker.run.ingest``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tracker.records import CPT, ParsedRelease

if TYPE_CHECKING:
    from tracker.config import GuardSettings

_ADVICE = "(truncated or wrong file?); use --force if it is real"
_INSERT_ADVICE = "(wrong label or effective date?); use --force if it is real"


def _defaults() -> GuardSettings:
    """[guard] at its defaults: the config schema holds each limit's one default."""
    from tracker.config import GuardSettings  # tracker.config imports this module

    return GuardSettings()


@dataclass(frozen=True)
class Guard:
    """The mass-change guard's limits: refuse a release that lost too many codes.

    ``Guard()`` has [guard]'s defaults; ``GuardSettings.as_guard()`` the configured limits.
    """

    # fraction of the predecessor's codes
    max_drop: float = field(default_factory=lambda: _defaults().max_drop_percent / 100)
    # absolute floor for a HCPCS release
    min_codes: int = field(default_factory=lambda: _defaults().min_codes)
    # CMS terminates a code before it drops it; a file cut at a record boundary loses a run
    # of live codes instead (2018 -> 2020 removed 2 codes that way, 2017 -> 2018 none).
    max_removed: int = field(default_factory=lambda: _defaults().max_removed)


@dataclass(frozen=True)
class Previous:
    """What the guard needs of the release a new one follows (its predecessor once stored)."""

    label: str  # its label, named in a refusal
    codes: int  # how many codes it holds
    live: frozenset[str]  # its codes that carry no termination date


@dataclass(frozen=True)
class Following:
    """What the guard needs of the stored release a new one would precede (it is inserted
    between stored releases, or before the first): that release then follows the new one."""

    label: str  # its label, named in a refusal
    codes: frozenset[str]  # every code it holds


@dataclass(frozen=True)
class Verdict:
    """The guard's answer on one release file."""

    reason: str = ""  # why it is refused: one line naming the file; "" when it is accepted
    # An accepted release that lost live codes all the same, under the limit: one line to
    # show whoever imports it ("" when none vanished).
    warning: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def judge(release: ParsedRelease, previous: Previous | None, limits: Guard) -> Verdict:
    """Accept ``release`` or say why not: below the floor of codes (HCPCS), too many fewer
    codes than its predecessor, or too many of the predecessor's live codes gone (HCPCS)."""
    source, codes = release.source_name, len(release.records)
    if release.code_set != CPT and codes < limits.min_codes:
        return Verdict(
            f"{source}: only {codes} codes, below the floor of {limits.min_codes} {_ADVICE}"
        )
    if previous is None:
        return Verdict()
    drop = _drop(codes, previous, limits)
    if drop is not None:
        return Verdict(
            f"{source}: {codes} codes, {drop:.1f}% fewer than {previous.label} "
            f"({previous.codes}), over the {limits.max_drop:.0%} limit {_ADVICE}"
        )
    removed = _removed(release.code_set, _codes(release), previous)
    if len(removed) > limits.max_removed:
        return Verdict(
            f"{source}: {len(removed)} codes of {previous.label} vanish without a termination "
            f"date, over the limit of {limits.max_removed} {_ADVICE}"
        )
    return Verdict(warning=_vanished(source, removed, previous.label))


def judge_following(
    release: ParsedRelease, label: str, following: Following, limits: Guard
) -> Verdict:
    """Accept ``release``, stored as ``label``, as the new predecessor of ``following`` or say
    why not: the same limits, with ``following`` judged against it. A release slotted in by a
    wrong label or date would otherwise turn the next diff into mass deletions."""
    previous = Previous(label, len(release.records), _live(release))
    codes = len(following.codes)
    where = f"{release.source_name}: stored as {label}, it would precede {following.label}"
    drop = _drop(codes, previous, limits)
    if drop is not None:
        return Verdict(
            f"{where}, which has {codes} codes, {drop:.1f}% fewer than {label} "
            f"({previous.codes}), over the {limits.max_drop:.0%} limit {_INSERT_ADVICE}"
        )
    removed = _removed(release.code_set, following.codes, previous)
    if len(removed) > limits.max_removed:
        return Verdict(
            f"{where}, in which {len(removed)} codes of {label} vanish without a termination "
            f"date, over the limit of {limits.max_removed} {_INSERT_ADVICE}"
        )
    return Verdict()


def _drop(codes: int, previous: Previous, limits: Guard) -> float | None:
    """The percentage fewer codes than ``previous``, when it is over the limit."""
    if codes < previous.codes * (1 - limits.max_drop):
        return 100 * (previous.codes - codes) / previous.codes
    return None


def _removed(code_set: str, codes: frozenset[str], previous: Previous) -> list[str]:
    """The predecessor's live codes missing from ``codes``, sorted."""
    # CPT files carry no termination dates, so this rule has nothing to go on there.
    return [] if code_set == CPT else sorted(previous.live - codes)


_NAMED = 10  # vanished codes named in a warning (the diff lists them all)


def _vanished(source: str, removed: list[str], label: str) -> str:
    """The warning on codes that vanished under the limit: real, or a file cut at a record
    boundary (the 2020 file dropped G9976 and G9977 so; a cut file drops a run of them)."""
    if not removed:
        return ""
    named = ", ".join(removed[:_NAMED]) + (
        f" and {len(removed) - _NAMED} more" if len(removed) > _NAMED else ""
    )
    return (
        f"{source}: {len(removed)} code(s) of {label} vanish without a termination date "
        f"({named}); CMS terminates a code before it drops it: check that the file is whole"
    )


def _codes(release: ParsedRelease) -> frozenset[str]:
    return frozenset(r.code for r in release.records)


def _live(release: ParsedRelease) -> frozenset[str]:
    """Its codes that carry no termination date (as ``Previous.live``)."""
    return frozenset(r.code for r in release.records if not r.get("term_dt"))
