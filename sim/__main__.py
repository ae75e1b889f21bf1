"""Command line: ``python -m sim [overrides]`` (Hydra, ``version_base="1.3"``).

Bad input is checked before Hydra starts, so it stops with one sentence, exit status 2,
and no output folder; an output folder that cannot be made or written is bad input too.
Before a run estimated to take more than half a minute, a rough estimate of its time
and memory is printed to stderr (``progress=false`` hides it).
"""

from __future__ import annotations

import sys


def main() -> None:
    """Check the overrides and the output folder, show the estimate, then run Hydra."""
    from sim.config import ConfigError, estimate_notice, precheck_argv

    try:
        cfg = precheck_argv(sys.argv[1:])
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    notice = estimate_notice(cfg) if cfg is not None else None
    if notice is not None:
        print(notice, file=sys.stderr, flush=True)
    from sim.cli import hydra_entry

    hydra_entry()


if __name__ == "__main__":
    main()
