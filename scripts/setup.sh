#!/usr/bin/env bash
# Set up a fresh clone: a virtual environment in .venv with the package installed.
#
#   bash scripts/setup.sh          the package, for running scenarios
#   bash scripts/setup.sh --test   the package with its test tools, plus the system
#                                  packages some tests drive for real (Chromium for the
#                                  report and dashboard, SLURM with accounting for the
#                                  cluster sweep); installed with apt-get when run as root
#
# Safe to run again: what is already there is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
if [[ "${1:-}" == "--test" ]]; then
    extras="[test]"
fi

[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e ".${extras}"

if [[ -n "$extras" ]]; then
    # Debian packages the tests need; each test that needs one fails with the reason
    # when it is missing, so a machine without root still runs everything else.
    have() { command -v "$1" >/dev/null 2>&1 || [[ -x "/usr/sbin/$1" ]]; }
    browser=()   # the report and dashboard tests (with its fonts: recommends kept)
    have chromium || browser+=(chromium)
    have npm || browser+=(npm)
    cluster=()   # the cluster-sweep test: SLURM with accounting
    have slurmctld && have sbatch || cluster+=(slurm-wlm)
    have munged || cluster+=(munge)
    have slurmdbd || cluster+=(slurmdbd)
    have mariadbd || cluster+=(mariadb-server)
    if ((${#browser[@]} + ${#cluster[@]})); then
        if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
            echo "setup: installing ${browser[*]} ${cluster[*]}" >&2
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq >/dev/null
            if ((${#browser[@]})); then
                apt-get install -y -qq "${browser[@]}" >/dev/null
            fi
            if ((${#cluster[@]})); then
                apt-get install -y -qq --no-install-recommends "${cluster[@]}" >/dev/null
            fi
        else
            echo "setup: missing system packages (${browser[*]} ${cluster[*]}); install" \
                 "them as root, or the tests that need them will fail and say so" >&2
        fi
    fi
fi
exit 0
