from __future__ import annotations

from tests.make_samples import SAMPLES, sample_bytes


def test_the_bundled_samples_are_what_make_samples_writes() -> None:
    expected = sample_bytes()
    assert sorted(p.name for p in SAMPLES.glob("*.txt")) == sorted(expected)
    for name, data in expected.items():
        assert (SAMPLES / name).read_bytes() == data, name
