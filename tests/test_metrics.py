"""The metric registry (``sim/metrics.py``) against the documentation and the outputs.

Evidence given:

- documentation: every metric in the registry (every name, families by their template
  name such as ``utilisation.<profession>``) has a row in a metric table of
  ``docs/metrics.md`` whose Unit column gives the registry's unit, and every metric row
  there is registered; the pathway stages are the same in the registry, in
  ``sim.summary.STAGES`` and in the documentation's stage table. So a metric registered
  without a written definition, or defined without being registered, fails here.
- outputs: every metric in the ``summary.json`` that ``sim.runner.write_scenario``
  writes for one small replicate (with the M/M/c block switched on, so that its keys are
  seen too) resolves to exactly one registered ``summary.json`` metric, and every
  registered ``summary.json`` metric occurs in it; the calibration's metrics
  (``FIT_METRICS`` and ``PATTERN_METRICS``) are exactly the registered calibration
  metrics. So a new metric in the outputs without a registry entry (and so without a
  definition) fails here.
- one name, one quantity: no two registered metrics share a display label; a metric
  registered under a second name (``same_as``) has the same unit and, on one replicate,
  the same value as the metric it names; the dashboard's early identification measure is
  ``summary.json``'s, computed by the same function from the same table.

Each check fails when its condition is broken: removing the ``staff_cost`` entry from the
registry fails the documentation and output checks, and removing the ``staff_cost`` row
from ``docs/metrics.md`` fails the documentation check (both tried when the test was
written).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from conftest import REPO, cached_run, make_cfg

from sim import metrics as registry
from sim.summary import STAGES, early_identification_rate, flatten

DOC = REPO / "docs" / "metrics.md"
#: First header cell of the tables in docs/metrics.md that define metrics.
METRIC_TABLE_HEADS = ("Metric", "Key")
#: Keys of summary.json that describe the run, not a metric.
RUN_KEYS = {"team_model", "area", "children", "years", "seed", "replicates"}


def _tables(text: str) -> list[list[list[str]]]:
    """The Markdown tables of ``text``: rows of cells (header first, separator dropped)."""
    tables: list[list[list[str]]] = []
    rows: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line.strip()[1:-1])
            if not all(re.fullmatch(r"\s*:?-+:?\s*", c) for c in cells):
                rows.append([c.strip() for c in cells])
        elif rows:
            tables.append(rows)
            rows = []
    return tables


def documented_units() -> dict[str, str]:
    """Metric name to the Unit cell of its row, over the metric tables of docs/metrics.md."""
    out: dict[str, str] = {}
    for table in _tables(DOC.read_text(encoding="utf-8")):
        head = table[0]
        if head[0] not in METRIC_TABLE_HEADS or "Unit" not in head:
            continue
        col = head.index("Unit")
        for row in table[1:]:
            name = re.fullmatch(r"`([^`]+)`", row[0])
            assert name, f"docs/metrics.md: a metric row does not start with a `name`: {row}"
            assert name.group(1) not in out, f"docs/metrics.md defines {name.group(1)} twice"
            out[name.group(1)] = row[col]
    return out


def _unit_agrees(cell: str, unit: str) -> bool:
    """Whether a Unit cell gives ``unit``, alone or followed by a note in parentheses or
    after a semicolon."""
    return cell == unit or cell.startswith((f"{unit} (", f"{unit}; "))


def test_every_registered_metric_is_defined_with_its_unit() -> None:
    """Each registry name has a row in docs/metrics.md whose Unit column is its unit."""
    docs = documented_units()
    missing = [n for n in registry.names() if n not in docs]
    assert not missing, (
        f"registered in sim/metrics.py but not defined in docs/metrics.md: {missing}"
    )
    wrong = {
        n: (docs[n], registry.unit(n))
        for n in registry.names()
        if not _unit_agrees(docs[n], registry.unit(n))
    }
    assert not wrong, f"unit in docs/metrics.md differs from sim/metrics.py: {wrong}"


def test_every_documented_metric_is_registered() -> None:
    """Each metric row of docs/metrics.md names a metric of the registry."""
    extra = sorted(set(documented_units()) - set(registry.names()))
    assert not extra, f"defined in docs/metrics.md but not registered in sim/metrics.py: {extra}"


def test_stages_agree() -> None:
    """The registry's stages are sim.summary's, in order, and the documentation's."""
    assert registry.STAGES == tuple(name for name, _, _ in STAGES)
    table = next(
        t for t in _tables(DOC.read_text(encoding="utf-8")) if t[0][:3] == ["Stage", "From", "To"]
    )
    assert tuple(row[0].strip("`") for row in table[1:]) == registry.STAGES


def _metric_names(node: dict, prefix: str = "") -> set[str]:
    """Flat names of the metrics in a summary.json node: leaves and {mean, ci95, n} dicts."""
    out: set[str] = set()
    for key, value in node.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not {"mean", "ci95", "n"} <= set(value):
            out |= _metric_names(value, name + ".")
        else:
            out.add(name)
    return out


@pytest.fixture(scope="module")
def summary_json(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The summary.json written for one small replicate, with the M/M/c block."""
    from sim.runner import ScenarioResult, write_scenario

    out: Path = tmp_path_factory.mktemp("summary")
    rep = cached_run(1)
    write_scenario(out, make_cfg("mmc.enabled=true"), ScenarioResult("tac_only", [rep]))
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def test_summary_json_metrics_are_registered(summary_json: dict) -> None:
    """Every metric of summary.json (aggregates, each replicate's values and the M/M/c
    block) resolves to one registered summary.json metric, and every registered
    summary.json metric occurs in it."""
    aggregated = _metric_names({k: v for k, v in summary_json.items() if k not in RUN_KEYS})
    per_replicate = set(flatten(summary_json["replicates"][0]))
    assert per_replicate <= aggregated
    unknown = sorted(n for n in aggregated if not registry.is_registered(n))
    assert not unknown, (
        f"summary.json has metrics that sim/metrics.py does not register: {unknown}; "
        "register each (definition, unit, label) and define it in docs/metrics.md"
    )
    elsewhere = sorted(n for n in aggregated if registry.SUMMARY not in registry.get(n).outputs)
    assert not elsewhere, f"registered as not written to summary.json: {elsewhere}"
    seen = {registry.get(n).name for n in aggregated}
    unused = sorted(set(registry.names(registry.SUMMARY)) - seen)
    assert not unused, f"registered as summary.json metrics but not in summary.json: {unused}"


def test_calibration_metrics_are_registered() -> None:
    """The calibration's metrics are exactly the registered calibration metrics."""
    from sim.calibrate import FIT_METRICS, PATTERN_METRICS

    assert set(FIT_METRICS) | set(PATTERN_METRICS) == set(registry.names(registry.CALIBRATION))


def test_labels_name_one_quantity_each() -> None:
    """No two registered metrics share a label; a concrete name's label names its part."""
    labels = [registry.label(n) for n in registry.names()]
    repeated = sorted({x for x in labels if labels.count(x) > 1})
    assert not repeated, f"labels shared by different metrics: {repeated}"
    assert registry.label("delay_days.onset_to_support.median") == (
        "Median delay (completers only): need emerges → support starts"
    )
    assert registry.axis_label("utilisation.social_worker") == (
        "Multi-agency hours in use: social workers (% of available)"
    )
    with pytest.raises(KeyError, match="docs/metrics.md"):
        registry.get("delay_days.no_such_stage.median")


def test_second_names_are_the_same_quantity() -> None:
    """A metric registered under a second name has the unit and, on one replicate, the
    value of the metric it names (the calibration's names for summary.json metrics)."""
    from sim.calibrate import build_config, calibration_metrics
    from sim.runner import run_replicate

    aliases = {n: registry.get(n).same_as for n in registry.names() if registry.get(n).same_as}
    assert aliases, "no metric is registered under a second name"
    for name, same in aliases.items():
        assert registry.unit(name) == registry.unit(same), name
    cfg = build_config(["area=test", "area.children=400", "years=0.5", "warmup_years=0.25"])
    calibration = calibration_metrics(cfg, 3)
    summary = flatten(run_replicate(cfg, 3).summary)
    for name, same in aliases.items():
        assert calibration[name] == pytest.approx(summary[same], rel=1e-12, nan_ok=True), name


def test_dashboard_measures_early_identification_as_the_summary() -> None:
    """The dashboard's early identification (%) is the summary's rate, by the same
    function, from the episodes so far."""
    from sim.app import DashboardModel

    m = DashboardModel(area="test", warmup_years=0.25, years=0.5, seed=5)
    while m.running:
        m.step()
    rate = early_identification_rate(m.inner.episodes_table())
    assert not math.isnan(rate)
    assert m.early_identification_percent() == pytest.approx(100.0 * rate, rel=1e-12)
