"""molingo_ros.runtime.serving: admission of robot streams onto one device."""

from __future__ import annotations

import pytest

from molingo_ros.runtime.serving import AdmissionError, ServingBudget


def test_streams_are_admitted_while_all_keep_the_margin():
    budget = ServingBudget()
    assert budget.admit("/r1/molingo_node", 0.2, 1.5) == pytest.approx(0.2)
    assert budget.admit("/r2/molingo_node", 0.2, 1.5) == pytest.approx(0.4)
    assert budget.admit("/r3/molingo_node", 0.2, 1.5) == pytest.approx(0.6)
    with pytest.raises(AdmissionError, match=r"/r4/molingo_node at 1.5x real time.*0\.80"):
        budget.admit("/r4/molingo_node", 0.2, 1.5)
    assert set(budget.served) == {"/r1/molingo_node", "/r2/molingo_node", "/r3/molingo_node"}


def test_a_released_stream_makes_room_and_readmission_replaces_the_load():
    budget = ServingBudget()
    budget.admit("a", 0.5, 1.5)
    with pytest.raises(AdmissionError, match=r"already served \(a \(0\.50\)\)"):
        budget.admit("b", 0.5, 1.5)
    budget.release("a")
    budget.release("a")  # twice: no error
    assert budget.admit("b", 0.5, 1.5) == pytest.approx(0.5)
    assert budget.admit("b", 0.6, 1.5) == pytest.approx(0.6)  # configured again: new load


def test_margin_zero_admits_everything_and_bad_loads_are_refused():
    budget = ServingBudget()
    assert budget.admit("a", 5.0, 0.0) == pytest.approx(5.0)
    with pytest.raises(ValueError, match="load must be >= 0"):
        budget.admit("b", -0.1, 1.0)
