"""The one ingest path: read release files, then guard and store them in the release order.

`tracker import` and `tracker cpt import` take ``policy="all"``: one transaction, all of the
files or none, the first failure raised. `tracker check` takes ``policy="each"``: one
transaction per file, failures collected, so one bad release does not hold back the others.

Whatever the path, a release's identity must hold together before it is stored: its label and
effective date agree, its records are not those of a release stored under another label, and
it is guarded against the releases on both sides of where it goes (``_store``).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from tracker.errors import GuardError, TrackerError, UsageError
from tracker.guard import Guard, judge, judge_following
from tracker.hcpcs.identity import file_identity, label_period
from tracker.hcpcs.read import read_release
from tracker.order import incoming_order
from tracker.records import CPT, ParsedRelease

if TYPE_CHECKING:  # the store is imported when a release is stored: the files can be read
    # before, or while, the lock is taken and the database opened
    from tracker.store import Batch, ImportResult, Plan, Store, StoredRelease

log = logging.getLogger(__name__)

Policy = Literal["all", "each"]  # all or none in one transaction | each file on its own
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class ReleaseFile:
    """A HCPCS release file to read, and what is known of it before reading."""

    path: Path
    label: str | None = None  # overrides the label its names say (``identity.file_identity``)
    effective: date | None = None  # overrides the effective date its name says
    name: str | None = None  # its real name (a download is kept as raw/<sha256>.zip)
    source: str | None = None  # how messages name it (the URL); default: the path


@dataclass(frozen=True)
class Storing:
    """How releases are stored."""

    guard: Guard | None  # None: no guard (a test's own release)
    # Store what the guard or the identity checks refuse (--force): a label and effective date
    # that disagree, the same records as a release under another label.
    force: bool = False
    released: date | None = None  # CPT: when the AMA released the files (--released)
    reported: bool = True  # False: a check stores it, and reports it later
    run_id: int | None = None  # the check storing it: its ledger entry records each release
    # The effective date given by hand (--effective, one release): a release already stored
    # under another date is refused, not passed over as "already imported".
    effective: date | None = None


def import_files(
    store: Store,
    paths: Sequence[Path],
    *,
    guard: Guard,
    max_unpacked: int,
    label: str | None = None,
    effective: date | None = None,
    force: bool = False,
) -> list[ImportResult]:
    """`tracker import`: read every file, then store them all in one transaction, in the
    release order, so that each is guarded against its real predecessor and a bad one leaves
    nothing behind."""
    parsed = read_files(
        [ReleaseFile(p, label, effective) for p in paths], max_unpacked=max_unpacked
    )
    return store_releases(store, parsed, Storing(guard, force, effective=effective))


def read_files(
    files: Sequence[ReleaseFile],
    *,
    max_unpacked: int,
    policy: Policy = "all",
    failures: list[str] | None = None,
) -> list[ParsedRelease]:
    """Read each file; under ``policy="each"`` a file that cannot be read goes to
    ``failures`` and the others are still read."""
    with _collector_paused():
        return _apply(lambda f: _read(f, max_unpacked), files, policy, failures)


def store_releases(
    store: Store,
    parsed: Sequence[ParsedRelease],
    how: Storing,
    *,
    policy: Policy = "all",
    failures: list[str] | None = None,
) -> list[ImportResult]:
    """Guard and store releases, oldest first in the release order: under ``policy="all"``
    in one transaction (a failure stores none of them), under ``"each"`` one transaction per
    release (a failure goes to ``failures`` and the others are stored)."""
    ordered = sorted(parsed, key=incoming_order)
    with _collector_paused():
        if policy == "each":
            return _apply(lambda p: store_one(store, p, how), ordered, policy, failures)
        with store.catalog.batch() as batch:
            return [_store(batch, p, how) for p in ordered]


def store_one(store: Store, parsed: ParsedRelease, how: Storing) -> ImportResult:
    """Guard and store one release in its own transaction."""
    with store.catalog.batch() as batch:
        return _store(batch, parsed, how)


def insertion_note(result: ImportResult) -> str:
    """What storing a release did to the diffs of the releases around it: "" when it went
    last in its series (or was already stored)."""
    if result.status != "imported" or result.successor is None:
        return ""
    new, after = result.release.info.label, result.successor.info.label
    if result.predecessor is None:
        return f"inserted before {after}: {after} is now diffed against {new}"
    before = result.predecessor.info.label
    return (
        f"inserted between {before} and {after}: the diff {before} -> {after} is now "
        f"{before} -> {new} -> {after}"
    )


def _store(batch: Batch, parsed: ParsedRelease, how: Storing) -> ImportResult:
    """A new release or a new revision of its label, guarded against the releases it goes
    between; or the newest revision of its label, when that holds the same content."""
    from tracker.store import ImportResult

    if not how.force:
        _check_dates(parsed)
    plan = batch.plan(parsed)
    if plan.stored is not None:
        _check_effective(parsed, plan.stored, how.effective)
        return ImportResult("already", plan.stored, batch.predecessor(plan.stored.info))
    if not how.force:
        _check_twin(parsed, plan, batch.holding(parsed.code_set, plan.digest))
    before, after = batch.predecessor(plan.info), batch.successor(plan.info)
    warning = ""
    if how.guard is not None and not how.force:
        warning = _guard(batch, parsed, plan, (before, after), how.guard)
    stored = batch.add(
        parsed, plan, released=how.released, reported=how.reported, run_id=how.run_id
    )
    if warning:
        log.warning("%s", warning)  # on stderr, or in a check's log
    return ImportResult("imported", stored, before, after)


def _check_dates(parsed: ParsedRelease) -> None:
    """A HCPCS label and effective date must agree: the date falls in the label's quarter
    (``identity.label_period``). `--label 2026-Q2 --effective 2019-01-01` would slot the
    release years away from where it belongs."""
    if parsed.code_set == CPT:
        return  # a CPT label is its year, and each kind takes effect on its own day
    start, end = label_period(parsed.base_label)
    if not start <= parsed.effective <= end:
        raise UsageError(
            f"{parsed.source_name}: label {parsed.base_label} and effective date "
            f"{parsed.effective} disagree: {parsed.base_label} takes effect on {start} (or "
            f"later in its quarter, up to {end}); correct --label or --effective, or use "
            "--force if both are right"
        )


def _check_effective(parsed: ParsedRelease, stored: StoredRelease, given: date | None) -> None:
    if given is not None and given != stored.info.effective:
        raise TrackerError(
            f"{parsed.source_name}: already imported as {stored.info.label}, effective "
            f"{stored.info.effective}, not {given}; to change its date, "
            f"`tracker remove {stored.info.label} --yes` and import it again"
        )


def _check_twin(parsed: ParsedRelease, plan: Plan, holding: Sequence[StoredRelease]) -> None:
    """Refuse the records of a release stored under another label: a wrong file or label.

    Except the annual file and the January quarter of one year: CMS posts both, effective
    January 1, and the quarter may repeat the annual file record for record. Both are kept,
    each under its own label, so that each is where CMS's page says and the April quarter
    has its predecessor whichever of the two one imports.
    """
    for other in holding:
        label = other.info.base_label
        if label != parsed.base_label and not _annual_and_january(label, parsed.base_label):
            raise GuardError(
                f"{parsed.source_name}: same records as {other.info.label} "
                f"({other.info.source_name}): a wrong file or label? use --force to store "
                f"them as {plan.info.label} too"
            )


def _annual_and_january(one: str, other: str) -> bool:
    return f"{one}-Q1" == other or f"{other}-Q1" == one


def _guard(
    batch: Batch,
    parsed: ParsedRelease,
    plan: Plan,
    around: tuple[StoredRelease | None, StoredRelease | None],
    limits: Guard,
) -> str:
    """Guard the release against the one it follows, and the one that follows it (if it is
    inserted before a stored release) against it: each becomes the other's diff. Returns the
    warning on the codes that vanished under the limit ("" when none did)."""
    before, after = around
    verdict = judge(parsed, batch.previous(before) if before is not None else None, limits)
    warning = verdict.warning
    if verdict.ok and after is not None:
        verdict = judge_following(parsed, plan.info.label, batch.following(after), limits)
    if not verdict.ok:
        raise GuardError(verdict.reason)
    return warning


def _read(file: ReleaseFile, max_unpacked: int) -> ParsedRelease:
    label = file.label
    if label is None:
        # The label comes from the one rule downloads and the drop folder go by too.
        named = file_identity(file.path, file.name)
        if named is not None:
            if named.warning:
                log.warning("%s: %s", file.source or file.path, named.warning)
            label = named.identity.label
    return read_release(
        file.path, label=label, effective=file.effective, name=file.name,
        source=file.source, max_unpacked=max_unpacked,
    )  # fmt: skip


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused, then restored as it was.

    Reading and storing a release make some 200,000 objects (fields, records, their JSON)
    that live until it is stored and hold no reference cycles. Each time enough of them pile
    up the collector walks every object in the process, SQLAlchemy's included: about a tenth
    of an import's time, for nothing to collect.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _apply(
    step: Callable[[T], R], items: Sequence[T], policy: Policy, failures: list[str] | None
) -> list[R]:
    """``step`` over ``items``: under "all" the first failure is raised; under "each" every
    failure goes to ``failures`` and the rest go on."""
    if policy == "all":
        return [step(item) for item in items]
    if failures is None:
        raise ValueError('policy "each" needs a failures list to collect them in')
    done = []
    for item in items:
        try:
            done.append(step(item))
        except TrackerError as exc:
            failures.append(str(exc))
    return done
