"""Settings: one typed schema, validated once, on load.

The file is ``--config``, else ``TRACKER_CONFIG``, else ``./tracker.toml``; without one, every
setting keeps its default. Each ``[section]`` is a frozen dataclass below, and each key is
declared once, with ``setting()``: its one default, its converter, its allowed range or choices
and a doc. ``load_config`` walks those declarations, so every key is checked the same way and a
bad value stops any command with one line naming the file, the section and the key (exit 2).
``config.example.toml`` is generated from the same declarations: ``python -m tracker.config``.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import textwrap
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from tracker.errors import ConfigError
from tracker.guard import Guard

DEFAULT_CONFIG_NAME = "tracker.toml"
MB = 1_000_000  # [source] sizes are in megabytes of 10**6 bytes
MonthDay = tuple[int, int]


# --- kinds: one converter per kind of value --------------------------------------------------


class Refused(Exception):
    """A value a converter does not take, or a rule across keys broken (``key`` names the key
    to blame); the message says what was expected instead."""

    def __init__(self, problem: str, *, key: str | None = None) -> None:
        super().__init__(problem)
        self.key = key


@dataclass(frozen=True)
class Spec:
    """How one key is read: its converter, its limits and its doc (a ``setting`` field)."""

    doc: str  # a sentence or two for config.example.toml
    kind: Kind
    low: float | None = None  # numbers: at least this
    high: float | None = None  # numbers: at most this
    above: float | None = None  # numbers: more than this
    choices: tuple[str, ...] = ()
    example: object = None  # shown in config.example.toml instead of the default
    commented: bool = False  # shown as a commented-out example
    derive: Callable[[Mapping[str, Any]], Any] | None = None  # the default, from other keys

    def bounds(self) -> str:
        limits = ((">=", self.low), (">", self.above), ("<=", self.high))
        parts = [f"{sign} {_number(limit)}" for sign, limit in limits if limit is not None]
        return f" {' and '.join(parts)}" if parts else ""

    def within(self, value: float) -> bool:
        return (
            (self.low is None or value >= self.low)
            and (self.above is None or value > self.above)
            and (self.high is None or value <= self.high)
        )


@dataclass(frozen=True)
class Kind:
    """A kind of value: how it is read from TOML and how config.example.toml writes it."""

    parse: Callable[[object, Spec], Any]
    show: Callable[[Any], str] = lambda value: _toml(value)


def setting(
    default: object,
    doc: str,
    *,
    parse: Kind,
    low: float | None = None,
    high: float | None = None,
    above: float | None = None,
    choices: tuple[str, ...] = (),
    example: object = None,
    commented: bool = False,
    derive: Callable[[Mapping[str, Any]], Any] | None = None,
) -> Any:
    """Declare a key: its one default (``REQUIRED``: none), its converter, limits and doc.

    Returns a ``dataclasses.field`` (ruff's RUF009 cannot tell: hence its noqa on some keys).
    """
    spec = Spec(doc, parse, low, high, above, choices, example, commented, derive)
    if default is REQUIRED:
        return field(metadata={"spec": spec})
    return field(default=default, metadata={"spec": spec})


REQUIRED: Any = object()  # a key without a default: the section needs it


def _show(value: object) -> str:
    return value.isoformat() if isinstance(value, date | time) else repr(value)


def _expected(what: str, value: object) -> Refused:
    return Refused(f"expected {what}, got {_show(value)}")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _whole(value: object, spec: Spec) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not spec.within(value):
        raise _expected(f"a whole number{spec.bounds()}", value)
    return value


def _real(value: object, spec: Spec) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)  # TOML has inf and nan
        or not spec.within(value)
    ):
        raise _expected(f"a number{spec.bounds()}", value)
    return float(value)


def _flag(value: object, spec: Spec) -> bool:
    if not isinstance(value, bool):
        raise _expected("true or false", value)
    return value


def _text(value: object, spec: Spec) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _expected("a non-empty string", value)
    return value.strip()


def _choice(value: object, spec: Spec) -> str:
    if value not in spec.choices:
        raise _expected(f"one of {' | '.join(spec.choices)}", value)
    return str(value)


def _path(value: object, spec: Spec) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise _expected("a path", value)
    return Path(value)


def _optional_path(value: object, spec: Spec) -> Path | None:
    if not isinstance(value, str):
        raise _expected('a path, or "" for none', value)
    return Path(value) if value.strip() else None


def _strings(value: object, spec: Spec) -> tuple[str, ...]:
    if isinstance(value, str):  # a lone value written without the list brackets
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _expected("a list of strings", value)
    return tuple(value)


def _choices(value: object, spec: Spec) -> tuple[str, ...]:
    """A list of distinct choices ([] allowed), in the order given."""
    items = _strings(value, spec)
    for item in items:
        if item not in spec.choices:
            raise _expected(f"a list of {' | '.join(spec.choices)}", value)
    return tuple(dict.fromkeys(items))


def _urls(value: object, spec: Spec) -> tuple[str, ...]:
    urls = _strings(value, spec)
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _expected("http(s) URLs", url)
    return urls


def _seconds_pair(value: object, spec: Spec) -> tuple[float, float]:
    items = [value, value] if isinstance(value, int | float) else value  # one number: both
    try:
        if not isinstance(items, list) or len(items) != 2:
            raise Refused("not a pair")
        return (_real(items[0], spec), _real(items[1], spec))
    except Refused:
        raise _expected(f"[connect, read] seconds, each{spec.bounds()}", value) from None


_MONTH_DAY = re.compile(r"(\d\d)-(\d\d)")


def _month_day(value: object, spec: Spec) -> MonthDay:
    match = _MONTH_DAY.fullmatch(value) if isinstance(value, str) else None
    if match is not None:
        month, day = int(match.group(1)), int(match.group(2))
        try:
            date(2001, month, day)  # not a leap year: "02-29" has no release every year
            return month, day
        except ValueError:
            pass
    raise _expected('a month and day like "09-01"', value)


def _month_days(value: object, spec: Spec) -> tuple[MonthDay, ...]:
    if not isinstance(value, list):  # [] is allowed: the AMA may drop a cycle
        raise _expected('a list like ["01-01", "07-01"]', value)
    return tuple(sorted({_month_day(item, spec) for item in value}))


def _month_day_text(value: MonthDay) -> str:
    return f"{value[0]:02d}-{value[1]:02d}"


def _show_month_day(value: MonthDay) -> str:
    return json.dumps(_month_day_text(value))


def _address(value: object, spec: Spec) -> str:
    from email.utils import parseaddr  # here: the email package is 7 ms of every start-up

    # A line break in an address would end up in a header (and fail only at send time).
    if not isinstance(value, str) or "@" not in parseaddr(value)[1] or re.search(r"[\r\n]", value):
        raise _expected('an email address like "tracker@example.org"', value)
    return value.strip()


def _addresses(value: object, spec: Spec) -> tuple[str, ...]:
    if isinstance(value, str):  # a lone address written without the list brackets
        value = [value]
    if not isinstance(value, list) or not value:
        raise _expected('a list of addresses like ["team@example.org"]', value)
    return tuple(_address(item, spec) for item in value)


def _template(value: object, spec: Spec) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _expected("a template like 'HCPCS changes: {releases} ({counts})'", value)
    try:
        value.format(releases="", counts="", total=0)
    except (KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
        raise Refused(
            f"bad template ({type(exc).__name__}: {exc}); use only {{releases}}, {{counts}} "
            "and {total}"
        ) from None
    return value


def _cron(value: object, spec: Spec) -> str:
    # APScheduler takes ~60 ms to import: only here, never for `tracker --help`.
    from zoneinfo import ZoneInfo

    from tracker.run.schedule import cron_trigger

    if not isinstance(value, str):
        raise _expected('a crontab expression like "15 6 * * 1-5"', value)
    cron_trigger(value, ZoneInfo("UTC"))  # ConfigError naming [schedule] cron
    return value


def _time_zone(value: object, spec: Spec) -> str:
    from tracker.run.schedule import parse_timezone

    if not isinstance(value, str):
        raise _expected('an IANA time zone like "America/New_York"', value)
    parse_timezone(value)  # ConfigError naming [schedule] timezone
    return value


def _date(value: object, spec: Spec) -> date:
    # TOML reads 2026-01-01T00:00:00 as a datetime, which is a date too: refuse it here rather
    # than fail later comparing it with a release's effective date.
    if isinstance(value, datetime):
        raise Refused(f"expected a date like 2026-01-01, got the date and time {_show(value)}")
    if not isinstance(value, date):
        raise _expected("a date like 2026-01-01 (no quotes)", value)
    return value


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return f"[{', '.join(_toml(item) for item in value)}]"
    raise TypeError(f"no TOML for {value!r}")


WHOLE = Kind(_whole)
REAL = Kind(_real)
FLAG = Kind(_flag)
TEXT = Kind(_text)
CHOICE = Kind(_choice)
PATH = Kind(_path)
OPTIONAL_PATH = Kind(_optional_path, lambda value: _toml(value or ""))
STRINGS = Kind(_strings)
CHOICES = Kind(_choices)
URLS = Kind(_urls)
SECONDS_PAIR = Kind(_seconds_pair)
MONTH_DAY = Kind(_month_day, _show_month_day)
MONTH_DAYS = Kind(_month_days, lambda days: f"[{', '.join(_show_month_day(d) for d in days)}]")
ADDRESS = Kind(_address)
ADDRESSES = Kind(_addresses)
TEMPLATE = Kind(_template)
CRON = Kind(_cron)
TIME_ZONE = Kind(_time_zone)
DATE = Kind(_date)


# --- the sections ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """What every section shares: its name, keys refused with advice, rules across keys.

    Each section's docstring heads it in config.example.toml.
    """

    name: ClassVar[str]
    refused: ClassVar[Mapping[str, str]] = {}  # key -> why it is refused

    def check(self) -> None:
        """Rules across keys; raise ``Refused`` with the key to blame."""


@dataclass(frozen=True, kw_only=True)
class StoreSettings(Section):
    """Where tracker keeps what it stores."""

    name = "store"

    data_dir: Path = setting(  # noqa: RUF009
        Path("snapshots"),
        "Folder for the database, raw downloads (raw/<sha256>.zip) and, by default, reports.",
        parse=PATH,
    )
    db: str | None = setting(
        None,
        "Database URL; TRACKER_DB and --db override it. Default: sqlite:///<data_dir>/tracker.db. "
        'Any SQLAlchemy URL works, e.g. "postgresql+psycopg://tracker@dbhost/tracker" (install '
        "the driver).",
        parse=TEXT,
        example="sqlite:///snapshots/tracker.db",
    )


@dataclass(frozen=True, kw_only=True)
class GuardSettings(Section):
    """The mass-change guard: a truncated or wrong file must never become a report that
    thousands of codes were deleted. `--force` overrides it for one import."""

    name = "guard"

    max_drop_percent: float = setting(
        10,
        "Refuse a release with this many percent fewer codes than the release before it.",
        parse=REAL,
        low=0,
        high=100,
    )
    min_codes: int = setting(
        1000,
        "Refuse a HCPCS release with fewer codes than this (real files hold 6,000 to 9,000+).",
        parse=WHOLE,
        low=0,
    )
    max_removed: int = setting(
        50,
        "Refuse a HCPCS release in which more than this many codes of its predecessor vanish "
        "without ever having been terminated (CMS terminates a code before it drops it; a file "
        "cut short at a record boundary loses a run of live codes). Real releases: 0 to 2.",
        parse=WHOLE,
        low=0,
    )

    def as_guard(self) -> Guard:
        return Guard(
            max_drop=self.max_drop_percent / 100,
            min_codes=self.min_codes,
            max_removed=self.max_removed,
        )


@dataclass(frozen=True, kw_only=True)
class SourceSettings(Section):
    """Where `tracker check` finds releases, and how it fetches them."""

    name = "source"

    listing_urls: tuple[str, ...] = setting(
        ("https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update",),
        "Pages read for links to release ZIPs (label and effective date from each link's "
        "title, text or URL).",
        parse=URLS,
    )  # fmt: skip
    directory: Path | None = setting(  # noqa: RUF009
        None,
        "A folder to take release files from as well (*.zip, *ANWEB*.txt, *.xlsx), e.g. a share "
        "where someone drops CMS's files by hand on a network without internet access. "
        '"" = none.',
        parse=OPTIONAL_PATH,
    )
    allowed_hosts: tuple[str, ...] = setting(
        (),
        "Hosts downloads may come from, checked on every redirect hop; [] = the listing pages' "
        "own hosts. Downloads must use https unless the host is on the loopback interface.",
        parse=STRINGS,
    )
    user_agent: str = setting(
        "tracker/0.1 (HCPCS release watcher)",
        "Sent with every request; name your organisation and a contact.",
        parse=TEXT,
    )
    timeouts: tuple[float, float] = setting(
        (10, 60), "[connect, read] timeouts in seconds for each request.", parse=SECONDS_PAIR,
        above=0,
    )  # fmt: skip
    retries: int = setting(
        3,
        "Retries on connection errors, 429 and 5xx, waiting backoff_seconds * 2**n "
        "(Retry-After honoured).",
        parse=WHOLE,
        low=0,
    )
    backoff_seconds: float = setting(
        1.0, "Seconds before the first retry; each retry after it waits twice as long.",
        parse=REAL, low=0,
    )  # fmt: skip
    max_retry_after_seconds: float = setting(
        120,
        "The longest Retry-After to wait for; a longer one is left to the next check.",
        parse=REAL,
        low=0,
    )
    max_download_mb: int = setting(
        100, "Refuse a download bigger than this (CMS's ZIPs are 1 to 3 MB).", parse=WHOLE, low=1
    )
    max_unpacked_mb: int = setting(
        500,
        "Refuse a ZIP that unpacks to more than this (about 8 MB today); `tracker import` too.",
        parse=WHOLE,
        low=1,
    )

    def check(self) -> None:
        if not self.listing_urls and self.directory is None:
            raise Refused("empty and no directory either; set one of them", key="listing_urls")

    def hosts(self) -> tuple[str, ...]:
        """The hosts downloads may come from: allowed_hosts, else the listing pages' hosts."""
        if self.allowed_hosts:
            return self.allowed_hosts
        return tuple(sorted({urlsplit(u).hostname or "" for u in self.listing_urls} - {""}))

    @property
    def max_download_bytes(self) -> int:
        return self.max_download_mb * MB

    @property
    def max_unpacked_bytes(self) -> int:
        return self.max_unpacked_mb * MB


@dataclass(frozen=True, kw_only=True)
class ReportsSettings(Section):
    """The reports `tracker check` writes."""

    name = "reports"

    directory: Path | None = setting(  # noqa: RUF009
        None,
        "Where `tracker check` writes one CSV and one JSON report per pair of releases. "
        "Default: <data_dir>/reports.",
        parse=OPTIONAL_PATH,
        example="snapshots/reports",
    )
    report_since: date | None = setting(  # noqa: RUF009
        None,
        "Report (and email) only releases effective on or after this date, so a first run that "
        "takes in the whole history on the page does not flood anyone. Default: one year "
        "before today.",
        parse=DATE,
        example=date(2026, 1, 1),
        commented=True,
    )


@dataclass(frozen=True, kw_only=True)
class ScheduleSettings(Section):
    """When `tracker schedule` runs a check, and how `tracker status` judges the runs."""

    name = "schedule"

    cron: str = setting(
        "15 6 * * 1-5",
        "When `tracker schedule` runs a check: a 5-field crontab (minute hour day month "
        "weekday; 0 and 7 = Sunday). Default: 06:15 on weekdays.",
        parse=CRON,
    )
    timezone: str = setting(
        "America/New_York",
        "The IANA time zone the cron is read in; CMS publishes on US Eastern business days.",
        parse=TIME_ZONE,
    )
    stale_after_days: int = setting(
        4,
        "`tracker status` fails when no run succeeded in this many days (4 covers a long weekend).",
        parse=WHOLE,
        low=1,
    )
    misfire_grace_seconds: int = setting(
        3600,
        "A run missed (machine asleep, a long check) still starts if this many seconds late at "
        "most.",
        parse=WHOLE,
        low=1,
    )
    log_file: Path | None = setting(  # noqa: RUF009
        None,
        "Also log to this file, rotated at 5 MB, 5 kept. Default: stderr only.",
        parse=OPTIONAL_PATH,
        example="snapshots/tracker.log",
        commented=True,
    )


DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


@dataclass(frozen=True, kw_only=True)
class EmailSettings(Section):
    """One email per release pair a check reports, with its report attached (see attach).
    Without an [email] table nothing is sent. Check the settings with `tracker email-test`."""

    name = "email"
    refused: ClassVar[Mapping[str, str]] = {
        "password": "never put the password in the file; set password_env to the name of an "
        "environment variable that holds it"
    }

    host: str = setting(REQUIRED, "The SMTP server.", parse=TEXT, example="smtp.example.org")
    port: int = setting(
        REQUIRED,
        "Default by security: none 25, starttls 587, ssl 465.",
        parse=WHOLE,
        low=1,
        high=65535,
        derive=lambda values: DEFAULT_PORTS[values["security"]],
        example=587,
    )
    security: str = setting(
        "starttls", "none | starttls | ssl", parse=CHOICE, choices=tuple(DEFAULT_PORTS)
    )
    username: str | None = setting(
        None,
        "The SMTP login; omit both username and password_env to send without logging in.",
        parse=TEXT,
        example="tracker",
    )
    password_env: str | None = setting(
        None,
        "The NAME of the environment variable that holds the password: never the password itself.",
        parse=TEXT,
        example="TRACKER_SMTP_PASSWORD",
    )
    sender: str = setting(
        REQUIRED, "The From address.", parse=ADDRESS, example="HCPCS tracker <tracker@example.org>"
    )
    recipients: tuple[str, ...] = setting(
        REQUIRED, "The To addresses.", parse=ADDRESSES, example=["compliance@example.org"]
    )
    subject: str = setting(
        "HCPCS changes: {releases} ({counts})",
        "Placeholders: {releases} (the release pairs), {counts} (per category), {total}.",
        parse=TEMPLATE,
    )
    max_codes: int = setting(
        50,
        "Codes listed in full in each section of the email (removed, discontinued, ...); the "
        "rest are in the attachment.",
        parse=WHOLE,
        low=0,
    )
    attach: tuple[str, ...] = setting(
        ("xlsx",),
        'The reports attached to each email: "xlsx" (the workbook made for review), "csv", '
        "both, or [] for none.",
        parse=CHOICES,
        choices=("xlsx", "csv"),
    )
    timeout: float = setting(30, "Seconds for each SMTP operation.", parse=REAL, above=0, high=3600)

    def check(self) -> None:
        if self.username is not None and self.password_env is None:
            raise Refused(
                "required with username; name the environment variable that holds the "
                'password, e.g. password_env = "TRACKER_SMTP_PASSWORD"',
                key="password_env",
            )
        if self.password_env is not None and self.username is None:
            raise Refused("required with password_env; put the SMTP login name", key="username")


@dataclass(frozen=True, kw_only=True)
class CptSettings(Section):
    """CPT (AMA, licensed) is imported by you (`tracker cpt import`), never downloaded. The AMA
    moves its dates: adjust the calendar here (MM-DD)."""

    name = "cpt"

    annual_release: MonthDay = setting(  # noqa: RUF009
        (9, 1),
        "The annual file (Categories I to III), released the year before it takes effect on "
        "January 1.",
        parse=MONTH_DAY,
    )
    category3_releases: tuple[MonthDay, ...] = setting(
        ((1, 1), (7, 1)), "Category III mid-cycle releases.", parse=MONTH_DAYS
    )
    category3_effective_months: int = setting(
        6, "How many months after its release a Category III file takes effect.", parse=WHOLE,
        low=0,
    )  # fmt: skip
    pla_releases: tuple[MonthDay, ...] = setting(
        ((1, 1), (4, 1), (7, 1), (10, 1)),
        "PLA releases, effective the next quarter.",
        parse=MONTH_DAYS,
    )
    pla_effective_months: int = setting(
        3, "How many months after its release a PLA file takes effect.", parse=WHOLE, low=0
    )
    grace_days: int = setting(
        14,
        "Days after the expected release before a missing file counts as overdue (and is "
        "reminded of).",
        parse=WHOLE,
        low=0,
    )
    email_descriptors: bool = setting(
        False,
        "CPT descriptors in emails only if your AMA license allows it; CSV files on disk always "
        "carry them.",
        parse=FLAG,
    )


SECTIONS: tuple[type[Section], ...] = (
    StoreSettings, GuardSettings, SourceSettings, ReportsSettings, ScheduleSettings,
    EmailSettings, CptSettings,
)  # fmt: skip
_BY_NAME = {section.name: section for section in SECTIONS}


# --- the walker ------------------------------------------------------------------------------

S = TypeVar("S", bound=Section)


def parse_section(cls: type[S], table: Mapping[str, object]) -> S:
    """Validate one section's table: every key through its converter, absent keys at their
    default. A bad value raises ConfigError "[section] key: what was expected"."""
    specs = {f.name: f for f in fields(cls)}
    for key in table:
        if key in cls.refused:
            raise _bad(cls, key, cls.refused[key])
        if key not in specs:
            raise ConfigError(_unknown(f"[{cls.name}] unknown key {key!r}", sorted(specs)))
    values: dict[str, Any] = {}
    for key, spec_field in specs.items():
        if key in table:
            values[key] = _convert(cls, key, table[key], _spec(spec_field))
        elif spec_field.default is not MISSING:
            values[key] = spec_field.default
    for key, spec_field in specs.items():
        derive = _spec(spec_field).derive
        if key not in values and derive is not None:
            values[key] = derive(values)
        elif key not in values:
            raise _bad(cls, key, f"missing; add e.g. {_line(key, spec_field)}")
    section = cls(**values)
    try:
        section.check()
    except Refused as exc:
        raise _bad(cls, exc.key or "?", str(exc)) from None
    return section


def _convert(cls: type[Section], key: str, value: object, spec: Spec) -> Any:
    try:
        return spec.kind.parse(value, spec)
    except Refused as exc:
        raise _bad(cls, key, str(exc)) from None


def _spec(spec_field: Field[Any]) -> Spec:
    spec: Spec = spec_field.metadata["spec"]
    return spec


def _bad(cls: type[Section], key: str, problem: str) -> ConfigError:
    return ConfigError(f"[{cls.name}] {key}: {problem}")


def _unknown(what: str, known: list[str]) -> str:
    """The one wording for an unknown key or section."""
    return f"{what}; known: {', '.join(known)}"


# --- loading ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Config:
    """Every section, validated, and what is derived from them."""

    path: Path | None  # the file read; None: no file, every default
    store: StoreSettings
    guard: GuardSettings
    source: SourceSettings
    reports: ReportsSettings
    schedule: ScheduleSettings
    email: EmailSettings | None  # None: no (or an empty) [email] table; nothing is sent
    cpt: CptSettings
    db_url: str  # --db, else TRACKER_DB, else [store] db, else sqlite:///<data_dir>/tracker.db
    report_since: date  # [reports] report_since, else one year before today

    @property
    def data_dir(self) -> Path:
        return self.store.data_dir

    @property
    def reports_dir(self) -> Path:
        return self.reports.directory or self.data_dir / "reports"


def load_config(
    path: Path | None,
    *,
    db: str | None = None,
    environ: Mapping[str, str] = os.environ,
    today: date | None = None,
) -> Config:
    """Read and validate the config; ``db`` (``--db``) beats ``TRACKER_DB`` beats ``[store] db``.

    Any bad value raises ConfigError, prefixed with the file's path.
    """
    if path is None and environ.get("TRACKER_CONFIG"):
        path = Path(environ["TRACKER_CONFIG"])
    if path is None and Path(DEFAULT_CONFIG_NAME).is_file():
        path = Path(DEFAULT_CONFIG_NAME)
    raw = _read(path) if path is not None else {}
    try:
        return _config(path, raw, db or environ.get("TRACKER_DB"), today or date.today())
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}" if path is not None else str(exc)) from None


def _config(path: Path | None, raw: Mapping[str, Any], db: str | None, today: date) -> Config:
    def section(cls: type[S]) -> S:
        return parse_section(cls, raw.get(cls.name, {}))

    store, reports = section(StoreSettings), section(ReportsSettings)
    return Config(
        path=path,
        store=store,
        guard=section(GuardSettings),
        source=section(SourceSettings),
        reports=reports,
        schedule=section(ScheduleSettings),
        # An empty [email] table, like none, sends nothing.
        email=section(EmailSettings) if raw.get("email") else None,
        cpt=section(CptSettings),
        db_url=db or store.db or default_db_url(store.data_dir),
        report_since=reports.report_since or today - timedelta(days=365),
    )


def default_db_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'tracker.db'}"


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
        if name not in _BY_NAME:
            raise ConfigError(f"{path}: {_unknown(f'unknown section [{name}]', sorted(_BY_NAME))}")
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: {name} must be a [{name}] table")
    return data


# --- what `tracker config check` says --------------------------------------------------------


def summary(config: Config, *, db_name: str) -> str:
    """One line per section saying what it holds; ``db_name`` is the URL without its password."""
    guard, source, schedule, cpt = config.guard, config.source, config.schedule, config.cpt
    folder = f"; drop folder {source.directory}" if source.directory else ""
    lines = [
        f"OK: {config.path or 'no config file; every setting at its default'}",
        f"store: database {db_name}; data in {config.data_dir}",
        f"guard: refuse a drop over {_number(guard.max_drop_percent)}%, fewer than "
        f"{guard.min_codes} codes, over {guard.max_removed} codes vanishing",
        f"source: {len(source.listing_urls)} listing page(s){folder}; downloads from "
        f"{', '.join(source.hosts()) or '-'}",
        f"reports: {config.reports_dir}; releases effective from {config.report_since}",
        f"schedule: cron {schedule.cron!r} in {schedule.timezone}; stale after "
        f"{schedule.stale_after_days} days; log to {schedule.log_file or 'stderr'}",
        f"email: {_sending(config.email)}",
        f"cpt: annual release {_month_day_text(cpt.annual_release)}; grace "
        f"{cpt.grace_days} days; descriptors in email {'on' if cpt.email_descriptors else 'off'}",
    ]
    return "\n".join(lines) + "\n"


def _sending(email: EmailSettings | None) -> str:
    if email is None:
        return "off (no [email] table): nothing is sent"
    login = f", login {email.username} with ${email.password_env}" if email.username else ""
    return (
        f"on; {email.host}:{email.port} ({email.security}){login}; from {email.sender} "
        f"to {', '.join(email.recipients)}"
    )


# --- config.example.toml ---------------------------------------------------------------------

EXAMPLE_HEADER = """\
# tracker configuration. Copy to tracker.toml (read from the current folder), or point
# TRACKER_CONFIG or --config at it. Every setting is shown with its default unless noted.
# Generated from tracker/config.py: python -m tracker.config > config.example.toml
"""


def example_toml() -> str:
    """config.example.toml: every section and key with its doc and its default (or example)."""
    lines = [EXAMPLE_HEADER.rstrip("\n")]
    for cls in SECTIONS:
        lines += ["", f"[{cls.name}]", *_comment(cls.__doc__ or ""), ""]
        for spec_field in fields(cls):
            lines += _comment(_spec(spec_field).doc)
            commented = "# " if _spec(spec_field).commented else ""
            lines.append(commented + _line(spec_field.name, spec_field))
    return "\n".join(lines) + "\n"


def _line(key: str, spec_field: Field[Any]) -> str:
    spec = _spec(spec_field)
    value = spec.example if spec.example is not None else spec_field.default
    return f"{key} = {spec.kind.show(value)}"


def _comment(text: str) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), width=100, initial_indent="# ",
                         subsequent_indent="# ")  # fmt: skip


if __name__ == "__main__":
    sys.stdout.write(example_toml())
