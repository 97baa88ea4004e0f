"""Domain values shared by every stage: records, release identity, diffs.

Frozen dataclasses only; storage models live in ``tracker.store``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

# A field holds text, or a tuple of texts for fields CMS repeats (PRICE1..4, XREF1..5, ...).
Value = str | tuple[str, ...]

HCPCS = "HCPCS"
CPT = "CPT"


@dataclass(frozen=True)
class Record:
    """One code of one release: its code and its fields, by layout name.

    Only fields with a value are held (most of a record's 26 fields are blank); ``get``
    answers "" for the others.
    """

    code: str
    fields: Mapping[str, Value]

    def get(self, name: str) -> Value:
        return self.fields.get(name, "")

    def text(self, name: str) -> str:
        value = self.get(name)
        return value if isinstance(value, str) else " ".join(value)


@dataclass(frozen=True)
class ReleaseInfo:
    """What identifies a release: code set, label, effective date and where it came from."""

    code_set: str
    label: str  # e.g. "2020", "2026-Q1", "2025-Q4.2" (a revision), "CPT-2026"
    effective: date
    revision: int
    source_name: str
    sha256: str
    kind: str = "annual"  # HCPCS: annual | quarterly; CPT: annual | category3 | pla | vaccine

    @property
    def base_label(self) -> str:
        return self.label if self.revision == 1 else self.label.rsplit(".", 1)[0]

    @property
    def series(self) -> tuple[str, str]:
        """Releases that follow one another. HCPCS annual and quarterly files form one line;
        each CPT kind is its own (the PLA file holds only PLA codes, so comparing it with the
        annual file would report every other code deleted)."""
        return (self.code_set, self.kind if self.code_set == CPT else "")


@dataclass(frozen=True)
class ParsedRelease:
    """A release file read into records, before it has a revision in the store."""

    code_set: str
    base_label: str
    effective: date
    source_name: str
    sha256: str
    records: tuple[Record, ...]
    kind: str = "annual"


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Value
    new: Value


@dataclass(frozen=True)
class Change:
    """One code that differs between two releases, in exactly one category."""

    code: str
    category: str  # added | deleted | discontinued | reactivated | changed
    action: str  # the new release's CMS action code ("" when the code is gone)
    description: str  # long description, new if present else old
    fields: tuple[FieldChange, ...] = ()
    reason: str | None = None  # deleted only: aged_out | removed


@dataclass(frozen=True)
class Diff:
    old: ReleaseInfo
    new: ReleaseInfo
    changes: tuple[Change, ...]
    summary: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Validators:
    """What is remembered per URL for a conditional GET, and which raw file it gave."""

    etag: str | None
    last_modified: str | None
    sha256: str
