from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracker.store import Store

SHARED_CMS = Path(__file__).resolve().parents[1].parent / "shared" / "cms"
FIXED_NOW = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh database per test, with a fixed clock."""
    s = Store(f"sqlite:///{tmp_path / 'test.db'}", clock=lambda: FIXED_NOW)
    yield s
    s.close()


def shared_cms() -> Path:
    if not SHARED_CMS.is_dir():
        pytest.skip(
            f"real CMS files not found at {SHARED_CMS} "
            "(the ../shared/cms folder beside the checkout)"
        )
    return SHARED_CMS
