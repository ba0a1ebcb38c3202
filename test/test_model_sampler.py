"""The streaming sampler, on a small randomly initialised model (the trained model is checked
by molingo eval): reproducibility, window continuity, command changes, the generate CLI (the
bundle's file: test_model_bundle.py; post-processing: test_model_postprocess.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from molingo_ros.cli import main
from molingo_ros.model.generator import GeneratorConfig
from molingo_ros.model.sae import SAEConfig
from molingo_ros.model.sampler import MoLingo, MotionStream, SamplerConfig, generate
from molingo_ros.motion.motion import Motion

SAE = SAEConfig(width=32, res_depth=1)
GEN = GeneratorConfig(
    dim=32, layers=1, heads=2, flow_width=32, flow_depth=1, adapter_layers=1, max_tokens=32
)
FAST = SamplerConfig(
    window_tokens=4,
    emit_tokens=4,
    history_tokens=8,
    iterations=2,
    flow_steps=2,
    decode_context_tokens=8,
)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    model = MoLingo(SAE, GEN)
    return model.save(tmp_path_factory.mktemp("model") / "tiny.safetensors")


@pytest.fixture(scope="module")
def model(model_file) -> MoLingo:
    return MoLingo.load(model_file, device="cpu")


def test_stream_is_reproducible_and_continuous(model):
    def run(seed: int) -> np.ndarray:
        stream = MotionStream(model, FAST, seed=seed)
        stream.set_text("a person walks forward")
        return np.concatenate([stream.next_window().positions_m for _ in range(3)])

    a, b, c = run(1), run(1), run(2)
    assert a.shape == (3 * 16, 21, 3)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    # root continues across windows: no jump at the seams bigger than inside windows
    root_step = np.linalg.norm(np.diff(a[:, 0, :2], axis=0), axis=1)
    seams = root_step[[15, 31]]
    assert seams.max() <= 3 * np.median(root_step) + 0.05


def test_command_change_takes_effect_at_the_next_window(model):
    # A command set on a live stream takes effect at the next window.
    stream = MotionStream(model, FAST, seed=0)
    assert not stream.has_text
    stream.set_text("walk forward")
    assert stream.has_text and stream.pending_tokens == 0
    first = stream.next_window()
    assert stream.pending_tokens == FAST.window_tokens - FAST.emit_tokens  # drawn, kept
    stream.set_text("wave your right hand")
    assert stream.pending_tokens == 0  # drawn for the old command: dropped
    second = stream.next_window()
    assert (first.text, second.text) == ("walk forward", "wave your right hand")
    assert len(first.features) == len(second.features) == 16
    with pytest.raises(ValueError):
        MotionStream(model, FAST).set_text("   ")
    with pytest.raises(RuntimeError, match="set_text"):
        MotionStream(model, FAST).next_window()


@pytest.mark.parametrize("command_age_tokens", [0, 6])
def test_a_command_sent_again_restarts_its_age(command_age_tokens):
    # The stream counts tokens from each set_text: a generator with the command-age input
    # makes other motion after the same text is sent again; one without it, the same motion.
    torch.manual_seed(0)
    gen = GeneratorConfig(**{**GEN.__dict__, "command_age_tokens": command_age_tokens})
    model = MoLingo(SAE, gen).eval()
    if model.generator.age is not None:
        torch.nn.init.normal_(model.generator.age.weight, std=3.0)
        # (the flow head's modulations start at zero: the condition would not reach it;
        # give them weights, as training does)
        for w in model.generator.head.parameters():
            torch.nn.init.normal_(w, std=0.3)

    def run(again: bool) -> np.ndarray:
        stream = MotionStream(model, FAST, seed=0)
        stream.set_text("walk forward")
        first = stream.next_window().features
        if again:
            stream.set_text("walk forward")
        return np.concatenate([first, stream.next_window().features])

    once, twice = run(False), run(True)
    np.testing.assert_array_equal(once[:16], twice[:16])
    assert np.array_equal(once, twice) == (command_age_tokens == 0)


def test_timed_commands_start_on_their_own_token(model):
    # 0.3 s = frame 9: the first window is cut to 3 tokens (12 frames), the command owns
    # frame 12 on (not frame 16, where the next full window would start).
    motion = generate(model, [("walk forward", 0.0), ("wave your right hand", 0.3)], 1.6, FAST)
    assert motion.num_frames == 48
    assert motion.frame_labels[11] == "walk forward"
    assert motion.frame_labels[12] == "wave your right hand"
    assert motion.text == "walk forward then wave your right hand"
    # the shortened window joins the next without a jump of the root
    root_step = np.linalg.norm(np.diff(motion.positions_m[:, 0, :2], axis=0), axis=1)
    assert root_step[11] <= 3 * np.median(root_step) + 0.05


def test_window_size_is_checked(model):
    stream = MotionStream(model, FAST, seed=0)
    stream.set_text("walk forward")
    assert len(stream.next_window(tokens=1).features) == 4
    for bad in (0, 5, -1):
        with pytest.raises(ValueError, match="1..4"):
            stream.next_window(tokens=bad)
    assert stream.frames_emitted == 4


def test_generate_cli(tmp_path, model_file, capsys):
    out = tmp_path / "gen.npz"
    args = [
        "generate",
        "a person waves",
        "--seconds",
        "1",
        "--model",
        str(model_file),
        "--then",
        "walk forward@0.5",
        "--flow-steps",
        "2",
        "--iterations",
        "2",
        "--out",
        str(out),
        "--robot",
        "g1",
    ]
    assert main(args) == 0
    with np.load(out) as data:
        assert data["joint_positions"].shape == (30, 21, 3)
        assert data["robot_qpos"].shape == (30, 36)
    text = capsys.readouterr().out
    assert "joint-limit violations 0, velocity-limit violations 0" in text
    assert main(["generate", "x", "--out", str(out), "--then", "oops"]) == 2
    assert (
        main(
            [
                "generate",
                "x",
                "--out",
                str(tmp_path / "x.npz"),
                "--model",
                str(tmp_path / "missing.safetensors"),
            ]
        )
        == 2
    )
    assert "does not exist" in capsys.readouterr().err
    bad = ["generate", "x", "--out", str(tmp_path / "y.npz"), "--model", str(model_file)]
    with pytest.raises(SystemExit) as refused:  # the flag's choices (SamplerConfig.cfg_schedule)
        main([*bad, "--cfg-schedule", "cosine"])
    assert refused.value.code == 2
    assert "invalid choice: 'cosine' (choose from 'constant', 'linear')" in capsys.readouterr().err
    assert not (tmp_path / "y.npz").exists()


@pytest.mark.slow
def test_shipped_model_streams_onto_the_g1_without_seams():
    """Text -> windows from the shipped model -> streaming retargeter: the chunked robot
    motion equals the batch retargeting of the whole clip, and every frame is valid."""
    from molingo_ros.robot.models import load_robot
    from molingo_ros.robot.retarget import Retargeter, retarget
    from molingo_ros.robot.validator import validate

    model = MoLingo.load(device="cpu")  # molingo_ros/weights/molingo.safetensors
    stream = MotionStream(model, seed=3)
    stream.set_text("a person walks forward")
    windows = [stream.next_window() for _ in range(2)]
    stream.set_text("someone waves with the right hand")
    windows += [stream.next_window() for _ in range(3)]
    chunks = [w.to_motion() for w in windows]
    whole = Motion(
        positions_m=np.concatenate([c.positions_m for c in chunks]),
        joint_names=chunks[0].joint_names,
        parents=chunks[0].parents,
        fps=30.0,
    )
    robot = load_robot("g1")
    batch = retarget(whole, robot)
    retargeter = Retargeter(robot, calibration=batch.targets.calibration)
    streamed = np.concatenate([retargeter.process(c) for c in chunks])
    np.testing.assert_allclose(streamed, batch.qpos, atol=1e-9)
    report = validate(robot, streamed, 30.0)
    assert report.joint_limit_violations == 0 and report.velocity_limit_violations == 0
    # the wave command raises the right hand within 3 windows (3.2 s), above the left
    hand, other = whole.joint_names.index("Hand_R"), whole.joint_names.index("Hand_L")
    head = whole.joint_names.index("Head")
    lift = whole.positions_m[-32:, hand, 2] - whole.positions_m[-32:, head, 2]
    walk_lift = whole.positions_m[:64, hand, 2] - whole.positions_m[:64, head, 2]
    assert lift.max() > walk_lift.max() + 0.15  # raised well above the walking arm swing
    assert whole.positions_m[-32:, hand, 2].mean() > whole.positions_m[-32:, other, 2].mean()


def test_cfg_schedule():
    with pytest.raises(ValueError, match="valid: constant, linear"):
        SamplerConfig(cfg_schedule="cosine")
    linear = SamplerConfig(cfg_scale=3.0, cfg_schedule="linear")
    assert [linear.guidance(f) for f in (0.25, 1.0)] == [1.5, 3.0]
    assert SamplerConfig(cfg_scale=3.0).guidance(0.25) == 3.0

    torch.manual_seed(0)
    guided_model = MoLingo(SAE, GEN).eval()
    with torch.no_grad():  # zero-initialised output layers would make the text irrelevant
        for param in guided_model.generator.parameters():
            param.add_(0.1 * torch.randn_like(param))

    def run(**kw) -> np.ndarray:
        config = SamplerConfig(**{**FAST.__dict__, **kw})
        stream = MotionStream(guided_model, config, seed=3)
        stream.set_text("a person waves the right hand")
        return np.concatenate([stream.next_window().features for _ in range(2)])

    # the schedule changes what is drawn, and at scale 1 both schedules are unguided
    guided = np.abs(run(cfg_scale=3.0) - run(cfg_scale=3.0, cfg_schedule="linear")).max()
    assert guided > 1e-4
    np.testing.assert_allclose(
        run(cfg_scale=1.0), run(cfg_scale=1.0, cfg_schedule="linear"), rtol=0, atol=1e-5
    )


def test_windows_are_emitted_in_steps(model):
    # Windows of 8 tokens emitted 4 at a time give the frames of windows of 8 emitted whole
    # (the same draws), as long as the command stays.
    halves = replace(FAST, window_tokens=8, emit_tokens=4)
    wholes = replace(FAST, window_tokens=8, emit_tokens=8)

    def run(config: SamplerConfig, steps: int) -> np.ndarray:
        stream = MotionStream(model, config, seed=5)
        stream.set_text("walk forward")
        out = [stream.next_window() for _ in range(steps)]
        assert all(len(w.features) == config.emit_tokens * 4 for w in out)
        return np.concatenate([w.positions_m for w in out])

    a, b = run(halves, 4), run(wholes, 2)
    assert a.shape == b.shape == (64, 21, 3)
    np.testing.assert_allclose(a, b, atol=1e-4)


def test_a_new_command_drops_the_waiting_tokens(model):
    # The second half of a window drawn for "walk forward" is not emitted once the command
    # is "wave": the stream draws a new window for it, from the emitted history.
    config = replace(FAST, window_tokens=8, emit_tokens=4)

    def run(change: str | None, reseed: int | None = None) -> np.ndarray:
        stream = MotionStream(model, config, seed=5)
        stream.set_text("walk forward")
        first = stream.next_window().features
        if change is not None:
            stream.set_text(change)
        if reseed is not None:
            stream.reseed(reseed)
        second = stream.next_window()
        assert second.text == (change or "walk forward")
        return np.concatenate([first, second.features])

    kept, changed, reseeded = run(None), run("wave your right hand"), run(None, reseed=5)
    np.testing.assert_array_equal(kept[:16], changed[:16])
    assert not np.allclose(kept[16:], changed[16:])
    # a reseed (a new command with its own seed) draws afresh too
    assert not np.allclose(kept[16:], reseeded[16:])


def test_window_settings_are_checked(model):
    with pytest.raises(ValueError, match=r"emit_tokens must be in 1\.\.window_tokens \(4\)"):
        replace(FAST, emit_tokens=5)
    with pytest.raises(ValueError, match="history_tokens"):
        replace(FAST, history_tokens=-1)
    stream = MotionStream(model, FAST, seed=0)
    stream.set_text("walk forward")
    with pytest.raises(ValueError, match=r"until \(2\) must be at least the tokens emitted \(3\)"):
        stream.next_window(3, until=2)
    # the tiny generator has 32 positions: 8 of history + 32 new do not fit
    with pytest.raises(ValueError, match="exceeds the generator's 32 positions"):
        MotionStream(model, replace(FAST, window_tokens=32))


def test_sampler_overrides_keep_emission_within_the_window():
    assert SamplerConfig.with_overrides(cfg_scale=None) == SamplerConfig()
    assert SamplerConfig.with_overrides(window_tokens=4).emit_tokens == 4
    assert SamplerConfig.with_overrides(window_tokens=32).emit_tokens == SamplerConfig.emit_tokens
    assert SamplerConfig.with_overrides(window_tokens=32, emit_tokens=16).emit_tokens == 16
    with pytest.raises(ValueError, match="emit_tokens"):
        SamplerConfig.with_overrides(window_tokens=4, emit_tokens=8)


@pytest.mark.slow
def test_a_capped_gesture_stays_in_place():
    """The shipped model's "raise both hands" drifts on some seeds; with the cap of its
    skill it travels no faster than the cap."""
    from molingo_ros.language.checks import measure

    model = MoLingo.load()
    text = "a person raises both hands"
    free = [generate(model, [(text, 0.0)], 4.0, seed=s) for s in range(3)]
    capped = [
        generate(model, [(text, 0.0)], 4.0, seed=s, speed_limits={text: 0.15}) for s in range(3)
    ]
    assert max(measure(m)["speed_m_s"] for m in free) > 0.15  # the drift exists
    assert max(measure(m)["speed_m_s"] for m in capped) <= 0.15 + 1e-3


def test_a_commands_first_window_can_see_less_history(model):
    stream = MotionStream(model, SamplerConfig(), seed=0)
    stream.set_text("a person walks forward")
    for _ in range(3):
        stream.next_window()
    assert stream.window_context()[0].shape[1] == SamplerConfig().history_tokens
    stream.set_text("a person raises both hands", history_tokens=3)
    history, age = stream.window_context()
    assert history.shape[1] == 3 and age == 0  # the last 3 tokens of the walk
    torch.testing.assert_close(history, stream._latents[:, -3:])
    stream.next_window()  # its first window drawn: the next ones see the whole history
    assert stream.window_context()[0].shape[1] == SamplerConfig().history_tokens
    stream.set_text("a person bows", history_tokens=0)
    assert stream.window_context()[0].shape[1] == 0
    with pytest.raises(ValueError, match="history_tokens must be >= 0"):
        stream.set_text("a person bows", history_tokens=-1)
