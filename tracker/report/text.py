"""A diff, or a code's history, as text for a terminal. Pure: values in, a string out."""

from __future__ import annotations

import difflib
from collections import Counter

from tracker.diff import CATEGORIES
from tracker.hcpcs.legend import action_legend
from tracker.life import Life
from tracker.reconcile import ORDER, reading_order
from tracker.records import HCPCS, Change, Claim, Diff
from tracker.report.life import standing_text
from tracker.report.values import (
    disagreement_text,
    field_name,
    shown_text,
    successors_text,
)


def summary_line(diff: Diff) -> str:
    counts = ", ".join(f"{diff.summary.get(c, 0)} {c}" for c in CATEGORIES)
    return f"{diff.old.label} -> {diff.new.label}: {counts}"


def render_text(diff: Diff, *, limit: int | None = None) -> str:
    """A summary for a terminal: counts with their explanations, then each code with its field
    changes, anomalies first within each category."""
    lines = [
        f"{diff.old.code_set} {diff.old.label} (effective {diff.old.effective}) -> "
        f"{diff.new.label} (effective {diff.new.effective})",
        "",
        *_counts(diff),
    ]
    if diff.new.code_set == HCPCS:
        lines += ["", action_legend()]
    removed = [c.code for c in diff.changes if c.reason == "removed"]
    if removed:
        lines += [
            "",
            f"WARNING: {len(removed)} code(s) removed without a termination date "
            f"(CMS normally terminates a code first; check): {', '.join(removed)}",
        ]
    if not diff.changes:
        lines += ["", "No changes."]
    shown = diff.changes if limit is None else diff.changes[:limit]
    for category in CATEGORIES:
        items = sorted((c for c in shown if c.category == category), key=reading_order)
        if items:
            lines += ["", f"{category.upper()} ({diff.summary.get(category, 0)})"]
            lines += [line for c in items for line in _change_lines(c)]
    if limit is not None and len(diff.changes) > limit:
        lines += ["", f"... and {len(diff.changes) - limit} more codes"]
    if diff.claimed_only:
        lines += [
            "",
            f"CLAIMED ONLY ({len(diff.claimed_only)}): CMS flags a change, no field moved",
        ]
        lines += [_claim_line(claim) for claim in diff.claimed_only]
    return "\n".join(lines) + "\n"


def _counts(diff: Diff) -> list[str]:
    """One line per category: its count, then how its changes are explained."""
    lines = []
    for category in CATEGORIES:
        tally = Counter(c.explanation for c in diff.changes if c.category == category)
        why = ", ".join(f"{tally[name]} {name}" for name in ORDER if tally[name])
        lines.append(f"  {category:<13}{diff.summary.get(category, 0):>6}   {why}".rstrip())
    if diff.claimed_only:
        lines.append(f"  {'claimed only':<13}{len(diff.claimed_only):>6}")
    return lines


def _change_lines(change: Change) -> list[str]:
    head = f"  {change.code:<6}"
    if change.action:
        head += f" [{change.action}]"
    note = _explanation(change)
    if note:
        head += f" ({note})"
    lines = [f"{head} {change.description}"]
    for f in change.fields:
        old, new = shown_text(f.field, f.old), shown_text(f.field, f.new)
        if len(old) + len(new) <= _INLINE or old.split() == new.split():
            lines.append(f"      {field_name(f.field)}: {old!r} -> {new!r}")
        else:  # never cut: a cut can make two different texts read the same (G8442)
            lines.append(f"      {field_name(f.field)}: {word_diff(old, new)}")
    if change.successors:
        lines.append(f"      successors: {successors_text(change.successors)}")
    lines += [
        f"      the ZIP's copies disagree on {disagreement_text(d)}" for d in change.copies_disagree
    ]
    return lines


# Old and new together up to this long are shown side by side; longer ones as a word diff.
_INLINE = 100


def word_diff(old: str, new: str) -> str:
    """The new text with what was removed as [-...-] and what was added as {+...+}."""
    a, b = old.split(), new.split()
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out += a[i1:i2]
            continue
        if i2 > i1:
            out.append("[-" + " ".join(a[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + " ".join(b[j1:j2]) + "+}")
    return " ".join(out)


def _explanation(change: Change) -> str:
    """The explanation, with the dates that make it: both dates of a transient code."""
    if change.explanation is None:
        return change.reason or ""
    if change.explanation == "transient":
        return f"transient: added {change.added}, ended {change.terminated}"
    if change.explanation == "retroactive":
        return f"retroactive: added {change.added}"
    if change.explanation == "mid_period":
        return f"mid_period: action of {change.action_effective}"
    return change.explanation


def _claim_line(claim: Claim) -> str:
    when = claim.action_effective.isoformat() if claim.action_effective else "undated"
    return f"  {claim.code:<6} [{claim.action}] dated {when}"


def render_history(life: Life) -> str:
    """A code's whole life: where it stands in the newest release, when it was first seen
    (with its add date), its successors when it ended, then each release in which it
    appeared, changed or went, with CMS's explanation and dates."""
    first = life.entries[0]
    added = f", added {first.change.added}" if first.change.added else ""
    lines = [
        f"{life.code}  {life.entries[-1].change.description}",
        f"status: {standing_text(life.standing)}",
        f"first seen: {first.release.info.label} (effective {first.release.info.effective})"
        + added,
    ]
    if life.standing.ended:
        lines.append(f"successors: {successors_text(life.successors) or 'none known'}")
    for e in life.entries:
        info = e.release.info
        since = f" since {e.previous.info.label}" if e.previous else ""
        what = e.change.category.replace("_", " ")
        change_lines = _change_lines(e.change)
        dates = _dates(e.change)
        lines += ["", f"{info.label} (effective {info.effective}): {what}{since}"]
        lines += [change_lines[0], *([f"      {dates}"] if dates else []), *change_lines[1:]]
    return "\n".join(lines) + "\n"


def _dates(change: Change) -> str:
    """ "added 2020-01-01, action effective 2025-04-01, terminated 2025-03-31"."""
    dates = [
        ("added", change.added),
        ("action effective", change.action_effective),
        ("terminated", change.terminated),
    ]
    return ", ".join(f"{name} {day}" for name, day in dates if day is not None)
