# Shared settings of start.sh and stop.sh (sourced, not run).
#   SIM_SLURM_DIR        scratch folder for configuration, state, logs, sockets and the
#                        accounting database (default /tmp/sim-slurm)
#   SIM_SLURM_PORT_BASE  first of four TCP ports on 127.0.0.1: slurmctld, slurmd,
#                        slurmdbd, MariaDB (default 16810)
SIM_SLURM_DIR="${SIM_SLURM_DIR:-/tmp/sim-slurm}"
SIM_SLURM_PORT_BASE="${SIM_SLURM_PORT_BASE:-16810}"
CTLD_PORT=$((SIM_SLURM_PORT_BASE))
SLURMD_PORT=$((SIM_SLURM_PORT_BASE + 1))
DBD_PORT=$((SIM_SLURM_PORT_BASE + 2))
DB_PORT=$((SIM_SLURM_PORT_BASE + 3))
D="$SIM_SLURM_DIR"
MUNGE_SOCKET=/run/munge/munge.socket.2
DB_SOCKET="$D/mysql/mysqld.sock"
export SLURM_CONF="$D/etc/slurm.conf"

say() { echo "slurm: $*" >&2; }
fail() { echo "error: $*" >&2; exit 1; }

# pid_alive FILE: the pid in FILE names a running process.
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# wait_for SECONDS DESCRIPTION COMMAND...: retry COMMAND every 0.2 s.
wait_for() {
    local limit=$1 what=$2; shift 2
    local end=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $end ] || return 1
        sleep 0.2
    done
}
