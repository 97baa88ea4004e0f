"""Questions asked of one code, or of every code, across the stored releases: a code's whole
life (`history`), its record and validity on a date of service (`show`), and every code valid
on a date (`codes`).

Validity reads the code's latest stored record: CMS's latest word across every stored release,
so a retroactive addition counts; ``known_in`` answers with what one release knew instead
(``tracker.validity``). These answer for HCPCS: CPT files carry no add or termination dates.
"""

from __future__ import annotations

from datetime import date

from tracker.errors import NotFoundError, UsageError
from tracker.life import Life, Shown, standing_of
from tracker.query import code_history
from tracker.query.registry import HCPCS_SERIES, Registry
from tracker.records import HCPCS, Record, ReleaseInfo
from tracker.store import Store
from tracker.validity import VALID, Known, validity


def code_life(store: Store, code: str) -> Life:
    """Everything the store says about the code: each change, where it stands in the newest
    release of its series, and its successors when it ended."""
    entries = tuple(code_history(store, code))  # NotFoundError: in no stored release
    registry = Registry(store, entries[-1].release.info.series)
    standing = standing_of(registry.timeline(code))
    successors = registry.successors(code) if standing.ended else ()
    return Life(code, entries, standing, successors)


def show(
    store: Store, code: str, on: date, *, release: str | None = None, known_in: str | None = None
) -> Shown:
    """The code's record and whether it was valid on ``on``: its latest stored record, or
    its record in ``release``, or the latest up to ``known_in``."""
    if release is not None and known_in is not None:
        raise UsageError("--release names the record, --known-in the release known: give one")
    if release is not None:
        registry = Registry(store)
        info, record = _in_release(store, registry, code, release)
        source = "release"
    else:
        registry = Registry(store, known_in=known_in)
        found = registry.last(code)
        if found is None:
            up_to = f" up to {known_in}" if known_in else ""
            raise NotFoundError(f"code {code!r} is in no stored {HCPCS} release{up_to}")
        info, record = found
        source = "known_in" if known_in else "latest"
    # Its latest record, or one removed without a termination date ending at its removal
    # (G9976): the record of the release asked for is taken as that release had it.
    known = Known.of(record, info.label) if release is not None else registry.known(code)
    answer = validity(code, on, known, registry.coverage)
    standing = standing_of(registry.timeline(code))
    successors = registry.successors(code) if standing.ended else ()
    return Shown(record, info, source, answer, standing, successors)


def _in_release(
    store: Store, registry: Registry, code: str, label: str
) -> tuple[ReleaseInfo, Record]:
    info = store.catalog.release(label).info  # NotFoundError: no such release
    if info.series != HCPCS_SERIES:
        raise UsageError(f"release {label} is {info.code_set}: show reads {HCPCS} releases")
    record = dict(registry.timeline(code)).get(info)
    if record is None:
        raise NotFoundError(f"code {code!r} is not in release {label}")
    return info, record


def valid_codes(store: Store, on: date, *, known_in: str | None = None) -> list[Known]:
    """Every code valid on ``on`` by its latest stored record (or the latest up to
    ``known_in``), by code."""
    registry = Registry(store, known_in=known_in)
    coverage = registry.coverage
    if coverage is None:
        raise NotFoundError(f"no {HCPCS} release is stored; import one with `tracker import`")
    if on < coverage.first:
        raise NotFoundError(
            f"no release that old is stored: the oldest took effect {coverage.first}, after {on}"
        )
    if on > coverage.last:
        # A list to load into a billing system must not hold codes a later release ended.
        raise NotFoundError(
            f"no release that new is stored: the newest, {coverage.newest}, speaks for dates "
            f"up to {coverage.last}; import a later release, or ask for a date up to then"
        )
    registry.load_all()
    found = (registry.known(code) for code in registry.codes())
    return [
        k
        for k in found
        if k is not None and validity(k.record.code, on, k, coverage).status == VALID
    ]
