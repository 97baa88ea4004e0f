"""`tracker status`: is the unattended tracker healthy? Pure: the ledger in, a verdict out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.store import OutboxItem, Run


@dataclass(frozen=True)
class Health:
    healthy: bool
    lines: tuple[str, ...]


def health(
    runs: Sequence[Run], pending: Sequence[OutboxItem], *, now: datetime, stale_after_days: int
) -> Health:
    """Unhealthy when the last finished run failed, or no run succeeded within the window."""
    finished = [r for r in runs if r.outcome != "running"]  # runs are newest first
    if not finished:
        return Health(False, ("FAIL: no check has run yet; run `tracker check`",))
    last = finished[0]
    success = next((r for r in finished if r.outcome == "ok"), None)
    lines = [f"last run #{last.id} ({last.trigger}) at {_when(last.started_at)}: {last.outcome}"]
    healthy = True
    if last.outcome != "ok":
        healthy = False
        lines.insert(0, f"FAIL: the last run failed: {last.error}")
    if success is None:
        healthy = False
        lines.insert(0, "FAIL: no run has succeeded yet")
    elif now - success.started_at > timedelta(days=stale_after_days):
        healthy = False
        lines.insert(
            0,
            f"FAIL: no successful run since {_when(success.started_at)} "
            f"(more than stale_after_days = {stale_after_days}); is the scheduler running?",
        )
    else:
        lines.append(f"last success: run #{success.id} at {_when(success.started_at)}")
    if pending:
        error = pending[0].last_error or "-"
        lines.append(f"{len(pending)} email(s) waiting in the outbox; last error: {error}")
    if healthy:
        lines.insert(0, "OK")
    return Health(healthy, tuple(lines))


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"
