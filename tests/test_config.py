"""The configuration schema: defaults, every converter's refusal, one wording, load-time checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tracker.cli import main
from tracker.config import (
    Config,
    CptSettings,
    EmailSettings,
    GuardSettings,
    ReportsSettings,
    ScheduleSettings,
    Section,
    SourceSettings,
    StoreSettings,
    load_config,
    parse_section,
)
from tracker.errors import ConfigError
from tracker.guard import Guard

TODAY = date(2026, 4, 2)
LISTING = "https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update"
EMAIL = {"host": "smtp.example.org", "sender": "t@example.org", "recipients": ["a@example.org"]}
BAD_CRON = (
    "[schedule] cron: '61 6 * * *' is not a crontab expression (Error validating expression "
    "'61': the last value (61) is higher than the maximum value (59)); use 5 fields minute hour "
    'day month weekday, e.g. "15 6 * * 1-5" for 06:15 on weekdays'
)
BAD_ZONE = (
    "[schedule] timezone: unknown time zone 'America/NewYork'; "
    'use an IANA name like "America/New_York" or "UTC"'
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tracker.toml"
    path.write_text(text)
    return path


def load(path: Path, **environ: str) -> Config:
    return load_config(path, environ=environ, today=TODAY)


def refusal(cls: type[Section], table: dict[str, object]) -> str:
    with pytest.raises(ConfigError) as error:
        parse_section(cls, table)
    return str(error.value)


# --- defaults and what is derived ------------------------------------------------------------


def test_an_empty_file_is_every_default(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    assert load(path) == Config(
        path=path,
        store=StoreSettings(data_dir=Path("snapshots"), db=None),
        guard=GuardSettings(max_drop_percent=10, min_codes=1000, max_removed=50),
        source=SourceSettings(
            listing_urls=(LISTING,),
            directory=None,
            allowed_hosts=(),
            user_agent="tracker/0.1 (HCPCS release watcher)",
            timeouts=(10, 60),
            retries=3,
            backoff_seconds=1,
            max_retry_after_seconds=120,
            max_download_mb=100,
            max_unpacked_mb=500,
        ),
        reports=ReportsSettings(directory=None, report_since=None),
        schedule=ScheduleSettings(
            cron="15 6 * * 1-5",
            timezone="America/New_York",
            stale_after_days=4,
            misfire_grace_seconds=3600,
            log_file=None,
        ),
        email=None,
        cpt=CptSettings(
            annual_release=(9, 1),
            category3_releases=((1, 1), (7, 1)),
            category3_effective_months=6,
            pla_releases=((1, 1), (4, 1), (7, 1), (10, 1)),
            pla_effective_months=3,
            grace_days=14,
            email_descriptors=False,
        ),
        db_url="sqlite:///snapshots/tracker.db",
        report_since=date(2025, 4, 2),
    )


def test_derived_values(tmp_path: Path) -> None:
    path = write(tmp_path, '[store]\ndata_dir = "data"\n[guard]\nmax_drop_percent = 12.5\n')
    config = load(path)
    assert (config.data_dir, config.reports_dir, config.db_url) == (
        Path("data"),
        Path("data/reports"),
        "sqlite:///data/tracker.db",
    )
    assert config.guard.as_guard() == Guard(max_drop=0.125, min_codes=1000, max_removed=50)
    assert (config.source.max_download_bytes, config.source.max_unpacked_bytes) == (
        100_000_000,
        500_000_000,
    )
    assert config.source.hosts() == ("www.cms.gov",)


def test_db_flag_beats_environment_beats_file_beats_default(tmp_path: Path) -> None:
    path = write(tmp_path, '[store]\ndb = "sqlite:///file.db"\n')
    env = "sqlite:///env.db"
    assert load_config(path, db="sqlite:///flag.db", environ={"TRACKER_DB": env}).db_url == (
        "sqlite:///flag.db"
    )
    assert load(path, TRACKER_DB=env).db_url == env
    assert load(path).db_url == "sqlite:///file.db"
    assert load(write(tmp_path, "")).db_url == "sqlite:///snapshots/tracker.db"


def test_tracker_config_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[reports]\nreport_since = 2026-01-01\n")
    config = load_config(None, environ={"TRACKER_CONFIG": str(path)}, today=TODAY)
    assert (config.path, config.report_since) == (path, date(2026, 1, 1))


def test_values_are_converted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[source]\nlisting_urls = []\ndirectory = "drop"\nallowed_hosts = "cms.gov"\n'
        "timeouts = 5\n"
        '[reports]\ndirectory = ""\n[schedule]\nlog_file = "x.log"\n'
        '[cpt]\npla_releases = ["10-01", "01-01", "10-01"]\n',
    )
    config = load(path)
    assert (config.source.listing_urls, config.source.directory) == ((), Path("drop"))
    assert (config.source.allowed_hosts, config.source.timeouts) == (("cms.gov",), (5.0, 5.0))
    assert config.source.hosts() == ("cms.gov",)
    assert (config.reports.directory, config.schedule.log_file) == (None, Path("x.log"))
    assert config.cpt.pla_releases == ((1, 1), (10, 1))


# --- [email] ---------------------------------------------------------------------------------


def test_email_defaults_and_port_by_security() -> None:
    assert parse_section(EmailSettings, EMAIL) == EmailSettings(
        host="smtp.example.org",
        port=587,
        security="starttls",
        username=None,
        password_env=None,
        sender="t@example.org",
        recipients=("a@example.org",),
        subject="HCPCS changes: {releases} ({counts})",
        max_codes=50,
        timeout=30.0,
    )
    assert parse_section(EmailSettings, {**EMAIL, "security": "ssl"}).port == 465
    assert parse_section(EmailSettings, {**EMAIL, "security": "none"}).port == 25
    assert parse_section(EmailSettings, {**EMAIL, "security": "none", "port": 2525}).port == 2525


def test_no_or_an_empty_email_table_sends_nothing(tmp_path: Path) -> None:
    assert load(write(tmp_path, "[email]\n")).email is None
    assert load(write(tmp_path, "")).email is None


KEYS = (
    "attach, host, max_codes, password_env, port, recipients, security, sender, subject, "
    "timeout, username"
)
EMAIL_ERRORS = [
    ({"host": ""}, "[email] host: expected a non-empty string, got ''"),
    ({"port": "587"}, "[email] port: expected a whole number >= 1 and <= 65535, got '587'"),
    ({"port": 70000}, "[email] port: expected a whole number >= 1 and <= 65535, got 70000"),
    ({"security": "tls"}, "[email] security: expected one of none | starttls | ssl, got 'tls'"),
    (
        {"password": "hunter2"},
        "[email] password: never put the password in the file; "
        "set password_env to the name of an environment variable that holds it",
    ),
    (
        {"username": "t"},
        "[email] password_env: required with username; name the environment variable that "
        'holds the password, e.g. password_env = "TRACKER_SMTP_PASSWORD"',
    ),
    (
        {"password_env": "PW"},
        "[email] username: required with password_env; put the SMTP login name",
    ),
    (
        {"sender": "tracker"},
        "[email] sender: expected an email address like \"tracker@example.org\", got 'tracker'",
    ),
    (
        {"sender": "a@b.c\nBcc: x@y.z"},
        '[email] sender: expected an email address like "tracker@example.org", '
        "got 'a@b.c\\nBcc: x@y.z'",
    ),
    (
        {"recipients": []},
        '[email] recipients: expected a list of addresses like ["team@example.org"], got []',
    ),
    (
        {"recipients": ["a@example.org", "b"]},
        "[email] recipients: expected an email address like \"tracker@example.org\", got 'b'",
    ),
    (
        {"subject": "{release}"},
        "[email] subject: bad template (KeyError: 'release'); "
        "use only {releases}, {counts} and {total}",
    ),
    (
        {"subject": 5},
        "[email] subject: expected a template like 'HCPCS changes: {releases} ({counts})', got 5",
    ),
    ({"max_codes": -1}, "[email] max_codes: expected a whole number >= 0, got -1"),
    ({"max_codes": True}, "[email] max_codes: expected a whole number >= 0, got True"),
    ({"timeout": 0}, "[email] timeout: expected a number > 0 and <= 3600, got 0"),
    ({"recipient": ["a@example.org"]}, f"[email] unknown key 'recipient'; known: {KEYS}"),
]


@pytest.mark.parametrize(("change", "message"), EMAIL_ERRORS)
def test_email_errors_name_the_key(change: dict[str, object], message: str) -> None:
    assert refusal(EmailSettings, {**EMAIL, **change}) == message


def test_a_missing_email_key_names_the_file_and_an_example(tmp_path: Path) -> None:
    path = write(tmp_path, '[email]\nhost = "h"\n')
    with pytest.raises(ConfigError) as error:
        load(path)
    assert str(error.value) == (
        f'{path}: [email] sender: missing; add e.g. sender = "HCPCS tracker <tracker@example.org>"'
    )


# --- every converter's refusal ---------------------------------------------------------------

NOT_MONTH_DAY = 'expected a month and day like "09-01"'
REFUSALS = [
    # whole numbers and numbers: bools, fractions, text and inf are not numbers
    (GuardSettings, {"min_codes": 1.5}, "[guard] min_codes: expected a whole number >= 0, got 1.5"),
    (GuardSettings, {"max_removed": False},
     "[guard] max_removed: expected a whole number >= 0, got False"),
    (GuardSettings, {"max_drop_percent": 101},
     "[guard] max_drop_percent: expected a number >= 0 and <= 100, got 101"),
    (SourceSettings, {"backoff_seconds": float("inf")},
     "[source] backoff_seconds: expected a number >= 0, got inf"),
    (SourceSettings, {"max_download_mb": 0},
     "[source] max_download_mb: expected a whole number >= 1, got 0"),
    # true or false
    (CptSettings, {"email_descriptors": 1},
     "[cpt] email_descriptors: expected true or false, got 1"),
    # text
    (SourceSettings, {"user_agent": " "},
     "[source] user_agent: expected a non-empty string, got ' '"),
    (StoreSettings, {"db": 5}, "[store] db: expected a non-empty string, got 5"),
    # paths
    (StoreSettings, {"data_dir": ""}, "[store] data_dir: expected a path, got ''"),
    (SourceSettings, {"directory": 5},
     "[source] directory: expected a path, or \"\" for none, got 5"),
    # lists of strings, URLs
    (SourceSettings, {"allowed_hosts": ["a", 1]},
     "[source] allowed_hosts: expected a list of strings, got ['a', 1]"),
    (SourceSettings, {"listing_urls": ["ftp://cms.gov/x"]},
     "[source] listing_urls: expected http(s) URLs, got 'ftp://cms.gov/x'"),
    (SourceSettings, {"listing_urls": [], "directory": ""},
     "[source] listing_urls: empty and no directory either; set one of them"),
    # [connect, read]
    (SourceSettings, {"timeouts": [10]},
     "[source] timeouts: expected [connect, read] seconds, each > 0, got [10]"),
    (SourceSettings, {"timeouts": [10, 0]},
     "[source] timeouts: expected [connect, read] seconds, each > 0, got [10, 0]"),
    (SourceSettings, {"timeouts": True},
     "[source] timeouts: expected [connect, read] seconds, each > 0, got True"),
    # "MM-DD" and lists of them
    (CptSettings, {"annual_release": "9-1"}, f"[cpt] annual_release: {NOT_MONTH_DAY}, got '9-1'"),
    (CptSettings, {"annual_release": "02-29"},
     f"[cpt] annual_release: {NOT_MONTH_DAY}, got '02-29'"),
    (CptSettings, {"annual_release": 901}, f"[cpt] annual_release: {NOT_MONTH_DAY}, got 901"),
    (CptSettings, {"pla_releases": ["13-01"]}, f"[cpt] pla_releases: {NOT_MONTH_DAY}, got '13-01'"),
    (CptSettings, {"category3_releases": "01-01"},
     '[cpt] category3_releases: expected a list like ["01-01", "07-01"], got \'01-01\''),
    (CptSettings, {"grace_days": -1}, "[cpt] grace_days: expected a whole number >= 0, got -1"),
    (CptSettings, {"pla_effective_months": "3"},
     "[cpt] pla_effective_months: expected a whole number >= 0, got '3'"),
    # cron and time zone
    (ScheduleSettings, {"cron": "61 6 * * *"}, BAD_CRON),
    (ScheduleSettings, {"cron": 615},
     "[schedule] cron: expected a crontab expression like \"15 6 * * 1-5\", got 615"),
    (ScheduleSettings, {"timezone": "America/NewYork"}, BAD_ZONE),
    (ScheduleSettings, {"timezone": None},
     "[schedule] timezone: expected an IANA time zone like \"America/New_York\", got None"),
    (ScheduleSettings, {"stale_after_days": 0},
     "[schedule] stale_after_days: expected a whole number >= 1, got 0"),
    # dates
    (ReportsSettings, {"report_since": "2026-01-01"},
     "[reports] report_since: expected a date like 2026-01-01 (no quotes), got '2026-01-01'"),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "table", "message"), REFUSALS)
def test_every_converter_refuses_with_one_wording(
    cls: type[Section], table: dict[str, object], message: str
) -> None:
    assert refusal(cls, table) == message


def test_unknown_keys_and_sections_have_one_wording(tmp_path: Path) -> None:
    assert refusal(ScheduleSettings, {"cron_tz": "UTC"}) == (
        "[schedule] unknown key 'cron_tz'; known: cron, log_file, misfire_grace_seconds, "
        "stale_after_days, timezone"
    )
    path = write(tmp_path, "[scheduler]\ncron = '0 6 * * *'\n")
    with pytest.raises(ConfigError) as error:
        load(path)
    assert str(error.value) == (
        f"{path}: unknown section [scheduler]; known: cpt, email, guard, reports, schedule, "
        "source, store"
    )


def test_a_datetime_where_a_date_belongs(tmp_path: Path) -> None:
    # TOML reads this as a datetime, which Python counts as a date too.
    path = write(tmp_path, "[reports]\nreport_since = 2026-01-01T00:00:00\n")
    with pytest.raises(ConfigError) as error:
        load(path)
    assert str(error.value) == (
        f"{path}: [reports] report_since: expected a date like 2026-01-01, "
        "got the date and time 2026-01-01T00:00:00"
    )


def test_a_section_that_is_not_a_table(tmp_path: Path) -> None:
    path = write(tmp_path, "guard = 5\n")
    with pytest.raises(ConfigError) as error:
        load(path)
    assert str(error.value) == f"{path}: guard must be a [guard] table"


# --- the commands ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["check"], ["status"], ["config", "check"]])
@pytest.mark.parametrize(
    ("schedule", "message"),
    [('cron = "61 6 * * *"', BAD_CRON), ('timezone = "America/NewYork"', BAD_ZONE)],
)
def test_bad_cron_or_time_zone_stops_every_command(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    command: list[str],
    schedule: str,
    message: str,
) -> None:
    path = write(tmp_path, f'[store]\ndata_dir = "{tmp_path}"\n[schedule]\n{schedule}\n')
    assert main(["--config", str(path), *command]) == 2
    assert capsys.readouterr() == ("", f"tracker: error: {path}: {message}\n")
    assert list(tmp_path.iterdir()) == [path]  # nothing created: no database, no lock


def test_config_check_says_what_each_section_holds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        f'[store]\ndata_dir = "{tmp_path}"\n'
        "[guard]\nmax_drop_percent = 12.5\n"
        f'[source]\ndirectory = "{tmp_path / "drop"}"\nallowed_hosts = ["cms.gov"]\n'
        "[reports]\nreport_since = 2026-01-01\n"
        '[schedule]\ncron = "0 7 * * *"\ntimezone = "UTC"\n'
        '[email]\nhost = "smtp.example.org"\nsecurity = "ssl"\nusername = "t"\n'
        'password_env = "PW"\nsender = "t@example.org"\nrecipients = ["a@example.org"]\n'
        '[cpt]\nannual_release = "08-15"\nemail_descriptors = true\n',
    )
    db = "postgresql+psycopg://tracker:secret@dbhost/tracker"
    assert main(["config", "check", "--config", str(path), "--db", db]) == 0
    assert capsys.readouterr() == (
        f"OK: {path}\n"
        f"store: database postgresql+psycopg://tracker:***@dbhost/tracker; data in {tmp_path}\n"
        "guard: refuse a drop over 12.5%, fewer than 1000 codes, over 50 codes vanishing\n"
        f"source: 1 listing page(s); drop folder {tmp_path / 'drop'}; downloads from cms.gov\n"
        f"reports: {tmp_path / 'reports'}; releases effective from 2026-01-01\n"
        "schedule: cron '0 7 * * *' in UTC; stale after 4 days; log to stderr\n"
        "email: on; smtp.example.org:465 (ssl), login t with $PW; from t@example.org "
        "to a@example.org\n"
        "cpt: annual release 08-15; grace 14 days; descriptors in email on\n",
        "",
    )


def test_config_check_of_a_bad_file_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "[guard]\nmin_codes = 'many'\n")
    assert main(["config", "check", "--config", str(path)]) == 2
    assert capsys.readouterr() == (
        "",
        f"tracker: error: {path}: [guard] min_codes: expected a whole number >= 0, got 'many'\n",
    )
