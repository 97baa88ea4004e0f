"""Cron across daylight saving time in America/New_York: each time at most once, none lost.

2026-03-08: 02:00 EST jumps to 03:00 EDT (02:00-02:59 does not exist).
2026-11-01: 02:00 EDT falls back to 01:00 EST (01:00-01:59 happens twice).
The trigger is stepped as APScheduler's scheduler steps it: each fire time becomes the
previous one, and ``now`` is when the scheduler wakes for it. No sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from tracker.run.schedule import cron_trigger

NEW_YORK = ZoneInfo("America/New_York")
SPRING_EVE = datetime(2026, 3, 7, 12, 0, tzinfo=NEW_YORK)
FALL_EVE = datetime(2026, 10, 31, 12, 0, tzinfo=NEW_YORK)


def fire_times(
    trigger: CronTrigger, start: datetime, count: int, late: timedelta = timedelta(0)
) -> list[str]:
    """The next ``count`` fire times as wall time and offset; the scheduler wakes ``late``."""
    times: list[str] = []
    previous, now = None, start
    for _ in range(count):
        previous = trigger.get_next_fire_time(previous, now)
        assert previous is not None
        times.append(previous.strftime("%a %m-%d %H:%M %Z"))
        # Via UTC: datetime arithmetic drops ``fold``, which would turn 01:30 EST into EDT.
        now = (previous.astimezone(UTC) + late).astimezone(NEW_YORK)
    return times


@pytest.mark.parametrize("late", [timedelta(0), timedelta(seconds=2)])
def test_a_time_the_clocks_repeat_runs_once(late: timedelta) -> None:
    assert fire_times(cron_trigger("30 1 * * *", NEW_YORK), FALL_EVE, 3, late) == [
        "Sun 11-01 01:30 EDT",
        "Mon 11-02 01:30 EST",
        "Tue 11-03 01:30 EST",
    ]


@pytest.mark.parametrize("late", [timedelta(0), timedelta(seconds=2)])
def test_a_time_the_clocks_skip_runs_when_they_land(late: timedelta) -> None:
    assert fire_times(cron_trigger("30 2 * * *", NEW_YORK), SPRING_EVE, 3, late) == [
        "Sun 03-08 03:00 EDT",
        "Mon 03-09 02:30 EDT",
        "Tue 03-10 02:30 EDT",
    ]


def test_several_times_in_the_repeated_hour_run_once_each() -> None:
    start = datetime(2026, 11, 1, 0, 0, tzinfo=NEW_YORK)
    assert fire_times(cron_trigger("0,30 1-3 * * *", NEW_YORK), start, 8) == [
        "Sun 11-01 01:00 EDT",
        "Sun 11-01 01:30 EDT",
        "Sun 11-01 02:00 EST",
        "Sun 11-01 02:30 EST",
        "Sun 11-01 03:00 EST",
        "Sun 11-01 03:30 EST",
        "Mon 11-02 01:00 EST",
        "Mon 11-02 01:30 EST",
    ]


def test_several_skipped_times_run_once_at_the_end_of_the_gap() -> None:
    start = datetime(2026, 3, 8, 0, 0, tzinfo=NEW_YORK)
    assert fire_times(cron_trigger("0,30,59 2-3 * * *", NEW_YORK), start, 5) == [
        "Sun 03-08 03:00 EDT",  # 02:00, 02:30, 02:59 and 03:00 itself
        "Sun 03-08 03:30 EDT",
        "Sun 03-08 03:59 EDT",
        "Mon 03-09 02:00 EDT",
        "Mon 03-09 02:30 EDT",
    ]


def test_both_transitions_with_both_day_fields_restricted() -> None:
    # Both nights are Sundays; "the 1st or a Sunday" is an OrTrigger of two cron triggers.
    assert fire_times(cron_trigger("30 1 1 * sun", NEW_YORK), FALL_EVE, 3) == [
        "Sun 11-01 01:30 EDT",
        "Sun 11-08 01:30 EST",
        "Sun 11-15 01:30 EST",
    ]
    assert fire_times(cron_trigger("30 2 1 * sun", NEW_YORK), SPRING_EVE, 3) == [
        "Sun 03-08 03:00 EDT",
        "Sun 03-15 02:30 EDT",
        "Sun 03-22 02:30 EDT",
    ]


def test_a_start_inside_the_repeated_hour_waits_for_the_next_day() -> None:
    second_one_fifteen = datetime(2026, 11, 1, 1, 15, fold=1, tzinfo=NEW_YORK)  # EST
    assert fire_times(cron_trigger("30 1 * * *", NEW_YORK), second_one_fifteen, 1) == [
        "Mon 11-02 01:30 EST"
    ]


def test_what_apscheduler_alone_does() -> None:
    """Why the wrapper exists (APScheduler 3.11, pinned <4): twice in the fall, an hour late
    in the spring. If this changes on an upgrade, re-read CronTrigger.get_next_fire_time."""

    def alone(minute: str, hour: str) -> CronTrigger:
        return CronTrigger(minute=minute, hour=hour, timezone=NEW_YORK)

    assert fire_times(alone("30", "1"), FALL_EVE, 3) == [
        "Sun 11-01 01:30 EDT",
        "Sun 11-01 01:30 EST",
        "Mon 11-02 01:30 EST",
    ]
    # 02:30 EST does not exist on 8 March: the instant it names is 03:30 EDT, an hour late.
    assert fire_times(alone("30", "2"), SPRING_EVE, 2) == [
        "Sun 03-08 02:30 EST",
        "Mon 03-09 02:30 EDT",
    ]
    late = alone("30", "2").get_next_fire_time(None, SPRING_EVE)
    assert late.astimezone(UTC).astimezone(NEW_YORK) == datetime(2026, 3, 8, 3, 30, tzinfo=NEW_YORK)
