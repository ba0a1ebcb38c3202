"""A GenerateMotion action client that does not wait forever for a lost answer.

Over Fast DDS the answer to a goal can be lost while the node and a new client are still
matching their endpoints: the node sends it when the client's response reader is not matched
yet (``wait_for_server`` only says that the client has matched the node's endpoints, not the
reverse), rclpy warns ``failed to send response (timeout)`` and runs the goal anyway. A goal
request can be lost the same way. So a client that got no answer after
:data:`RESEND_AFTER_S` looks for its goal on the action's status topic (every goal the node
tracks is listed there): found, it follows that goal (result, feedback and cancel work by goal
id); not found, it sends the command again under a new goal id. The node refuses a goal whose
non-empty command id belongs to a goal it is still running (:mod:`molingo_ros.ros.goals`), so
a copy is never run twice.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

RESEND_AFTER_S = 3.0
"""Seconds without an answer before the status topic is searched and the goal sent again
(the node answers in milliseconds; a longer silence is a lost request or answer)."""
MAX_COPIES = 3
"""Goals sent for one command at most (the first and two copies)."""


def _goal_id(raw: bytes) -> Any:
    from unique_identifier_msgs.msg import UUID

    return UUID(uuid=list(raw))


class GoalClient:
    """An rclpy ActionClient of GenerateMotion on ``action`` for ``node`` (spun elsewhere),
    with a subscription to the action's status; ``qos`` goes to the ActionClient (its
    services' profiles). Goals are sent with :meth:`send`."""

    def __init__(self, node: Any, action: str, **qos: Any) -> None:
        from action_msgs.msg import GoalStatusArray
        from rclpy.action import ActionClient
        from rclpy.qos import qos_profile_action_status_default

        from molingo_ros.action import GenerateMotion

        self.node = node
        self.action = ActionClient(node, GenerateMotion, action, **qos)
        self._lock = threading.Lock()
        self._tracked: dict[bytes, Any] = {}  # goal id -> its GoalInfo, on the status topic
        self._status = node.create_subscription(
            GoalStatusArray,
            f"{self.action._action_name}/_action/status",
            self._on_status,
            qos_profile_action_status_default,
        )

    def _on_status(self, msg: Any) -> None:
        with self._lock:
            self._tracked = {bytes(s.goal_info.goal_id.uuid): s.goal_info for s in msg.status_list}

    def tracked(self, goal_id: bytes) -> Any | None:
        """The GoalInfo of ``goal_id`` when the node's last status listed it, else None."""
        with self._lock:
            return self._tracked.get(goal_id)

    def send(
        self,
        goal: Any,
        feedback_callback: Callable[[Any], None] | None = None,
        resend_after_s: float = RESEND_AFTER_S,
    ) -> ResentGoal:
        """Send ``goal`` (a GenerateMotion.Goal whose ``command.id`` is not empty); poll the
        returned :class:`ResentGoal` for its handle."""
        return ResentGoal(self, goal, feedback_callback, resend_after_s)

    def destroy(self) -> None:
        """Destroy the status subscription and the ActionClient."""
        self.node.destroy_subscription(self._status)
        self.action.destroy()


class ResentGoal:
    """One command sent through a :class:`GoalClient` as a goal, followed when its answer is
    lost and sent again when its request is (see the module docstring). ``clock`` gives
    seconds (monotonic)."""

    def __init__(
        self,
        client: GoalClient,
        goal: Any,
        feedback_callback: Callable[[Any], None] | None = None,
        resend_after_s: float = RESEND_AFTER_S,
        max_copies: int = MAX_COPIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not goal.command.id:
            raise ValueError("a goal that may be resent needs a command id (command.id is empty)")
        self._client, self._goal, self._feedback = client, goal, feedback_callback
        self.resend_after_s, self.max_copies, self._clock = resend_after_s, max_copies, clock
        self._lock = threading.Lock()
        self._sent: list[tuple[bytes, Any]] = []  # (goal id, future of its answer)
        self._sent_at = 0.0
        self.followed = False  # whether the handle was found on the status topic
        self._send()

    @property
    def copies(self) -> int:
        """Goals sent so far for this command."""
        with self._lock:
            return len(self._sent)

    def _send(self) -> None:
        raw = uuid.uuid4().bytes
        future = self._client.action.send_goal_async(
            self._goal, feedback_callback=self._feedback, goal_uuid=_goal_id(raw)
        )
        with self._lock:
            self._sent.append((raw, future))
            self._sent_at = self._clock()

    def poll(self) -> Any | None:
        """The goal handle once there is one, else None (sending a copy when one is due).

        An accepted answer wins; then a goal of this command found on the status topic (its
        answer was lost) once a copy was refused or ``resend_after_s`` passed without an
        answer; then the refusal of the last goal sent (earlier answers may be lost)."""
        with self._lock:
            sent, sent_at = list(self._sent), self._sent_at
        answers = [f.result() for _, f in sent if f.done()]
        accepted = [h for h in answers if h is not None and h.accepted]
        if accepted:
            return accepted[0]
        waited = self._clock() - sent_at >= self.resend_after_s
        if answers or waited:
            for raw, future in sent:
                info = None if future.done() else self._client.tracked(raw)
                if info is not None:
                    return self._follow(raw, info)
        last = sent[-1][1]
        if last.done() and last.result() is not None:
            return last.result()
        if waited and len(sent) < self.max_copies:
            self._send()
        return None

    def _follow(self, raw: bytes, info: Any) -> Any:
        """A handle of the goal ``raw`` that the node accepted but whose answer was lost."""
        from rclpy.action.client import ClientGoalHandle

        from molingo_ros.action import GenerateMotion

        answer = GenerateMotion.Impl.SendGoalService.Response(accepted=True, stamp=info.stamp)
        self.followed = True
        return ClientGoalHandle(self._client.action, _goal_id(raw), answer)

    def wait(self, timeout_s: float, spin: Callable[[], None] | None = None) -> Any | None:
        """Poll until there is a handle or ``timeout_s`` s passed (None then); ``spin`` is
        called between polls (a spin_once when this thread spins the node), else it sleeps."""
        deadline = self._clock() + timeout_s
        while (handle := self.poll()) is None and self._clock() < deadline:
            if spin is not None:
                spin()
            else:
                time.sleep(0.01)
        return handle


__all__ = ["MAX_COPIES", "RESEND_AFTER_S", "GoalClient", "ResentGoal"]
