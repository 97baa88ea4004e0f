"""The HCPCS Alpha-Numeric record layout, as data.

Positions are CMS's own 1-based, inclusive numbers from ``HCPCS20xx_recordlayout.txt``
(identical in the 2017, 2018, 2019 and 2026 layouts). A repeated field gives its first
occurrence and how many times it occurs back to back ("OCCURS MAX" in the layout).
``header`` is the column name in CMS's xlsx copy of the same file (``PRICE1``..``PRICE4``
for a repeated field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    start: int  # 1-based, inclusive, first occurrence
    end: int  # 1-based, inclusive, first occurrence
    occurs: int = 1
    header: str = ""

    @property
    def width(self) -> int:
        return self.end - self.start + 1

    def headers(self) -> tuple[str, ...]:
        if self.occurs == 1:
            return (self.header,)
        return tuple(f"{self.header}{i}" for i in range(1, self.occurs + 1))


RECORD_LENGTH = 320

FIELDS: tuple[Field, ...] = (
    Field("code", 1, 5, header="HCPC"),
    Field("seq_num", 6, 10, header="SEQNUM"),
    Field("rec_id", 11, 11, header="RECID"),
    Field("long_description", 12, 91, header="LONG DESCRIPTION"),
    Field("short_description", 92, 119, header="SHORT DESCRIPTION"),
    Field("price", 120, 121, occurs=4, header="PRICE"),
    Field("mult_pi", 128, 128, header="MULT_PI"),
    Field("cim", 129, 134, occurs=3, header="CIM"),
    Field("mcm", 147, 154, occurs=3, header="MCM"),
    Field("statute", 171, 180, header="STATUTE"),
    Field("labcert", 181, 183, occurs=8, header="LABCERT"),
    Field("xref", 205, 209, occurs=5, header="XREF"),
    Field("cov", 230, 230, header="COV"),
    Field("asc_grp", 231, 232, header="ASC_GRP"),
    Field("asc_dt", 233, 240, header="ASC_DT"),
    Field("opps", 241, 243, header="OPPS"),
    Field("opps_pi", 244, 244, header="OPPS_PI"),
    Field("opps_dt", 245, 252, header="OPPS_DT"),
    Field("procnote", 253, 256, header="PROCNOTE"),
    Field("betos", 257, 259, header="BETOS"),
    Field("tos", 261, 261, occurs=5, header="TOS"),
    Field("anest_bu", 266, 268, header="ANEST_BU"),
    Field("add_dt", 269, 276, header="ADD DT"),
    Field("act_eff_dt", 277, 284, header="ACT EFF DT"),
    Field("term_dt", 285, 292, header="TERM DT"),
    Field("action_cd", 293, 293, header="ACTION CD"),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)

# Record identification codes (position 11): 3/7 open a procedure/modifier record and carry
# the detail fields; 4/8 only continue its long description.
FIRST_LINE_IDS = frozenset("37")
CONTINUATION_IDS = frozenset("48")

# Positions 1-5: a procedure code, or a modifier with blanks in positions 1-3.
CODE_PATTERN = re.compile(r"[A-Z0-9]{5}|   [A-Z0-9]{2}")

# CMS resets these every release (sequence numbers, record ids, the action code and its date,
# which CMS has also bulk-reset on old codes), so a move in them alone is no change to a code.
NOT_COMPARED = frozenset({"seq_num", "rec_id", "action_cd", "act_eff_dt"})

# The action codes of field 30 of the layout.
ACTION_CODES = {
    "A": "Add procedure or modifier code",
    "B": "Change in both administrative data field and long description",
    "C": "Change in long description",
    "D": "Discontinue procedure or modifier code",
    "F": "Change in administrative data field",
    "N": "No maintenance for this code",
    "P": "Payment change",
    "R": "Re-activate discontinued/deleted procedure or modifier code",
    "S": "Change in short description",
    "T": "Miscellaneous change (BETOS, type of service)",
}
