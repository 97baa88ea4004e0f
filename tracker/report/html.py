"""A diff as a self-contained HTML page (``--format html``, the email's HTML part) and as the
email's plain-text part. Pure: values in, a string out.

Both render one ``tracker.report.digest.Digest``, so they carry the same content in the same
order. The page has no external assets (inline CSS, no scripts, no images) so it opens from a
shared drive and in a mail client that blocks remote content. Everything from CMS is escaped:
descriptions contain "&", "<" and ">".
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from html import escape

from tracker.records import Change, Diff, Impact
from tracker.report.digest import (
    COLUMNS,
    Digest,
    Part,
    Section,
    Watch,
    build_digest,
    change_row,
    columns_text,
    counts_line,
    disagreements,
    explanations_line,
    field_rows,
    legend,
    used_columns,
)
from tracker.report.values import iso

_STYLE = """
body { font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #222; margin: 1em; }
h1 { font-size: 20px; } h2 { font-size: 17px; margin-top: 1.5em; } h3 { font-size: 15px; }
table { border-collapse: collapse; margin: 0.4em 0 0.8em; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
td.code { font-family: Consolas, "Courier New", monospace; white-space: nowrap; }
td.date { white-space: nowrap; }
table.fields { margin: 0; } table.fields th { background: #f6f6f6; }
del { background: #fdd; } ins { background: #dfd; text-decoration: none; }
p.note { color: #555; margin: 0.2em 0; } p.more { font-style: italic; }
td.num { text-align: right; } svg { display: block; margin: 0.5em 0; }
"""
# Old and new together longer than this get their changed words marked (<del>, <ins>).
_MARK_FROM = 100
_CODE_COLUMNS = frozenset({"Code"})
_DATE_COLUMNS = frozenset({"Added", "Action effective", "Terminated"})
_FIRST = frozenset({0})


def render_html(
    diff_or_diffs: Diff | Sequence[Diff],
    *,
    impacts: Sequence[Impact] = (),
    max_codes: int | None = None,
    more_note: str = "",
    notes: Sequence[str] = (),
) -> str:
    """The page: watchlist impact, then the sections of each diff in reading order, each
    listing at most ``max_codes`` codes ("N more" + ``more_note`` when cut)."""
    return digest_html(
        build_digest(diff_or_diffs, impacts, max_codes=max_codes, notes=notes, more_note=more_note)
    )


def render_email_text(
    diff_or_diffs: Diff | Sequence[Diff],
    *,
    impacts: Sequence[Impact] = (),
    max_codes: int | None = None,
    more_note: str = "",
    notes: Sequence[str] = (),
) -> str:
    """The same content as ``render_html``, as plain text (the email's text part)."""
    return digest_text(
        build_digest(diff_or_diffs, impacts, max_codes=max_codes, notes=notes, more_note=more_note)
    )


# --- HTML --------------------------------------------------------------------------------


def page(title: str, body: Sequence[str]) -> str:
    """A whole self-contained page around ``body`` (HTML already escaped)."""
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>"
    )
    return "\n".join([head, *body, "</body>\n</html>"]) + "\n"


def digest_html(digest: Digest) -> str:
    several = len(digest.parts) > 1
    body = [f"<h1>{escape(digest.title)}</h1>"]
    body += [_releases_html(part, several) for part in digest.parts]
    if digest.notes:
        body.append("<ul>" + "".join(f"<li>{escape(n)}</li>" for n in digest.notes) + "</ul>")
    if digest.watches:
        body.append("<h2>Your watchlists</h2>")
        for watch in digest.watches:
            body += _watch_html(watch, digest)
    for part in digest.parts:
        if several:
            body.append(f"<h2>{escape(part.title)}</h2>")
        if not part.sections:
            body.append("<p>No changes.</p>")
        for section in part.sections:
            body += _section_html(section, digest, 3 if several else 2)
    body += _legend_html(digest)
    return page(digest.title, body)


def _releases_html(part: Part, several: bool) -> str:
    old, new = part.diff.old, part.diff.new
    lines = [
        f"{escape(old.label)} (effective {old.effective}, {escape(old.source_name)}) &rarr; "
        f"{escape(new.label)} (effective {new.effective}, {escape(new.source_name)})",
        f"Counts: {escape(counts_line(part.diff))}",
    ]
    if explanations := explanations_line(part.diff):
        lines.append(f"Explanations: {escape(explanations)}")
    lead = f"<strong>{escape(part.title)}</strong><br>" if several else ""
    return "<p>" + lead + "<br>".join(lines) + "</p>"


def _watch_html(watch: Watch, digest: Digest) -> list[str]:
    out = [
        f"<h3>{escape(watch.impact.watchlist)}</h3>",
        f"<p><strong>{escape(watch.headline)}</strong></p>",
    ]
    if watch.shown:
        head = ["Code", "Change", "Description", "Explanation", "Successors", "Fields changed"]
        out.append("<table>")
        out.append(_row([*head, *watch.columns], "th", frozenset()))
        for w in watch.shown:
            cells = [*_watched_cells(w.change), *(w.columns.get(n, "") for n in watch.columns)]
            out.append(_row(cells, "td", _FIRST))
        out.append("</table>")
    if watch.omitted:
        out.append(f'<p class="more">{escape(digest.more(watch.omitted))}</p>')
    if watch.impact.unknown:
        out.append(f"<p>{escape(_unknown_text(watch, digest))}</p>")
    return out


def _watched_cells(change: Change) -> list[str]:
    row = change_row(change)
    fields = ", ".join(dict.fromkeys(name for name, _, _ in field_rows(change)))
    return [change.code, change.category, change.description, row[5], row[7], fields]


def _unknown_text(watch: Watch, digest: Digest) -> str:
    count = len(watch.impact.unknown)
    more = f" ({digest.more(watch.unknown_omitted)})" if watch.unknown_omitted else ""
    return (
        f"{count} watched code{'s are' if count != 1 else ' is'} in no stored release "
        f"(a typo, or a CPT code): {', '.join(watch.unknown)}{more}"
    )


def _section_html(section: Section, digest: Digest, level: int) -> list[str]:
    out = [
        f"<h{level}>{escape(section.title)} ({section.total})</h{level}>",
        f'<p class="note">{escape(section.note)}</p>',
    ]
    if section.claims:
        out.append("<table>")
        out.append(_row(["Code", "CMS action", "Action effective"], "th", frozenset()))
        out += [
            _row([c.code, c.action, iso(c.action_effective)], "td", _FIRST, frozenset({2}))
            for c in section.claims
        ]
        out.append("</table>")
    if section.changes:
        out += _changes_html(section.changes)
    if section.omitted:
        out.append(f'<p class="more">{escape(digest.more(section.omitted))}</p>')
    return out


def _changes_html(changes: Sequence[Change]) -> list[str]:
    rows = [change_row(c) for c in changes]
    keep = used_columns(rows)
    codes = frozenset(i for i, k in enumerate(keep) if COLUMNS[k] in _CODE_COLUMNS)
    dates = frozenset(i for i, k in enumerate(keep) if COLUMNS[k] in _DATE_COLUMNS)
    out = ["<table>", _row([COLUMNS[k] for k in keep], "th", frozenset())]
    for change, row in zip(changes, rows, strict=True):
        out.append(_row([row[k] for k in keep], "td", codes, dates))
        detail = _detail_html(change)
        if detail:
            out.append(f'<tr><td></td><td colspan="{len(keep) - 1}">{detail}</td></tr>')
    out.append("</table>")
    return out


def _detail_html(change: Change) -> str:
    """The field changes as a small old/new table, and where the ZIP's copies disagree."""
    out = []
    if change.fields:
        rows = ["<tr><th>Field</th><th>Old</th><th>New</th></tr>"]
        for name, old, new in field_rows(change):
            was, now = _marked(old, new)
            rows.append(f"<tr><td>{escape(name)}</td><td>{was}</td><td>{now}</td></tr>")
        out.append('<table class="fields">' + "".join(rows) + "</table>")
    out += [f'<p class="note">{escape(line)}</p>' for line in disagreements(change)]
    return "".join(out)


def _marked(old: str, new: str) -> tuple[str, str]:
    """Old and new, escaped and whole; when long, the words removed from old in <del> and
    the words added in new in <ins> (a long description often changes by a few words)."""
    if len(old) + len(new) <= _MARK_FROM:
        return escape(old), escape(new)
    a, b = old.split(), new.split()
    was: list[str] = []
    now: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        left, right = escape(" ".join(a[i1:i2])), escape(" ".join(b[j1:j2]))
        if tag == "equal":
            was.append(left)
            now.append(right)
            continue
        if left:
            was.append(f"<del>{left}</del>")
        if right:
            now.append(f"<ins>{right}</ins>")
    return " ".join(was), " ".join(now)


def _row(
    cells: Sequence[str], tag: str, codes: frozenset[int], dates: frozenset[int] = frozenset()
) -> str:
    out = []
    for i, cell in enumerate(cells):
        css = ' class="code"' if i in codes else ' class="date"' if i in dates else ""
        out.append(f"<{tag}{css}>{escape(cell)}</{tag}>")
    return "<tr>" + "".join(out) + "</tr>"


def _legend_html(digest: Digest) -> list[str]:
    actions, explanations = legend(digest)
    if not actions and not explanations:
        return []
    out = ["<h2>Legend</h2>", "<table>", _row(["", "Meaning"], "th", frozenset())]
    out += [_row([f"CMS action {k}", v], "td", frozenset()) for k, v in actions]
    out += [_row([k, v], "td", frozenset()) for k, v in explanations]
    out.append("</table>")
    return out


# --- plain text --------------------------------------------------------------------------

_INDENT = " " * 9


def digest_text(digest: Digest) -> str:
    several = len(digest.parts) > 1
    lines = [digest.title, "=" * len(digest.title)]
    for part in digest.parts:
        lines += _releases_text(part, several)
    if digest.notes:
        lines += ["", "Notes:", *(f"- {note}" for note in digest.notes)]
    if digest.watches:
        lines += _heading("Your watchlists")
        for watch in digest.watches:
            lines += _watch_text(watch, digest)
    for part in digest.parts:
        if several:
            lines += ["", "", part.title, "=" * len(part.title)]
        if not part.sections:
            lines += ["", "No changes."]
        for section in part.sections:
            lines += _section_text(section, digest)
    lines += _legend_text(digest)
    return "\n".join(lines) + "\n"


def _heading(title: str) -> list[str]:
    return ["", title.upper(), "-" * len(title)]


def _releases_text(part: Part, several: bool) -> list[str]:
    old, new = part.diff.old, part.diff.new
    lines = [
        f"{old.label} (effective {old.effective}, {old.source_name}) -> "
        f"{new.label} (effective {new.effective}, {new.source_name})",
        f"Counts: {counts_line(part.diff)}",
    ]
    if explanations := explanations_line(part.diff):
        lines.append(f"Explanations: {explanations}")
    return ["", part.title, *lines] if several else lines


def _watch_text(watch: Watch, digest: Digest) -> list[str]:
    lines = ["", f"{watch.impact.watchlist}: {watch.headline}"]
    for w in watch.shown:
        change = w.change
        lines.append(f"  {change.code:<6} {change.category}: {change.description}")
        cells = _watched_cells(change)
        details = [
            f"explanation {cells[3]}" if cells[3] else "",
            f"successors: {cells[4]}" if cells[4] else "",
            f"fields changed: {cells[5]}" if cells[5] else "",
            columns_text(w.columns, watch.columns),
        ]
        lines += [f"{_INDENT}{d}" for d in details if d]
    if watch.omitted:
        lines.append(f"  {digest.more(watch.omitted)}")
    if watch.impact.unknown:
        lines.append(f"  {_unknown_text(watch, digest)}")
    return lines


def _section_text(section: Section, digest: Digest) -> list[str]:
    lines = [*_heading(f"{section.title} ({section.total})"), section.note]
    for claim in section.claims:
        when = claim.action_effective.isoformat() if claim.action_effective else "undated"
        lines.append(f"  {claim.code:<6} [{claim.action}] dated {when}")
    for change in section.changes:
        lines += _change_text(change)
    if section.omitted:
        lines.append(f"  {digest.more(section.omitted)}")
    return lines


def _change_text(change: Change) -> list[str]:
    row = change_row(change)
    action = f"[{change.action}] " if change.action else ""
    lines = [f"  {change.code:<6} {action}{change.description}"]
    dated = [f"{COLUMNS[i].lower()} {row[i]}" for i in (2, 3, 4) if row[i]]
    if row[5]:
        dated.append(f"explanation {row[5]}")
    if dated:
        lines.append(_INDENT + "; ".join(dated))
    if row[7]:
        lines.append(f"{_INDENT}successors: {row[7]}")
    for name, old, new in field_rows(change):
        if len(old) + len(new) <= _MARK_FROM:
            lines.append(f"{_INDENT}{name}: {old} -> {new}")
        else:  # long values whole, one under the other, so the eye can compare them
            lines += [f"{_INDENT}{name}:", f"{_INDENT}  old: {old}", f"{_INDENT}  new: {new}"]
    lines += [_INDENT + line for line in disagreements(change)]
    return lines


def _legend_text(digest: Digest) -> list[str]:
    actions, explanations = legend(digest)
    if not actions and not explanations:
        return []
    lines = _heading("Legend")
    lines += [f"  CMS action {k}: {v}" for k, v in actions]
    lines += [f"  {k}: {v}" for k, v in explanations]
    return lines
