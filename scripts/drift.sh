#!/usr/bin/env bash
# Find out what pyproject.toml's ranges admit today, before users do: install the newest
# releases the ranges allow into a separate environment (.venv-drift, not the locked
# .venv), list every package whose version differs from requirements/test.lock, and run
# the test suite there. Not run by CI; a maintainer runs it before regenerating the lock.
#
#   bash scripts/drift.sh                 the whole suite
#   bash scripts/drift.sh -m "not slow"   any pytest arguments
set -euo pipefail
cd "$(dirname "$0")/.."

rm -rf .venv-drift
python3 -m venv .venv-drift
.venv-drift/bin/pip install -q --disable-pip-version-check --upgrade pip
.venv-drift/bin/pip install -q --disable-pip-version-check --upgrade \
    --upgrade-strategy eager -e ".[test]"

echo "drift: packages whose newest admitted release differs from requirements/test.lock:"
.venv-drift/bin/python - <<'PY'
import importlib.metadata as md
import re

locked = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^ \\]+)", open("requirements/test.lock").read(), re.M))
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
locked = {norm(k): v for k, v in locked.items()}
changed = []
for dist in md.distributions():
    name = norm(dist.metadata["Name"])
    if name in locked and locked[name] != dist.version:
        changed.append(f"  {name}: {locked[name]} -> {dist.version}")
print("\n".join(sorted(changed)) or "  none")
PY
status=0
.venv-drift/bin/python -m pytest -p no:cacheprovider "$@" || status=$?
echo "drift: the suite on the newest admitted releases exited $status" \
     "(0: the ranges are safe; regenerate the lock with scripts/lock.sh)"
exit "$status"
