"""Rich tables of the signals for `newsletter signals --format table` (printing only)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table

from newsletter.cli._app import cell
from newsletter.data.signals.models import GroupRow, Pay, Signals, SkillMove
from newsletter.edition.formatting import DASH, Formatter


def _table(title: str, *columns: str) -> Table:
    t = Table(title=title, title_justify="left", title_style="bold", show_edge=False)
    # Figures are never cut ("$202,0…" reads as another number): the names wrap first, and
    # a figure too wide for its column folds onto the next line whole.
    t.add_column(columns[0], justify="left", ratio=2, overflow="fold")
    for c in columns[1:]:
        t.add_column(c, justify="right", overflow="fold", min_width=min(len(c), 8))
    return t


def _pp(f: Formatter, now: float | None, before: float | None) -> str:
    return DASH if now is None or before is None else f.pp(now - before)


def _overview(s: Signals, f: Formatter) -> Table:
    t, p, r = s.totals, s.pay, s.remote
    prev = s.previous_week.isoformat() if s.previous_week else "none"
    tb = _table(
        f"Week of {s.week.isoformat()} (vs {prev})", "signal", "value", "previous", "change", "n"
    )
    tb.add_row("open roles", f.count(t.open), f.count(t.open_prev), f.change_pct(t.change_pct), "")
    avg = DASH if t.open_avg_4w is None else f.count(round(t.open_avg_4w))
    tb.add_row("  4-week average", avg, "", "", "")
    rr = (
        f"×{t.new_rate_ratio:.2f} [{t.new_rr_ci_low:.2f}, {t.new_rr_ci_high:.2f}]"
        if t.new_rate_ratio is not None and t.new_rr_ci_low and t.new_rr_ci_high
        else DASH
    )
    new_avg = DASH if t.new_avg_4w is None else f"avg {f.count(round(t.new_avg_4w))}"
    tb.add_row("new", f.count(t.new), new_avg, rr, "")
    tb.add_row("  reposted (in new)", f.count(t.reposted), "", "", "")
    tb.add_row("  genuinely new", f.count(t.new_excluding_reposts), "", "", "")
    tb.add_row("removed", f.count(t.removed), "", "", "")
    if t.removed_in_drops:
        tb.add_row("  [yellow]in flagged drops[/]", f.count(t.removed_in_drops), "", "", "")
    tb.add_row("net change", f.signed(t.net_change), "", "", "")
    # pay figures are of full-time (or unstated) postings; other kinds: the table below
    ft = f.count(t.open - p.apart_open)
    tb.add_row("pay disclosure", f.pct(p.disclosure_rate), "", "", ft)
    for label, now, before in (
        ("median pay", p.median, p.median_prev),
        ("pay P75", p.p75, p.p75_prev),
        ("pay P90", p.p90, p.p90_prev),
    ):
        tb.add_row(label, f.money(now, p.n), f.money(before), "", f.count(p.n))
    if p.change_pct is not None and p.ci_low is not None and p.ci_high is not None:
        mark = "[green]significant[/]" if p.significant else "not significant"
        ci = f"[{f.change_pct(p.ci_low)}, {f.change_pct(p.ci_high)}]"
        shift = f"{f.change_pct(p.change_pct)} {ci} {mark}"
    else:
        shift = DASH
    tb.add_row(
        f"pay shift ({p.method})",
        f.money(p.shift_median),
        f.money(p.shift_median_prev),
        shift,
        f"{f.count(p.shift_n)} / {f.count(p.shift_n_prev)} "
        f"({p.shift_window_weeks}w / {p.shift_window_weeks_prev}w)",
    )
    if p.like_for_like_pct is not None:
        tb.add_row(
            f"  like-for-like ({p.like_for_like_cell_kind})",
            "",
            "",
            f.change_pct(p.like_for_like_pct),
            f"{f.count(p.like_for_like_n)} in {p.like_for_like_cells} cells",
        )
    # the remote share is of the postings with a known work mode (its change gated):
    # the same figure here first, then the unknown share and the share of all postings
    tb.add_row(
        "remote share (known work mode)",
        f.pct(r.share_of_known, 1),
        f.pct(r.share_of_known_prev, 1),
        f.pp(r.known_change) if r.known_change is not None else DASH,
        f.count(r.n_known),
    )
    tb.add_row(
        "  unknown work mode",
        f.pct(r.unknown_share, 1),
        f.pct(r.unknown_share_prev, 1),
        _pp(f, r.unknown_share, r.unknown_share_prev),
        "",
    )
    tb.add_row(
        "  remote, of all postings",
        f.pct(r.share, 1),
        f.pct(r.share_prev, 1),
        _pp(f, r.share, r.share_prev),
        f.count(r.n),
    )
    return tb


def _apart(p: Pay, f: Formatter) -> Table:
    """The roles counted apart from the full-time pay figures, one row per kind."""
    tb = _table(
        f"Not full-time, counted apart from pay ({f.count(p.apart_open)} open, "
        f"{f.count(p.apart_n)} with pay)",
        "employment", "open", "new", "n pay", "median", "an hour",
    )  # fmt: skip
    for a in p.apart:
        tb.add_row(
            cell(a.name), f.count(a.open), f.count(a.new), f.count(a.n),
            f.money(a.median, a.n), f.hourly(a.median_hourly),
        )  # fmt: skip
    return tb


def _groups(title: str, rows: Sequence[GroupRow], f: Formatter) -> Table:
    tb = _table(title, "name", "open", "prev", "new", "removed", "share", "Δ share", "median pay")
    # the shares of a mix (every level, every category) add up to 100.0% (Formatter.shares)
    known = [g.share for g in rows if g.share is not None]
    shares = f.shares(known, 1) if len(known) == len(rows) else [f.pct(g.share, 1) for g in rows]
    for g, share in zip(rows, shares, strict=True):
        tb.add_row(
            cell(g.name),
            f.count(g.open),
            f.count(g.open_prev),
            f.count(g.new),
            f.count(g.removed),
            share,
            _pp(f, g.share, g.share_prev),
            f.money(g.median_pay, g.n_pay),
        )
    return tb


def _moves(title: str, moves: Sequence[SkillMove], f: Formatter) -> Table:
    tb = _table(title, "skill", "share of new", "baseline", "lift", "z", "postings")
    for m in moves:
        lift = DASH if m.lift is None else f"×{m.lift:.2f}"
        tb.add_row(
            cell(m.name),
            f.pct(m.share, 1),
            f.pct(m.share_prev, 1),
            lift,
            f"{m.z:+.2f}",
            f.count(m.postings),
        )
    if not moves:
        tb.add_row("[dim]none passed the gates[/]", "", "", "", "", "")
    return tb


def signals_tables(s: Signals, locale: str) -> Group:
    """Every section of the signals as Rich tables, most important first."""
    f = Formatter(locale)
    parts: list[Table] = [_overview(s, f)]
    if s.pay.apart:
        parts.append(_apart(s.pay, f))
    parts.append(_groups("Seniority", s.seniority, f))
    parts.append(_groups("Role categories", s.categories, f))
    if s.metros:
        parts.append(_groups("Metros (≥ 30 open)", s.metros, f))
    sk = s.skills
    top = _table("Top skills (share of open postings)", "skill", "share", "previous", "postings")
    for row in sk.top:
        shares = f.pct(row.share, 1), f.pct(row.share_prev, 1)
        top.add_row(cell(row.name), *shares, f.count(row.postings))
    parts.append(top)
    baseline = (
        "removed this week"
        if sk.method == "new-vs-removed"
        else f"{sk.baseline_weeks}-week baseline"
    )
    note = (
        f"{sk.method}: new this week n={f.count(sk.n_new)} vs {baseline} "
        f"n={f.count(sk.n_baseline)}; {sk.tested} skills tested"
    )
    parts.append(_moves(f"Rising skills ({note})", sk.rising, f))
    parts.append(_moves("Falling skills", sk.falling, f))
    cos = _table("Top companies", "company", "open", "prev", "new", "removed", "net")
    for c in s.company_detail.top:
        cos.add_row(
            cell(c.name), f.count(c.open), f.count(c.open_prev), f.count(c.new), f.count(c.removed),
            f.signed(c.net) if c.open_prev is not None else DASH,
        )  # fmt: skip
    parts.append(cos)
    movers = _table("Company movers", "company", "open", "prev", "net")
    for c in s.company_detail.movers:
        movers.add_row(cell(c.name), f.count(c.open), f.count(c.open_prev), f.signed(c.net))
    if not s.company_detail.movers:
        movers.add_row("[dim]none passed the gates[/]", "", "", "")
    parts.append(movers)
    h = s.data_health
    ht = _table("Data health", "check", "value")
    ht.add_row(
        "snapshot rows", f"{f.count(h.snapshot_rows)} (prev {f.count(h.snapshot_rows_prev)})"
    )
    if h.ingest_rows_read is not None:
        ht.add_row(
            "ingest",
            f"{f.count(h.ingest_rows_read)} read, {f.count(h.ingest_rejected)} rejected, "
            f"{f.count(h.ingest_duplicates)} duplicates",
        )
    ht.add_row("category Other", f.pct(h.share_other_category, 1))
    ht.add_row("unknown metro", f.pct(h.share_unknown_metro, 1))
    ht.add_row("without pay", f.pct(h.share_without_pay, 1))
    for w in h.warnings:
        ht.add_row("[yellow]warning[/]", cell(w.message))
    for reason in h.suppressed:
        ht.add_row("withheld", cell(reason))
    parts.append(ht)
    return Group(*parts)
