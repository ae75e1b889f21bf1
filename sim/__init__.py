"""Agent-based simulation of integrated children's services in England.

Three ways of organising multi-agency work around children with additional needs
(co-located teams, virtual teams, Team Around the Child processes only) are
interchangeable mechanisms in one model; see ``docs/odd.md``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
