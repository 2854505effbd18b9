"""Real-time mode: events at their wall-clock due times, outside input applied at the simulated now, the same
results as virtual time for a router that never looks outside, and the CLI's one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from adapters.registry import builtin_registry
from harness.errors import UserError
from harness.sim.engine import simulate
from harness.sim.kernel import Kernel
from harness.sim.realtime import RealtimeSettings, apply_window, parse_window, run_paced
from tests.sim.helpers import REPO, small_scenario


class FakeClock:
    """A wall clock that only moves when someone sleeps or waits."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += max(s, 0.0)


def test_each_event_is_processed_at_its_wall_clock_due_time_scaled_by_the_time_factor():
    """With factor 2, events 1 s and 3 s of simulated time after the start run 0.5 s and 1.5 s of wall time after
    it (working: due = start + sim offset / factor); the window end (4 s) is reached at 2.0 s."""
    clock = FakeClock()
    k = Kernel(1_000_000_000)
    seen = []
    for t in (2_000_000_000, 4_000_000_000):
        k.at(t, lambda _arg: seen.append(clock.t - 100.0))
    stats = run_paced(k, 5_000_000_000, time_factor=2.0, clock=clock, sleep=clock.sleep)
    assert seen == [0.5, 1.5]
    assert clock.t - 100.0 == 2.0
    assert stats["realtime_max_lag_ms"] == 0.0


class FakeInbox:
    """Outside input that arrives once, 0.25 wall seconds in."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.pending_at = 100.25

    def wait(self, timeout_s: float) -> bool:
        if self.pending_at is not None and self.clock.t + timeout_s >= self.pending_at:
            self.clock.t = self.pending_at
            self.pending_at = None
            return True
        self.clock.t += timeout_s
        return False


def test_outside_input_is_handed_over_at_the_simulated_time_matching_the_wall_clock():
    """Input arriving 0.25 wall s into a factor-1 run is woken at start + 0.25 s of simulated time, between the
    events due before and after it."""
    clock = FakeClock()
    inbox = FakeInbox(clock)
    k = Kernel(0)
    order = []
    k.at(100_000_000, lambda _a: order.append(("event", k.now)))
    k.at(400_000_000, lambda _a: order.append(("event", k.now)))
    stats = run_paced(k, 1_000_000_000, time_factor=1.0, external=inbox,
                      wake=lambda t: k.at(t, lambda _a: order.append(("wake", k.now))), clock=clock,
                      sleep=clock.sleep)
    assert order == [("event", 100_000_000), ("wake", 250_000_000), ("event", 400_000_000)]
    assert stats["realtime_wakeups"] == 1.0


def test_a_reference_router_gives_the_same_tables_in_real_time_as_in_virtual_time():
    """best-price on the small scenario (40 s) at factor 50 (0.8 s of wall time): child orders, fills and NBBO are
    identical to the virtual-time run; the manifest stats report the pacing."""
    sc = small_scenario()
    p = builtin_registry().get("best-price").Params()
    virtual = simulate(sc, "best-price", p, 2)
    paced = simulate(sc, "best-price", p, 2, realtime=RealtimeSettings(time_factor=50.0))
    assert paced.status == virtual.status == "ok"
    for attr in ("child_orders", "fills", "nbbo", "trades"):
        assert getattr(paced, attr) == getattr(virtual, attr), attr
    assert len(virtual.fills["qty"]) > 0 and "realtime_max_lag_ms" in paced.stats


def test_window_replaces_the_session_and_is_validated():
    """--window sets session start/end (validated like the scenario file); malformed text is a one-line error."""
    sc = apply_window(small_scenario(), parse_window("09:30:00-09:30:07"))
    assert (sc.session.start, sc.session.end) == ("09:30:00", "09:30:07")
    with pytest.raises(UserError, match=r"HH:MM:SS-HH:MM:SS"):
        parse_window("09:30-09:31")
    with pytest.raises(UserError, match=r"session\.end"):
        apply_window(small_scenario(), ("09:31:00", "09:30:00"))


def test_a_virtual_time_run_refuses_a_realtime_only_router():
    """simulate() without real time fails router fix at once with the reason (it never starts its sessions)."""
    from adapters.fix import FixRouter
    from tests.sim.helpers import registry_with

    result = simulate(small_scenario(), "fix", FixRouter.Params(), 1, registry=registry_with(FixRouter))
    assert result.status == "failed" and "only in real time" in result.error


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=120)


@pytest.mark.parametrize(("args", "needle"), [
    (["--router", "fix"], "add --realtime"),
    (["--router", "best-price", "--window", "09:30:00-09:30:05"], "need --realtime"),
    (["--router", "best-price", "--realtime", "--time-factor", "0"], "--time-factor"),
    (["--router", "best-price", "--realtime", "--window", "9-10"], "--window"),
])
def test_cli_mistakes_with_real_time_options_are_one_line_errors(tmp_path, args, needle):
    """Each mistake exits with status 2 and one line naming the option, no traceback, no run folder."""
    res = _cli("run", "scenarios/fix-example.toml", *args, "--out", str(tmp_path / "run"), "--quiet")
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == 2 and len(lines) == 1 and needle in lines[0], res.stderr
    assert not (tmp_path / "run").exists()
