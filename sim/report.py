"""A self-contained HTML report of a run or sweep folder.

``python -m sim.report <folder>`` reads what a run wrote (``summary.json``,
``episodes.parquet``, ``episodes_followed.parquet`` after a follow-up period,
``series.parquet``, ``run.json``; ``comparison`` blocks in compare mode) or what a sweep
wrote (``sweep.parquet``, or its job folders when the sweep's table
was never written), through :func:`sim.results.load`, and writes
``<folder>/report.html``: one file with its figures (PNG, base64) and styles embedded,
which opens offline and makes no network request, so it can be e-mailed or put on a
shared drive as it is.

The report has headline findings in plain language, each with its 95% confidence
interval (in a comparison, the paired difference from the baseline), with a warning
when a profession is saturated; a table of the key measures; figures with captions; the
scenario's assumptions; and an appendix listing the configuration. Every number is
computed from the folder's files, and a figure of a quantity in the table is drawn from
the data the table's number came from, so both give the same number. Waits are headlined
by measures that count every identified child (shares supported within 30, 90 and 180
days, the survival-curve median); a cost is always stated beside the children supported
and the cost per child supported.
"""

from __future__ import annotations

import argparse
import base64
import functools
import html
import inspect
import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from sim import metrics as registry
from sim.results import ResultsError, RunData, atomic_write_text, load
from sim.summary import column_ci

__all__ = ["ReportError", "RunData", "build_report", "load", "main", "write_report"]

#: Name of the report file written into the folder.
REPORT_NAME = "report.html"

#: A folder the report cannot be made from (:class:`sim.results.ResultsError`: the
#: folder is not a run or sweep folder, or its files cannot be read); ``str()`` is one
#: plain sentence.
ReportError = ResultsError


# ------------------------------------------------------------------ metrics in words
@dataclass(frozen=True)
class Metric:
    """How to say a metric in words.

    Parameters
    ----------
    name : str
        Flat metric name, as in ``comparison.csv``.
    kind : str
        ``share`` (0-1, shown as %; differences in percentage points), ``days``,
        ``rate`` (per 10,000 children a year), ``pounds`` (a year), ``children`` (a
        year) or ``per_child`` (pounds per child supported).
    level : str
        Sentence for one level: ``{tm}`` the team model, ``{v}`` the value with its unit,
        ``{ci}`` the interval.
    diff : str
        Sentence for a difference: ``{n}`` its size with unit, ``{dir}`` the direction word,
        ``{ci}`` the interval, ``{base}`` the baseline.
    up, down : str
        Direction words for a positive and a negative difference.
    subject : str
        The quantity as the subject of a sentence.
    finding : bool
        Whether the metric has a finding of its own; children supported, cost per child
        and the vacancy saving are stated in the staff cost's finding instead
        (:func:`cost_difference_sentence`, :func:`cost_level_sentence`).
    note : str
        Words added to the table's name of the metric.

    The short name for tables is the registry's (:attr:`short`).
    """

    name: str
    kind: str
    level: str
    diff: str
    up: str
    down: str
    subject: str
    finding: bool = True
    note: str = ""

    @property
    def short(self) -> str:
        """Short name for tables, with the unit of the table's cells (``sim.metrics``).

        Shares are shown in per cent; money carries its own £, thousand or million, so
        its unit is the written one.
        """
        text = registry.axis_label(self.name, scaled=self.kind not in ("pounds", "per_child"))
        return f"{text}{self.note}"


def _within(days: int) -> Metric:
    return Metric(
        f"time_to_support.supported_within_{days}d",
        "share",
        f"Under {{tm}}, {{v}} of identified children offered early help were supported "
        f"within {days} days of identification ({{ci}}).",
        f"Under {{tm}}, {{n}} {{dir}} identified children offered early help were supported "
        f"within {days} days of identification ({{ci}}) than under {{base}}.",
        "more",
        "fewer",
        f"the share of identified children supported within {days} days",
    )


#: Staff cost's subject in a sentence: what it counts.
WHOLE_POSTS = (
    "staff cost (whole posts: the multi-agency share of every post, used or not; "
    "agency cover at its higher rate)"
)

KEY_METRICS: tuple[Metric, ...] = (
    Metric(
        "early_identification_rate",
        "share",
        "Under {tm}, {v} of children with emerging needs were identified before "
        "their needs escalated ({ci}).",
        "Under {tm}, {n} {dir} children with emerging needs were identified before "
        "their needs escalated ({ci}) than under {base}.",
        "more",
        "fewer",
        "the share of children identified before their needs escalated",
    ),
    _within(30),
    _within(90),
    _within(180),
    Metric(
        "time_to_support.median_days",
        "days",
        "Under {tm}, the median time from identification to support, from the survival "
        "curve that counts children still waiting, was {v} ({ci}).",
        "Under {tm}, the median time from identification to support, from the survival "
        "curve that counts children still waiting, was {n} {dir} ({ci}) than under {base}.",
        "longer",
        "shorter",
        "the median time from identification to support",
    ),
    Metric(
        "delay_days.onset_to_support.median",
        "days",
        "Under {tm}, among children whose support started (completers only), the median "
        "wait from a need emerging to support starting was {v} ({ci}).",
        "Under {tm}, among children whose support started (completers only), the median "
        "wait from a need emerging to support starting was {n} {dir} ({ci}) than under "
        "{base}.",
        "longer",
        "shorter",
        "the median wait from a need emerging to support starting (completers only)",
    ),
    Metric(
        "escalation_rate",
        "share",
        "Under {tm}, {v} of needs escalated to a higher tier before they were met ({ci}).",
        "Under {tm}, {n} {dir} needs escalated to a higher tier ({ci}) than under {base}.",
        "more",
        "fewer",
        "the share of needs that escalated",
    ),
    Metric(
        "referrals_per_10k",
        "rate",
        "Under {tm}, children's social care received {v} ({ci}).",
        "Under {tm}, children's social care received {n} {dir} ({ci}) than under {base}.",
        "more",
        "fewer",
        "the number of referrals to children's social care",
    ),
    Metric(
        "staff_cost",
        "pounds",
        "Under {tm}, " + WHOLE_POSTS + " was {v} ({ci}).",
        "Under {tm}, " + WHOLE_POSTS + " was {n} {dir} ({ci}) than under {base}.",
        "higher",
        "lower",
        WHOLE_POSTS,
    ),
    Metric(
        "children_supported_per_year",
        "children",
        "Under {tm}, {v} were supported ({ci}).",
        "Under {tm}, {n} {dir} were supported ({ci}) than under {base}.",
        "more",
        "fewer",
        "the number of children supported a year",
        finding=False,
    ),
    Metric(
        "cost_per_child_supported",
        "per_child",
        "Under {tm}, the staff cost per child supported was {v} ({ci}).",
        "Under {tm}, the staff cost per child supported was {n} {dir} ({ci}) than under {base}.",
        "higher",
        "lower",
        "the staff cost per child supported",
        finding=False,
    ),
    Metric(
        "vacancy_saving",
        "pounds",
        "Under {tm}, vacant posts, not in the staff cost, would have cost {v} ({ci}).",
        "Under {tm}, vacant posts would have cost {n} {dir} ({ci}) than under {base}.",
        "more",
        "less",
        "what vacant posts would have cost",
        finding=False,
        note=", not in staff cost",
    ),
)
_BY_NAME = {m.name: m for m in KEY_METRICS}


def _sig(x: float, digits: int = 2) -> str:
    """``x`` with sensible precision: whole numbers from 10, else ``digits`` significant."""
    ax = abs(x)
    if ax >= 10 or ax == 0:
        return f"{x:,.0f}"
    text = f"{x:,.{max(digits - 1 - int(math.floor(math.log10(ax))), 0)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _money(x: float) -> str:
    ax = abs(x)
    sign = "-" if x < 0 else ""
    if ax >= 1e6:
        return f"{sign}£{ax / 1e6:,.2f} million"
    if ax >= 1e3:
        return f"{sign}£{ax / 1e3:,.0f} thousand"
    return f"{sign}£{ax:,.0f}"


def _pounds(x: float) -> str:
    """Whole pounds, ``£29,316`` (a cost per child)."""
    return f"{'-' if x < 0 else ''}£{abs(x):,.0f}"


def _num(kind: str, x: float, compact: bool = False) -> str:
    """A bare number in the metric's display unit (no unit words)."""
    if kind == "share":
        return _sig(x * 100)
    if kind in ("pounds", "per_child"):
        if compact and kind == "per_child":
            return _pounds(x)
        if compact:
            sign = "-" if x < 0 else ""
            ax = abs(x)
            if ax >= 1e6:
                return f"{sign}£{ax / 1e6:,.2f}m"
            if ax >= 1e3:
                return f"{sign}£{_sig(ax / 1e3, 3)}k"
            return f"{sign}£{ax:,.0f}"
        return _money(x) if kind == "pounds" else _pounds(x)
    return _sig(x)


def fmt_level(kind: str, x: float | None) -> str:
    """A level with its unit, e.g. ``47%``, ``92 days``, ``£1.20 million a year``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "not available"
    if kind == "share":
        return f"{_sig(x * 100)}%"
    if kind == "days":
        return f"{_sig(x)} days"
    if kind == "rate":
        return f"{_sig(x)} referrals per 10,000 children a year"
    if kind == "pounds":
        return f"{_money(x)} a year"
    if kind == "children":
        return f"{_sig(x)} children a year"
    if kind == "per_child":
        return f"{_pounds(x)} per child supported"
    return _sig(x)


def fmt_size(kind: str, x: float) -> str:
    """The size of a difference with its unit (percentage points for shares)."""
    if kind == "share":
        v = _sig(abs(x) * 100)
        return f"{v} percentage point" + ("" if v == "1" else "s")
    if kind == "days":
        v = _sig(abs(x))
        return f"{v} day" + ("" if v == "1" else "s")
    if kind == "rate":
        return f"{_sig(abs(x))} referrals per 10,000 children a year"
    if kind == "pounds":
        return f"{_money(abs(x))} a year"
    if kind == "children":
        return f"{_sig(abs(x))} children a year"
    if kind == "per_child":
        return f"{_pounds(abs(x))} per child supported"
    return _sig(abs(x))


def fmt_ci_level(kind: str, lo: float | None, hi: float | None) -> str:
    """``95% CI 19% to 75%`` (or why there is none)."""
    if lo is None or hi is None:
        return "no confidence interval: fewer than two replicates had a value"
    if kind == "share":
        # A share lies in [0, 1]; the t-interval is not, with few replicates.
        lo, hi = max(lo, 0.0), min(hi, 1.0)
        return f"95% CI {_sig(lo * 100)}% to {_sig(hi * 100)}%"
    return f"95% CI {_num(kind, lo)} to {_num(kind, hi)}"


def fmt_ci_diff(
    kind: str, mean: float, lo: float | None, hi: float | None, up: str, down: str
) -> str:
    """Interval of a difference, in the direction its mean is stated.

    ``95% CI 9 to 15`` when the interval lies on the side of the mean; ``95% CI from 3
    fewer to 7 more`` when it includes no difference.
    """
    if lo is None or hi is None:
        return "no confidence interval: fewer than two replicates had a value"
    if lo >= 0 or hi <= 0:
        a, b = sorted((abs(lo), abs(hi)))
        if mean < 0:
            a, b = sorted((abs(hi), abs(lo)))
        return f"95% CI {_num(kind, a)} to {_num(kind, b)}"
    return f"95% CI from {_num(kind, abs(lo))} {down} to {_num(kind, hi)} {up}"


def difference_sentence(
    metric: Metric, tm: str, base: str, mean: float | None, lo: float | None, hi: float | None
) -> str:
    """One finding: ``metric`` under ``tm`` minus under ``base``, in words, with its CI."""
    label = text_label
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return _capital(
            f"Under {label(tm)}, {metric.subject} could not be compared with "
            f"{label(base)}: no replicate had a value."
        )
    ci = fmt_ci_diff(metric.kind, mean, lo, hi, metric.up, metric.down)
    if abs(mean) < 1e-12:
        text = f"Under {label(tm)}, {metric.subject} was the same as under {label(base)} ({ci})."
    else:
        text = metric.diff.format(
            tm=label(tm),
            base=label(base),
            ci=ci,
            n=fmt_size(metric.kind, mean),
            dir=metric.up if mean > 0 else metric.down,
        )
    if lo is not None and hi is not None and lo < 0 < hi:
        text += (
            " The interval includes no difference, so this run cannot tell the two "
            "apart on this measure."
        )
    return _capital(text)


def level_sentence(
    metric: Metric, tm: str, mean: float | None, lo: float | None, hi: float | None
) -> str:
    """One finding: the level of ``metric`` under ``tm``, with its CI."""
    if lo is not None:
        lo = max(lo, 0.0)  # every key metric is non-negative
    text = metric.level.format(
        tm=text_label(tm), v=fmt_level(metric.kind, mean), ci=fmt_ci_level(metric.kind, lo, hi)
    )
    return _capital(text)


#: Names of team models inside a sentence (the issue's wording).
TEXT_LABELS = {
    "co_located": "co-located teams",
    "virtual": "virtual teams",
    "tac_only": "TAC-only processes",
}


def text_label(name: str) -> str:
    """Name of a team model as it reads inside a sentence."""
    from sim.plots import label

    if name in TEXT_LABELS:
        return TEXT_LABELS[name]
    text = label(name)
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# ------------------------------------------------------------------ sweeps
def sweep_stats(data: RunData, param: str, metrics: Sequence[str]) -> pd.DataFrame:
    """Mean and 95% CI of ``metrics`` for each value of ``param`` (and team model).

    Rows at the same value of ``param`` are pooled over replicates and over every other
    swept parameter.
    """
    df = data.sweep
    assert df is not None
    grouped = df["team_model"].nunique() > 1
    keys = ["team_model", param] if grouped else [param]
    out = []
    for key, g in df.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        row: dict[str, Any] = {"group": key[0] if grouped else "all", "value": key[-1]}
        for m in metrics:
            st = column_ci(g[m])
            row.update(
                {
                    f"{m}.mean": st["mean"],
                    f"{m}.ci_low": st["ci_low"],
                    f"{m}.ci_high": st["ci_high"],
                    f"{m}.n": st["n"],
                }
            )
        out.append(row)
    stats = pd.DataFrame(out)
    numeric = pd.to_numeric(stats["value"], errors="coerce")
    if numeric.notna().all():
        stats["value"] = numeric
    return stats


# ------------------------------------------------------------------ findings
def _stat(d: Mapping[str, Any] | None) -> tuple[float | None, float | None, float | None, int]:
    """Mean, interval and n of a ``{mean, ci95, n}`` block (Nones when there is none)."""
    if not d:
        return None, None, None, 0
    lo, hi = (list(d.get("ci95") or []) + [None, None])[:2]
    return _none(d.get("mean")), _none(lo), _none(hi), int(d.get("n") or 0)


def _level(data: RunData, metric: str, tm: str) -> tuple[float | None, float | None, float | None]:
    """Mean and 95% CI of ``metric`` under ``tm`` from the table (Nones if absent)."""
    t = data.table
    r = t[(t["metric"] == metric) & (t["team_model"] == tm)]
    if r.empty:
        return None, None, None
    r0 = r.iloc[0]
    return _none(r0["mean"]), _none(r0["ci_low"]), _none(r0["ci_high"])


def _replicate_count(data: RunData) -> int | None:
    """Replicates of each team model in a run folder (None for a sweep)."""
    reps = data.replicates
    if data.kind == "sweep" or reps.empty or "team_model" not in reps.columns:
        return None
    return int(reps.groupby("team_model").size().max())


def _coverage(name: str, n: int, total: int | None, pairs: bool = False) -> str:
    """A sentence when only ``n`` of ``total`` replicates (or pairs) had a value."""
    if total is None or not 0 < n < total:
        return ""
    what = "pairs of replicates" if pairs else "replicates"
    text = f" Only {n} of {total} {what} had a value"
    if name == "time_to_support.median_days":
        text += (
            ": in the others fewer than half of these children were supported by the end "
            "of the run, so they have no median"
        )
    return text + "."


def _unclear(names: Sequence[str]) -> str:
    if not names:
        return ""
    what = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    measures = "this measure" if len(names) == 1 else "these measures"
    one = "interval" if len(names) == 1 else "intervals"
    return (
        f" The {one} of {what} include{'s' if len(names) == 1 else ''} no difference, so "
        f"this run cannot tell the two apart on {measures}."
    )


def _vacancy_clause(data: RunData, tms: Sequence[str]) -> str:
    """What the vacant posts would have cost under each of ``tms`` (not in staff cost)."""
    vals = [(tm, _level(data, "vacancy_saving", tm)[0]) for tm in tms]
    known = [(tm, v) for tm, v in vals if v is not None]
    if not known:
        return ""
    said = [f"{_money(v)} a year under {text_label(tm)}" for tm, v in known]
    if len(said) == 1 and len(tms) == 1:
        said = [f"{_money(known[0][1])} a year"]
    return (
        " Vacant posts, which the staff cost leaves out, would have cost a further "
        + " and ".join(said)
        + "."
    )


def cost_difference_sentence(data: RunData, tm: str, base: str) -> str | None:
    """The staff cost finding of ``tm`` against ``base``, with what the money bought.

    Staff cost (whole posts) with its paired difference and CI, beside it the paired
    difference in children supported a year and in cost per child supported, and what
    the vacant posts would have cost under each (not in the staff cost). None when the
    comparison has no staff cost.
    """
    d = data.diffs.get(tm, {})
    if "staff_cost" not in d:
        return None
    label = text_label
    mean, lo, hi, _ = _stat(d["staff_cost"])
    m = _BY_NAME["staff_cost"]
    if mean is None:
        return _capital(
            f"Under {label(tm)}, {WHOLE_POSTS} could not be compared with {label(base)}: "
            "no replicate had a value."
        )
    unclear = []

    def diff(metric: Metric, mean: float, lo: float | None, hi: float | None) -> str:
        if lo is not None and hi is not None and lo < 0 < hi:
            unclear.append(metric.subject if metric is not m else "staff cost")
        return fmt_ci_diff(metric.kind, mean, lo, hi, metric.up, metric.down)

    if abs(mean) < 1e-9:
        text = f"Under {label(tm)}, {WHOLE_POSTS} was the same as under {label(base)}"
        text += f" ({diff(m, mean, lo, hi)})"
    else:
        text = (
            f"Under {label(tm)}, {WHOLE_POSTS} was {fmt_size('pounds', mean)} "
            f"{m.up if mean > 0 else m.down} ({diff(m, mean, lo, hi)}) than under {label(base)}"
        )
    kids = _BY_NAME["children_supported_per_year"]
    k_mean, k_lo, k_hi, _ = _stat(d.get("children_supported_per_year"))
    if k_mean is not None:
        if abs(k_mean) < 1e-9:
            text += f", and as many children were supported a year ({diff(kids, 0.0, k_lo, k_hi)})"
        else:
            text += (
                f", and {_sig(abs(k_mean))} {kids.up if k_mean > 0 else kids.down} children "
                f"were supported a year ({diff(kids, k_mean, k_lo, k_hi)})"
            )
    else:
        text += "; the run did not count the children supported"
    per = _BY_NAME["cost_per_child_supported"]
    p_mean, p_lo, p_hi, _ = _stat(d.get("cost_per_child_supported"))
    if p_mean is not None:
        text += (
            f": the staff cost per child supported was {_pounds(abs(p_mean))} "
            f"{per.up if p_mean >= 0 else per.down} ({diff(per, p_mean, p_lo, p_hi)})"
        )
    text += "." + _vacancy_clause(data, [tm, base]) + _unclear(unclear)
    return _capital(text)


def cost_level_sentence(data: RunData, tm: str) -> str | None:
    """The staff cost finding of one team model, with what the money bought: children
    supported a year and cost per child supported, each with its CI, and what the vacant
    posts would have cost (not in the staff cost). None without a staff cost."""
    t = data.table
    if t[(t["metric"] == "staff_cost") & (t["team_model"] == tm)].empty:
        return None
    mean, lo, hi = _level(data, "staff_cost", tm)
    text = level_sentence(_BY_NAME["staff_cost"], tm, mean, lo, hi).rstrip(".")
    k_mean, k_lo, k_hi = _level(data, "children_supported_per_year", tm)
    if k_mean is not None:
        text += (
            f"; for it, {fmt_level('children', k_mean)} were supported "
            f"({fmt_ci_level('children', None if k_lo is None else max(k_lo, 0.0), k_hi)})"
        )
    p_mean, p_lo, p_hi = _level(data, "cost_per_child_supported", tm)
    if p_mean is not None:
        text += (
            f", {fmt_level('per_child', p_mean)} "
            f"({fmt_ci_level('per_child', None if p_lo is None else max(p_lo, 0.0), p_hi)})"
        )
    return text + "." + _vacancy_clause(data, [tm])


def finding_groups(data: RunData) -> list[tuple[str, list[str]]]:
    """Headline findings in groups: in a comparison one group for each team model
    against the baseline (heading, sentences); else one group without a heading."""
    from sim.plots import label

    if data.kind == "compare" and data.baseline:
        total = _replicate_count(data)
        groups = []
        for tm in data.team_models:
            if tm == data.baseline:
                continue
            out: list[str] = []
            for m in KEY_METRICS:
                if m.name == "staff_cost":
                    cost = cost_difference_sentence(data, tm, data.baseline)
                    if cost:
                        out.append(cost)
                    continue
                d = data.diffs.get(tm, {}).get(m.name)
                if not d or not m.finding:
                    continue
                mean, lo, hi, n = _stat(d)
                out.append(
                    difference_sentence(m, tm, data.baseline, mean, lo, hi)
                    + _coverage(m.name, n, total, pairs=True)
                )
            groups.append((f"{label(tm)} against {label(data.baseline)}", out))
        return groups
    if data.kind == "sweep":
        return [("", _sweep_findings(data))]
    tm = data.team_models[0]
    total = _replicate_count(data)
    t = data.table.set_index("metric")
    out = []
    for m in KEY_METRICS:
        if m.name == "staff_cost":
            cost = cost_level_sentence(data, tm)
            if cost:
                out.append(cost)
            continue
        if m.name in t.index and m.finding:
            r = t.loc[m.name]
            out.append(
                level_sentence(m, tm, _none(r["mean"]), _none(r["ci_low"]), _none(r["ci_high"]))
                + _coverage(m.name, int(_none(r["n"]) or 0), total)
            )
    util = t[t.index.str.startswith("utilisation.")]["mean"].dropna()
    if len(util):
        prof = str(util.idxmax())
        r = t.loc[prof]
        ci = fmt_ci_level("share", _none(r["ci_low"]), _none(r["ci_high"]))
        out.append(
            f"The busiest profession was {label(prof.split('.', 1)[1]).lower()}, "
            f"using {fmt_level('share', r['mean'])} of the hours they had for "
            f"multi-agency work ({ci})."
        )
    return [("", out)]


def findings(data: RunData) -> list[str]:
    """Headline findings in plain language, each with its 95% confidence interval."""
    return [text for _, group in finding_groups(data) for text in group]


# ------------------------------------------------------------------ saturation
@dataclass(frozen=True)
class Saturated:
    """A profession that used :data:`sim.plots.SATURATED` or more of its multi-agency
    hours in one scenario of the run.

    Attributes
    ----------
    profession : str
        Its name (``school_nurse``).
    scenario : str
        Where, in words: the team model (and in a sweep the swept values).
    utilisation : float
        Mean ``utilisation.<profession>`` over the scenario's replicates (0-1).
    """

    profession: str
    scenario: str
    utilisation: float


def saturated(data: RunData) -> list[Saturated]:
    """Professions whose mean ``utilisation.<profession>`` is 95% or more in any team
    model of the run (in a sweep: in any of its scenarios, each combination of team
    model, area and swept values), busiest first within each profession."""
    from sim.plots import SATURATED

    found: list[Saturated] = []
    if data.kind == "sweep":
        df = data.replicates
        cols = [c for c in df.columns if c.startswith("utilisation.")]
        keys = [
            k
            for k in ("team_model", "area", *data.params)
            if k in df.columns and df[k].astype(str).nunique() > 1
        ]
        values = df[cols].apply(pd.to_numeric, errors="coerce")
        grouped = (
            values.groupby([df[k].astype(str) for k in keys], sort=False).mean()
            if keys
            else values.mean().to_frame().T
        )
        for key, row in grouped.iterrows():
            key = key if isinstance(key, tuple) else (key,)
            words = []
            for k, v in zip(keys, key, strict=False):
                if k == "team_model":
                    words.append(text_label(str(v)))
                elif k == "area":
                    words.append(f"the '{v}' area")
                else:
                    words.append(f"{k} = {v}")
            where = ", ".join(words) if keys else "the sweep"
            for col, v in row.items():
                if pd.notna(v) and float(v) >= SATURATED:
                    found.append(Saturated(str(col).split(".", 1)[1], where, float(v)))
    else:
        t = data.table
        u = t[t["metric"].str.startswith("utilisation.")].dropna(subset=["mean"])
        for _, r in u[u["mean"].astype(float) >= SATURATED].iterrows():
            found.append(
                Saturated(
                    str(r["metric"]).split(".", 1)[1],
                    text_label(str(r["team_model"])),
                    float(r["mean"]),
                )
            )
    top: dict[str, float] = {}
    for f in found:
        top[f.profession] = max(top.get(f.profession, 0.0), f.utilisation)
    return sorted(found, key=lambda f: (-top[f.profession], f.profession, -f.utilisation))


def saturation_warning(data: RunData) -> str:
    """The report's warning about saturated professions (HTML), or "" when none is."""
    from sim.plots import SATURATED, label

    found = saturated(data)
    if not found:
        return ""
    by: dict[str, list[Saturated]] = {}
    for f in found:
        by.setdefault(f.profession, []).append(f)
    items = []
    for prof, fs in by.items():
        where = [f"{fmt_level('share', f.utilisation)} under {f.scenario}" for f in fs]
        where[0] = where[0].replace(" under ", " of their multi-agency hours under ", 1)
        said = where[0] if len(where) == 1 else ", ".join(where[:-1]) + " and " + where[-1]
        items.append(f"<li><strong>{_e(label(prof))}</strong> used {_e(said)}</li>")
    several = len(by) > 1
    who = "these professions were" if several else "one profession was"
    return (
        "<div class='warning' role='note'>"
        f"<p class='warning-title'>Warning: {who}"
        f" saturated ({_sig(SATURATED * 100)}% or more of their multi-agency hours in use)"
        "</p>"
        f"<ul>{''.join(items)}</ul>"
        "<p>At this load the queues for "
        f"{'these professions' if several else 'this profession'} grow without limit: "
        "children join them faster than they leave, so the longer the run, the longer "
        "the waits. "
        + (
            "Differences between team models then reflect the backlog more than the "
            "mechanisms of each team model."
            if len(data.team_models) > 1 or data.kind == "sweep"
            else "A comparison of team models at this load would reflect the backlog more "
            "than the mechanisms of each team model."
        )
        + " Read the findings below with care, or run "
        "again with more of these staff (<code>area.workforce_scale</code> or "
        "<code>area.establishment_scale</code>).</p></div>"
    )


def _none(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _param_label(param: str) -> str:
    """``support.member_hours_per_week`` -> ``member hours per week (support)``."""
    head, _, tail = param.rpartition(".")
    words = tail.replace("_", " ")
    return f"{words} ({head.replace('.', ' ')})" if head else words


#: Measures whose change across a swept parameter the findings state: the headline
#: delay measures (every identified child counted).
SWEEP_FINDINGS = (
    "early_identification_rate",
    "time_to_support.supported_within_90d",
    "time_to_support.median_days",
)
#: Measures drawn against each swept parameter: with the staff cost, what it bought.
SWEEP_PANELS = (
    "early_identification_rate",
    "time_to_support.supported_within_30d",
    "time_to_support.supported_within_90d",
    "time_to_support.median_days",
    "escalation_rate",
    "staff_cost",
    "children_supported_per_year",
    "cost_per_child_supported",
)


def _sweep_measures(data: RunData, wanted: Sequence[str]) -> list[str]:
    """The measures of ``wanted`` the sweep table has; a table written before the
    time-to-support measures existed gets the completer-only median instead."""
    cols = set(data.sweep.columns) if data.sweep is not None else set()
    names = [m for m in wanted if m in cols]
    if not any(m.startswith("time_to_support.") for m in names):
        old = "delay_days.onset_to_support.median"
        if old in cols:
            names.insert(1 if names[:1] == ["early_identification_rate"] else 0, old)
    return names


def _sweep_findings(data: RunData) -> list[str]:

    out = []
    names = _sweep_measures(data, SWEEP_FINDINGS)
    for p in data.params:
        stats = sweep_stats(data, p, names)
        if stats.empty:
            continue
        for g, sub in stats.groupby("group", sort=False):
            sub = sub.sort_values("value") if pd.api.types.is_numeric_dtype(sub["value"]) else sub
            a, b = sub.iloc[0], sub.iloc[-1]
            who = "" if g == "all" else f"Under {text_label(str(g))}, w"
            for name in names:
                m = _BY_NAME[name]
                subject = m.subject
                lead = f"{who}hen" if who else "When"
                ends = [
                    (
                        fmt_level(m.kind, _none(r[name + ".mean"])),
                        fmt_ci_level(
                            m.kind,
                            # every measure stated here is non-negative
                            None if (lo := _none(r[name + ".ci_low"])) is None else max(lo, 0.0),
                            _none(r[name + ".ci_high"]),
                        ),
                    )
                    for r in (a, b)
                ]
                out.append(
                    _capital(
                        f"{lead} {_param_label(p)} went from {a['value']} to {b['value']}, "
                        f"{subject} went from {ends[0][0]} ({ends[0][1]}) to {ends[1][0]} "
                        f"({ends[1][1]})."
                    )
                )
    if not out:
        out.append(
            "No parameter varied across the sweep's jobs, so the sweep shows no "
            "effect of any parameter."
        )
    return out


# ------------------------------------------------------------------ figures
@dataclass
class Figure:
    """One figure of the report: a title, PNG bytes, alt text and a caption.

    ``values`` holds numbers the figure states, by team model, where a check needs them
    (the median of each line of the wait for support).
    """

    title: str
    png: bytes
    caption: str
    values: dict[str, float] = field(default_factory=dict)


def _figure(
    title: str,
    build: Callable[[], Any],
    caption: str,
    values: Callable[[], dict[str, float]] | None = None,
) -> Figure | None:
    from sim.plots import png_bytes

    try:
        fig = build()
        numbers = values() if values is not None else {}
    except (KeyError, ValueError, IndexError):
        # A figure whose data the folder lacks (an older or partial run) is left out;
        # the report says so in the figure list instead of failing.
        return None
    return Figure(title, png_bytes(fig), caption, numbers)


#: Episodes after the follow-up period (``sim.runner``), when the run had one.
FOLLOWED = "episodes_followed.parquet"


def wait_episodes(data: RunData) -> tuple[pd.DataFrame | None, bool]:
    """The episodes the key measures' waits were computed from, and whether they are the
    followed ones.

    After a follow-up period the delay metrics of ``summary.json`` come from the
    episodes as they stood at the end of the follow-up (``episodes_followed.parquet``);
    without one, from ``episodes.parquet``. A figure of the same quantity reads the same
    table, so that its numbers are the table's.
    """
    path = data.folder / FOLLOWED
    if path.is_file():
        try:
            return pd.read_parquet(path), True
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise ReportError(f"{path} could not be read as Parquet ({exc}).") from None
    return data.episodes, False


def _best(data: RunData, metric: str, highest: bool = True) -> str | None:
    from sim.plots import label

    t = data.table[data.table["metric"] == metric].dropna(subset=["mean"])
    if t.empty or t["team_model"].nunique() < 2:
        return None
    r = t.loc[t["mean"].idxmax() if highest else t["mean"].idxmin()]
    return label(str(r["team_model"]))


def _agency_cost_factor(meta: dict[str, Any]) -> float:
    wf = meta.get("config", {}).get("workforce", {}) or {}
    return float(wf.get("agency_cost_factor", 1.0))


def figures(data: RunData) -> tuple[list[Figure], list[str]]:
    """The report's figures, and the titles of figures the folder has no data for."""
    from sim import plots

    figs: list[Figure | None] = []
    missing: list[str] = []
    several = len(data.team_models) > 1
    by = "by team model" if several else ""
    areas = data.table["area"].nunique() > 1 if "area" in data.table else False
    best = _best(data, "early_identification_rate")
    figs.append(
        _figure(
            "Early identification"
            + (" by area and team model" if areas else f" {by}" if by else ""),
            lambda: plots.early_identification_figure(data.table),
            "Each bar is the percentage of children whose needs emerged at the 'additional "
            "needs' level (Tier 2) and were noticed by a practitioner before those needs "
            "became more serious. Higher is better. The thin lines on each bar show the 95% "
            "confidence interval: the range the true value probably lies in, given the "
            "variation between replicate runs."
            + (f" {best} had the highest share in this run." if best else ""),
        )
    )
    if data.kind != "sweep":
        figs.append(
            _figure(
                "Children supported within 30, 90 and 180 days",
                lambda: plots.time_to_support_figure(data.table),
                "Of the children identified in the observed years and offered early help, "
                "the percentage whose support had started within 30, 90 and 180 days of "
                "being identified. Every such child counts: a case that closed before "
                "support started counts as not supported, and a child still waiting when "
                "the run ended counts as not yet supported (the Aalen-Johansen estimate). "
                "Higher is better; thin lines show 95% confidence intervals. These are the "
                "numbers of the key measures table.",
            )
        )
        figs.append(
            _figure(
                "Stage-by-stage delays",
                lambda: plots.delay_figure(data.table),
                "How many days each step of the pathway took for the typical (median) child "
                "among those who completed it: from a need emerging to a practitioner "
                "noticing it, to a Common Assessment Framework (CAF) assessment being "
                "completed, to the Team Around the Child (TAC) meeting, to support "
                "starting. The last two groups are the whole journey and the wait for TAC "
                "members to be allocated. Completers only: children still waiting, or whose "
                "case closed first, are left out, which makes the waits look shorter where "
                "more children are left waiting. Shorter bars are better; thin lines show "
                "95% confidence intervals.",
            )
        )
        episodes, followed = wait_episodes(data)
        try:
            curves = plots.wait_curves(episodes) if episodes is not None else {}
        except KeyError:  # episodes of an older run, without the columns
            curves = {}
        if curves:
            source = (
                "The needs that emerged in the observed years are followed to the end of "
                "the follow-up years (episodes_followed.parquet), the same episodes as the "
                "key measures table, so that waits ending after the observed years count."
                if followed
                else "The episodes are those of the observed years (episodes.parquet), as in "
                "the key measures table."
            )
            figs.append(
                _figure(
                    "Wait from need to support (completers only)",
                    functools.partial(plots.delay_distribution_figure, curves=curves),
                    "Among the children whose support started, each line rises as more of "
                    "them have started; a line further to the left means children were "
                    "supported sooner. " + source + " Each line averages the replicates "
                    "(at each percentage, the mean of the replicates' waits), so it crosses "
                    "50% (the dot) at the median wait of the key measures table, the mean "
                    "of the replicates' medians; the legend gives it with its 95% "
                    "confidence interval. Children still waiting or whose case closed "
                    "first are not in this figure (completers only); the shares supported "
                    "within 30, 90 and 180 days count them. The axis stops at the 95th "
                    "percentile so that a few very long waits do not squash the picture.",
                    lambda: {m: c.median for m, c in curves.items()},
                )
            )
        else:
            missing.append(
                "Wait from need to support ("
                + (
                    "episodes.parquet is missing"
                    if episodes is None
                    else "no child's support started, or the episodes lack its columns"
                )
                + ")"
            )
        figs.append(
            _figure(
                "Utilisation by profession",
                lambda: plots.utilisation_by_metrics_figure(data.table),
                "Each square shows how much of the time a profession had set aside for "
                "multi-agency work was actually used, over the whole observed period (the "
                "mean over replicates, as in summary.json and the warning above). Dark "
                "squares mean spare time; light squares mean the profession was close to "
                "full, which is where queues form; an outlined square is 95% or more, where "
                "its queue grows without limit. Professions with no time set aside for "
                "multi-agency work are not shown.",
            )
        )
        if data.series is not None:
            figs.append(
                _figure(
                    "Queues and caseloads over time",
                    lambda: plots.queues_figure(data.series),
                    "Week by week: how many children were waiting for a practitioner to join "
                    "their Team Around the Child; how many referrals were waiting in "
                    "children's social care and child and adolescent mental health services "
                    "(CAMHS); and how many cases each filled post held in early help and in "
                    "social work. Lines are averages over replicates; the shading spans the "
                    "lowest and highest replicate.",
                )
            )
        else:
            missing.append("Queues and caseloads (series.parquet is missing)")
    else:
        if any(data.table["metric"].str.startswith("utilisation.")):
            figs.append(
                _figure(
                    "Utilisation by profession",
                    lambda: plots.utilisation_by_metrics_figure(data.table),
                    "Each square shows how much of the time a profession had set aside for "
                    "multi-agency work was used, averaged over every job and replicate of "
                    "the sweep. Light squares mean the profession was close to full; an "
                    "outlined square is 95% or more, where its queue grows without limit.",
                )
            )
        missing.append(
            "Stage delays over time, queues and caseloads (a sweep report "
            "shows the sweep table only; report on a job folder for these)"
        )
    figs.append(
        _figure(
            "Escalation to specialist services",
            lambda: plots.escalation_figure(data.table),
            "Left: the percentage of needs that became more serious (moved up a tier) while "
            "outside social care. Middle and right: how many referrals children's social care "
            "and CAMHS received, per 10,000 children a year. Lower is better on all three; "
            "thin lines show 95% confidence intervals.",
        )
    )
    hourly = _hourly_cost(data.meta)
    years = data.summary.get("years") or data.meta.get("config", {}).get("years")
    factor = _agency_cost_factor(data.meta)
    split = data.kind != "sweep" and data.series is not None
    figs.append(
        _figure(
            "Staff cost and what it bought",
            lambda: plots.staff_cost_figure(
                data.table, data.series if data.kind != "sweep" else None, hourly, years, factor
            ),
            "Left: the staff cost a year of multi-agency and specialist work as whole "
            "posts: every post's share of hours set aside for that work, whether used or "
            "not, at its profession's hourly cost in the configuration, agency cover at "
            f"{_plain(factor)} times it. "
            + ("Colours split each bar by profession. " if split else "")
            + "The hatched block on top is what the vacant posts would have cost: a "
            "saving, not part of the staff cost. Right: that cost divided by the children "
            "whose support started, a year (the number above each bar): the cost per "
            "child supported. Thin lines show 95% confidence intervals.",
        )
    )
    if data.kind == "sweep":
        panels = [
            (m, registry.axis_label(m, width=26), registry.scale(m))
            for m in _sweep_measures(data, SWEEP_PANELS)
        ]
        for p in data.params:
            stats = sweep_stats(data, p, [m for m, _, _ in panels])
            figs.append(
                _figure(
                    f"Effect of {_param_label(p)}",
                    functools.partial(plots.sweep_effect_figure, stats, p, panels, _param_label(p)),
                    f"How the main results change as {_param_label(p)} (configuration key "
                    f"{p}) changes. Points are averages over replicates"
                    + (" and over the other swept parameters" if len(data.params) > 1 else "")
                    + "; the shaded band between thin lines (or the error bars, for settings "
                    "that are not numbers) is the 95% confidence interval, cut at zero. "
                    "Staff cost counts whole posts (the multi-agency share of every post, "
                    "used or not); beside it are the children supported a year and the cost "
                    "per child supported.",
                )
            )
    return [f for f in figs if f is not None], missing


def _hourly_cost(meta: dict[str, Any]) -> dict[str, float]:
    profs = meta.get("config", {}).get("professions", {}) or {}
    return {p: float(v.get("hourly_cost", 0.0)) for p, v in profs.items() if isinstance(v, dict)}


# ------------------------------------------------------------------ assumptions
def _field_docs(cls: type) -> dict[str, str]:
    """The ``#:`` comments above each field of a dataclass in ``sim.params``."""
    docs: dict[str, str] = {}
    try:
        src = inspect.getsource(cls).splitlines()
    except (OSError, TypeError):
        return docs
    buf: list[str] = []
    for line in src:
        s = line.strip()
        if s.startswith("#:"):
            buf.append(s[2:].strip())
            continue
        m = re.match(r"^([A-Za-z_]\w*)\s*:", s)
        if m and buf:
            docs[m.group(1)] = " ".join(buf)
        if not s.startswith("#"):
            buf = []
    return docs


def _team_model_table(data: RunData) -> str:
    from sim.params import TeamModelConfig
    from sim.plots import label

    configs: dict[str, dict[str, Any]] = {}
    for name, c in (data.meta.get("team_model_configs") or {}).items():
        configs[name] = c.get("team_model", {})
    if not configs and data.meta.get("config"):
        tm = data.meta["config"].get("team_model", {})
        configs[tm.get("name", data.team_models[0])] = tm
    if not configs:
        return ""
    docs = _field_docs(TeamModelConfig)
    keys = [f.name for f in fields(TeamModelConfig) if f.name != "name"]
    head = "".join(f"<th scope='col'>{_e(label(n))}</th>" for n in configs)
    body = []
    for k in keys:
        vals = [c.get(k) for c in configs.values()]
        if all(v is None for v in vals):
            continue
        cells = "".join(f"<td>{_e(_plain(v))}</td>" for v in vals)
        body.append(
            f"<tr><th scope='row'>{_e(docs.get(k, k.replace('_', ' ')))}"
            f"<br><code>{_e(k)}</code></th>{cells}</tr>"
        )
    return (
        f"<table class='params'><thead><tr><th scope='col'>Mechanism</th>{head}</tr>"
        f"</thead><tbody>{''.join(body)}</tbody></table>"
    )


def _plain(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def assumptions(data: RunData) -> tuple[list[str], str]:
    """The scenario's assumptions as sentences, and a table of team model mechanisms."""
    cfg = data.meta.get("config", {}) or {}
    area = cfg.get("area", {}) or {}
    s: list[str] = []
    if area:
        s.append(
            f"Area: '{area.get('name')}', {int(area.get('children', 0)):,} children under 18 "
            f"(one simulated child for each real child) in {area.get('localities')} "
            f"localities; {fmt_level('share', area.get('deprivation_share'))} of families "
            f"live in deprived circumstances; process standards of the "
            f"{area.get('era')} era; workforce at {_plain(area.get('workforce_scale', 1))} "
            "times the area preset's establishment."
        )
    if cfg:
        s.append(
            f"Each replicate simulates {_plain(cfg.get('warmup_years'))} years of warm-up, "
            f"which are discarded, then {_plain(cfg.get('years'))} observed years, one week "
            f"at a time. There are {cfg.get('replicates')} replicates from seed "
            f"{cfg.get('seed')}."
        )
        if cfg.get("followup_years"):
            s.append(
                f"After the observed years each run goes on for "
                f"{_plain(cfg.get('followup_years'))} more years, only to follow the needs "
                "that emerged in them, so that waits ending after the observed years still "
                "count; nothing else is measured in those years."
            )
    if data.kind == "compare":
        s.append(
            "Every team model sees the same children, families and need onsets "
            "(common random numbers): replicate r of each team model uses the same "
            "seed, so differences are paired replicate by replicate, which narrows "
            "their confidence intervals."
        )
    sweep = data.sweep
    if data.kind == "sweep" and sweep is not None:
        s.append(
            f"The sweep varied {len(data.params)} parameter(s): "
            + ", ".join(f"{p} over {_values(sweep[p])}" for p in data.params)
            + (f"; {sweep['job'].nunique()} jobs" if "job" in sweep else "")
            + "."
        )
    s += [
        "Confidence intervals are 95% Student t-intervals over replicates. With few "
        "replicates they are wide; they describe the simulation's own randomness, not "
        "uncertainty in the parameters. Intervals of levels that cannot be negative are "
        "shown cut at zero (summary.json keeps the uncut values); intervals of "
        "differences are not cut.",
        "The shares supported within 30, 90 and 180 days of identification and the "
        "median time from identification to support count every child identified in the "
        "observed years and offered early help: a case that closed before support "
        "started counts as not supported (a competing event), and a child still waiting "
        "when the run ended counts as waiting until then (censored). The median comes "
        "from the survival curve (Kaplan-Meier) and counts children still waiting; a "
        "replicate in which fewer than half were supported by the end has none.",
        "Stage delays, and the median wait from a need emerging to support starting, are "
        "over completers only: children who reached both ends of the stage before the "
        "run ended. Children still waiting, or whose case closed first, are left out, "
        "which shortens these delays where many are left waiting; their labels say "
        "'completers only'.",
        "Utilisation counts hours worked on multi-agency and specialist tasks against the "
        "hours each profession has for them; hours beyond that are not counted as worked "
        "(they appear as unmet demand). From 95% a profession's queue grows without "
        "limit, and the report warns.",
        "Staff cost counts whole posts: every filled post's share of hours set aside for "
        "multi-agency and specialist work (all of it for structure and specialist posts), "
        "whether used or not, at its profession's hourly cost in the configuration below, "
        f"agency cover at {_plain(_agency_cost_factor(data.meta))} times it. Vacant posts "
        "are not costed; what they would have cost is shown apart as a saving. Children "
        "supported a year are the observed years' children whose support started, and "
        "the cost per child supported divides the one by the other, so that a cheaper "
        "team model shows what it bought.",
        "Most behavioural parameters (how fast needs emerge, escalate and resolve; how "
        "often families disengage) are assumptions marked as such in sim/params.py; "
        "the figures with a published source are listed in docs/metrics.md and the "
        "design evidence.",
    ]
    return s, _team_model_table(data)


def _values(col: pd.Series) -> str:
    vals = list(dict.fromkeys(col.dropna().tolist()))
    try:
        vals = sorted(vals)
    except TypeError:
        pass
    return ", ".join(str(v) for v in vals[:12]) + (" …" if len(vals) > 12 else "")


# ------------------------------------------------------------------ HTML
CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; line-height: 1.5; color: #1a1a1a; background: #ffffff; margin: 0; }
main { max-width: 62rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
h1 { font-size: 1.7rem; margin-bottom: .25rem; }
h2 { font-size: 1.3rem; margin-top: 2.5rem; border-bottom: 2px solid #0072B2;
     padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin-bottom: .3rem; }
.lede { color: #444; margin-top: 0; }
ul.findings li { margin-bottom: .6rem; }
figure { margin: 1.5rem 0 2rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: .95rem; color: #333; max-width: 48rem; }
figcaption strong { display: block; font-size: 1rem; color: #1a1a1a; }
table { border-collapse: collapse; font-size: .9rem; margin: .75rem 0 1.25rem; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left;
         vertical-align: top; }
thead th { background: #eef4f9; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: .75rem; overflow-x: auto;
      font-size: .8rem; line-height: 1.35; }
.note { color: #555; font-size: .9rem; }
.warning { border: 2px solid #D55E00; border-left-width: 8px; background: #fff3e6;
           padding: .6rem 1rem; margin: 1rem 0 1.25rem; }
.warning p { margin: .4rem 0; }
.warning-title { font-weight: 700; font-size: 1.05rem; }
td.diff { background: #f7f9fb; }
@media print { h2 { break-after: avoid; } figure { break-inside: avoid; } }
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _signed(kind: str, x: float) -> str:
    """A difference as a bare signed number in the table's unit (``+2.8``, ``−£12k``)."""
    text = _num(kind, abs(x), True)
    if text.strip("0.£k m") == "":
        return text
    return ("+" if x > 0 else "\u2212") + text


def _levels_table(data: RunData) -> str:
    """The key measures: each team model's mean with its 95% CI and, in a comparison,
    each team model's paired difference from the baseline with its CI."""
    from sim.plots import label

    t = data.table
    if "area" in t.columns and t["area"].nunique() > 1:
        t = t.assign(team_model=t["team_model"].map(label) + " — " + t["area"].map(label))
        keys = list(dict.fromkeys(t["team_model"]))
        names = keys
    else:
        keys = data.team_models
        names = [label(k) for k in keys]
    base = data.baseline if data.kind == "compare" else None
    others = [k for k in keys if base and k != base and data.diffs.get(k)]
    total = _replicate_count(data)
    if others and base:
        head = (
            "<tr><th scope='col' rowspan='2'>Measure</th>"
            f"<th scope='colgroup' colspan='{len(keys)}'>Mean (95% CI below)</th>"
            f"<th scope='colgroup' colspan='{len(others)}'>Difference from "
            f"{_e(label(base))}, replicate by replicate (95% CI below)</th></tr><tr>"
            + "".join(f"<th scope='col'>{_e(n)}</th>" for n in names)
            + "".join(f"<th scope='col'>{_e(label(k))}</th>" for k in others)
            + "</tr>"
        )
    else:
        head = (
            "<tr><th scope='col'>Measure (mean; 95% CI below)</th>"
            + "".join(f"<th scope='col'>{_e(n)}</th>" for n in names)
            + "</tr>"
        )
    body = []
    for m in KEY_METRICS:
        cells = []
        for k in keys:
            r = t[(t["metric"] == m.name) & (t["team_model"] == k)]
            if r.empty:
                cells.append("<td class='num'>–</td>")
                continue
            r0 = r.iloc[0]
            lo, hi = _none(r0["ci_low"]), _none(r0["ci_high"])
            if hi is not None and m.kind == "share":
                hi = min(hi, 1.0)
            ci = (
                ""
                if lo is None or hi is None
                else (
                    f"<br><span class='note'>{_e(_num(m.kind, max(lo, 0.0), True))} to "
                    f"{_e(_num(m.kind, hi, True))}</span>"
                )
            )
            n = int(_none(r0["n"]) or 0)
            if total is not None and 0 < n < total:
                ci += f"<br><span class='note'>{n} of {total} replicates</span>"
            mean = _none(r0["mean"])
            value = "n/a" if mean is None else _num(m.kind, mean, True)
            cells.append(f"<td class='num'>{_e(value)}{ci}</td>")
        for k in others:
            mean, lo, hi, n = _stat(data.diffs.get(k, {}).get(m.name))
            if mean is None:
                cells.append("<td class='num diff'>–</td>")
                continue
            value = _e(_signed(m.kind, mean))
            ci = ""
            if lo is not None and hi is not None:
                ci = (
                    f"<br><span class='note'>{_e(_signed(m.kind, lo))} to "
                    f"{_e(_signed(m.kind, hi))}</span>"
                )
                if lo > 0 or hi < 0:
                    value = f"<strong>{value}</strong>"
            if total is not None and 0 < n < total:
                ci += f"<br><span class='note'>{n} of {total} pairs</span>"
            cells.append(f"<td class='num diff'>{value}{ci}</td>")
        body.append(f"<tr><th scope='row'>{_e(m.short)}</th>{''.join(cells)}</tr>")
    notes = [
        "Supported within 30, 90 and 180 days, and the median time from identification to "
        "support: every child identified in the observed years and offered early help "
        "counts, including those whose case closed before support (as not supported) and "
        "those still waiting at the end. 'Completers only': children whose support "
        "started; those still waiting or closed first are left out. Staff cost: whole "
        "posts, the multi-agency share of every post whether used or not; vacant posts "
        "are not in it and are shown apart."
    ]
    if others:
        notes.append(
            "Differences are paired: replicate r of each team model ran from the same "
            "seed. Differences of percentages are in percentage points. Bold: the 95% "
            "interval excludes no difference."
        )
    return f"<table><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>" + "".join(
        f"<p class='note'>{_e(n)}</p>" for n in notes
    )


def _config_yaml(data: RunData) -> str:
    from omegaconf import OmegaConf

    cfg = data.meta.get("config")
    if not cfg:
        return ""
    return OmegaConf.to_yaml(OmegaConf.create(cfg), sort_keys=False)


def _title(data: RunData) -> tuple[str, str]:
    from sim.plots import label

    area = data.summary.get("area") or data.meta.get("config", {}).get("area", {}).get("name")
    years = data.summary.get("years") or data.meta.get("config", {}).get("years")
    reps = data.meta.get("replicates") or data.summary.get("replicates")
    reps = reps if isinstance(reps, int) else None
    if data.kind == "compare":
        title = "Comparison of multi-agency team models"
        lede = (
            f"{', '.join(label(t) for t in data.team_models)} on the "
            f"'{area}' area; baseline: {label(data.baseline or '')}."
        )
    elif data.kind == "single":
        title = f"{label(data.team_models[0])}: results of one scenario"
        lede = f"{label(data.team_models[0])} on the '{area}' area."
    else:
        title = "Parameter sweep"
        n = len(data.sweep) if data.sweep is not None else 0
        lede = (
            f"{n} replicate results; swept: {', '.join(data.params) if data.params else 'nothing'}."
        )
    extra = []
    if years:
        extra.append(f"{_plain(years)} observed year" + ("" if years == 1 else "s"))
    if reps:
        extra.append(f"{reps} replicates")
    if extra:
        lede += " " + _capital(", ".join(extra)) + "."
    return title, lede


def build_report(folder: Path | str) -> str:
    """The report of ``folder`` as one self-contained HTML document.

    Raises
    ------
    ReportError
        If ``folder`` is not a run or sweep folder.
    """
    data = load(folder)
    title, lede = _title(data)
    figs, missing = figures(data)
    facts, tm_table = assumptions(data)
    meta = data.meta
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        # A data: icon stops the browser asking the file system for /favicon.ico.
        "<link rel='icon' href='data:,'>",
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{_e(title)}</h1><p class='lede'>{_e(lede)}</p>",
        "<h2 id='findings'>Headline findings</h2>",
        saturation_warning(data),
    ]
    for heading, group in finding_groups(data):
        if heading:
            parts.append(f"<h3>{_e(heading)}</h3>")
        parts += ["<ul class='findings'>", *[f"<li>{_e(s)}</li>" for s in group], "</ul>"]
    if data.kind != "sweep" or len(data.team_models) > 1 or data.table["area"].nunique() > 1:
        parts += ["<h3>Key measures</h3>", _levels_table(data)]
    parts.append("<h2 id='figures'>Figures</h2>")
    for i, f in enumerate(figs, 1):
        b64 = base64.b64encode(f.png).decode("ascii")
        parts.append(
            f"<figure><img src='data:image/png;base64,{b64}' alt='{_e(f.title)}'>"
            f"<figcaption><strong>Figure {i}. {_e(f.title)}</strong>{_e(f.caption)}"
            "</figcaption></figure>"
        )
    if missing:
        parts.append("<p class='note'>Not shown: " + _e("; ".join(missing)) + ".</p>")
    parts += [
        "<h2 id='assumptions'>Assumptions of this scenario</h2><ul>",
        *[f"<li>{_e(s)}</li>" for s in facts],
        "</ul>",
    ]
    if tm_table:
        parts += [
            "<h3>Team model mechanisms</h3>",
            "<p>How each team model was set up (values from the configuration; "
            "descriptions from sim/params.py).</p>",
            tm_table,
        ]
    parts.append("<h2 id='appendix'>Appendix: configuration</h2>")
    if meta:
        parts.append(
            f"<p>Simulation version {_e(meta.get('sim_version', 'unknown'))}; seed "
            f"{_e(meta.get('seed'))}; replicate seeds "
            f"{_e(', '.join(str(s) for s in meta.get('replicate_seeds', [])))}. Running "
            "the same version with this configuration repeats these results exactly.</p>"
        )
    if data.kind == "sweep":
        parts.append(
            "<p>Configuration of the sweep's first job; the swept parameters "
            "above took the values listed in the assumptions.</p>"
        )
    yaml_text = _config_yaml(data)
    parts.append(
        f"<pre>{_e(yaml_text)}</pre>"
        if yaml_text
        else "<p class='note'>No run.json was found, so the configuration cannot be listed.</p>"
    )
    parts.append(
        f"<p class='note'>Report made from the folder {_e(data.folder.name)} by "
        "python -m sim.report.</p></main></body></html>"
    )
    return "\n".join(parts) + "\n"


def write_report(folder: Path, output: Path | None = None) -> Path:
    """Write the report of ``folder`` and return its path.

    Parameters
    ----------
    folder : pathlib.Path
        A run folder (``python -m sim``, single or compare mode) or a sweep folder.
    output : pathlib.Path, optional
        Where to write; by default ``<folder>/report.html``. Written atomically.

    Returns
    -------
    pathlib.Path
        The report's path.

    Raises
    ------
    ReportError
        If ``folder`` is not a run or sweep folder.
    """
    folder = Path(folder)
    text = build_report(folder)
    out = Path(output) if output is not None else folder / REPORT_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, text)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m sim.report <folder> [-o report.html]``."""
    parser = argparse.ArgumentParser(
        prog="python -m sim.report",
        description="Write a self-contained HTML report of a run or sweep folder.",
    )
    parser.add_argument("folder", type=Path, help="run folder or sweep folder")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help=f"report file (default: <folder>/{REPORT_NAME})",
    )
    args = parser.parse_args(argv)
    try:
        path = write_report(args.folder, args.output)
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
