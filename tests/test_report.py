"""The HTML report: functional tests and a real-browser check.

Evidence given: from a real comparison run (three team models, two replicates under
common random numbers, the small test area), a single-scenario folder and a sweep table,
``sim.report`` writes one self-contained HTML file whose findings are sentences with
95% confidence intervals, whose figures are embedded PNGs with captions, and which names
no address outside the file. A sweep that was never collected into ``sweep.parquet`` is
reported from its job folders with its swept parameters and each job's values, exactly as
once collected. Headless Chromium (the Debian package, driven by Playwright)
opens the comparison report with every request intercepted: the page loads without
console errors, every image decodes, and no request leaves the machine. A screenshot is
kept in ``test-artifacts/report.png``. A folder that is not a run or sweep folder stops
with one sentence and exit status 2.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, merge_overrides, run_cli

import sim.report
from sim.collect import main as collect_main
from sim.config import compose, validate
from sim.plots import staff_cost_by_profession, wait_curves
from sim.report import (
    KEY_METRICS,
    ReportError,
    build_report,
    difference_sentence,
    figures,
    findings,
    load,
    main,
    saturated,
    wait_episodes,
    write_report,
)
from sim.runner import run_comparison, write_comparison, write_scenario
from sim.summary import flatten

#: Key measures with a finding of their own (children supported, cost per child and the
#: vacancy saving are stated in the staff cost's finding).
FINDING_METRICS = [m for m in KEY_METRICS if m.finding]
#: Figures of a run folder's report.
FIGURE_TITLES = (
    "Early identification",
    "Children supported within 30, 90 and 180 days",
    "Stage-by-stage delays",
    "Wait from need to support (completers only)",
    "Utilisation by profession",
    "Queues and caseloads over time",
    "Escalation to specialist services",
    "Staff cost and what it bought",
)

#: Where browser tests leave screenshots for CI to keep (ignored by git).
ARTIFACTS = REPO / "test-artifacts"
SMALL = (
    "area=test",
    "years=0.5",
    "warmup_years=0.5",
    "replicates=2",
    "workers=1",
    "progress=false",
)


def artifacts_dir() -> Path:
    """``test-artifacts/``, created with a ``.gitignore`` that ignores everything in it."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n")
    return ARTIFACTS


def chromium_path() -> str:
    """Path of the system Chromium (scripts/setup.sh --test installs it).

    Fails (never skips) when Chromium is missing, so a machine without a browser cannot
    pass the browser checks silently.
    """
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "Chromium is missing: `bash scripts/setup.sh --test` installs it (as root; "
        "the Debian package 'chromium') for the browser tests."
    )


@pytest.fixture(scope="session")
def report_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A compare-mode folder, a single-mode folder and a sweep folder from one small
    comparison run (the single folder is the run's TAC-only scenario; the sweep table
    holds every replicate of the run, with a parameter column ``support.member_hours_per
    _week`` alternating between two values so that the sweep figures have something to
    show)."""
    root = tmp_path_factory.mktemp("report")
    base = merge_overrides(*SMALL, "experiment=compare_team_models")
    cfg = validate(compose(base))
    cfgs = {tm: validate(compose([*base, f"team_model={tm}"])) for tm in cfg.compare.team_models}
    results = run_comparison(cfgs)
    write_comparison(root / "compare", cfg, cfgs, results)
    write_scenario(root / "single", cfgs["tac_only"], results["tac_only"])
    rows = []
    for tm, res in results.items():
        for i, s in enumerate(res.summaries):
            rows.append(
                {
                    "job": len(rows) // 2,
                    "replicate": i,
                    "team_model": tm,
                    "area": "test",
                    "seed": 20080,
                    "support.member_hours_per_week": 1.0 + (len(rows) % 2),
                    **flatten(s),
                }
            )
    (root / "sweep").mkdir()
    pd.DataFrame(rows).to_parquet(root / "sweep" / "sweep.parquet", index=False)
    return {"compare": root / "compare", "single": root / "single", "sweep": root / "sweep"}


@pytest.fixture(scope="session")
def compare_report(report_folders: dict[str, Path]) -> Path:
    """The comparison's report."""
    return write_report(report_folders["compare"])


def _images(text: str) -> list[str]:
    return re.findall(r"<img [^>]*src='([^']*)'", text)


def _check_self_contained(text: str) -> None:
    """No address outside the file: no http(s), protocol-relative or file URLs, no links."""
    bare = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:", text)
    found = re.search(r"(?i)(https?:|file:)?//[a-z0-9].{0,60}", bare)
    assert found is None, found
    assert "<a " not in text and "<script" not in text and "@import" not in text
    for src in _images(text):
        assert src.startswith("data:image/png;base64,"), src[:60]


def test_issue_example_wording() -> None:
    """A difference reads as in the issue: size, direction, interval and baseline."""
    early = next(m for m in KEY_METRICS if m.name == "early_identification_rate")
    assert difference_sentence(early, "co_located", "tac_only", 0.12, 0.09, 0.15) == (
        "Under co-located teams, 12 percentage points more children with emerging needs "
        "were identified before their needs escalated (95% CI 9 to 15) than under "
        "TAC-only processes."
    )
    text = difference_sentence(early, "virtual", "tac_only", -0.02, -0.05, 0.01)
    assert "2 percentage points fewer" in text and "from 5 fewer to 1 more" in text
    assert "cannot tell the two apart" in text


def test_compare_report(compare_report: Path) -> None:
    """Findings with intervals for each team model against the baseline, every figure
    with a caption, assumptions and the configuration; nothing outside the file."""
    text = compare_report.read_text(encoding="utf-8")
    _check_self_contained(text)
    findings = re.findall(r"<li>(Under [^<]*)</li>", text)
    assert len(findings) == 2 * len(FINDING_METRICS), findings
    for f in findings:
        assert "95% CI" in f and "than under TAC-only processes" in f, f
    assert "<h3>Co-located teams against TAC processes only</h3>" in text
    for title in FIGURE_TITLES:
        assert f"{title}" in text, f"figure '{title}' missing"
    assert len(_images(text)) == len(FIGURE_TITLES)
    assert text.count("<figcaption>") == len(FIGURE_TITLES)
    assert "Assumptions of this scenario" in text and "Team model mechanisms" in text
    assert "Appendix: configuration" in text and "member_hours_per_week" in text


def test_single_report_findings(report_folders: dict[str, Path]) -> None:
    """A single run's findings are levels, each with its interval (its figures are
    drawn by the same code as the comparison's)."""
    data = load(report_folders["single"])
    assert data.kind == "single" and data.team_models == ["tac_only"]
    found = findings(data)
    assert len(found) == len(FINDING_METRICS) + 1, found
    assert (
        found[0].startswith("Under TAC-only processes, ")
        and "% of children with emerging needs" in found[0]
    ), found[0]
    for f in found:
        assert "95% CI" in f, f


def test_sweep_report(report_folders: dict[str, Path], tmp_path: Path) -> None:
    """A sweep table gives the swept parameter's effect with confidence bands; seeds,
    jobs and replicates are not mistaken for parameters; ``-o`` chooses the file."""
    out = tmp_path / "shared" / "sweep.html"
    assert main([str(report_folders["sweep"]), "-o", str(out)]) == 0
    assert not (report_folders["sweep"] / "report.html").exists()
    text = out.read_text(encoding="utf-8")
    _check_self_contained(text)
    assert "Effect of member hours per week (support)" in text
    assert "Effect of seed" not in text and "Effect of job" not in text
    assert re.search(r"went from 1\.0 to 2\.0, the share of children identified", text)


#: A tiny sweep over two parameters (four jobs, two replicates each).
SWEPT = {"support.member_hours_per_week": (1.0, 2.5), "workforce.training_rate": (0.0, 0.5)}


def test_uncollected_sweep_report_shows_its_parameters(tmp_path: Path) -> None:
    """A sweep whose table was never written (here its end-of-sweep callback is removed,
    as when a sweep is killed or still running) is reported from its job folders: both
    swept parameters, with the values each job used (as its run.json records them), and
    their effects; the report is the same as that of the collected sweep."""
    folder = tmp_path / "sweep"
    proc = run_cli(
        [
            "-m",
            "area=test",
            "area.children=1000",
            "years=0.5",
            "warmup_years=0.5",
            "replicates=2",
            "progress=false",
            *(f"{key}={','.join(f'{v:g}' for v in values)}" for key, values in SWEPT.items()),
            "~hydra.callbacks.sweep",
            f"hydra.sweep.dir={folder}",
        ],
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (folder / "sweep.parquet").exists()

    data = load(folder)
    assert data.kind == "sweep" and sorted(data.params) == sorted(SWEPT)
    jobs = sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit())
    assert jobs == [0, 1, 2, 3]
    for job in jobs:
        overrides = json.loads((folder / str(job) / "run.json").read_text())["job"]["overrides"]
        used = {k: float(v) for k, v in (o.split("=", 1) for o in overrides) if k in SWEPT}
        rows = data.replicates[data.replicates["job"] == job]
        assert len(rows) == 2, rows
        for key, value in used.items():
            assert set(rows[key]) == {value}, (job, key, set(rows[key]))

    text = build_report(folder)
    _check_self_contained(text)
    assert "swept: support.member_hours_per_week, workforce.training_rate." in text
    assert (
        "The sweep varied 2 parameter(s): support.member_hours_per_week over 1.0, 2.5, "
        "workforce.training_rate over 0.0, 0.5; 4 jobs."
    ) in text
    assert "Effect of member hours per week (support)" in text
    assert "Effect of training rate (workforce)" in text
    assert re.search(r"When training rate \(workforce\) went from 0\.0 to 0\.5, ", text)

    assert collect_main([str(folder)]) == 0
    assert build_report(folder) == text


@pytest.mark.parametrize("kind", ["missing", "empty", "file", "bad_json"])
def test_not_a_run_folder(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Anything but a run or sweep folder stops with one sentence and exit status 2."""
    target = tmp_path / "x"
    if kind == "empty":
        target.mkdir()
    elif kind == "file":
        target.write_text("not a folder")
    elif kind == "bad_json":
        target.mkdir()
        (target / "summary.json").write_text("{not json")
    with pytest.raises(ReportError):
        write_report(target)
    assert main([str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    assert str(target) in err
    assert not (target / "report.html").exists() if target.is_dir() else True


def test_report_in_browser(compare_report: Path) -> None:
    """Headless Chromium loads the report offline: no console errors, every image
    decoded, no request other than file: and data: URLs; a screenshot is kept."""
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    errors: list[str] = []
    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})

            def route(r):  # noqa: ANN001 - Playwright's Route
                url = r.request.url
                if url.startswith(("file:", "data:")):
                    r.continue_()
                else:
                    outside.append(url)
                    r.abort()

            page.route("**/*", route)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
            page.goto(compare_report.as_uri(), wait_until="load")
            decoded = page.evaluate(
                """async () => {
                    const imgs = Array.from(document.images);
                    await Promise.all(imgs.map(i => i.decode()));
                    return imgs.map(i => [i.alt, i.naturalWidth, i.naturalHeight]);
                }"""
            )
            page.screenshot(path=str(artifacts_dir() / "report.png"), full_page=True)
        finally:
            browser.close()
    assert not outside, f"requests left the machine: {outside}"
    assert not errors, f"console errors: {errors}"
    assert len(decoded) == len(FIGURE_TITLES)
    for alt, w, h in decoded:
        assert w > 0 and h > 0, f"image '{alt}' did not decode"


def _table_mean(data, metric: str, tm: str) -> float:  # noqa: ANN001 - RunData
    t = data.table
    return float(t[(t["metric"] == metric) & (t["team_model"] == tm)]["mean"].iloc[0])


def test_headline_delay_measures_with_paired_differences(compare_report: Path) -> None:
    """The key measures table and the findings give the shares supported within 30, 90
    and 180 days of identification and the survival-curve median, each with its CI and
    its paired difference from the baseline with its CI; the completer-only median is
    shown under its label."""
    text = compare_report.read_text(encoding="utf-8")
    table = text[text.index("<h3>Key measures</h3>") : text.index("<h2 id='figures'>")]
    assert "Difference from TAC processes only, replicate by replicate" in table
    for days in (30, 90, 180):
        assert f"Supported within {days} days of identification (%)" in table
        said = [f for f in findings(load(compare_report.parent)) if f"within {days} days" in f]
        assert len(said) == 2 and all("95% CI" in f for f in said), said
    assert "Median wait, identification → support (survival curve) (days)" in table
    assert "Median delay (completers only): need emerges → support starts (days)" in table
    rows = re.findall(r"<tr><th scope='row'>.*?</tr>", table)
    assert len(rows) == len(KEY_METRICS)
    for row in rows:
        # Three levels and two differences, each a number with its interval below.
        assert len(re.findall(r"<td class='num( diff)?'>", row)) == 5, row
        assert row.count("<span class='note'>") >= 5, row


def test_wait_figure_and_table_give_one_median(report_folders: dict[str, Path]) -> None:
    """The figure of the wait from need to support plots the episodes the table's
    median came from (the followed ones after a follow-up), so each line's median is the
    key measures' delay_days.onset_to_support.median, and its caption says so."""
    for kind in ("compare", "single"):
        data = load(report_folders[kind])
        episodes, followed = wait_episodes(data)
        assert followed and (report_folders[kind] / "episodes_followed.parquet").is_file()
        figure = next(f for f in figures(data)[0] if f.title.startswith("Wait from need"))
        assert "episodes_followed.parquet" in figure.caption
        assert sorted(figure.values) == sorted(data.team_models)
        name = "delay_days.onset_to_support.median"
        for tm, median in figure.values.items():
            assert median == pytest.approx(_table_mean(data, name, tm), rel=1e-12), tm
        # The episodes of the observed years alone give other medians: the check above
        # tells the two tables apart.
        assert data.episodes is not None
        window = wait_curves(data.episodes)
        assert any(abs(window[tm].median - _table_mean(data, name, tm)) > 1e-6 for tm in window), (
            "the follow-up changed no median; the run cannot tell the tables apart"
        )


def test_every_cost_says_what_it_bought(
    report_folders: dict[str, Path], compare_report: Path
) -> None:
    """Each statement of a cost gives, beside it, the children supported a year and the
    cost per child supported, says that staff cost is whole posts, and shows what the
    vacant posts would have cost apart; the figure's split by profession adds up to the
    table's staff cost."""
    for kind in ("compare", "single"):
        costs = [f for f in findings(load(report_folders[kind])) if "staff cost" in f]
        assert len(costs) == (2 if kind == "compare" else 1), costs
        for f in costs:
            assert "whole posts: the multi-agency share of every post, used or not" in f, f
            assert "children were supported a year" in f or "children a year were" in f, f
            assert "per child supported" in f and "Vacant posts" in f, f
            assert "£" in f and "95% CI" in f, f
    text = compare_report.read_text(encoding="utf-8")
    rows = re.findall(r"<tr><th scope='row'>([^<]*)</th>", text)
    at = rows.index("Staff cost (whole posts) (£ a year)")
    assert rows[at + 1 : at + 4] == [
        "Children supported (children a year)",
        "Staff cost per child supported (£ per child supported)",
        "Saving on vacant posts (£ a year), not in staff cost",
    ]
    data = load(report_folders["compare"])
    cfg = data.meta["config"]
    by = staff_cost_by_profession(
        data.series,
        {p: v["hourly_cost"] for p, v in cfg["professions"].items()},
        cfg["workforce"]["agency_cost_factor"],
        cfg["years"],
    )
    for tm in data.team_models:
        assert by.loc[tm].sum() == pytest.approx(_table_mean(data, "staff_cost", tm), rel=1e-9)


def _with_utilisation(data, value: float, profession: str, tm: str):  # noqa: ANN001, ANN202
    """``data`` with every utilisation at most 90%, and ``profession`` under ``tm`` at
    ``value``."""
    t = data.table.copy()
    util = t["metric"].str.startswith("utilisation.")
    t.loc[util, "mean"] = t.loc[util, "mean"].clip(upper=0.9)
    t.loc[(t["metric"] == f"utilisation.{profession}") & (t["team_model"] == tm), "mean"] = value
    data.table = t
    return data


def test_saturated_professions_are_warned_about(
    report_folders: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A profession at 95% or more of its multi-agency hours in any team model gets a
    warning beside the findings, naming it and its utilisation; none below 95%."""
    folder = report_folders["compare"]
    calm = _with_utilisation(load(folder), 0.949, "school_nurse", "virtual")
    assert saturated(calm) == []
    monkeypatch.setattr(sim.report, "load", lambda _: calm)
    text = build_report(folder)
    assert "class='warning'" not in text and "grow without limit:" not in text

    full = _with_utilisation(load(folder), 0.97, "school_nurse", "virtual")
    monkeypatch.setattr(sim.report, "load", lambda _: full)
    text = build_report(folder)
    warning = text[text.index("<div class='warning'") : text.index("</div>")]
    assert text.index("<h2 id='findings'>") < text.index("<div class='warning'")
    assert text.index("</div>") < text.index("<li>Under ")
    assert "<strong>School nurses</strong> used 97% of their multi-agency hours under " in warning
    assert "virtual teams" in warning and "grow without limit" in warning
    assert "reflect the backlog more than the mechanisms" in warning


def test_saturation_in_one_sweep_scenario_is_warned_about(
    report_folders: dict[str, Path],
) -> None:
    """In a sweep each scenario counts: one setting of the swept parameter at 95% or
    more is named, even when the sweep's mean is below."""
    data = load(report_folders["sweep"])
    reps = data.replicates
    col = "utilisation.school_nurse"
    util = [c for c in reps.columns if c.startswith("utilisation.")]
    reps[util] = reps[util].clip(upper=0.5)
    assert saturated(data) == []
    key = "support.member_hours_per_week"
    reps.loc[(reps[key] == 2.0) & (reps["team_model"] == "tac_only"), col] = 0.99
    found = saturated(data)
    assert [(f.profession, round(f.utilisation, 6)) for f in found] == [("school_nurse", 0.99)]
    assert found[0].scenario == f"TAC-only processes, {key} = 2.0", found[0].scenario
