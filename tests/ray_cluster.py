"""A real, small Ray cluster on 127.0.0.1 for tests and benchmarks.

Every node is a ``ray start --block`` process started here in a session of its own, on free
ports and under a temporary folder; Ray's daemons for that node (GCS, raylet, agents, worker
processes) live in that session, so a node is stopped (or killed, to test a node dying) by
signalling the process group of the pid this module started, never by name. Nodes join with
token authentication (``RAY_AUTH_MODE=token``) and a token made for this cluster, which
:meth:`RayCluster.env` hands to drivers too.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

RAY = str(Path(sys.executable).with_name("ray"))
ROOT = Path(__file__).resolve().parents[1]
OBJECT_STORE_BYTES = 100 * 1024 * 1024


def free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@dataclass
class RayNode:
    name: str
    proc: subprocess.Popen
    log: Path
    num_gpus: int = 0
    resources: dict[str, float] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal_all(self, sig: int) -> None:
        """Signal every process of this node: the session led by the pid we started (Ray puts
        each worker process in a process group of its own, but in that session)."""
        for pid in session_members(self.proc.pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)

    def kill(self) -> None:
        """The node dies at once, as if its machine were lost."""
        self.signal_all(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)

    def stop(self, grace_s: float = 3.0) -> None:
        self.signal_all(signal.SIGTERM)
        try:
            self.proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            pass
        self.kill()


def session_members(sid: int) -> list[int]:
    """Live processes whose session id is ``sid`` (Linux ``/proc``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        if len(fields) > 3 and fields[3] == str(sid) and fields[0] != "Z":
            found.append(int(entry.name))
    return found


class RayCluster:
    """A head node and any number of other nodes, each ``--num-cpus=1`` unless asked."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="mray", dir="/tmp"))  # short: Ray's sockets live here
        self.token = secrets.token_hex(32)
        self.port = free_ports(1)[0]
        self.nodes: list[RayNode] = []
        self._worker_ports = 21000 + (os.getpid() % 200) * 100

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """What a driver (or ``ray start``) needs to join this cluster; its workers import this
        checkout (motools, and the test workflows under ``tests/``)."""
        paths = [str(ROOT), *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]]
        return {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths)),
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": self.token,
            "RAY_ADDRESS": self.address,
            "RAY_USAGE_STATS_ENABLED": "0",
        }

    def _start(self, name: str, args: list[str], num_gpus: int, resources: dict[str, float]) -> RayNode:
        (om, nm, agent, agent_grpc, renv, metrics, dash) = free_ports(7)
        low = self._worker_ports + 20 * len(self.nodes)
        cmd = [
            RAY,
            "start",
            "--block",
            *args,
            "--node-ip-address=127.0.0.1",
            "--num-cpus=1",
            f"--num-gpus={num_gpus}",
            f"--object-store-memory={OBJECT_STORE_BYTES}",
            f"--temp-dir={self.root}",
            f"--object-manager-port={om}",
            f"--node-manager-port={nm}",
            f"--dashboard-agent-listen-port={agent}",
            f"--dashboard-agent-grpc-port={agent_grpc}",
            f"--runtime-env-agent-port={renv}",
            f"--metrics-export-port={metrics}",
            f"--min-worker-port={low}",
            f"--max-worker-port={low + 19}",
            "--disable-usage-stats",
        ]
        if "--head" in args:
            cmd += ["--include-dashboard=false", f"--dashboard-port={dash}"]
        if resources:
            cmd.append(f"--resources={json.dumps(resources)}")
        log = self.root / f"{name}.log"
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env(),
                start_new_session=True,
            )
        node = RayNode(name, proc, log, num_gpus, resources)
        self.nodes.append(node)
        return node

    def start_head(self, num_gpus: int = 0, resources: dict[str, float] | None = None) -> RayNode:
        return self._wait(self._start("head", ["--head", f"--port={self.port}"], num_gpus, resources or {}))

    def add_node(self, name: str = "worker", num_gpus: int = 0, resources: dict[str, float] | None = None) -> RayNode:
        return self._wait(self._start(name, [f"--address={self.address}"], num_gpus, resources or {}))

    def _wait(self, node: RayNode, timeout: float = 120.0) -> RayNode:
        """Until ``ray start`` says the node runs (registered with the head)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not node.alive():
                raise RuntimeError(f"ray node {node.name} exited:\n{node.log.read_text()[-3000:]}")
            if "Ray runtime started" in node.log.read_text(errors="replace"):
                return node
            time.sleep(0.2)
        node.stop()
        raise RuntimeError(f"ray node {node.name} did not start:\n{node.log.read_text()[-3000:]}")

    def alive_nodes(self) -> dict[str, dict[str, float]]:
        """Node id → resources of every live node, as the cluster reports them (asked by a
        short-lived driver in a subprocess, so this process never connects)."""
        probe = (
            "import json, ray\n"
            "ray.init(log_to_driver=False)\n"
            "print(json.dumps({n['NodeID']: n['Resources'] for n in ray.nodes() if n['Alive']}))\n"
        )
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=self.env(), timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"cannot list the nodes of {self.address}: {out.stderr[-2000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    def stop(self) -> None:
        for node in reversed(self.nodes):  # the others first, the head last
            node.stop()
        shutil.rmtree(self.root, ignore_errors=True)


__all__ = ["RayCluster", "RayNode", "free_ports"]
