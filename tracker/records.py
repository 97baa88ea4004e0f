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
class CopyDisagreement:
    """A field on which the text and workbook copies in one release ZIP disagree.

    A code in one copy only is a disagreement on the field "code": that copy's value is the
    code, the other's "".
    """

    code: str
    field: str  # a layout field name (tracker.hcpcs.layout), e.g. "price"
    text: Value  # what the text copy says ("" for a blank field)
    workbook: Value  # what the workbook copy says ("" for a blank field)


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
    # Where a ZIP's text and workbook copies disagree; records come from the text. Empty for
    # a file with one copy.
    disagreements: tuple[CopyDisagreement, ...] = ()


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Value
    new: Value


@dataclass(frozen=True)
class Change:
    """One code that differs between two releases, in exactly one category, reconciled with
    what CMS's own record says about it (``tracker.reconcile``)."""

    code: str
    category: str  # added | deleted | discontinued | reactivated | changed
    action: str  # the new release's CMS action code ("" when the code is gone)
    description: str  # long description, new if present else old
    fields: tuple[FieldChange, ...] = ()
    reason: str | None = None  # deleted only: aged_out | removed
    # How CMS's claims explain the change (tracker.reconcile.EXPLANATIONS); None for CPT,
    # whose files carry no action codes or dates.
    explanation: str | None = None
    # The code's lifecycle dates, from the new record (the old one for a deleted code).
    added: date | None = None  # ADD DT: the first date the code may be used
    action_effective: date | None = None  # ACT EFF DT: when the action code took effect
    terminated: date | None = None  # TERM DT: the last date the code may be used
    # What replaces an ended (deleted or discontinued) code: CMS's cross references first,
    # then codes added over the same span with the same description (tracker.successors).
    successors: tuple[Successor, ...] = ()
    # Where the text and workbook copies of either release disagree on this code.
    copies_disagree: tuple[CopyDisagreement, ...] = ()


@dataclass(frozen=True)
class Successor:
    """One code that replaces an ended code, with its status in the newest release."""

    code: str  # a HCPCS or CPT code, a modifier (QM), or the word "CPT" (see CPT)
    source: str  # "cms" (the ended code's XREF fields) or "inferred" (same description)
    # In the newest release: "active", "ended" (it has a termination date, or it aged out of
    # the files after one) or "unknown" (never stored, e.g. a CPT code). None for "CPT".
    status: str | None
    terminated: date | None  # its termination date when ended, else None
    range: str | None = None  # the range CMS wrote ("A4216-A4218") when the code came from one
    next: tuple[Successor, ...] = ()  # when ended: its own successors, followed in turn
    cycle: tuple[str, ...] = ()  # its successors not followed: already on this chain
    # Its add date (ADD DT): from when it may be billed. An inferred successor can come years
    # after the code it replaces (G2134 -> M1291, added 2024-01-01). Not compared: it is read
    # from the same record as the status, so it tells nothing new about equality.
    added: date | None = field(default=None, compare=False)
    # Its long description, from that same record ("" without one: a CPT code, the word "CPT"):
    # what it is, billing unit included, which can differ from the ended code's (J2400 "per
    # 30 ml" -> J2401 "per 1 mg"). Not compared, as ``added``: read from the same record.
    description: str = field(default="", compare=False)

    @property
    def ends(self) -> tuple[str, ...]:
        """Where each chain from here ends: this code, or the ends of its successors."""
        if not self.next:
            return (self.code,)
        return tuple(dict.fromkeys(end for s in self.next for end in s.ends))


@dataclass(frozen=True)
class Claim:
    """A change CMS claims for a code (action letter and date) that no compared field shows."""

    code: str
    action: str  # the action code: any letter but N
    action_effective: date | None  # its date, after the old release took effect


@dataclass(frozen=True)
class Diff:
    """Every code that differs between two releases of one code set."""

    old: ReleaseInfo
    new: ReleaseInfo
    changes: tuple[Change, ...]  # sorted by code
    summary: Mapping[str, int] = field(default_factory=dict)  # changes per category
    explanations: Mapping[str, int] = field(default_factory=dict)  # changes per explanation
    claimed_only: tuple[Claim, ...] = ()  # CMS's claims with no field change, listed apart


@dataclass(frozen=True)
class WatchedChange:
    """A change to a code an organisation watches, with the watchlist's own columns."""

    change: Change
    columns: Mapping[str, str]  # e.g. description, department, price from the chargemaster


@dataclass(frozen=True)
class Impact:
    """What one diff does to one watchlist (an organisation's own codes)."""

    watchlist: str  # its name (`tracker watch add NAME FILE`)
    watched: int  # how many codes it holds
    changes: tuple[WatchedChange, ...]  # the watched codes the diff touches, by code
    unknown: tuple[str, ...] = ()  # watched codes in no stored release: typos, or CPT


@dataclass(frozen=True)
class Validators:
    """What is remembered per URL for a conditional GET, and which raw file it gave."""

    etag: str | None
    last_modified: str | None
    sha256: str
