#!/usr/bin/env bash
# Stop the single-node SLURM cluster started by start.sh: slurmd, slurmctld, slurmdbd,
# MariaDB and munged, each by the pid in its pid file (nothing else is touched).
#   bash scripts/slurm/stop.sh            # stop; keep the scratch folder (warm restart)
#   bash scripts/slurm/stop.sh --purge    # stop and delete the scratch folder
# Honours SIM_SLURM_DIR and SIM_SLURM_PORT_BASE like start.sh.
set -uo pipefail
. "$(dirname "$0")/common.sh"

stop_pidfile() {  # stop_pidfile NAME FILE
    local name=$1 file=$2 pid
    [ -s "$file" ] || return 0
    pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            say "$name (pid $pid) did not stop in 5 s; killing it"
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    rm -f "$file"
}

stop_pidfile slurmd "$D/run/slurmd.pid"
stop_pidfile slurmctld "$D/run/slurmctld.pid"
stop_pidfile slurmdbd "$D/run/slurmdbd.pid"
stop_pidfile mariadb "$D/run/mariadb.pid"
stop_pidfile munged "$D/run/munged.pid"
if [ "${1:-}" = "--purge" ]; then
    case "$D" in
        /|"") fail "refusing to delete SIM_SLURM_DIR=$D" ;;
    esac
    rm -rf "$D"
fi
say "stopped (folder $D)"
