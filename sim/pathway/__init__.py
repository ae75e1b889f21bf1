"""The pathway of a need through early help, one module a stage.

A need episode moves through these stages, each a class the model builds and wires
together (:class:`sim.model.ChildrensServicesModel`):

- :mod:`~sim.pathway.needs`: onset and natural history (the competing clocks of
  identification, escalation, resolution and disengagement), and step-down episodes;
- :mod:`~sim.pathway.identification`: who spots the need, and the weekly table of
  identification hazards from universal settings;
- :mod:`~sim.pathway.assessment`: consent, the CAF, the child index, and the request
  for multi-agency support;
- :mod:`~sim.pathway.allocation`: which professions a request needs, the queues for
  them, and allocation of members;
- :mod:`~sim.pathway.support`: the TAC meeting, the lead professional, support and its
  reviews;
- :mod:`~sim.pathway.closure`: closure, step-up to social care, children leaving the
  area.

Practitioners' one-off tasks go through their diaries (:mod:`sim.diary`); social care
and CAMHS are :mod:`sim.services`. A stage is given only the collaborators it needs and
never imports the model class; a stage hands an episode back to an earlier one through
a callback the model sets. :mod:`~sim.pathway.events` lists the calendar's event kinds.
"""

from typing import Any


def not_wired(*args: object) -> Any:
    """Stands for a stage's callback until the model sets it."""
    raise RuntimeError("a pathway callback was used before the model set it")
