#!/usr/bin/env bash
# Start a real single-node SLURM cluster on localhost, with accounting, for tests and
# for trying the submitit_slurm launcher: munged, MariaDB, slurmdbd, slurmctld, slurmd.
#   bash scripts/slurm/start.sh && . /tmp/sim-slurm/env.sh   # then sinfo, sbatch ...
#   python -m sim -m seed=1,2 cluster=local_slurm
#   bash scripts/slurm/stop.sh
# Needs Debian's slurm-wlm, munge, slurmdbd and mariadb-server, which
# `bash scripts/setup.sh --test` installs. Everything else lives in SIM_SLURM_DIR
# (default /tmp/sim-slurm); daemons listen on 127.0.0.1 only, on four ports from
# SIM_SLURM_PORT_BASE (default 16810), and use their own munge socket, so nothing of the
# machine's own configuration is used or changed. Needs no systemd. Exits non-zero with
# one sentence when the machine cannot host the cluster.
set -euo pipefail
. "$(dirname "$0")/common.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"

need() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
missing=()
for exe in munged slurmctld slurmd slurmdbd sbatch sacct mariadbd mariadb-install-db; do
    need "$exe" || missing+=("$exe")
done
if [ ${#missing[@]} -gt 0 ]; then
    fail "cannot start SLURM: ${missing[*]} not installed (bash scripts/setup.sh --test installs them, as root)"
fi
[ "$(id -u)" -eq 0 ] || fail "cannot start SLURM: start.sh must run as root (daemons run as root, munge and mysql)"
PATH="/usr/sbin:/sbin:$PATH"
[ -r /etc/munge/munge.key ] || fail "cannot start SLURM: /etc/munge/munge.key is missing (run mungekey)"

# Daemons left over from an earlier start in this folder.
bash "$HERE/stop.sh" >/dev/null 2>&1 || true
mkdir -p "$D"/{etc,run,log,state,spool,munge}
chmod 755 "$D"
chown munge:munge "$D/munge"; chmod 755 "$D/munge"

# ---- munge on its default socket (SLURM's clients ignore AuthInfo=socket= for
# accounting); a munged already running with the machine's key is used as it is.
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    say "using the munged already running on $MUNGE_SOCKET"
else
    mkdir -p /run/munge; chown munge:munge /run/munge; chmod 755 /run/munge
    runuser -u munge -- munged --pid-file="$D/munge/munged.pid" \
        --log-file="$D/munge/munged.log" --seed-file="$D/munge/munged.seed" \
        || fail "cannot start SLURM: munged did not start (see $D/munge/munged.log)"
    wait_for 10 munge test -s "$D/munge/munged.pid" || fail "cannot start SLURM: munged wrote no pid file"
    cp "$D/munge/munged.pid" "$D/run/munged.pid"
    wait_for 10 munge sh -c "munge -n | unmunge" \
        || fail "cannot start SLURM: munge -n | unmunge fails on $MUNGE_SOCKET"
fi

# ---- MariaDB for accounting: its own data folder, socket and port.
if [ ! -d "$D/mysql/mysql" ]; then
    mkdir -p "$D/mysql"; chown mysql:mysql "$D/mysql"
    mariadb-install-db --user=mysql --datadir="$D/mysql" --skip-test-db \
        --auth-root-authentication-method=socket >"$D/log/mariadb-install.log" 2>&1 \
        || fail "cannot start SLURM: mariadb-install-db failed (see $D/log/mariadb-install.log)"
fi
chown -R mysql:mysql "$D/mysql"
# mariadbd runs as mysql: its pid file and log go to a folder that user owns.
mkdir -p "$D/mysql-run"; chown mysql:mysql "$D/mysql-run"
mariadbd --no-defaults --user=mysql --datadir="$D/mysql" --socket="$DB_SOCKET" \
    --port="$DB_PORT" --bind-address=127.0.0.1 --pid-file="$D/mysql-run/mariadb.pid" \
    --log-error="$D/mysql-run/mariadb.log" --skip-name-resolve \
    --innodb-buffer-pool-size=64M </dev/null >/dev/null 2>&1 &
wait_for 60 mariadb mariadb --no-defaults -S "$DB_SOCKET" -u root -e "SELECT 1" \
    || fail "cannot start SLURM: MariaDB did not start (see $D/mysql-run/mariadb.log)"
cp "$D/mysql-run/mariadb.pid" "$D/run/mariadb.pid"
mariadb --no-defaults -S "$DB_SOCKET" -u root <<SQL
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurm';
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurm';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
SQL

# ---- configuration.
host="$(hostname -s)"
node="$(slurmd -C | head -n 1)"
cat >"$D/etc/slurm.conf" <<CONF
ClusterName=simtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$DBD_PORT
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
InactiveLimit=0
KillWait=5
SlurmctldTimeout=30
SlurmdTimeout=30
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
cat >"$D/etc/slurmdbd.conf" <<CONF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$DBD_PORT
SlurmUser=root
LogFile=$D/log/slurmdbd.log
PidFile=$D/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=slurm
StorageLoc=slurm_acct_db
CONF
chmod 600 "$D/etc/slurmdbd.conf"
echo "export SLURM_CONF=$SLURM_CONF" >"$D/env.sh"

# ---- accounting, controller, node.
slurmdbd || fail "cannot start SLURM: slurmdbd did not start (see $D/log/slurmdbd.log)"
wait_for 30 slurmdbd sacctmgr -n list cluster \
    || fail "cannot start SLURM: slurmdbd does not answer (see $D/log/slurmdbd.log)"
sacctmgr -i -Q add cluster simtest >/dev/null 2>&1 || true
slurmctld || fail "cannot start SLURM: slurmctld did not start (see $D/log/slurmctld.log)"
slurmd || fail "cannot start SLURM: slurmd did not start (see $D/log/slurmd.log)"
wait_for 30 node sh -c "sinfo -h -N -o '%T' | grep -qx idle" \
    || fail "cannot start SLURM: the node did not become idle (sinfo: $(sinfo -h -N -o '%T' 2>&1 | head -n 1); see $D/log/)"
say "cluster simtest is up: $(sinfo -h -N -o '%N %T %c CPUs'); . $D/env.sh to use it"
