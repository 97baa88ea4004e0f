"""The long-running scheduler behind ``tracker schedule`` (APScheduler 3.x, jobs in code).

One job, id ``check``: never two instances at once (``max_instances=1``), runs missed while the
machine slept or a check overran collapse into one (``coalesce``), and a late run still happens
within ``misfire_grace_time``. The default MemoryJobStore: the job is defined here on every
start, so there is no pickled job store to go stale across upgrades.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from tracker.config import ScheduleSettings
from tracker.errors import ConfigError

log = logging.getLogger(__name__)

JOB_ID = "check"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def build_scheduler(
    job: Callable[[], object],
    *,
    cron: str | None = None,
    timezone: str = ScheduleSettings.timezone,
    trigger: BaseTrigger | None = None,
    misfire_grace_time: int = ScheduleSettings.misfire_grace_seconds,
    source: object = None,
) -> BlockingScheduler:
    """A scheduler (not started) running ``job`` on ``cron`` in ``timezone``.

    Pass ``trigger`` instead of ``cron`` to use any APScheduler trigger (tests use a short
    IntervalTrigger). The defaults are the ``[schedule]`` schema's. Bad ``cron`` or ``timezone``
    raise ConfigError naming the key, prefixed with ``source`` (the config file) when given;
    ``load_config`` has checked both already.
    """
    if trigger is None and cron is None:
        raise ValueError("build_scheduler needs cron or trigger")
    try:
        zone = parse_timezone(timezone)
        if trigger is None:
            trigger = cron_trigger(str(cron), zone)
    except ConfigError as exc:
        if source is None:
            raise
        raise ConfigError(f"{source}: {exc}") from exc
    scheduler = BlockingScheduler(timezone=zone)
    scheduler.add_job(
        job,
        trigger,
        id=JOB_ID,
        name=JOB_ID,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=misfire_grace_time,
        replace_existing=True,
    )
    return scheduler


def parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"[schedule] timezone: unknown time zone {name!r}; "
            'use an IANA name like "America/New_York" or "UTC"'
        ) from exc


def cron_trigger(cron: str, zone: ZoneInfo) -> BaseTrigger:
    """A trigger that fires when crontab(5) would for the 5-field expression ``cron``.

    Two APScheduler 3.x mismatches with cron are handled here:
    - weekday numbers: APScheduler counts 0 = Monday, cron 0 (and 7) = Sunday (APScheduler
      issue 286, fixed only in 4.x), so numeric weekdays are rewritten as names;
    - when both day-of-month and day-of-week are restricted, cron runs on days matching
      *either* ("0 6 1 * mon": the 1st and every Monday) while APScheduler requires both; an
      OrTrigger of the two gives cron's meaning;
    - daylight saving time: see WallClockTrigger, which wraps the result.
    """
    fields = cron.split()
    if len(fields) != 5:
        raise _bad_cron(cron, f"{len(fields)} fields")
    minute, hour, day, month, weekday = fields
    try:
        days = _cron_weekdays(weekday)

        def make(day: str, day_of_week: str) -> CronTrigger:
            return CronTrigger(
                minute=minute,
                hour=hour,
                day=day,
                month=month,
                day_of_week=day_of_week,
                timezone=zone,
            )

        if day.startswith("*") or weekday.startswith("*"):
            return WallClockTrigger(make(day, days), zone)
        return WallClockTrigger(OrTrigger([make(day, "*"), make("*", days)]), zone)
    except ValueError as exc:
        raise _bad_cron(cron, str(exc)) from exc


class WallClockTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler has no type hints
    """A cron trigger that fires each wall-clock time at most once across a DST change, and
    a time the spring-forward night skips at the first minute that exists after it.

    What APScheduler 3.11 CronTrigger does on its own (get_next_fire_time, with zoneinfo):
    - fall back (America/New_York, 1 November 2026, 01:00-01:59 happens twice): "30 1 * * *"
      fires at 01:30 EDT and again at 01:30 EST, because after the first it searches on from
      01:30:00.000001 EDT, and 01:30 EST is a later instant with a matching wall time;
    - spring forward (8 March 2026, 02:00-02:59 does not exist): "30 2 * * *" returns the
      nonexistent 02:30-05:00, which is the instant 03:30 EDT, an hour late; "0,30 1-3 * * *"
      returns 03:00 EDT after 01:30 EST (its field arithmetic adds the naive difference in UTC),
      so 02:00 and 02:30 fold into 03:00 there; "59 2 * * *" fires at 03:59 EDT.
    Cron's meaning, which this gives: a repeated time runs at its first occurrence only (EDT),
    and a skipped time runs at the end of the gap (03:00 EDT), once however many fell in it.
    """

    def __init__(self, inner: BaseTrigger, zone: ZoneInfo) -> None:
        self.inner = inner
        self.zone = zone

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        fire: datetime | None = self.inner.get_next_fire_time(previous_fire_time, now)
        while fire is not None:
            real = fire.astimezone(UTC).astimezone(self.zone)  # fold set by the zone
            if real.replace(tzinfo=None) != fire.replace(tzinfo=None):
                return _after_gap(fire.replace(tzinfo=None), self.zone)
            if not real.fold:
                return real
            # The second occurrence of a repeated wall time: it ran at the first. Search on
            # from it (``now`` too: APScheduler restarts from min(now, previous) otherwise).
            fire = self.inner.get_next_fire_time(real, real)
        return None

    def __str__(self) -> str:
        return str(self.inner)

    def __repr__(self) -> str:
        return f"<WallClockTrigger {self.inner!r}>"


def _after_gap(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first whole minute after the nonexistent wall time ``wall`` that exists in ``zone``
    (the end of the spring-forward gap). Gaps are whole minutes in every zone since 1970."""
    minute = wall.replace(second=0, microsecond=0)
    while True:  # an hour in most zones; a day at most (Samoa, 30 December 2011)
        minute += timedelta(minutes=1)
        aware = minute.replace(tzinfo=zone)
        if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == minute:
            return aware


def _bad_cron(cron: str, problem: str) -> ConfigError:
    return ConfigError(
        f"[schedule] cron: {cron!r} is not a crontab expression ({problem}); use 5 fields "
        'minute hour day month weekday, e.g. "15 6 * * 1-5" for 06:15 on weekdays'
    )


def _cron_weekdays(field: str) -> str:
    """A crontab weekday field (0/7 = Sunday, names, ranges, steps, lists) as APScheduler names."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        span, slash, step_text = part.partition("/")
        if slash and (not step_text.isdigit() or int(step_text) == 0):
            raise ValueError(f"bad step in weekday {part!r}")
        step = int(step_text) if slash else 1
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            low, high = span.split("-", 1)
            first, last = _cron_day(low), _cron_day(high)
            if last == 0 and first > 0:
                last = 7  # "fri-sun", "5-0": a range may end on Sunday written as 0
        else:
            first = _cron_day(span)
            last = 6 if slash else first  # "1/2": from Monday on, every other day
        if first > last:
            raise ValueError(f"weekday range {part!r} runs backwards")
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_CRON_DAYS[day] for day in sorted(days))


def _cron_day(text: str) -> int:
    text = text.strip().lower()
    if text.isdigit() and int(text) <= 7:
        return int(text)
    if text in _CRON_DAYS:
        return _CRON_DAYS.index(text)
    raise ValueError(f"bad weekday {text!r}")


def run_scheduler(scheduler: BlockingScheduler, *, install_signals: bool = True) -> None:
    """Run until SIGTERM or SIGINT; a check that is running then finishes before we return.

    The handler does not call ``shutdown`` itself: it runs on the main thread, which may be
    inside the scheduler holding its locks, and shutdown(wait=True) would then wait for a job
    whose completion callback needs those locks. A helper thread shuts down instead; the main
    loop sees the stop, returns from ``start``, and we wait for the helper.
    """
    stopping: list[threading.Thread] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stopping:
            log.info("received %s; still waiting for the running check to finish", name)
            return
        log.info("received %s; stopping after any running check finishes", name)
        thread = threading.Thread(target=_shutdown, args=(scheduler,), daemon=True)
        stopping.append(thread)
        thread.start()

    previous = {}
    if install_signals:
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, stop)
    try:
        job = scheduler.get_job(JOB_ID)
        log.info("scheduler started; job %s runs on %s", JOB_ID, job.trigger if job else "-")
        scheduler.start()
        for thread in stopping:
            thread.join()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    log.info("scheduler stopped")


def _shutdown(scheduler: BlockingScheduler) -> None:
    # A signal between installing the handlers and start() would find nothing to shut down.
    while not scheduler.running:
        time.sleep(0.05)
    scheduler.shutdown(wait=True)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is now, not the stream it was when created (a test
    harness or a daemon may swap it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(
    log_file: Path | None,
    level: int | str = logging.INFO,
    *,
    max_bytes: int = 5_000_000,
    backup_count: int = 5,
) -> None:
    """Log to stderr and, when ``log_file`` is given, to a rotating file as well.

    Replaces handlers a previous call added, so calling it twice does not double each line.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_tracker", False)]:
        root.removeHandler(handler)
        handler.close()
    handlers: list[logging.Handler] = [_StderrHandler()]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            RotatingFileHandler(
                log_file, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
            )
        )
    for handler in handlers:
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler._tracker = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
