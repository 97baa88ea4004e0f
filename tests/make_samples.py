"""Writes the three sample releases bundled for `tracker demo` (invented content, real format).

Run `python -m tests.make_samples` after changing them; tests/test_samples.py checks that the
bundled files are in step with this script.
"""

from __future__ import annotations

from pathlib import Path

from tests.anweb import anweb_text

SAMPLES = Path(__file__).resolve().parents[1] / "tracker" / "samples"

DISCLAIMER = "Sample HCPCS release for the tracker demo: invented codes, real record layout.\r\n"

_BASE: dict[str, dict[str, object] | None] = {  # None: not in the 2025 base
    "AQ": {
        "long_description": "Sample modifier: service provided in a sample area",
        "short_description": "Sample area modifier",
        "cov": "C",
        "add_dt": "20200101",
        "act_eff_dt": "20200101",
        "action_cd": "N",
    },
    "A9901": {
        "long_description": "Sample dressing, sterile, per 16 square inches",
        "short_description": "Sample dressing 16 sq in",
        "price": ("35",),
        "mult_pi": "A",
        "cov": "C",
        "betos": "D1A",
        "tos": ("P",),
        "add_dt": "20200101",
        "act_eff_dt": "20200101",
        "action_cd": "N",
    },
    "A9902": {
        "long_description": "Sample catheter, each",
        "short_description": "Sample catheter",
        "price": ("37",),
        "mult_pi": "A",
        "cov": "C",
        "betos": "D1A",
        "tos": ("P",),
        "add_dt": "20200101",
        "act_eff_dt": "20200101",
        "action_cd": "N",
    },
    "E9901": {
        "long_description": "Sample walker, folding, each",
        "short_description": "Sample walker",
        "price": ("32",),
        "mult_pi": "A",
        "cov": "C",
        "add_dt": "20150101",
        "act_eff_dt": "20210101",
        "term_dt": "20201231",
        "action_cd": "N",
    },
    "G9901": {
        "long_description": "Sample care management service, first 30 minutes",
        "short_description": "Sample care mgmt 30 min",
        "price": ("11",),
        "mult_pi": "A",
        "cov": "C",
        "betos": "M5B",
        "tos": ("1",),
        "add_dt": "20250101",
        "act_eff_dt": "20250101",
        "action_cd": "A",
    },
    "J9901": {
        "long_description": "Injection, sampledrug, 1 mg",
        "short_description": "Inj sampledrug 1 mg",
        "price": ("51",),
        "mult_pi": "A",
        "cov": "C",
        "opps_pi": "K",
        "betos": "O1E",
        "tos": ("1", "P"),
        "add_dt": "20230101",
        "act_eff_dt": "20230101",
        "action_cd": "N",
    },
    "K9901": {
        "long_description": "Sample wheelchair accessory, each",
        "short_description": "Sample wc accessory",
        "price": ("34",),
        "mult_pi": "A",
        "cov": "C",
        "add_dt": "20190101",
        "act_eff_dt": "20190101",
        "action_cd": "N",
    },
    "L9901": {
        "long_description": "Sample orthosis, custom fabricated",
        "short_description": "Sample orthosis custom",
        "price": ("38",),
        "mult_pi": "A",
        "cov": "C",
        "add_dt": "20180101",
        "act_eff_dt": "20241231",
        "term_dt": "20241231",
        "action_cd": "D",
    },
    "Q9901": None,
}


Records = list[tuple[str, dict[str, object]]]


def _release(
    changes: dict[str, dict[str, object] | None], before: Records | None = None
) -> Records:
    """The release before (default: the 2025 base) with these codes changed, added or gone."""
    base = dict(before) if before is not None else {c: v for c, v in _BASE.items() if v}
    merged = {code: dict(values) for code, values in base.items()}
    for code, update in changes.items():
        if update is None:
            merged.pop(code, None)
        else:
            merged[code] = {**merged.get(code, {}), **update}
    return sorted(merged.items(), key=lambda item: (len(item[0]) != 2, item[0]))


RELEASES = {
    "HCPC2025_ANWEB_SAMPLE.txt": _release({}),
    "HCPC2025_APR_ANWEB_SAMPLE.txt": _release(
        {
            "G9901": {"action_cd": "N", "act_eff_dt": "20250401"},
            "A9902": {"term_dt": "20250331", "act_eff_dt": "20250401", "action_cd": "D"},
            "E9901": None,
            "K9901": None,
            "L9901": {"term_dt": "", "act_eff_dt": "20250401", "action_cd": "R"},
            "J9901": {
                "long_description": "Injection, sampledrug (brand sample), 1 mg",
                "act_eff_dt": "20250401",
                "action_cd": "C",
            },
            "Q9901": {
                "long_description": "Sample skin substitute, per square centimeter",
                "short_description": "Sample skin sub per sq cm",
                "price": ("51",),
                "mult_pi": "A",
                "cov": "C",
                "opps_pi": "N",
                "betos": "D1E",
                "tos": ("1",),
                "add_dt": "20250401",
                "act_eff_dt": "20250401",
                "action_cd": "A",
            },
        }
    ),
}
RELEASES["HCPC2025_JUL_ANWEB_SAMPLE.txt"] = _release(
    {
        "A9902": {"action_cd": "N"},
        "L9901": {"action_cd": "N"},
        "J9901": {
            "short_description": "Inj sampledrug brand 1 mg",
            "price": ("51", "57"),
            "mult_pi": "D",
            "act_eff_dt": "20250701",
            "action_cd": "P",
        },
        "Q9901": {"action_cd": "N"},
        "C9901": {
            "long_description": "Sample percutaneous procedure with imaging guidance, "
            "including all "
            "imaging supervision and interpretation, when performed, and sample device "
            "placement, each additional segment (list separately in addition to code for "
            "primary procedure)",
            "short_description": "Sample perc proc w/imaging",
            "price": ("00",),
            "mult_pi": "9",
            "cov": "C",
            "opps": "J1",
            "opps_pi": "N",
            "betos": "P5C",
            "tos": ("1",),
            "add_dt": "20250701",
            "act_eff_dt": "20250701",
            "action_cd": "A",
        },
        "AQ": {
            "long_description": "Sample modifier: service provided in a sample shortage area",
            "act_eff_dt": "20250701",
            "action_cd": "C",
        },
        "G9901": {"act_eff_dt": "20250701"},
    },
    RELEASES["HCPC2025_APR_ANWEB_SAMPLE.txt"],
)


def sample_bytes() -> dict[str, bytes]:
    return {
        name: anweb_text(records, disclaimer=DISCLAIMER)  # type: ignore[arg-type]
        for name, records in RELEASES.items()
    }


if __name__ == "__main__":
    SAMPLES.mkdir(exist_ok=True)
    for name, data in sample_bytes().items():
        (SAMPLES / name).write_bytes(data)
        print(f"wrote {SAMPLES / name}")
