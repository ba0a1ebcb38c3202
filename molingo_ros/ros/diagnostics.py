"""The node's ``/diagnostics`` message (diagnostic_msgs/DiagnosticArray, 1 Hz): generation
speed, buffering, the safety filter's counts, commands and errors, the robot's ownership, and
where the last command's first-trajectory latency went."""

from __future__ import annotations

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

from molingo_ros.ros import messages as M
from molingo_ros.ros.ownership import describe
from molingo_ros.runtime.latency import FirstChunkTrace


def generation_diagnostics(
    node_name: str,
    robot: str,
    values: dict[str, str],
    last_compute_s: float,
    window_s: float,
    others: list[str],
    active: bool,
    now_s: float,
    warnings: tuple[str, ...] = (),
) -> DiagnosticArray:
    """One status "<node>: generation" for ``robot``: OK; WARN when the last window took
    longer than the ``window_s`` seconds it covers (slower than real time), for each of
    ``warnings`` (e.g. a clock mismatch), or when another publisher shares the robot's topics
    while active; ERROR when activation was refused for it. ``values`` (key -> text) are
    reported as they are, after ``realtime_factor`` and ``generation_latency_ms``; ``now_s``
    stamps it (s, ROS clock)."""
    rtf = window_s / last_compute_s if last_compute_s > 0 else 0.0
    st = DiagnosticStatus()
    st.name = f"{node_name}: generation"
    st.hardware_id = robot
    st.level, st.message = DiagnosticStatus.OK, "ok"
    if last_compute_s > 0 and rtf < 1.0:
        st.level, st.message = DiagnosticStatus.WARN, "slower than real time"
    for text in warnings:
        st.level, st.message = DiagnosticStatus.WARN, text
    if others and not active:
        st.level = DiagnosticStatus.ERROR
        st.message = f"activation refused: other publishers drive it: {describe(others)}"
    elif others:
        st.level = DiagnosticStatus.WARN
        st.message = f"other publishers on this robot's topics: {describe(others)}"
    table = {
        "generation_latency_ms": f"{last_compute_s * 1000:.1f}",
        "realtime_factor": f"{rtf:.2f}",
        **values,
        "other_publishers": describe(others),
        "warnings": "; ".join(warnings),
    }
    st.values = [KeyValue(key=k, value=v) for k, v in table.items()]
    arr = DiagnosticArray()
    arr.header.stamp = M.to_time(now_s)
    arr.status = [st]
    return arr


def first_chunk_values(last: tuple[str, FirstChunkTrace] | None) -> dict[str, str]:
    """Diagnostic values of the last command's way to its first trajectory: its id, the
    one-line breakdown and each stage (``first_chunk.<stage>_ms``); empty before the first."""
    if last is None:
        return {}
    command_id, trace = last
    ms = trace.stages_ms()
    return {
        "first_chunk.command": command_id,
        "first_chunk": trace.summary(),
        **{f"first_chunk.{name}_ms": f"{value:.1f}" for name, value in ms.items()},
    }


__all__ = ["first_chunk_values", "generation_diagnostics"]
