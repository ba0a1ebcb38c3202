"""``molingo data build|render|export``, ``molingo demo`` and ``molingo generate``: parse,
call the library, print. The parser is :func:`molingo_ros.cli.build_parser`."""

from __future__ import annotations

import argparse
import json
import sys

from molingo_ros.model.sampler_config import SamplerConfig
from molingo_ros.motion.dataset import build_dataset
from molingo_ros.motion.dataset_config import DatasetConfig
from molingo_ros.motion.sources import resolve_motion
from molingo_ros.robot.config import load_robot_config
from molingo_ros.settings import flag_overrides

EXIT_REFUSED = 3
"""Exit status of ``molingo generate`` for a command the model does not know."""


def cmd_data_build(args: argparse.Namespace) -> int:
    config = DatasetConfig(
        **{
            k: v
            for k, v in {
                "root": args.root,
                "cache_dir": args.cache_dir,
                "workers": args.workers,
            }.items()
            if v is not None
        }
    )
    dataset = build_dataset(config, rebuild=args.rebuild, progress=not args.quiet)
    summary = dataset.summary()
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"root: {config.root}")
    print(f"clips: {summary['clips']}")
    print(f"frames: {summary['frames']} ({summary['hours']:.2f} h at 30 fps)")
    print(
        f"with mirrors: {summary['records_with_mirrors']} sequences, "
        f"feature dim {summary['feature_dim']}"
    )
    for split, counts in summary["splits"].items():
        print(
            f"  {split:5s}: {counts.get('clips', 0)} clips "
            f"(+{counts.get('mirrored', 0)} mirrored), "
            f"{counts.get('frames', 0)} frames, {summary['takes_per_split'][split]} takes"
        )
    print(f"contents: {len(summary['contents'])}, styles: {len(summary['styles'])}")
    print(f"unreadable: {summary['unreadable']}")
    for line in summary["unreadable_clips"]:
        print(f"  {line}")
    print(f"built in {summary['build_seconds']:.1f} s; cache: {config.cache_dir}")
    return 0


def cmd_data_render(args: argparse.Namespace) -> int:
    from molingo_ros.motion.render import render_motion
    from molingo_ros.motion.render_config import RenderConfig

    motion = resolve_motion(args.clip, args.root)
    out = render_motion(motion, args.out, RenderConfig(max_frames=args.max_frames))
    print(f"wrote {out} ({motion.num_frames} frames, {motion.duration_s:.1f} s, {motion.name})")
    return 0


def cmd_data_export(args: argparse.Namespace) -> int:
    from molingo_ros.motion.humanml3d_export import ExportConfig, export_layout

    options = {"root": args.root} if args.root is not None else {}
    config = ExportConfig(layout=args.format, clips=args.clips, limit=args.limit, **options)
    summary = export_layout(args.out, config)
    print("\n".join(summary.lines()))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Real mocap through the whole pipeline that exists: BVH → world frame → features →
    exact inverse, two clips joined with a blended transition, rendered to a video."""
    from molingo_ros.motion.demo import demo_motion
    from molingo_ros.motion.render import render_motion
    from molingo_ros.motion.render_config import RenderConfig

    made = demo_motion(args.root)
    rebuilt = made.motion
    out = render_motion(rebuilt, args.out, RenderConfig(max_frames=args.max_frames))
    print(f"demo: {rebuilt.text!r}")
    print(
        f"demo: {rebuilt.num_frames} frames, features {made.feature_shape}, round-trip error "
        f"{made.round_trip_error_mm:.4f} mm"
    )
    print(f"wrote {out}")

    # Onto the robot: retarget, validate every frame, render human and robot side by side.
    from molingo_ros.robot.report import retarget_and_validate
    from molingo_ros.robot.view import render_retarget

    loaded = load_robot_config(args.robot)

    robot, config_rt = loaded.robot, loaded.retarget
    result, report = retarget_and_validate(rebuilt, robot, config_rt)
    v = report.validation
    print(
        f"demo: retargeted onto {robot.name} at {result.frames / report.retarget_s:.0f} frames/s: "
        f"joint-limit violations {v['joint_limit_violations']}, velocity-limit violations "
        f"{v['velocity_limit_violations']}, self-collision frames {v['self_collision_frames']}, "
        f"mean keypoint error {1000 * v['mean_keypoint_error_m']:.1f} mm"
    )
    robot_out = args.out.with_name(f"{args.out.stem}_{robot.name}{args.out.suffix}")
    render_retarget(rebuilt, robot, result.qpos, result.fps, robot_out, max_frames=args.max_frames)
    print(f"wrote {robot_out}")
    return 0


def _parse_then(items: list[str]) -> list[tuple[str, float]]:
    out = []
    for item in items:
        text, sep, when = item.rpartition("@")
        try:
            seconds = float(when)
        except ValueError:
            seconds = -1.0
        if not sep or not text.strip() or seconds < 0:
            raise ValueError(f"--then wants 'TEXT@SECONDS' (seconds >= 0), got {item!r}")
        out.append((text.strip(), seconds))
    return out


def _report_no_motion(plan) -> int:
    """``molingo generate`` on a stop (exit 0) or a refused command (exit 3): nothing is
    written."""
    if plan.kind == "stop":
        print(
            f"generate: '{plan.text}' is a stop command: nothing to generate (a running "
            "molingo_node holds the robot on it)"
        )
        return 0
    print(
        f"generate: {plan.message()} (nothing written; --allow-unknown forces it)",
        file=sys.stderr,
    )
    return EXIT_REFUSED


def cmd_generate(args: argparse.Namespace) -> int:
    """Text -> motion with the shipped (or a given) model, optionally onto a robot."""
    import torch

    from molingo_ros.language.interpret import CommandInterpreter
    from molingo_ros.model.sampler import MoLingo, generate

    if args.out.suffix != ".npz":
        raise ValueError(f"--out must end in .npz, got {args.out}")
    if not args.text.strip():
        raise ValueError("the text must not be empty")
    if args.seconds is not None and not (0 < args.seconds <= 120):
        raise ValueError(f"--seconds must be in (0, 120], got {args.seconds}")
    later = _parse_then(args.then or [])
    overrides = flag_overrides(args, SamplerConfig)
    config = SamplerConfig.with_overrides(**overrides)
    torch.manual_seed(args.seed)
    model = MoLingo.load(args.model, device=args.device)
    plan = CommandInterpreter.from_model(model, allow_unknown=args.allow_unknown).interpret(
        args.text, args.seconds or 0.0
    )
    if plan.kind != "motion":
        return _report_no_motion(plan)
    print(f"generate: {plan.message()}")
    commands = [*plan.timed_commands(), *later]
    seconds = args.seconds or max(plan.seconds, max(t for _, t in commands) + 1.0)
    if not (0 < seconds <= 120):
        raise ValueError(f"the motion would last {seconds:.1f} s; the limit is 120 s")
    motion = generate(
        model, commands, seconds, config, seed=args.seed, speed_limits=plan.speed_limits()
    )
    motion.name = "generated"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(f"generate: {motion.text!r}: {motion.num_frames} frames ({motion.duration_s:.1f} s)")
    if args.robot:
        from molingo_ros.robot.report import retarget_and_validate
        from molingo_ros.robot.retarget import save_retarget_npz

        loaded = load_robot_config(args.robot)

        robot, config_rt = loaded.robot, loaded.retarget
        result, report = retarget_and_validate(motion, robot, config_rt)
        save_retarget_npz(args.out, motion, result)
        v = report.validation
        print(
            f"generate: on {robot.name}: joint-limit violations {v['joint_limit_violations']}, "
            f"velocity-limit violations {v['velocity_limit_violations']}, self-collision "
            f"frames {v['self_collision_frames']}"
        )
        if args.video:
            from molingo_ros.robot.view import render_retarget

            render_retarget(
                motion, robot, result.qpos, result.fps, args.video, max_frames=args.max_frames
            )
    else:
        motion.save_npz(args.out)
        if args.video:
            from molingo_ros.motion.render import render_motion
            from molingo_ros.motion.render_config import RenderConfig

            render_motion(motion, args.video, RenderConfig(max_frames=args.max_frames))
    print(f"wrote {args.out}" + (f" and {args.video}" if args.video else ""))
    return 0
