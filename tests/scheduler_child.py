"""The process tests/test_schedule.py stops with a signal: a scheduler with one slow job.

    python tests/scheduler_child.py LOG_FILE WORK_DIR

The job appends "start" to WORK_DIR/events, waits until WORK_DIR/release exists, then appends
"end": the test signals while the job is mid-run and checks it finished before the exit.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from apscheduler.triggers.interval import IntervalTrigger

from tracker.run.schedule import build_scheduler, configure_logging, run_scheduler

log = logging.getLogger("scheduler_child")


def main(log_file: Path, work: Path) -> None:
    events = work / "events"

    def job() -> None:
        with events.open("a") as out:
            out.write("start\n")
        while not (work / "release").exists():
            time.sleep(0.02)
        log.info("job finished")
        with events.open("a") as out:
            out.write("end\n")

    configure_logging(log_file)
    run_scheduler(build_scheduler(job, trigger=IntervalTrigger(seconds=0.1)))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
