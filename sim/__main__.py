"""Command line: ``python -m sim [overrides]`` (Hydra, ``version_base="1.3"``).

Bad input is checked before Hydra starts, so it stops with one sentence, exit status 2,
and no output folder.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Check the overrides, then hand over to Hydra."""
    from sim.config import ConfigError, precheck_argv

    try:
        precheck_argv(sys.argv[1:])
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    from sim.cli import hydra_entry

    hydra_entry()


if __name__ == "__main__":
    main()
