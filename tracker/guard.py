"""The mass-change guard: refuse a release file that looks truncated or wrong.

A broken file must never turn into a report that codes were deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.errors import GuardError
from tracker.records import CPT

if TYPE_CHECKING:
    from tracker.store import StoredRelease


@dataclass(frozen=True)
class Guard:
    """The mass-change guard: refuse a release that lost too many codes."""

    max_drop: float = 0.10  # fraction of the predecessor's codes
    min_codes: int = 1000  # absolute floor for a HCPCS release
    # CMS terminates a code before it drops it; a file cut at a record boundary loses a run
    # of live codes instead (2018 -> 2020 removed 2 codes that way, 2017 -> 2018 none).
    max_removed: int = 50

    def check(
        self,
        source: str,
        codes: int,
        code_set: str,
        before: StoredRelease | None,
        removed: int = 0,
    ) -> None:
        if code_set != CPT and codes < self.min_codes:
            raise GuardError(
                f"{source}: only {codes} codes, below the floor of {self.min_codes} "
                "(truncated or wrong file?); use --force if it is real"
            )
        if before is not None and codes < before.codes * (1 - self.max_drop):
            drop = 100 * (before.codes - codes) / before.codes
            raise GuardError(
                f"{source}: {codes} codes, {drop:.1f}% fewer than {before.info.label} "
                f"({before.codes}), over the {self.max_drop:.0%} limit "
                "(truncated or wrong file?); use --force if it is real"
            )
        if removed > self.max_removed:
            raise GuardError(
                f"{source}: {removed} codes of {before.info.label if before else '?'} vanish "
                f"without a termination date, over the limit of {self.max_removed} "
                "(truncated or wrong file?); use --force if it is real"
            )
