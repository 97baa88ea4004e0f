"""The scheduler: fires once per trigger, never overlaps, reads cron as cron does, stops cleanly."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES, JobEvent
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from tracker.errors import ConfigError
from tracker.run.schedule import build_scheduler, configure_logging, run_scheduler

ROOT = Path(__file__).resolve().parents[1]
NEW_YORK = ZoneInfo("America/New_York")
INTERVAL = timedelta(seconds=0.1)
PATIENCE = 30  # seconds to wait for something that should happen within a fraction of one


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.02)


def run_in_background(scheduler: BlockingScheduler) -> threading.Thread:
    thread = threading.Thread(
        target=run_scheduler, args=(scheduler,), kwargs={"install_signals": False}
    )
    thread.start()
    return thread


def test_fires_once_per_trigger() -> None:
    calls: list[int] = []
    scheduled: list[datetime] = []
    done = threading.Event()

    def job() -> None:
        calls.append(1)
        if len(calls) == 4:
            done.set()

    scheduler = build_scheduler(job, trigger=IntervalTrigger(seconds=INTERVAL.total_seconds()))
    scheduler.add_listener(lambda e: scheduled.append(e.scheduled_run_time), EVENT_JOB_EXECUTED)
    thread = run_in_background(scheduler)
    assert done.wait(PATIENCE)
    scheduler.shutdown(wait=True)
    thread.join(PATIENCE)

    # Every run belongs to its own fire time of the trigger: none ran twice, none invented.
    assert len(calls) == len(scheduled) >= 4
    assert scheduled == sorted(set(scheduled))
    assert all((t - scheduled[0]) % INTERVAL == timedelta(0) for t in scheduled)


def test_a_slow_job_is_skipped_never_run_twice_at_once() -> None:
    lock = threading.Lock()
    sequence: list[str] = []
    running = 0
    most_running = 0
    gate = threading.Event()
    done = threading.Event()
    skipped: list[JobEvent] = []

    def job() -> None:
        nonlocal running, most_running
        with lock:
            running += 1
            most_running = max(most_running, running)
            sequence.append("start")
            first = len(sequence) == 1
        if first:
            gate.wait(PATIENCE)  # overrun: the next fire times come while this still runs
        with lock:
            running -= 1
            sequence.append("end")
            if sequence.count("end") == 3:
                done.set()

    def on_skip(event: JobEvent) -> None:
        skipped.append(event)
        gate.set()

    scheduler = build_scheduler(job, trigger=IntervalTrigger(seconds=INTERVAL.total_seconds()))
    scheduler.add_listener(on_skip, EVENT_JOB_MAX_INSTANCES)
    thread = run_in_background(scheduler)
    assert done.wait(PATIENCE)
    scheduler.shutdown(wait=True)
    thread.join(PATIENCE)

    assert skipped  # the scheduler did try to start it again while it ran, and refused
    assert most_running == 1
    assert sequence == ["start", "end"] * (len(sequence) // 2)


def test_job_settings() -> None:
    scheduler = build_scheduler(lambda: None, cron="15 6 * * 1-5", timezone="America/New_York")
    [job] = scheduler.get_jobs()
    assert (job.id, job.max_instances, job.coalesce, job.misfire_grace_time) == (
        "check",
        1,
        True,
        3600,
    )
    assert scheduler.timezone == NEW_YORK


def fire_times(cron: str, start: datetime, count: int = 3) -> str:
    trigger = (
        build_scheduler(lambda: None, cron=cron, timezone="America/New_York").get_jobs()[0].trigger
    )
    times, previous, now = [], None, start
    for _ in range(count):
        previous = trigger.get_next_fire_time(previous, now)
        now = previous + timedelta(microseconds=1)
        times.append(previous.strftime("%a %m-%d %H:%M %Z"))
    return ", ".join(times)


SATURDAY = datetime(2026, 1, 3, 12, 0, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        # Cron weekdays: 0 and 7 are Sunday, 1 is Monday (APScheduler 3.x alone would say Tuesday).
        ("15 6 * * 1-5", "Mon 01-05 06:15 EST, Tue 01-06 06:15 EST, Wed 01-07 06:15 EST"),
        ("0 9 * * 0", "Sun 01-04 09:00 EST, Sun 01-11 09:00 EST, Sun 01-18 09:00 EST"),
        ("0 9 * * 7", "Sun 01-04 09:00 EST, Sun 01-11 09:00 EST, Sun 01-18 09:00 EST"),
        ("0 9 * * */3", "Sun 01-04 09:00 EST, Wed 01-07 09:00 EST, Sat 01-10 09:00 EST"),
        ("0 9 * * fri-sun", "Sun 01-04 09:00 EST, Fri 01-09 09:00 EST, Sat 01-10 09:00 EST"),
        ("0 9 * * 1,3", "Mon 01-05 09:00 EST, Wed 01-07 09:00 EST, Mon 01-12 09:00 EST"),
        # Both day fields restricted: cron runs on either (the 1st, and every Monday).
        ("0 6 1 * mon", "Mon 01-05 06:00 EST, Mon 01-12 06:00 EST, Mon 01-19 06:00 EST"),
        ("0 6 1 2 mon", "Sun 02-01 06:00 EST, Mon 02-02 06:00 EST, Mon 02-09 06:00 EST"),
        # Wall-clock time in the zone across the DST change (8 March 2026).
        ("30 7 7-9 3 *", "Sat 03-07 07:30 EST, Sun 03-08 07:30 EDT, Mon 03-09 07:30 EDT"),
    ],
)
def test_cron_means_what_crontab_means(cron: str, expected: str) -> None:
    assert fire_times(cron, SATURDAY) == expected


@pytest.mark.parametrize(
    ("cron", "problem"),
    [
        ("15 6 * *", "4 fields"),
        (
            "61 6 * * *",
            "Error validating expression '61': the last value (61) is higher than the maximum "
            "value (59)",
        ),
        ("15 6 * * 8", "bad weekday '8'"),
        ("15 6 * * funday", "bad weekday 'funday'"),
        ("15 6 * * 5-1", "weekday range '5-1' runs backwards"),
        ("15 6 * * */0", "bad step in weekday '*/0'"),
    ],
)
def test_bad_cron_names_the_key(cron: str, problem: str) -> None:
    with pytest.raises(ConfigError) as error:
        build_scheduler(lambda: None, cron=cron, timezone="UTC")
    assert str(error.value) == (
        f"[schedule] cron: {cron!r} is not a crontab expression ({problem}); use 5 fields "
        'minute hour day month weekday, e.g. "15 6 * * 1-5" for 06:15 on weekdays'
    )


def test_bad_timezone_names_the_key_and_file() -> None:
    with pytest.raises(ConfigError) as error:
        build_scheduler(lambda: None, cron="15 6 * * *", timezone="Eastern", source="tracker.toml")
    assert str(error.value) == (
        "tracker.toml: [schedule] timezone: unknown time zone 'Eastern'; "
        'use an IANA name like "America/New_York" or "UTC"'
    )


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_logging_to_a_rotating_file_once_per_line(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "tracker.log"
    configure_logging(log_file, "INFO")
    configure_logging(log_file, logging.INFO)  # again, as a second command in one process would
    logging.getLogger("tracker.test").info("checked 2026-Q2")
    logging.getLogger("tracker.test").debug("not shown")

    [line] = log_file.read_text().splitlines()
    assert line.endswith(" INFO tracker.test: checked 2026-Q2")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stops_cleanly_on_signal_after_the_running_check(tmp_path: Path, signum: int) -> None:
    log_file = tmp_path / "tracker.log"
    events = tmp_path / "events"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "scheduler_child.py"), str(log_file), str(tmp_path)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        wait_for(lambda: events.exists() and events.read_text() == "start\n")
        proc.send_signal(signum)
        wait_for(lambda: "stopping after any running check finishes" in log_file.read_text())
        (tmp_path / "release").touch()  # only now may the running check finish
        _, stderr = proc.communicate(timeout=PATIENCE)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert proc.returncode == 0, stderr
    assert events.read_text() == "start\nend\n"  # it finished, and nothing started after
    messages = [
        line.split(" ", 2)[2]  # without the date and time
        for line in log_file.read_text().splitlines()
        if "apscheduler.executors" not in line  # "Running job ...", "... executed successfully"
    ]
    name = signal.Signals(signum).name
    assert messages[-4:] == [
        f"INFO tracker.run.schedule: received {name}; stopping after any running check finishes",
        "INFO scheduler_child: job finished",
        "INFO apscheduler.scheduler: Scheduler has been shut down",
        "INFO tracker.run.schedule: scheduler stopped",
    ]
    assert stderr.splitlines()[-1].endswith("INFO tracker.run.schedule: scheduler stopped")
