"""molingo_node's timers: generation, playback and diagnostics.

:class:`StreamTimers` is mixed into :class:`~molingo_ros.ros.node.MolingoNode`. The generation
tick (every 10 ms) asks the controller for the next chunk when the buffer runs low and
publishes the whole planned future as one JointTrajectory; the playback tick (at
``stream.publish_rate_hz``) publishes the state due now (JointState, root pose, TF, the human
skeleton) and the commands' status; the diagnostics tick (1 Hz) publishes ``/diagnostics``,
including other publishers on the robot's topics and a /clock without ``use_sim_time``.
"""

from __future__ import annotations

import time

from molingo_ros.ros.diagnostics import first_chunk_values, generation_diagnostics
from molingo_ros.ros.ownership import describe, other_publishers


class StreamTimers:
    """The timer callbacks of :class:`~molingo_ros.ros.node.MolingoNode` (it uses the node's
    ``cfg``, ``controller``, ``engine``, ``outputs``, ``status`` and publish lock)."""

    def _generate_tick(self) -> None:
        ctrl, engine = self.controller, self.engine
        if ctrl is None or engine is None or not self.active:
            return
        tc = ctrl.step(self.now_s())
        if tc is None:
            return
        with self._publish_lock:
            if not ctrl.is_current(tc):  # a cancel/hold/replace came first: never after it
                return
            # The whole planned future: joint_trajectory_controller replaces its trajectory
            # with each message, so each carries every frame due from now on.
            times, q, v = ctrl.horizon(self.now_s() + 0.5 / engine.fps)
            if len(times) and self.outputs is not None:
                self.outputs.publish_trajectory(times, q, v)
        p = ctrl.progress(tc.command_id)
        if tc.first and p is not None and p.trace is not None:
            p.trace.published = time.monotonic()
            self.last_first_chunk = (tc.command_id, p.trace)
        if p is not None:
            self.status.progress(p.state, p)
        c = tc.chunk
        if c.rejected:
            self.get_logger().warning(
                f"validation replaced {c.rejected} frames of command {tc.command_id} "
                f"({c.held} held, {c.repaired} repaired; longest hold {c.longest_hold}): "
                + "; ".join(c.reasons)
            )

    def _playback_tick(self) -> None:
        ctrl, engine = self.controller, self.engine
        if ctrl is None or engine is None or not self.active:
            return
        now = self.now_s()
        frame = ctrl.frame_at(now)
        cur = ctrl.current
        # Status: every command that finished (done, replaced, dropped, cancelled), then the
        # current one on every change of state and at 2 Hz while it streams.
        for p in ctrl.drain_finished():
            self.status.progress(p.state, p, p.error)
        if cur is not None and (
            self.status.last[:2] != (cur.state, cur.command.id)
            or time.monotonic() - self.status.last_time > 0.5
        ):
            self.status.progress(cur.state, cur)
        out = self.outputs
        if frame is None:  # nothing generated yet: the idle pose, for observers only
            with self._publish_lock:
                if self.active and out is not None:
                    out.publish_state(out.idle_q, out.zero_v, now, command=False)
            return
        q, v, _ = frame
        with self._publish_lock:  # never after the shutdown's final zero-velocity state
            if not self.active or out is None:
                return
            out.publish_state(q, v, now)
        human = ctrl.human_at(now) if self.cfg.markers_enabled else None
        if human is not None:
            out.publish_human(human, q, now)

    def _diagnostics_tick(self) -> None:
        ctrl, engine = self.controller, self.engine
        if ctrl is None or engine is None:
            return
        now = self.now_s()
        values = {
            "state": "active" if self.active else "inactive",
            "device": engine.device,
            "buffered_ahead_s": f"{ctrl.buffered_ahead_s(now):.3f}",
            "frames_rejected": str(ctrl.rejected_total),
            "frames_held": str(ctrl.held_total),
            "frames_dynamically_infeasible": str(ctrl.dynamically_infeasible_total)
            if self.cfg.check_dynamics
            else "not counted (safety.check_dynamics: false)",
            "frames_repaired": str(ctrl.repaired_total),
            "longest_hold_frames": str(ctrl.longest_hold_frames),
            "frames_clamped": str(ctrl.clamped_total),
            "chunks": str(ctrl.chunks_total),
            "commands": str(self.commands_total),
            "errors": str(self.status.errors_total),
            "last_error": self.status.last_error[:200],
            "queued": str(len(ctrl.queue)),
            **first_chunk_values(self.last_first_chunk),
        }
        arr = generation_diagnostics(
            self.get_name(),
            engine.robot.name,
            values,
            ctrl.last_compute_s,
            engine.window_frames / engine.fps,
            self._watch_ownership(),
            self.active,
            now,
            self._clock_warnings(),
        )
        self._publish(self._diag_pub, arr)

    def _clock_warnings(self) -> tuple[str, ...]:
        """A simulator publishes /clock while this node stamps its trajectories with the wall
        clock: joint_trajectory_controller on sim time would wait decades for them. Logged
        once; reported in diagnostics while it lasts."""
        if self.cfg.stamp_policy != "clock" or self.get_parameter("use_sim_time").value:
            return ()
        if not self.count_publishers("/clock"):
            self._clock_warned = False
            return ()
        text = (
            "/clock is published but use_sim_time is false: trajectories are stamped with "
            "the wall clock, which a controller on sim time sees far in the future; set "
            "use_sim_time:=true or stream.stamp_policy:=zero"
        )
        if not self._clock_warned:
            self.get_logger().warning(text)
            self._clock_warned = True
        return (text,)

    def _watch_ownership(self) -> list[str]:
        """Other publishers on the robot topics now (when ``safety.exclusive_output``). One
        that appears while this node is active is logged once (it may be a node that was
        refused activation and waits inactive, or one started with exclusive_output false)."""
        if not self.cfg.exclusive_output or self.outputs is None:
            return []
        others = other_publishers(self, self.outputs.robot_topics)
        if self.active and others and set(others) != set(self._others):
            self.get_logger().warning(
                f"other publishers on this robot's topics ({describe(others)}): if one of "
                "them is active, two writers send conflicting goals; stop one of them"
            )
        self._others = others
        return others
