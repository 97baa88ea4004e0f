"""TEST ONLY: kill a check at a named point, to prove it recovers (tests/test_faults.py).

A check calls its ``fault`` hook (``CycleDeps.fault``) at the points where a crash matters:

- ``stored:<label>``  a release's import has committed (the others not yet);
- ``imported``        every release is imported, no report written yet;
- ``reported``        the reports are written, no email queued yet;
- ``queued``          the emails are queued and the releases marked reported, none sent yet;
- ``sent``            the SMTP server accepted an email, the outbox does not know yet.

The hook is a no-op, unless the environment variable ``TRACKER_FAULT_POINT`` names one of these
points: then `tracker check` sends itself SIGKILL there, as ``kill -9`` or a power cut would.
Nothing but the fault test sets it.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

FAULT_ENV = "TRACKER_FAULT_POINT"

Fault = Callable[[str], None]  # called with a point's name


def no_fault(point: str) -> None:
    """The hook outside the fault test: nothing happens."""


def fault_from_env(environ: Mapping[str, str]) -> Fault:
    """The hook for ``TRACKER_FAULT_POINT``: SIGKILL at that point; unset, ``no_fault``."""
    wanted = environ.get(FAULT_ENV, "")
    if not wanted:
        return no_fault
    log.warning("%s=%s: this process kills itself there (a test hook)", FAULT_ENV, wanted)

    def fault(point: str) -> None:
        if point == wanted:
            os.kill(os.getpid(), signal.SIGKILL)

    return fault
