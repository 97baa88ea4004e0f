"""Settings: a TOML file (``--config``, ``TRACKER_CONFIG`` or ``./tracker.toml``) over defaults.

Every setting is documented in ``config.example.toml``. Sections the core does not read itself
(``[source]``, ``[email]``, ``[schedule]``, ``[cpt]``) are kept as tables for their stage.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tracker.errors import ConfigError
from tracker.guard import Guard
from tracker.store import default_db_url

DEFAULT_CONFIG_NAME = "tracker.toml"
SECTIONS = ("store", "guard", "source", "reports", "schedule", "email", "cpt")
# The keys of the sections read here; the others are checked by their stage.
_CORE_KEYS = {
    "store": ("data_dir", "db"),
    "guard": ("max_drop_percent", "min_codes", "max_removed"),
    "reports": ("directory", "report_since"),
}


@dataclass(frozen=True)
class Config:
    path: Path | None
    data_dir: Path
    db_url: str
    guard: Guard
    reports_dir: Path
    report_since: date | None
    tables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def table(self, name: str) -> Mapping[str, Any]:
        return self.tables.get(name, {})


def load_config(
    path: Path | None,
    *,
    db: str | None = None,
    environ: Mapping[str, str] = os.environ,
    today: date | None = None,
) -> Config:
    """Read the config; ``db`` (``--db``) beats ``TRACKER_DB`` beats ``[store] db``."""
    if path is None and environ.get("TRACKER_CONFIG"):
        path = Path(environ["TRACKER_CONFIG"])
    if path is None and Path(DEFAULT_CONFIG_NAME).is_file():
        path = Path(DEFAULT_CONFIG_NAME)
    raw = _read(path) if path is not None else {}
    for name in raw:
        if name not in SECTIONS:
            raise ConfigError(f"{path}: unknown section [{name}]; known: {', '.join(SECTIONS)}")
    for name, keys in _CORE_KEYS.items():
        for key in raw.get(name, {}):
            if key not in keys:
                raise ConfigError(f"{path}: [{name}] unknown key {key!r}; known: {', '.join(keys)}")
    store = raw.get("store", {})
    data_dir = Path(_get(path, store, "store", "data_dir", str, "snapshots"))
    db_url = db or environ.get("TRACKER_DB") or _get(path, store, "store", "db", str, "")
    guard_table = raw.get("guard", {})
    drop = _get(path, guard_table, "guard", "max_drop_percent", (int, float), 10)
    guard = Guard(
        max_drop=_in_range(path, "guard", "max_drop_percent", drop, 0, 100) / 100,
        min_codes=_in_range(
            path, "guard", "min_codes", _get(path, guard_table, "guard", "min_codes", int, 1000), 0
        ),
        max_removed=_in_range(
            path,
            "guard",
            "max_removed",
            _get(path, guard_table, "guard", "max_removed", int, 50),
            0,
        ),
    )
    reports = raw.get("reports", {})
    since = reports.get("report_since")
    if since is not None and not isinstance(since, date):
        raise ConfigError(f"{path}: [reports] report_since must be a date like 2026-01-01")
    return Config(
        path=path,
        data_dir=data_dir,
        db_url=db_url or default_db_url(data_dir),
        guard=guard,
        reports_dir=Path(
            _get(path, reports, "reports", "directory", str, str(data_dir / "reports"))
        ),
        report_since=since or (today or date.today()) - timedelta(days=365),
        tables=raw,
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found; copy config.example.toml") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    for name, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: {name} must be a [{name}] table")
    return data


def _get(
    path: Path | None, table: Mapping[str, Any], section: str, key: str, kind: Any, default: Any
) -> Any:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ConfigError(f"{path}: [{section}] {key} has the wrong type ({value!r})")
    return value


def _in_range(
    path: Path | None, section: str, key: str, value: Any, low: float, high: float | None = None
) -> Any:
    if value < low or (high is not None and value > high):
        limit = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ConfigError(f"{path}: [{section}] {key} must be {limit} (not {value!r})")
    return value
