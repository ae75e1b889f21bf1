"""Live dashboard on Mesa's own visualisation (``SolaraViz``, the ``viz`` extra).

Start it, on this machine only, with::

    python -m sim.app            # = solara run sim.app --host 127.0.0.1 --port 8765

then open http://127.0.0.1:8765. Choose the area and team model and move the sliders in
the sidebar, press *Reset* to build the model with them, then *Step* (one week) or the
play button, and watch early identification, queues and utilisation update week by week.

The page is :func:`mesa.visualization.SolaraViz` with Mesa plot components. It needs
ipyvue and ipyvuetify 1.x (the ``viz`` extra pins them): with ipyvue/ipyvuetify 3, which
current Solara otherwise installs, SolaraViz's tabbed layout fails (``v.TabsItems`` no
longer exists; mesa issue #3806). The dashboard drives
:class:`sim.model.ChildrensServicesModel` through :class:`DashboardModel`, a thin Mesa
model that builds a validated configuration from the sidebar's values
(``sim.config.compose`` and ``validate``, so the same checks apply as on the command
line), runs the warm-up when it is built, and records one row of measures per simulated
week in a Mesa ``DataCollector``. The model itself is unchanged: it never plots.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

import mesa

from sim import metrics as registry
from sim.config import CONFIG_DIR, compose, validate
from sim.model import ChildrensServicesModel
from sim.plots import LABELS, OKABE_ITO
from sim.summary import WORK_ACTIVITIES, early_identification_rate
from sim.team_models import REGISTRY

#: Areas offered (the presets in ``configs/area``), smallest first.
AREAS: tuple[str, ...] = tuple(
    sorted((p.stem for p in (CONFIG_DIR / "area").glob("*.yaml")), key=lambda a: (a != "test", a))
)
#: Team models offered (``configs/team_model``).
TEAM_MODELS: tuple[str, ...] = tuple(REGISTRY)
#: Professions whose weekly utilisation is drawn (those that carry most TAC work), with
#: their names on the chart.
UTILISATION_PROFESSIONS: dict[str, str] = {
    p: registry.PROFESSION_LABELS[p]
    for p in ("family_support", "health_visitor", "school_nurse", "social_worker")
}
#: Measure names in the DataCollector (and on the charts). The early identification
#: measure is the registered metric ``early_identification_rate`` (``sim.metrics``),
#: counted so far and shown in per cent.
EARLY = registry.axis_label("early_identification_rate")
WAIT_TAC = "Children waiting for a TAC member"
WAIT_SPECIALIST = "Referrals waiting in social care and CAMHS"
OPEN_NEEDS = "Children with an open need (per 1,000)"


def _utilisation_reporter(profession: str) -> Callable[[Any], float]:
    """A model reporter: the utilisation of ``profession``'s multi-agency hours, %."""
    return lambda m: m.utilisation_percent(profession)


class DashboardModel(mesa.Model):
    """A Mesa model that runs :class:`ChildrensServicesModel` one week per step.

    Parameters
    ----------
    area : str
        Area preset (``configs/area``).
    team_model : str
        Team model (``configs/team_model``).
    workforce_scale : float
        Multiplier of every profession's establishment (``area.workforce_scale``).
    member_hours_per_week : float
        Hours a week each TAC member gives a supported child
        (``support.member_hours_per_week``).
    warmup_years : float
        Years simulated when the model is built, before the charts start.
    years : float
        Observed years; the model stops at the end of them.
    seed : int
        Seed of the run (the same seed gives the same run).
    """

    def __init__(
        self,
        area: str = "test",
        team_model: str = "tac_only",
        workforce_scale: float = 1.0,
        member_hours_per_week: float = 1.5,
        warmup_years: float = 0.5,
        years: float = 5.0,
        seed: int = 20080,
    ) -> None:
        super().__init__(seed=seed)
        overrides = [
            f"area={area}",
            f"team_model={team_model}",
            f"area.workforce_scale={float(workforce_scale)}",
            f"support.member_hours_per_week={float(member_hours_per_week)}",
            f"warmup_years={float(warmup_years)}",
            f"years={float(years)}",
            f"seed={int(seed)}",
            "progress=false",
        ]
        self.cfg = validate(compose(overrides))
        self.inner = ChildrensServicesModel(self.cfg, int(seed))
        while self.inner.t < -1e-9:  # the warm-up: not shown
            self.inner.step()
        self._work_cols = [f"hours_{a}" for a in WORK_ACTIVITIES]
        self._utilisation_scale = registry.scale("utilisation.<profession>")
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "Week": lambda m: m.inner.t / 7.0,
                EARLY: lambda m: m.early_identification_percent(),
                WAIT_TAC: lambda m: m._latest("queue_early_help"),
                WAIT_SPECIALIST: lambda m: m._latest("queue_specialist"),
                OPEN_NEEDS: lambda m: m.open_needs_per_1000(),
                **{name: _utilisation_reporter(p) for p, name in UTILISATION_PROFESSIONS.items()},
            }
        )
        self.datacollector.collect(self)

    def step(self) -> None:
        """Advance one week and record the week's measures."""
        if self.inner.t >= self.inner.t_end - 1e-9:
            self.running = False
            return
        self.inner.step()
        self.datacollector.collect(self)
        self.running = self.inner.t < self.inner.t_end - 1e-9

    # ----------------------------------------------------------- measures
    def _latest_rows(self) -> list[dict]:
        rows = self.inner.series_rows
        if not rows:
            return []
        day = rows[-1]["day"]
        out = []
        for r in reversed(rows):
            if r["day"] != day:
                break
            out.append(r)
        return out

    def _latest(self, column: str) -> float:
        """Sum of ``column`` over professions in the last recorded week (0 before any)."""
        return float(sum(r[column] for r in self._latest_rows()))

    def utilisation_percent(self, profession: str) -> float:
        """Share of the profession's multi-agency hours used in the last week (%)."""
        for r in self._latest_rows():
            if r["profession"] == profession:
                cap = r["ma_capacity_hours"]
                used = sum(r[c] for c in self._work_cols)
                return self._utilisation_scale * used / cap if cap > 0 else math.nan
        return math.nan

    def early_identification_percent(self) -> float:
        """Needs that emerged at Tier 2 since observation began and were identified before
        reaching Tier 3, as a percentage of all of them so far: the metric
        ``early_identification_rate`` (``sim.metrics``), computed by the same function as
        ``summary.json``'s (:func:`sim.summary.early_identification_rate`) from the
        episodes table as it stands now."""
        rate = early_identification_rate(self.inner.episodes_table())
        return registry.scale("early_identification_rate") * rate

    def open_needs_per_1000(self) -> float:
        """Children with an open need episode per 1,000 children."""
        rows = self._latest_rows()
        if not rows:
            return math.nan
        return 1000.0 * rows[0]["open_needs"] / max(rows[0]["children"], 1.0)


# ---------------------------------------------------------------- the page
#: Names shown in the sidebar for the areas (``configs/area``); others show their file name.
AREA_LABELS: dict[str, str] = {
    "test": "Test area (5,000 children)",
    "shropshire": "Shropshire",
    "stockport": "Stockport",
    "west_sussex": "West Sussex",
}
#: Names shown in the sidebar for the team models (as in the reports).
TEAM_MODEL_LABELS: dict[str, str] = dict(LABELS)
#: The x axis of every chart: one Mesa step is one simulated week.
X_LABEL = "Weeks since the warm-up ended"


def _area_label(area: str) -> str:
    return AREA_LABELS.get(area, area.replace("_", " ").title())


def _from_label(value: str, labels: dict[str, str], names: Sequence[str]) -> str:
    """The configuration name of a sidebar choice (its label, or the name itself)."""
    for name in names:
        if value in (name, labels.get(name)):
            return name
    raise ValueError(f"unknown choice {value!r}; expected one of {list(names)}")


class LiveRun(DashboardModel):
    """The dashboard's model: :class:`DashboardModel` built from the sidebar's values.

    The sidebar gives the area and team model by their readable labels and the seed as
    text; this turns them into configuration names and a whole number. Mesa's
    ``ModelCreator`` checks the sidebar's keys against this signature.
    """

    def __init__(
        self,
        area: str = "test",
        team_model: str = "tac_only",
        workforce_scale: float = 1.0,
        member_hours_per_week: float = 1.5,
        warmup_years: float = 0.5,
        years: float = 5.0,
        seed: int | str = 20080,
    ) -> None:
        try:
            seed_int = int(str(seed).strip())
        except ValueError:
            seed_int = 20080
        super().__init__(
            _from_label(area, {a: _area_label(a) for a in AREAS}, AREAS),
            _from_label(team_model, TEAM_MODEL_LABELS, TEAM_MODELS),
            workforce_scale,
            member_hours_per_week,
            warmup_years,
            years,
            seed_int,
        )

    def settings_lines(self) -> list[str]:
        """The settings of this run, in words (shown beside the charts)."""
        c = self.cfg
        return [
            f"{_area_label(c.area.name)}, {TEAM_MODEL_LABELS[c.team_model.name]}",
            f"Workforce: {c.area.workforce_scale:.2f} × the area's establishment.",
            f"Each TAC member gives a supported child "
            f"{c.support.member_hours_per_week:g} hours a week.",
            f"Warm-up {c.warmup_years:g} years (not shown), then {c.years:g} years "
            f"observed; seed {c.seed}.",
        ]


def _axes(
    title: str,
    ylabel: str,
    ylim: tuple[float, float] | None = None,  # noqa: ANN202
    counts: bool = False,
):
    """A post-processing hook for a Mesa plot: title, axis labels with units, legend below.

    ``counts`` puts ticks on whole numbers only (numbers of children or referrals).
    """

    def post(ax) -> None:  # noqa: ANN001 - matplotlib Axes
        from matplotlib.ticker import MaxNLocator

        # Wider than Mesa's 6.4 x 4.8 in, so that chart and legend fit SolaraViz's grid cell.
        ax.figure.set_size_inches(6.4, 4.0)
        ax.set_title(title, fontsize=11, loc="left")
        ax.set_ylabel(ylabel)
        ax.set_xlabel(X_LABEL)
        # Mesa relabels the x axis "Step" after this hook; keep the label in weeks.
        ax.set_xlabel = lambda *args, **kwargs: None
        if ylim:
            ax.set_ylim(*ylim)
        else:
            top = ax.dataLim.ymax if math.isfinite(ax.dataLim.ymax) else 0.0
            ax.set_ylim(0, max(1.0, 1.15 * top))
        last = ax.dataLim.xmax if math.isfinite(ax.dataLim.xmax) else 0.0
        ax.set_xlim(0, max(4.0, last))
        if counts:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if len(ax.lines) > 1:
            ax.legend(
                loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False, fontsize=9
            )
        elif ax.get_legend() is not None:
            ax.get_legend().remove()  # one line: the title says what it is

    return post


def model_params() -> dict:
    """The sidebar's inputs (Mesa ``Slider`` and Solara input specifications)."""
    from mesa.visualization import Slider

    return {
        "area": {
            "type": "Select",
            "value": _area_label("test"),
            "label": "Area",
            "values": [_area_label(a) for a in AREAS],
        },
        "team_model": {
            "type": "Select",
            "value": TEAM_MODEL_LABELS["tac_only"],
            "values": [TEAM_MODEL_LABELS[t] for t in TEAM_MODELS],
            "label": "Team model",
        },
        "workforce_scale": Slider("Workforce (× establishment)", 1.0, 0.5, 1.5, 0.05),
        "member_hours_per_week": Slider("Hours a week per TAC member", 1.5, 0.5, 4.0, 0.25),
        "warmup_years": Slider("Warm-up (years)", 0.5, 0.0, 3.0, 0.25),
        "years": Slider("Observed (years)", 5.0, 1.0, 10.0, 1.0),
        "seed": {"type": "InputText", "value": "20080", "label": "Seed"},
    }


def _settings_component(model: LiveRun):  # noqa: ANN202
    import solara

    # Plain text, not solara.Markdown: Markdown makes the page fetch mermaid from the CDN.
    with solara.Card("This run") as card:
        for i, line in enumerate(model.settings_lines()):
            solara.v.Html(tag="div", children=[line], style_="font-weight: bold" if i == 0 else "")
        solara.v.Html(
            tag="div",
            style_="margin-top: 0.8em",
            children=[
                "Change the settings in the sidebar and press Reset to apply them; Step "
                "advances one simulated week and ▶ plays. Large areas take a while to build."
            ],
        )
    return card


def components() -> list:
    """The dashboard's panels: four Mesa plot components and the run's settings."""
    from mesa.visualization import make_plot_component

    return [
        make_plot_component(
            {EARLY: OKABE_ITO[0]},
            post_process=_axes(
                "Needs identified before reaching Tier 3 (so far)",
                EARLY,
                (0, 100),
            ),
        ),
        make_plot_component(
            {WAIT_TAC: OKABE_ITO[1], WAIT_SPECIALIST: OKABE_ITO[4]},
            post_process=_axes(
                "Waiting at the end of the week",
                "Children or referrals waiting (number)",
                counts=True,
            ),
        ),
        make_plot_component(
            dict(zip(UTILISATION_PROFESSIONS.values(), OKABE_ITO[:4], strict=True)),
            post_process=_axes(
                "Use of multi-agency hours in the week, by profession",
                registry.axis_label("utilisation.<profession>"),
                (0, 100),
            ),
        ),
        make_plot_component(
            {OPEN_NEEDS: OKABE_ITO[7]},
            post_process=_axes(
                "Children with an open need", "Children with an open need (per 1,000 children)"
            ),
        ),
        (_settings_component, 0),
    ]


def _page_component():  # noqa: ANN202
    import ipyvue
    import solara
    from mesa.visualization import SolaraViz

    if int(ipyvue.__version__.split(".")[0]) >= 2:
        raise RuntimeError(
            f"the dashboard needs ipyvue<2 and ipyvuetify<2 (found ipyvue "
            f"{ipyvue.__version__}): Mesa 3.3's SolaraViz does not work with ipyvue 3. "
            'Install the viz extra again: pip install -e ".[viz]"'
        )

    @solara.component
    def Page():  # noqa: ANN202, N802 - Solara serves the component named Page
        """Mesa's SolaraViz page; each browser tab gets its own model."""
        model = solara.use_memo(LiveRun, [])
        return SolaraViz(
            model,
            components=components(),
            model_params=model_params(),
            name="Integrated children's services: live run",
        )

    return Page


def __getattr__(name: str):  # noqa: ANN202
    # ``Page`` is what ``solara run sim.app`` serves. It is built on first access so
    # that importing this module (the model, tests, docs) does not import Solara.
    if name == "Page":
        page = _page_component()
        globals()["Page"] = page
        return page
    raise AttributeError(f"module 'sim.app' has no attribute {name!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.app [--port N]``: serve the dashboard on 127.0.0.1 only."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m sim.app", description="Serve the live dashboard on this machine."
    )
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    cmd = [
        sys.executable,
        "-m",
        "solara",
        "run",
        "sim.app",
        "--host",
        "127.0.0.1",
        "--port",
        str(args.port),
        "--no-open",
        "--production",
    ]
    print(f"Dashboard: http://127.0.0.1:{args.port} (Ctrl+C stops it)")
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
