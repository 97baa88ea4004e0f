"""What the stored releases of one code set say of each code, as of one release: each code's
record release by release, read from the store as asked and each code once.

Successors and validity need a few codes' records (a diff's successors) or every code's
(a claims file): ``load`` reads the versions of the codes named, ``load_all`` every version
at once. "As of one release" is the difference between valid time and knowledge time: by
default the registry holds every stored release (CMS's latest word); ``known_in`` stops at
one release, to answer with what it knew.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from tracker.errors import UsageError
from tracker.life import Timeline, span_start, standing_of
from tracker.records import CPT, HCPCS, Diff, Record, ReleaseInfo, Successor
from tracker.store import Store
from tracker.store.codebook import (
    codes_by_id,
    release_members,
    versions_by_id,
    versions_of_codes,
)
from tracker.successors import Lineage, cms_successors, lineage, successors_of
from tracker.validity import Coverage, Known, removal

ENDING = ("deleted", "discontinued")  # the diff categories whose codes get successors
HCPCS_SERIES = (HCPCS, "")  # the HCPCS annual and quarterly files form one series


class Registry:
    """Each code's record in each release of one series (HCPCS by default; each CPT kind is
    its own), up to ``known_in`` (default: the newest)."""

    def __init__(
        self, store: Store, series: tuple[str, str] = HCPCS_SERIES, *, known_in: str | None = None
    ) -> None:
        code_set = series[0]
        stored = [r.info for r in store.catalog.releases(code_set) if r.info.series == series]
        if known_in is not None:
            labels = [info.label for info in stored]
            if known_in not in labels:
                other = store.catalog.release(known_in).info  # NotFoundError: no such release
                raise UsageError(
                    f"release {known_in} is {other.code_set} {other.kind}, not {code_set}"
                )
            stored = stored[: labels.index(known_in) + 1]
        self._store = store
        self.releases: tuple[ReleaseInfo, ...] = tuple(stored)
        members = release_members(store, code_set)
        self._members = tuple(members.get(info.label, frozenset()) for info in stored)
        self._versions: dict[str, Mapping[int, Record]] = {}
        self._complete = False
        self._spans: dict[str, Lineage] = {}  # by span start: the codes added since, indexed
        self._effective = {info.label: info.effective for info in stored}

    @property
    def newest(self) -> ReleaseInfo | None:
        return self.releases[-1] if self.releases else None

    @property
    def coverage(self) -> Coverage | None:
        """The dates of service these releases speak for (None: none stored)."""
        return Coverage.of([(info.label, info.effective) for info in self.releases])

    def load(self, codes: Iterable[str]) -> None:
        """Read the versions of these codes, those not read yet, in one pass."""
        wanted = set(codes).difference(self._versions)
        if self._complete or not wanted:
            return
        found = versions_of_codes(self._store, wanted)
        for code in wanted:
            self._versions[code] = found.get(code, {})

    def load_all(self) -> None:
        """Read every version of every release at once (a claims file asks about any code)."""
        if not self._complete:
            self._versions = dict(versions_by_id(self._store, frozenset().union(*self._members)))
            self._complete = True

    def codes(self) -> list[str]:
        """Every code read so far (all of them after ``load_all``), sorted."""
        return sorted(code for code, versions in self._versions.items() if versions)

    def timeline(self, code: str) -> Timeline:
        """The code's record in each release, oldest first (None: absent from it)."""
        self.load([code])
        versions = self._versions.get(code, {})
        return tuple(
            (info, next((r for id_, r in versions.items() if id_ in ids), None))
            for info, ids in zip(self.releases, self._members, strict=True)
        )

    def last(self, code: str) -> tuple[ReleaseInfo, Record] | None:
        """The code's latest record and the release it is in; None: in no release."""
        versions = self._versions.get(code) if self._complete else None
        if versions is None:
            self.load([code])
            versions = self._versions.get(code, {})
        for info, ids in zip(reversed(self.releases), reversed(self._members), strict=True):
            for id_, record in versions.items():
                if id_ in ids:
                    return info, record
        return None

    def known(self, code: str) -> Known | None:
        """The code's latest record as ``validity`` takes it. A code that a later release no
        longer holds, although its last record was never terminated, was removed: usable up
        to the day before that release took effect (CMS terminates a code before it drops
        it; G9976 and G9977 vanished after 2018 without a termination date)."""
        found = self.last(code)
        if found is None:
            return None
        info, record = found
        labels = [r.label for r in self.releases]
        return removal(Known.of(record, info.label), labels, self._effective)

    def newest_record(self, code: str) -> Record | None:
        found = self.last(code)
        return found[1] if found is not None and found[0] == self.newest else None

    def lineage(self, ended: Iterable[Record], added: Iterable[Record]) -> Lineage:
        """What the successors of these ended records are looked up in: ``added`` are the
        codes added over the same span (a diff's "added" category)."""
        return self._follow(lineage({}, {}, added), ended)

    def successors(self, code: str) -> tuple[Successor, ...]:
        """What replaces the code, read from its last record, when it has ended (else none).
        Inferred ones are looked for among the codes added from the last release in which it
        was live to the newest: the span a diff of those two would cover."""
        timeline = self.timeline(code)
        found = self.last(code)
        if found is None or not standing_of(timeline).ended:
            return ()
        start = span_start(timeline)
        if start.label not in self._spans:
            self._spans[start.label] = lineage({}, {}, self._added_since(start))
        return successors_of(found[1], self._follow(self._spans[start.label], [found[1]]))

    def _follow(self, base: Lineage, ended: Iterable[Record]) -> Lineage:
        """``base`` with the newest and last records of every code the successors of
        ``ended`` lead to, chains followed: one read per link of the longest chain."""
        seen: set[str] = set()
        frontier = list(ended)
        while frontier:
            named = {c for r in frontier for c in (*cms_successors(r), *base.inferred(r))}
            codes = named - seen
            self.load(codes)
            seen |= codes
            # As ``successors`` does: a successor ended in the newest release (or aged out of
            # it after a termination) is followed to its own successors.
            frontier = [r for c in codes if (r := self._latest(c)) and r.text("term_dt")]
        newest = {c: r for c in seen if (r := self.newest_record(c)) is not None}
        last = {c: found[1] for c in seen if (found := self.last(c)) is not None}
        return replace(base, newest=newest, last=last)

    def _latest(self, code: str) -> Record | None:
        found = self.last(code)
        return found[1] if found is not None else None

    def _added_since(self, start: ReleaseInfo) -> tuple[Record, ...]:
        """The codes the newest release holds and ``start`` does not: what a diff of the two
        would call added."""
        old_ids, new_ids = self._members[self.releases.index(start)], self._members[-1]
        fresh, gone = new_ids - old_ids, old_ids - new_ids
        codes = codes_by_id(self._store, fresh | gone)
        old_codes = {codes[i] for i in gone if i in codes}
        added = [i for i in fresh if i in codes and codes[i] not in old_codes]
        return tuple(self._store.catalog.records_by_ids(added).values())


def with_successors(
    store: Store, diff: Diff, old: Mapping[str, Record], new: Mapping[str, Record]
) -> Diff:
    """The diff with the successors of each deleted and discontinued code, read from its last
    record (the old one of a deleted code, the new one of a discontinued code), each with its
    status in the newest stored release. ``old`` and ``new`` hold at least the records of the
    changed codes. The store is read only when some code ended."""
    if diff.new.code_set == CPT:
        # CPT files carry no cross-references, nor the long and short descriptions compared.
        return diff
    ended = {
        c.code: old[c.code] if c.category == "deleted" else new[c.code]
        for c in diff.changes
        # A transient addition ended too (C9484 -> J1428): its successors matter as much.
        if c.category in ENDING or c.explanation == "transient"
    }
    if not ended:
        return diff
    added = [new[c.code] for c in diff.changes if c.category == "added"]
    known = Registry(store, diff.new.series).lineage(ended.values(), added)
    changes = tuple(
        replace(c, successors=successors_of(ended[c.code], known)) if c.code in ended else c
        for c in diff.changes
    )
    return replace(diff, changes=changes)
