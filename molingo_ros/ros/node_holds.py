"""Holding the robot: a cancel or hold from the operator, the ``~/stop`` service, and the
shutdown sequence (status ``stopped``, a zero-velocity joint state, the hold trajectory, then
the bag closes). :class:`RobotHolds` is mixed into :class:`~molingo_ros.ros.node.MolingoNode`."""

from __future__ import annotations

import sys

import rclpy

from molingo_ros.ros.node_commands import NODE_NAME


class RobotHolds:
    """Holds and the final stop of :class:`~molingo_ros.ros.node.MolingoNode` (it uses the
    node's ``controller``, ``engine``, ``outputs``, ``status``, ``cfg`` and locks)."""

    def hold(self, reason: str, command_id: str | None = None) -> None:
        """Stop at the current frame (one command, or everything) and publish the hold. Under
        the publish lock, so no chunk made before it can be published after it."""
        ctrl, engine = self.controller, self.engine
        if ctrl is None or engine is None:
            return
        with self._publish_lock:
            now = self.now_s()
            q = ctrl.cancel(command_id, now, reason) if command_id else ctrl.hold(now, reason)
            if q is not None and self.outputs is not None:
                self.outputs.publish_hold(q, now, self.cfg.hold_settle_s)

    def _on_stop(self, request, response):
        """``~/stop`` (std_srvs/Trigger): hold at once, drop the queue, status ``stopped``."""
        del request
        if self.controller is None or not self.active:
            response.success = False
            response.message = f"{self.get_name()} is not active: nothing to stop"
            return response
        reason = f"stopped by the {self.cfg.stop_service} service"
        self.hold(reason)
        self.status.message("stopped", "", "", reason)
        response.success, response.message = True, "robot held; queue dropped"
        return response

    def stop(self, reason: str) -> None:
        """Stop serving (idempotent; used on SIGINT/SIGTERM while the context is still up):
        refuse commands, then, in this order, publish the final status (``stopped``), a
        zero-velocity joint state at the held configuration, the hold trajectory, and close
        the bag, so that the last of each in the bag is the held robot."""
        with self._accept_lock:
            was_active, self.active = self.active, False
        if rclpy.ok(context=self.context):
            try:
                self._final_hold(reason, was_active)
            except Exception as exc:  # noqa: BLE001 - the bag must still be closed
                print(f"molingo_node: hold on {reason} failed: {exc}", file=sys.stderr)
        self.close_recorder()

    def _final_hold(self, reason: str, outputs_active: bool) -> None:
        """The shutdown sequence of :meth:`stop` before the bag closes (the robot outputs only
        when they were active: an inactive lifecycle publisher sends nothing)."""
        ctrl, engine = self.controller, self.engine
        out = self.outputs
        if ctrl is None or engine is None or out is None or not outputs_active:
            self.status.message("stopped", "", "", f"{NODE_NAME}: {reason}")
            return
        with self._publish_lock:
            now = self.now_s()
            q = ctrl.hold(now, reason)
            if q is None:
                frame = ctrl.frame_at(now)
                q = None if frame is None else frame[0]
            self.status.message("stopped", "", "", f"{NODE_NAME}: {reason}; robot held")
            if q is None:
                return
            # Stamps in the order of publication.
            out.publish_state(q, out.zero_v, self.now_s())
            out.publish_hold(q, self.now_s(), self.cfg.hold_settle_s)
