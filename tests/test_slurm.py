"""A sweep through a real SLURM cluster gives the same results as the serial sweep.

Evidence given: ``scripts/slurm/start.sh`` starts a single-node SLURM cluster with
accounting (munge, MariaDB, slurmdbd, slurmctld, slurmd) on localhost, installing the
Debian packages first when they are missing and the user is root; the four-job sweep of
``test_sweeps.py`` run with ``cluster=local_slurm`` (the ``submitit_slurm`` launcher, one
SLURM array task per job) ends with byte-identical per-job summaries and the same
``sweep.parquet`` as the serial sweep; ``scripts/slurm/stop.sh`` stops every daemon.

The test never skips: a machine that cannot host SLURM (not root and no packages, no
apt-get, a daemon that will not start) makes it fail with start.sh's one-sentence reason.
Every step has a hard time limit.
"""

from __future__ import annotations

import os
import socket
import subprocess

import pandas as pd
import pytest
from conftest import REPO, run_cli
from test_sweeps import SWEEP, reference_sweep, summaries

SCRIPTS = REPO / "scripts" / "slurm"
#: Hard limits, seconds: starting the cluster (a cold start installs packages), the sweep.
START_TIMEOUT = 420
SWEEP_TIMEOUT = 300


def _free_port_base(count: int = 4) -> int:
    """A port p such that p .. p + count - 1 are all free on 127.0.0.1."""
    for base in range(16810, 30000, 10):
        socks = []
        try:
            for p in range(base, base + count):
                s = socket.socket()
                s.bind(("127.0.0.1", p))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no four free ports on 127.0.0.1")


@pytest.mark.slow
def test_slurm_sweep_matches_serial(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start a cluster, sweep through submitit_slurm, compare with the serial sweep."""
    serial = reference_sweep(tmp_path_factory)
    env = dict(os.environ)
    env["SIM_SLURM_DIR"] = env.get("SIM_SLURM_DIR", f"/tmp/sim-slurm-test-{os.getuid()}")
    env["SIM_SLURM_PORT_BASE"] = str(_free_port_base())
    try:
        start = subprocess.run(
            ["bash", str(SCRIPTS / "start.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        subprocess.run(["bash", str(SCRIPTS / "stop.sh")], env=env, timeout=60)
        pytest.fail(f"this machine cannot host SLURM: start.sh took over {START_TIMEOUT} s")
    try:
        if start.returncode != 0:
            reason = start.stderr.strip().splitlines()[-1:] or ["start.sh failed"]
            pytest.fail(f"this machine cannot host SLURM: {reason[0]}")
        root = tmp_path_factory.mktemp("slurm")
        out = root / "sweep"
        slurm_conf = f"{env['SIM_SLURM_DIR']}/etc/slurm.conf"
        monkeypatch.setenv("SLURM_CONF", slurm_conf)  # run_cli passes os.environ on
        proc = run_cli(
            ["-m", *SWEEP, f"hydra.sweep.dir={out}", "cluster=local_slurm"],
            cwd=root,
            timeout=SWEEP_TIMEOUT,
        )
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        assert list(out.glob(".submitit/*")), "no job went through submitit"
        assert summaries(out) == summaries(serial)
        pd.testing.assert_frame_equal(
            pd.read_parquet(out / "sweep.parquet"), pd.read_parquet(serial / "sweep.parquet")
        )
        acct = subprocess.run(
            ["sacct", "-n", "-X", "-o", "State"],
            env={**env, "SLURM_CONF": slurm_conf},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert "COMPLETED" in acct.stdout, acct.stdout + acct.stderr
    finally:
        subprocess.run(
            ["bash", str(SCRIPTS / "stop.sh")], env=env, timeout=120, capture_output=True
        )
