"""In-process containment (harness.sim.containment): a router's exit attempts fail its run; a real Ctrl-C does not."""

from __future__ import annotations

import os
import signal

import pytest

from adapters.contract import ParentOrder, Router
from harness.sim.containment import Containment, contained, failure_message
from harness.sim.engine import simulate
from harness.sim.router_node import RouterLimits
from tests.sim.helpers import registry_with, small_scenario


class CtrlCRouter(Router):
    """The user presses Ctrl-C while this router's callback runs (a real SIGINT, delivered to the process)."""

    name = "ctrl-c-test"
    description = "Test router: SIGINT during on_parent."

    def on_parent(self, parent: ParentOrder) -> None:
        signal.raise_signal(signal.SIGINT)


class ExitInInitRouter(Router):
    """Calls sys.exit(4) while being built."""

    name = "exit-init-test"
    description = "Test router: sys.exit in __init__."

    def __init__(self, params=None) -> None:
        raise SystemExit(4)

    def on_parent(self, parent: ParentOrder) -> None:
        return None


def test_a_real_ctrl_c_during_a_callback_still_aborts_the_run():
    reg = registry_with(CtrlCRouter)
    with pytest.raises(KeyboardInterrupt):  # in this process: a router process ignores the SIGINT it raises
        simulate(small_scenario(), CtrlCRouter.name, CtrlCRouter.Params(), 1, registry=reg,
                 limits=RouterLimits(callback_timeout_s=None, router_process="never"))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sys_exit_while_the_router_is_built_fails_its_run():
    reg = registry_with(ExitInInitRouter)
    res = simulate(small_scenario(), ExitInInitRouter.name, ExitInInitRouter.Params(), 1, registry=reg,
                   limits=RouterLimits(callback_timeout_s=None, router_process="never"))
    assert res.status == "failed"
    assert "failed in __init__: the router called sys.exit(4)" in res.error


def test_os_exit_is_the_real_one_again_after_the_simulation():
    real = os._exit
    with contained() as state:
        assert os._exit is not real
        with pytest.raises(BaseException, match="7"):
            os._exit(7)
    assert os._exit is real
    assert state.exit_attempts == ["os._exit(7)"]


def test_a_keyboard_interrupt_no_user_caused_is_a_router_failure_and_a_real_one_propagates():
    state = Containment()
    assert "no Ctrl-C was pressed" in failure_message(KeyboardInterrupt(), state)
    state.user_interrupted = True
    assert failure_message(KeyboardInterrupt(), state) is None


def test_sys_exit_while_a_plugin_is_built_in_its_router_process_fails_its_run():
    """The same sys.exit(4) in __init__, in a router process of its own: failed in __init__, with the same words."""
    reg = registry_with(ExitInInitRouter)
    res = simulate(small_scenario(), ExitInInitRouter.name, ExitInInitRouter.Params(), 1, registry=reg,
                   limits=RouterLimits(callback_timeout_s=None, router_process="plugins"))
    assert res.status == "failed"
    assert "failed in __init__: the router called sys.exit(4)" in res.error
