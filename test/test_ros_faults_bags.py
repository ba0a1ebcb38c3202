"""Reading the node's bags back (molingo_ros.ros.faults.bags): bags written by the node's own
recorder (BagRecorder) with known trajectories, holds, joint states and statuses, read with
AnyReader and scanned as raw mcap; then the same bag cut short, as a kill can leave it."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from mcap.reader import make_reader
from std_msgs.msg import String

from molingo_ros.msg import MotionStatus
from molingo_ros.ros.faults.bags import JS, STATUS, TRAJ, read_bag, salvage_mcap
from molingo_ros.ros.messages import joint_state, joint_trajectory
from molingo_ros.ros.recorder import BagRecorder

pytestmark = pytest.mark.ros

NAMES = ["left_knee_joint", "right_knee_joint"]
FPS = 30.0
T0_NS = 1_700_000_000_000_000_000
MS = 1_000_000  # ns


def _status(state: str) -> MotionStatus:
    msg = MotionStatus()
    msg.state, msg.command_id = state, "cmd-1"
    return msg


def _record(path) -> dict:
    """A bag of one command: status queued, two streamed chunks with joint states, a hold, the
    last joint state still moving, status done; and a text command (a topic read_bag skips).
    Flushed after every message, so that each one is in its own mcap chunk. Returns the times
    (ns) of what was written."""
    rec = BagRecorder(path)
    times: dict[str, list[int]] = {}

    def put(topic, msg, t_ns, latched=False):
        rec.write(topic, msg, t_ns, latched=latched)
        rec.flush()
        times.setdefault(topic, []).append(t_ns)

    put("/molingo_node/command", String(data="walk"), T0_NS)
    put(STATUS, _status("queued"), T0_NS + 1 * MS, latched=True)
    put(STATUS, _status("streaming"), T0_NS + 2 * MS, latched=True)
    for k in range(2):
        t_ns = T0_NS + (k + 1) * 100 * MS
        pos, vel = np.full((4, 2), 0.1 * k), np.full((4, 2), 0.5)
        put(TRAJ, joint_trajectory(NAMES, pos, vel, t_ns * 1e-9, FPS), t_ns)
        put(JS, joint_state(NAMES, pos[0], vel[0], t_ns * 1e-9), t_ns + MS)
    hold_ns = T0_NS + 300 * MS
    put(
        TRAJ,
        joint_trajectory(NAMES, np.zeros((1, 2)), np.zeros((1, 2)), hold_ns * 1e-9, FPS),
        hold_ns,
    )
    put(JS, joint_state(NAMES, np.zeros(2), np.array([0.25, -2.0]), hold_ns * 1e-9), hold_ns + MS)
    put(STATUS, _status("done"), hold_ns + 2 * MS, latched=True)
    rec.close()
    return times


@pytest.fixture(scope="module")
def bag(tmp_path_factory):
    path = tmp_path_factory.mktemp("bags") / "bag"
    return path, _record(path)


def test_read_bag_summarises_statuses_holds_streams_and_the_last_joint_state(bag):
    path, times = bag
    got = read_bag(path)
    assert got["opened"] is True and got["error"] is None
    assert got["messages"] == sum(len(v) for v in times.values()) == 10
    last_ns = max(max(v) for v in times.values())
    assert got["last_s"] == pytest.approx(last_ns * 1e-9, abs=1e-6)
    assert got["statuses"] == 3 and got["last_status"] == "done"
    assert got["last_status_s"] == pytest.approx(times[STATUS][-1] * 1e-9, abs=1e-6)
    assert got["holds"] == 1
    assert got["last_hold_s"] == pytest.approx(times[TRAJ][-1] * 1e-9, abs=1e-6)
    assert got["last_stream_s"] == pytest.approx(times[TRAJ][1] * 1e-9, abs=1e-6)
    assert got["last_js_s"] == pytest.approx(times[JS][-1] * 1e-9, abs=1e-6)
    assert got["last_js_max_abs_velocity"] == pytest.approx(2.0)


def test_salvage_finds_every_message_of_a_finished_bag(bag):
    path, times = bag
    got = salvage_mcap(path)
    assert len(got["files"]) == 1 and got["files"][0].endswith(".mcap")
    assert got["bytes"] == (path / got["files"][0]).stat().st_size
    assert got["messages"] == 10 and got["stopped_at"] is None
    assert got["last_s"] == pytest.approx(max(max(v) for v in times.values()) * 1e-9, abs=1e-6)
    assert got["metadata_yaml"] is True


def test_a_cut_bag_is_reported_not_raised_and_salvage_counts_what_is_left(bag, tmp_path):
    path, times = bag
    cut = tmp_path / "cut"
    shutil.copytree(path, cut)
    (cut / "metadata.yaml").unlink()
    mcap = next(cut.glob("*.mcap"))
    with open(mcap, "rb") as f:
        chunks = sorted(
            make_reader(f).get_summary().chunk_indexes, key=lambda c: c.chunk_start_offset
        )
    assert len(chunks) == 10  # one message per chunk (flushed after each)
    sixth = chunks[5]
    with open(mcap, "r+b") as f:  # cut in the middle of the sixth chunk
        f.truncate(sixth.chunk_start_offset + sixth.chunk_length // 2)
    opened = read_bag(cut)
    assert opened["opened"] is False and opened["error"] and opened["messages"] == 0
    got = salvage_mcap(cut)
    assert got["messages"] == 5
    assert got["last_s"] == pytest.approx(
        sorted(t for v in times.values() for t in v)[4] * 1e-9, abs=1e-6
    )
    assert got["stopped_at"] and got["stopped_at"].startswith(mcap.name)
    assert got["metadata_yaml"] is False


def test_a_folder_without_a_bag_reads_as_not_opened(tmp_path):
    got = read_bag(tmp_path)
    assert got["opened"] is False and got["messages"] == 0
    assert isinstance(got["error"], str) and got["error"]
    assert salvage_mcap(tmp_path) == {
        "files": [],
        "bytes": 0,
        "messages": 0,
        "last_s": None,
        "stopped_at": None,
        "metadata_yaml": False,
    }
