"""``sorbench bench``: the figures are consistent with each other, and ``--profile`` prints the top of a cProfile."""

from __future__ import annotations

from harness.workflows.bench import run_bench
from tests.cli.test_cli import sorbench


def test_bench_figures_are_consistent_and_the_profile_is_sorted_by_own_time():
    """Rates are counts over the same wall time; profile rows come by decreasing own time with shares of the total."""
    r = run_bench(simulated_seconds=1.0, profile=True, profile_rows=6)
    assert r["router_status"] == "ok" and r["messages"] > 100
    assert abs(r["messages_per_second"] * r["seconds"] - r["messages"]) < 1e-6 * r["messages"]
    assert abs(r["messages_ratio_to_bare_simpy"] * r["bare_simpy_events_per_second"] - r["messages_per_second"]) < 1e-3
    rows = r["profile"]
    assert len(rows) == 6
    own = [row["tottime_s"] for row in rows]
    assert own == sorted(own, reverse=True)
    assert all(0 < row["share"] <= 1 for row in rows) and sum(row["share"] for row in rows) <= 1 + 1e-9
    assert all(row["cumtime_s"] >= row["tottime_s"] for row in rows)
    # the simulation's own code appears, named relative to the repository
    assert any(row["function"].startswith(("venues/", "harness/")) for row in rows)


def test_bench_without_profile_has_no_profile():
    """The profiled second run happens only when asked for."""
    assert "profile" not in run_bench(simulated_seconds=1.0)


def test_cli_bench_profile_prints_the_figures_then_the_profile(tmp_path):
    """``sorbench bench --profile`` prints the figures, then a profile table naming the book's code."""
    proc = sorbench("bench", "--seconds", "1", "--profile", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.index("messages/s") < out.index("Profile of a second run")
    assert "venues/book.py" in out
