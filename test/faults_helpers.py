"""Shared by the fault suite's test files (test_ros_faults_*.py): one
:class:`~molingo_ros.ros.faults.harness.Harness` (quick bounds), and so one shared
molingo_node, for every file of a pytest run whose tests use the ``harness`` fixture; and the
check of a scenario's result.

Each file declares its own module-scoped fixture on top of :func:`shared_harness`::

    @pytest.fixture(scope="module")
    def harness(request, tmp_path_factory):
        yield from faults_helpers.shared_harness(request, tmp_path_factory)

(a session-scoped fixture imported into several files would run once per file).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from molingo_ros.ros.faults import report
from molingo_ros.ros.faults.harness import Bounds, Harness, run_scenario

_harness: Harness | None = None


def close_harness() -> None:
    """Close the shared harness (its node and probes), if there is one."""
    global _harness
    if _harness is not None:
        _harness.close()
        _harness = None


def _used_later(request: pytest.FixtureRequest) -> bool:
    """Whether a test collected after this module's last one uses the ``harness`` fixture."""
    items = request.session.items
    mine = [i for i, item in enumerate(items) if item.getparent(pytest.Module) is request.node]
    later = items[max(mine) + 1 :] if mine else []
    return any("harness" in item.fixturenames for item in later)


def shared_harness(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Harness]:
    """The body of a file's module-scoped ``harness`` fixture: yields the run's one Harness,
    made on first use; closes it after the last module that uses it (at the end of the
    session at the latest, e.g. after ``-x``)."""
    global _harness
    if _harness is None:
        _harness = Harness(tmp_path_factory.mktemp("faults"), Bounds.quick())
        request.config.add_cleanup(close_harness)
    yield _harness
    if not _used_later(request):
        close_harness()


def run(h: Harness, name: str, fn: Callable[[Harness], dict]) -> dict:
    """Run the scenario ``fn`` as the suite does (an exception becomes the result's error)."""
    return run_scenario(name, fn, h)


def check(result: dict, ids: tuple[str, ...] | None = None) -> None:
    """Every criterion (of ``ids``) must not have failed; the message carries the figures."""
    assert result["error"] is None, result["error"]
    failed = [
        c for c in result["criteria"] if c["passed"] is False and (ids is None or c["id"] in ids)
    ]
    figures = json.dumps(report.plain(result["figures"]), default=str)[:3000]
    assert not failed, (
        "\n".join(f"{c['id']}: {c['text']} -- measured {c['value']}" for c in failed)
        + f"\nfigures: {figures}"
    )
