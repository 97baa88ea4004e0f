"""A ZIP holding the text and the workbook copy: both are read, and every disagreement kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.anweb import anweb_text, anweb_workbook, workbook_row
from tests.release_files import write_zip
from tests.test_parse import J_FIELDS, J_RECORD, MOD_FIELDS, MODIFIER
from tracker.config import SourceSettings
from tracker.errors import InputError
from tracker.hcpcs.copies import compare_copies
from tracker.hcpcs.read import read_release
from tracker.records import CopyDisagreement, Record

UNPACKED = SourceSettings().max_unpacked_bytes
ZIP_NAME = "april-2026-alpha-numeric-hcpcs-file.zip"
TEXT = "HCPC2026_APR_ANWEB_v2.txt"
BOOK = "HCPC2026_APR_ANWEB_v2.xlsx"
# CMS's workbook keeps double spaces the text loses at a wrap (C9754, G0417 in January 2026).
J_BOOK = dict(
    J_FIELDS, long_description=str(J_FIELDS["long_description"]).replace(" 10 mg", "  10 mg")
)
A_FIELDS = dict(MOD_FIELDS, long_description="Another invented procedure")


def _zip(tmp_path: Path, members: dict[str, bytes]) -> Path:
    return write_zip(tmp_path / ZIP_NAME, members)


def test_copies_that_agree_give_no_disagreement(tmp_path: Path) -> None:
    text = anweb_text([("ZX", MOD_FIELDS), ("J9999", J_FIELDS)])
    book = anweb_workbook([workbook_row("ZX", MOD_FIELDS), workbook_row("J9999", J_BOOK)])
    parsed = read_release(_zip(tmp_path, {TEXT: text, BOOK: book}), max_unpacked=UNPACKED)
    assert parsed.records == (MODIFIER, J_RECORD)
    assert parsed.disagreements == ()
    assert parsed.source_name == f"{ZIP_NAME}:{TEXT}"


def test_records_come_from_the_text_and_every_disagreement_is_kept(tmp_path: Path) -> None:
    text = anweb_text([("ZX", MOD_FIELDS), ("J9999", J_FIELDS), ("A0001", A_FIELDS)])
    book = anweb_workbook(
        [
            workbook_row("ZX", MOD_FIELDS),
            # January 2026's two kinds: C9248's PRICE3 "11" in the workbook only, and 117
            # action effective dates left blank in the workbook.
            workbook_row("J9999", dict(J_BOOK, price=("51", "", "57", "11"), act_eff_dt="")),
            workbook_row("B0002", A_FIELDS),
        ]
    )
    parsed = read_release(_zip(tmp_path, {TEXT: text, BOOK: book}), max_unpacked=UNPACKED)
    assert [r.code for r in parsed.records] == ["ZX", "J9999", "A0001"]
    assert parsed.records[1] == J_RECORD
    assert parsed.disagreements == (
        CopyDisagreement("A0001", "code", "A0001", ""),
        CopyDisagreement("B0002", "code", "", "B0002"),
        CopyDisagreement("J9999", "price", ("51", "", "57"), ("51", "", "57", "11")),
        CopyDisagreement("J9999", "act_eff_dt", "20250101", ""),
    )


def test_a_workbook_alone_in_a_zip_gives_the_records(tmp_path: Path) -> None:
    book = anweb_workbook([workbook_row("ZX", MOD_FIELDS)])
    parsed = read_release(
        _zip(tmp_path, {BOOK: book, "proc_notes_APR2026.txt": b"notes"}), max_unpacked=UNPACKED
    )
    assert (parsed.records, parsed.disagreements, parsed.source_name) == (
        (MODIFIER,),
        (),
        f"{ZIP_NAME}:{BOOK}",
    )


def test_a_bad_workbook_copy_refuses_the_release_naming_the_member(tmp_path: Path) -> None:
    text = anweb_text([("ZX", MOD_FIELDS)])
    book = anweb_workbook([workbook_row("ZX", MOD_FIELDS), workbook_row("ZX", MOD_FIELDS)])
    path = _zip(tmp_path, {TEXT: text, BOOK: book})
    with pytest.raises(InputError) as err:
        read_release(path, max_unpacked=UNPACKED)
    assert str(err.value) == f"{path}:{BOOK}: row 3: code ZX appears twice"


def test_the_legacy_xls_copy_is_read_too(tmp_path: Path) -> None:
    # 2020's ZIP holds HCPC2020_ANWEB_w_disclaimer.xls beside the text (read for real in
    # tests/test_conformance.py; nothing here writes BIFF, so this one is damaged).
    xls = "HCPC2020_ANWEB_w_disclaimer.xls"
    path = _zip(tmp_path, {TEXT: anweb_text([("ZX", MOD_FIELDS)]), xls: b"\xd0\xcf\x11\xe0"})
    with pytest.raises(InputError) as err:
        read_release(path, max_unpacked=UNPACKED)
    assert str(err.value) == f"{path}:{xls}: is not a readable workbook (Cannot detect file format)"


def test_two_workbook_copies_are_refused(tmp_path: Path) -> None:
    book = anweb_workbook([workbook_row("ZX", MOD_FIELDS)])
    members = {TEXT: anweb_text([("ZX", MOD_FIELDS)]), BOOK: book, "HCPC2026_APR_ANWEB.xls": book}
    path = _zip(tmp_path, members)
    with pytest.raises(InputError) as err:
        read_release(path, max_unpacked=UNPACKED)
    assert str(err.value) == (
        f"{path}: several ANWEB data files in ZIP: HCPC2026_APR_ANWEB.xls, {BOOK}"
    )


def test_compare_folds_white_space_and_drops_seqnums_last_digit() -> None:
    text = Record("J9999", {"seq_num": "00105", "long_description": "Two  spaces", "tos": ("1",)})
    book = Record("J9999", {"seq_num": "00100", "long_description": "Two spaces", "tos": ("1",)})
    assert compare_copies([text], [book]) == ()
    other = Record("J9999", {"seq_num": "00200", "long_description": "Two", "tos": ("1", "P")})
    assert compare_copies([text], [other]) == (
        CopyDisagreement("J9999", "seq_num", "00105", "00200"),
        CopyDisagreement("J9999", "long_description", "Two  spaces", "Two"),
        CopyDisagreement("J9999", "tos", ("1",), ("1", "P")),
    )
