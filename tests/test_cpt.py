"""CPT import: every format, folder and ZIP input, combination per code, every refusal.

All codes and descriptors are invented (CPT text is licensed): tests/fixtures/cpt/.
"""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest

from tracker.cpt.read import cpt_category, read_cpt, release_label
from tracker.errors import InputError, UsageError
from tracker.records import ParsedRelease, Record

FIXTURES = Path(__file__).parent / "fixtures" / "cpt"
PACKAGE = FIXTURES / "cpt2026"
DATA_FILES = (
    "ClinicianDescriptor.txt",
    "ConsumerDescriptor.txt",
    "LONGULT.txt",
    "MEDU.txt",
    "SHORTU.txt",
)

LONG = {
    "99990": "Invented procedure alpha, first of its kind",
    "0999T": "Invented emerging technology beta",
    "0999U": "Invented proprietary lab analysis gamma",
    "0999F": "Invented performance measure delta",
    "0999A": "Invented immunization administration epsilon",
    "9Z": "Invented modifier zeta",
}

PACKAGE_RECORDS = (
    Record("0999A", {"category": "I", "long_descriptor": LONG["0999A"]}),
    Record("0999F", {"category": "II", "long_descriptor": LONG["0999F"]}),
    Record(
        "0999T",
        {
            "category": "III",
            "long_descriptor": LONG["0999T"],
            "medium_descriptor": "INVENTED EMERGING TECHNOLOGY BETA",
            "short_descriptor": "INV TECH BETA",
            "consumer_descriptor": "An invented new technology check",
            "clinician_descriptors": ("Invented technology beta, initial",),
        },
    ),
    Record("0999U", {"category": "PLA", "long_descriptor": LONG["0999U"]}),
    Record(
        "99990",
        {
            "category": "I",
            "long_descriptor": LONG["99990"],
            "medium_descriptor": "INVENTED PROCEDURE ALPHA FIRST",
            "short_descriptor": "INV PROC ALPHA",
            "consumer_descriptor": "An invented procedure used for testing",
            "clinician_descriptors": (
                "Invented procedure alpha, left side",
                "Invented procedure alpha, right side",
            ),
        },
    ),
    Record(
        "9Z",
        {
            "category": "modifier",
            "long_descriptor": LONG["9Z"],
            "medium_descriptor": "INVENTED MODIFIER ZETA",
        },
    ),
)


def sha256_of(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        digest.update(path.read_bytes())
    return digest.hexdigest()


PACKAGE_SHA = sha256_of(*(PACKAGE / name for name in DATA_FILES))


def package_release(source_name: str) -> ParsedRelease:
    return ParsedRelease(
        code_set="CPT",
        base_label="CPT-2026",
        effective=date(2026, 1, 1),
        source_name=source_name,
        sha256=PACKAGE_SHA,
        records=PACKAGE_RECORDS,
        kind="annual",
    )


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def zip_of(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def refusal(paths: list[Path], **kwargs: object) -> str:
    with pytest.raises(InputError) as caught:
        read_cpt(paths, **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


# --- categories and labels -----------------------------------------------------------------


def test_cpt_category_reads_the_code_form() -> None:
    codes = ["99990", "0999T", "0999U", "0999F", "0999A", "0999M", "9Z", "Z9", "99"]
    codes += ["US", "0999B", "9999", "999900", "0999t", ""]
    assert {code: cpt_category(code) for code in codes} == {
        "99990": "I",
        "0999T": "III",
        "0999U": "PLA",
        "0999F": "II",
        "0999A": "I",
        "0999M": "MAAA",
        "9Z": "modifier",
        "Z9": "modifier",
        "99": "modifier",
        "US": None,
        "0999B": None,
        "9999": None,
        "999900": None,
        "0999t": None,
        "": None,
    }


def test_release_labels_per_kind() -> None:
    assert [
        release_label(2026, "annual", date(2026, 1, 1)),
        release_label(2026, "category3", date(2026, 1, 1)),
        release_label(2026, "category3", date(2026, 7, 1)),
        release_label(2026, "pla", date(2026, 1, 1)),
        release_label(2026, "pla", date(2026, 4, 1)),
        release_label(2026, "pla", date(2026, 12, 31)),
        release_label(2026, "vaccine", date(2026, 3, 15)),
    ] == [
        "CPT-2026",
        "CPT-2026-CAT3-H1",
        "CPT-2026-CAT3-H2",
        "CPT-2026-PLA-Q1",
        "CPT-2026-PLA-Q2",
        "CPT-2026-PLA-Q4",
        "CPT-2026-VACCINE-2026-03-15",
    ]


# --- the AMA data package: folder, ZIP, single files -----------------------------------------


def test_folder_combines_every_data_file_per_code_and_skips_the_rest() -> None:
    assert read_cpt([PACKAGE], year=2026) == package_release("cpt2026")


def test_zip_gives_the_same_release_and_hash_as_the_folder(tmp_path: Path) -> None:
    members = {f"CPT 2026/{p.name}": p.read_bytes() for p in sorted(PACKAGE.iterdir())}
    members["__MACOSX/CPT 2026/._LONGULT.txt"] = b"\x00\x05\x16\x07 resource fork"
    archive = zip_of(tmp_path / "cpt-data-2026.zip", members)
    assert read_cpt([archive], year=2026) == package_release("cpt-data-2026.zip")


def test_the_same_files_given_one_by_one_in_any_order_hash_the_same() -> None:
    files = [PACKAGE / name for name in reversed(DATA_FILES)]
    expected = package_release(", ".join(DATA_FILES))
    assert read_cpt(files, year=2026) == expected
    assert read_cpt(files[::-1] + files[:1], year=2026) == expected  # a repeat is read once


def test_longult_alone() -> None:
    assert read_cpt([PACKAGE / "LONGULT.txt"], year=2026).records == tuple(
        Record(code, {"category": category, "long_descriptor": LONG[code]})
        for code, category in (
            ("0999A", "I"),
            ("0999F", "II"),
            ("0999T", "III"),
            ("0999U", "PLA"),
            ("99990", "I"),
            ("9Z", "modifier"),
        )
    )


def test_medu_and_shortu_fixed_lines(tmp_path: Path) -> None:
    medu = read_cpt([PACKAGE / "MEDU.txt"], year=2026).records
    short = write(tmp_path / "SHORTU.txt", "0999t INV TECH BETA\n\n99990\tINV PROC ALPHA\n")
    assert (medu, read_cpt([short], year=2026).records) == (
        (
            Record(
                "0999T",
                {"category": "III", "medium_descriptor": "INVENTED EMERGING TECHNOLOGY BETA"},
            ),
            Record(
                "99990", {"category": "I", "medium_descriptor": "INVENTED PROCEDURE ALPHA FIRST"}
            ),
            Record("9Z", {"category": "modifier", "medium_descriptor": "INVENTED MODIFIER ZETA"}),
        ),
        (
            Record("0999T", {"category": "III", "short_descriptor": "INV TECH BETA"}),
            Record("99990", {"category": "I", "short_descriptor": "INV PROC ALPHA"}),
        ),
    )


def test_consumer_and_clinician_files_find_columns_by_header(tmp_path: Path) -> None:
    consumer = write(
        tmp_path / "consumer.txt",
        "Invented block for CPT 2026\n"
        "CPT Code\tConcept Id\tConsumer Friendly Descriptor\n"
        "99990\t1\tAn invented procedure used for testing\n"
        "99990\t1\tAn invented procedure used for testing\n",
    )
    clinician = write(
        tmp_path / "clinician.tsv",
        "Concept Id\tCPT Code\tClinician Descriptor Id\tClinician Descriptor\n"
        "1\t0999T\t3\tInvented beta, second\n"
        "1\t0999T\t4\tInvented beta, first\n"
        "1\t0999T\t5\tInvented beta, first\n",
    )
    assert read_cpt([consumer, clinician], year=2026).records == (
        Record(
            "0999T",
            {
                "category": "III",
                "clinician_descriptors": ("Invented beta, first", "Invented beta, second"),
            },
        ),
        Record(
            "99990",
            {"category": "I", "consumer_descriptor": "An invented procedure used for testing"},
        ),
    )


def test_csv_with_header_derives_the_pla_quarter() -> None:
    assert read_cpt([FIXTURES / "pla.csv"], year=2026, kind="pla") == ParsedRelease(
        code_set="CPT",
        base_label="CPT-2026-PLA-Q2",
        effective=date(2026, 4, 1),
        source_name="pla.csv",
        sha256=sha256_of(FIXTURES / "pla.csv"),
        records=(
            Record(
                "0997U",
                {
                    "category": "PLA",
                    "long_descriptor": "Invented proprietary lab analysis theta",
                    "effective": "2026-04-01",
                },
            ),
            Record(
                "0998U",
                {
                    "category": "PLA",
                    "long_descriptor": "Invented proprietary lab analysis eta",
                    "effective": "2026-04-01",
                },
            ),
        ),
        kind="pla",
    )


def test_headerless_csv_of_vaccine_codes() -> None:
    release = read_cpt([FIXTURES / "vaccine.csv"], year=2026, kind="vaccine")
    assert (release.base_label, release.effective, release.records) == (
        "CPT-2026-VACCINE-2026-03-15",
        date(2026, 3, 15),
        (
            Record(
                "0997A",
                {
                    "category": "I",
                    "long_descriptor": "Invented immunization administration kappa",
                    "effective": "2026-03-15",
                },
            ),
            Record(
                "0998A",
                {
                    "category": "I",
                    "long_descriptor": "Invented immunization administration iota",
                    "effective": "2026-03-15",
                },
            ),
        ),
    )


def test_csv_without_effective_column_and_given_effective(tmp_path: Path) -> None:
    csv_file = write(tmp_path / "cat3.csv", "CPT Code,Description\n0999T,Invented beta\n")
    release = read_cpt([csv_file], year=2026, kind="category3", effective=date(2026, 7, 1))
    assert (release.base_label, release.effective, release.kind, release.records) == (
        "CPT-2026-CAT3-H2",
        date(2026, 7, 1),
        "category3",
        (Record("0999T", {"category": "III", "long_descriptor": "Invented beta"}),),
    )


def test_per_code_effective_dates_kept_when_effective_given(tmp_path: Path) -> None:
    csv_file = write(
        tmp_path / "vaccine.csv",
        "code,descriptor,effective date\n0998A,Invented iota,2026-03-15\n0997A,Invented kappa,\n",
    )
    release = read_cpt([csv_file], year=2026, kind="vaccine", effective=date(2026, 3, 1))
    assert (release.base_label, release.records) == (
        "CPT-2026-VACCINE-2026-03-01",
        (
            Record("0997A", {"category": "I", "long_descriptor": "Invented kappa"}),
            Record(
                "0998A",
                {"category": "I", "long_descriptor": "Invented iota", "effective": "2026-03-15"},
            ),
        ),
    )


def test_annual_effective_defaults_to_january_even_with_csv_dates(tmp_path: Path) -> None:
    csv_file = write(tmp_path / "extra.csv", "99990,Invented alpha,2026-03-15\n")
    assert read_cpt([csv_file], year=2026).effective == date(2026, 1, 1)


def test_cp1252_and_utf8_bom_text(tmp_path: Path) -> None:
    longult = write(
        tmp_path / "LONGULT.txt",
        "CPT\u00ae 2026 invented block\n99990\tInvented caf\u00e9 alpha\n",
        "cp1252",
    )
    medu = write(tmp_path / "MEDU.txt", "\ufeff99990 INVENTED CAF\u00c9 ALPHA\n")
    assert read_cpt([longult, medu], year=2026).records == (
        Record(
            "99990",
            {
                "category": "I",
                "long_descriptor": "Invented caf\u00e9 alpha",
                "medium_descriptor": "INVENTED CAF\u00c9 ALPHA",
            },
        ),
    )


def test_identical_duplicates_across_files_are_fine(tmp_path: Path) -> None:
    csv_file = write(tmp_path / "more.csv", f"code,descriptor\n9Z,{LONG['9Z']}\n")
    release = read_cpt([PACKAGE / "LONGULT.txt", csv_file], year=2026)
    assert release.records[-1] == Record(
        "9Z", {"category": "modifier", "long_descriptor": "Invented modifier zeta"}
    )


def test_dates_in_names_are_not_the_cpt_year(tmp_path: Path) -> None:
    folder = tmp_path / "cpt_2026_released_2025-09-01"
    write(folder / "LONGULT_20250901.txt", "99990\tInvented alpha\n")
    assert read_cpt([folder], year=2026).base_label == "CPT-2026"


def test_copyright_year_is_not_the_edition(tmp_path: Path) -> None:
    longult = write(tmp_path / "LONGULT.txt", "Copyright 2025 Example Org\n99990\tInvented alpha\n")
    assert read_cpt([longult], year=2026).base_label == "CPT-2026"


# --- refusals ------------------------------------------------------------------------------


def test_no_recognisable_codes(tmp_path: Path) -> None:
    longult = write(tmp_path / "LONGULT.txt", "CPT 2026 invented block only\n\n")
    assert refusal([longult], year=2026) == f"{longult}: no recognisable CPT codes"


def test_csv_with_header_only_has_no_codes(tmp_path: Path) -> None:
    csv_file = write(tmp_path / "empty.csv", "code,descriptor\n")
    assert refusal([csv_file], year=2026) == f"{csv_file}: no recognisable CPT codes"


def test_year_contradicted_by_the_copyright_block(tmp_path: Path) -> None:
    longult = write(tmp_path / "LONGULT.txt", "CPT(R) 2025 invented block\n99990\tInvented alpha\n")
    assert refusal([longult], year=2026) == (
        f"{longult}: the copyright block says CPT 2025 but --year is 2026: "
        "give --year 2025 or the CPT 2026 files"
    )


def test_year_contradicted_by_the_block_of_a_descriptor_table(tmp_path: Path) -> None:
    table = write(
        tmp_path / "consumer.txt",
        "CPT 2025 invented\n"
        "Concept Id\tCPT Code\tConsumer Friendly Descriptor\n"
        "1\t99990\tInvented\n",
    )
    assert refusal([table], year=2026) == (
        f"{table}: the copyright block says CPT 2025 but --year is 2026: "
        "give --year 2025 or the CPT 2026 files"
    )


def test_year_contradicted_by_the_folder_name() -> None:
    assert refusal([PACKAGE], year=2025) == (
        f"{PACKAGE}: the name says 2026 but --year is 2025: give --year 2026 or the 2025 files"
    )


def test_year_contradicted_by_the_zip_name(tmp_path: Path) -> None:
    archive = zip_of(tmp_path / "cpt2025.zip", {"LONGULT.txt": b"99990\tInvented alpha\n"})
    assert refusal([archive], year=2026) == (
        f"{archive}: the name says 2025 but --year is 2026: give --year 2025 or the 2026 files"
    )


def test_year_contradicted_by_a_member_folder(tmp_path: Path) -> None:
    archive = zip_of(tmp_path / "cpt.zip", {"2025/LONGULT.txt": b"99990\tInvented alpha\n"})
    assert refusal([archive], year=2026) == (
        f"{archive}:2025/LONGULT.txt: the name says 2025 but --year is 2026: "
        "give --year 2025 or the 2026 files"
    )


def test_year_contradicted_by_the_file_name(tmp_path: Path) -> None:
    longult = write(tmp_path / "LONGULT2025.txt", "99990\tInvented alpha\n")
    assert refusal([longult], year=2026) == (
        f"{longult}: the name says 2025 but --year is 2026: give --year 2025 or the 2026 files"
    )


def test_year_contradicted_by_csv_effective_dates(tmp_path: Path) -> None:
    csv_file = write(tmp_path / "pla.csv", "0998U,Invented eta,2025-10-01\n")
    assert refusal([csv_file], year=2026, kind="pla") == (
        "pla.csv: the effective dates say 2025-10-01 but --year is 2026: "
        "give --year 2025 or the 2026 files"
    )


def test_conflicting_duplicate_in_one_file(tmp_path: Path) -> None:
    longult = write(
        tmp_path / "LONGULT.txt",
        "99990\tInvented alpha\n99990\tInvented alpha\n"
        "0999T\tInvented beta\n99990\tInvented other\n",
    )
    assert refusal([longult], year=2026) == (
        f"{longult}: line 4: code 99990 has a second, different long descriptor "
        "(first on line 1); keep one"
    )


def test_conflicting_duplicate_in_a_consumer_file(tmp_path: Path) -> None:
    table = write(
        tmp_path / "consumer.txt",
        "Concept Id\tCPT Code\tConsumer Friendly Descriptor\n1\t99990\tInvented\n2\t99990\tOther\n",
    )
    assert refusal([table], year=2026) == (
        f"{table}: line 3: code 99990 has a second, different consumer descriptor "
        "(first on line 2); keep one"
    )


def test_conflicting_duplicate_effective_in_a_csv(tmp_path: Path) -> None:
    csv_file = write(tmp_path / "v.csv", "0998A,Invented,2026-03-15\n0998A,Invented,2026-03-16\n")
    assert refusal([csv_file], year=2026) == (
        f"{csv_file}: line 2: code 0998A has a second, different effective date "
        "(first on line 1); keep one"
    )


def test_conflicting_descriptors_of_the_same_kind_across_files(tmp_path: Path) -> None:
    csv_file = write(tmp_path / "more.csv", "code,descriptor\n9Z,Invented modifier other\n")
    assert refusal([PACKAGE / "LONGULT.txt", csv_file], year=2026) == (
        f"{csv_file}: code 9Z has a different long descriptor in {PACKAGE / 'LONGULT.txt'}; "
        "drop or fix one of the files"
    )


def test_conflicting_clinician_sets_across_files(tmp_path: Path) -> None:
    header = "Concept Id\tCPT Code\tClinician Descriptor Id\tClinician Descriptor\n"
    first = write(tmp_path / "a" / "clinician.txt", header + "1\t99990\t1\tInvented left\n")
    second = write(tmp_path / "b" / "clinician.txt", header + "1\t99990\t2\tInvented right\n")
    assert refusal([first, second], year=2026) == (
        f"{second}: code 99990 has a different set of clinician descriptors in {first}; "
        "drop or fix one of the files"
    )


def test_unknown_format(tmp_path: Path) -> None:
    other = write(tmp_path / "codes.txt", "99990\tInvented alpha\n")
    assert refusal([other], year=2026) == (
        f"{other}: unknown format; expected LONGULT.txt, MEDU.txt, SHORTU.txt, a consumer or "
        "clinician descriptor file (tab-separated, header with 'CPT Code') or a CSV with code "
        "and descriptor columns"
    )


def test_csv_without_code_columns_is_unknown(tmp_path: Path) -> None:
    other = write(tmp_path / "list.csv", "name,value\nalpha,1\n")
    assert refusal([other], year=2026).startswith(f"{other}: unknown format; expected LONGULT.txt")


def test_table_header_without_descriptor_column_is_unknown(tmp_path: Path) -> None:
    other = write(tmp_path / "table.txt", "Concept Id\tCPT Code\n1\t99990\n")
    assert refusal([other], year=2026).startswith(f"{other}: unknown format; expected LONGULT.txt")


def test_workbook(tmp_path: Path) -> None:
    book = write(tmp_path / "clinician.xlsx", "PK\x03\x04 invented")
    assert refusal([book], year=2026) == (
        f"{book}: workbooks are not read; save the sheet as CSV (code, descriptor)"
    )


def test_folder_without_data_files(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    write(folder / "ReadMe.txt", "Invented read-me\n")
    assert refusal([folder], year=2026) == (
        f"{folder}: holds no CPT data file; expected LONGULT.txt, MEDU.txt, SHORTU.txt, a "
        "consumer or clinician descriptor file (tab-separated, header with 'CPT Code') or a "
        "CSV with code and descriptor columns"
    )


def test_damaged_zip(tmp_path: Path) -> None:
    archive = write(tmp_path / "cpt.zip", "PK\x03\x04 cut short")
    assert (
        refusal([archive], year=2026) == f"{archive}: is not a readable ZIP (truncated or damaged?)"
    )


def test_unsafe_zip_member(tmp_path: Path) -> None:
    archive = zip_of(tmp_path / "cpt.zip", {"../LONGULT.txt": b"99990\tInvented alpha\n"})
    assert refusal([archive], year=2026) == (
        f"{archive}: holds an unsafe member name '../LONGULT.txt'; refusing to unpack it"
    )


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "LONGULT.txt"
    assert refusal([missing], year=2026) == f"{missing}: no such file or folder"


def test_bad_line_after_the_data_starts(tmp_path: Path) -> None:
    longult = write(tmp_path / "LONGULT.txt", "99990\tInvented alpha\nstray text\n")
    assert refusal([longult], year=2026) == (
        f"{longult}: line 2: expected a CPT code, a tab and a descriptor, got 'stray text'"
    )


def test_bad_code_in_a_table(tmp_path: Path) -> None:
    table = write(
        tmp_path / "consumer.txt",
        "Concept Id\tCPT Code\tConsumer Friendly Descriptor\n1\tX999\tInvented\n",
    )
    assert refusal([table], year=2026) == f"{table}: line 2: 'X999' is not a CPT code"


def test_short_row_in_a_table(tmp_path: Path) -> None:
    table = write(
        tmp_path / "consumer.txt", "Concept Id\tCPT Code\tConsumer Friendly Descriptor\n1\t99990\n"
    )
    assert refusal([table], year=2026) == (
        f"{table}: line 2: expected 3 tab-separated columns, got 2"
    )


def test_missing_descriptor_in_a_csv(tmp_path: Path) -> None:
    csv_file = write(tmp_path / "x.csv", "code,descriptor\n99990,\n")
    assert refusal([csv_file], year=2026) == f"{csv_file}: line 2: code 99990 has no descriptor"


def test_bad_effective_date_in_a_csv(tmp_path: Path) -> None:
    csv_file = write(tmp_path / "x.csv", "code,descriptor,effective\n99990,Invented,soon\n")
    assert refusal([csv_file], year=2026) == (
        f"{csv_file}: line 2: effective date 'soon' is not YYYY-MM-DD or MM/DD/YYYY"
    )


def test_text_in_no_known_encoding(tmp_path: Path) -> None:
    longult = tmp_path / "LONGULT.txt"
    longult.write_bytes(b"99990\tInvented \x81 alpha\n")
    assert refusal([longult], year=2026) == (
        f"{longult}: is neither UTF-8 nor Windows-1252 text; save it as UTF-8"
    )


def test_other_members_of_a_folder_are_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "pkg"
    folder.mkdir()
    shutil.copy(PACKAGE / "LONGULT.txt", folder)
    (folder / "binary.txt").write_bytes(b"\x81\x81")
    write(folder / "AMA license 2019.txt", "Invented licence text, another year, skipped.\n")
    assert len(read_cpt([folder], year=2026).records) == 6


# --- argument errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"kind": "quarterly"},
            "unknown CPT kind 'quarterly'; use one of annual, category3, pla, vaccine",
        ),
        (
            {"effective": date(2025, 12, 1)},
            "--effective 2025-12-01 is not in --year 2026: "
            "a CPT release belongs to the year it takes effect",
        ),
        (
            {"kind": "pla"},
            "LONGULT.txt: a pla release needs --effective DATE (e.g. 2026-04-01); "
            "the files carry no single effective date",
        ),
        (
            {"kind": "category3"},
            "LONGULT.txt: a category3 release needs --effective DATE (e.g. 2026-07-01); "
            "the files carry no single effective date",
        ),
    ],
)
def test_arguments_that_contradict(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        read_cpt([PACKAGE / "LONGULT.txt"], year=2026, **kwargs)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_vaccine_csv_with_differing_dates_needs_effective(tmp_path: Path) -> None:
    csv_file = write(tmp_path / "v.csv", "0998A,Invented,2026-03-15\n0997A,Invented,2026-05-01\n")
    with pytest.raises(UsageError) as caught:
        read_cpt([csv_file], year=2026, kind="vaccine")
    assert str(caught.value) == (
        "v.csv: a vaccine release needs --effective DATE (e.g. 2026-03-01); "
        "the files carry no single effective date"
    )


def test_no_paths() -> None:
    with pytest.raises(UsageError) as caught:
        read_cpt([], year=2026)
    assert str(caught.value) == "give the CPT data files, their folder or the AMA ZIP to import"


def test_utf16_text_saved_by_excel(tmp_path: Path) -> None:
    table = write(
        tmp_path / "consumer.txt",
        "Concept Id\tCPT Code\tConsumer Friendly Descriptor\r\n1\t0999U\tInvented gamma\r\n",
        "utf-16",
    )
    assert read_cpt([table], year=2026).records == (
        Record("0999U", {"category": "PLA", "consumer_descriptor": "Invented gamma"}),
    )
