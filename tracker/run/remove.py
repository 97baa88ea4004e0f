"""`tracker remove LABEL --yes`: take a release imported by mistake out of the store.

The release goes, with its copy disagreements and the record versions no other release holds;
its raw file (``<data>/raw/<sha256>.*``) stays as evidence. The removal is an entry in the run
ledger, so `tracker runs` says who took what out and when. Call it under the database's lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tracker.store import Store, StoredRelease


@dataclass(frozen=True)
class Removal:
    """A release taken out, with the releases on either side of it in its series."""

    release: StoredRelease  # as it was stored
    predecessor: StoredRelease | None  # the release it followed
    successor: StoredRelease | None  # the release that followed it

    @property
    def effect(self) -> str:
        """What its going does to the diffs around it ("" when it was last in its series)."""
        if self.successor is None:
            return ""
        gone, after = self.release.info.label, self.successor.info.label
        if self.predecessor is None:
            return f"{after} has no predecessor any more"
        before = self.predecessor.info.label
        return f"the diff {before} -> {gone} -> {after} becomes {before} -> {after}"


def describe(release: StoredRelease) -> str:
    """A release in one line: ``2026-Q2 (HCPCS quarterly, effective ..., N codes, from F)``."""
    info = release.info
    return (
        f"{info.label} ({info.code_set} {info.kind}, effective {info.effective}, "
        f"{release.codes} codes, from {info.source_name})"
    )


def plan_removal(store: Store, label: str) -> Removal:
    """What removing ``label`` would take out and change; NotFoundError if it is not stored."""
    release = store.catalog.release(label)
    return Removal(
        release, store.catalog.predecessor(release.info), store.catalog.successor(release.info)
    )


def remove_release(store: Store, label: str, *, trigger: str = "manual") -> Removal:
    """Remove a release and record it in the run ledger (a failure is recorded too)."""
    removal = plan_removal(store, label)
    run_id = store.ledger.start(trigger, kind="remove")
    try:
        store.catalog.remove(label)
    except Exception as exc:
        store.ledger.finish(run_id, outcome="failed", error=f"{type(exc).__name__}: {exc}")
        raise
    note = "; ".join(filter(None, [f"removed {describe(removal.release)}", removal.effect]))
    store.ledger.finish(run_id, outcome="ok", note=note)
    return removal


def raw_files(raw_dir: Path, sha256: str) -> list[Path]:
    """The raw copies of a release's file (a download, or a file from the drop folder)."""
    return sorted(raw_dir.glob(f"{sha256}.*")) if raw_dir.is_dir() else []
