"""An ``execution.ray_address`` that nothing answers at fails at once, saying where and why.

``ray.init`` retries such an address for minutes (measured here: still waiting after 150 s), so
a wrong port, a stopped head node or a dropped SSH tunnel looked like a sweep that hung. The
executor now dials the address once first (``motools.executors.ray.check_reachable``).
"""

from __future__ import annotations

import socket

import pytest

from motools.errors import MotoolsError
from motools.executors.ray import _dialled, check_reachable
from motools.status import Status
from motools.store import Store
from motools.workflow import run_sweep
from tests.executors.workflows import ProbeConfig, ProbeWorkflowConfig, probe_workflow


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_sweep_on_an_address_nothing_answers_at_fails_at_once_saying_so(store: Store) -> None:
    port = closed_port()
    states = await run_sweep(
        probe_workflow,
        ProbeWorkflowConfig(probe=ProbeConfig(fetch_extra=False)),
        {"make.x": [1, 2]},
        store=store,
        executor="ray",
        ray_address=f"127.0.0.1:{port}",
    )
    assert states == []
    sweep = store.read.sweeps()[0]
    probes = [s for s in store.read.sweep_steps(sweep["id"]) if s["name"] == "probe"]
    assert [s["status"] for s in probes] == [Status.FAILED] * 2
    assert all(f"nothing answers at 127.0.0.1:{port} (from ray_address)" in s["error"] for s in probes)
    remedy = f"To finish the sweep without it: motools sweep retry {sweep['name']} --executor local"
    assert all(remedy in s["error"] for s in probes)
    import ray  # here, not at the top: importing Ray reads RAY_AUTH_MODE, which test_ray's cluster sets

    assert not ray.is_initialized()  # nothing was started in its place


def test_the_address_in_ray_address_variable_is_dialled_for_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    port = closed_port()
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{port}")
    with pytest.raises(MotoolsError, match=rf"nothing answers at 127\.0\.0\.1:{port} \(from RAY_ADDRESS\): .*refused"):
        check_reachable("auto")
    with pytest.raises(MotoolsError, match=r"ray status --address"):
        check_reachable(None)


def test_an_address_something_answers_at_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        check_reachable(f"127.0.0.1:{listener.getsockname()[1]}")
        check_reachable(f"ray://127.0.0.1:{listener.getsockname()[1]}")  # a Ray Client address


def test_what_is_dialled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert _dialled("local") is None  # a new local instance: nothing to dial
    assert _dialled("ray://head.example:10001") == ("head.example:10001", "ray_address")
    assert _dialled("10.0.0.5:6379") == ("10.0.0.5:6379", "ray_address")
    monkeypatch.setenv("RAY_ADDRESS", "local")
    assert _dialled("auto") is None
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.6:6379")
    assert _dialled("auto") == ("10.0.0.6:6379", "RAY_ADDRESS")
    assert _dialled("10.0.0.5:6379") == ("10.0.0.5:6379", "ray_address")  # a spec's own address wins
