"""``molingo retarget``, ``molingo retarget-report`` and ``molingo export``: parse, call the
library, print. The parser is :func:`molingo_ros.cli.build_parser`."""

from __future__ import annotations

import argparse
import json

from molingo_ros.bench import machine
from molingo_ros.motion.sources import clip_loaders, resolve_motion
from molingo_ros.robot.config import load_robot_config


def _validator_config(args: argparse.Namespace):
    """The validator's settings of ``--no-collisions`` and ``--dynamics``."""
    from molingo_ros.robot.dynamics import DynamicsConfig
    from molingo_ros.robot.validator import ValidatorConfig

    return ValidatorConfig(
        self_collision=not args.no_collisions,
        dynamics=DynamicsConfig() if args.dynamics else None,
    )


def cmd_retarget(args: argparse.Namespace) -> int:
    from molingo_ros.robot.report import retarget_and_validate
    from molingo_ros.robot.retarget import save_retarget_npz

    if args.out.suffix != ".npz":
        raise ValueError(f"--out must end in .npz, got {args.out}")
    motion = resolve_motion(args.input, args.root)
    loaded = load_robot_config(args.robot)
    robot, config = loaded.robot, loaded.retarget
    validator = _validator_config(args)
    loaded.prepare(validator)  # one-time collision set-up here, not in the retarget's timing
    result, report = retarget_and_validate(motion, robot, config, validator)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_retarget_npz(args.out, motion, result)
    row = report.to_dict()
    print(
        f"retarget: {motion.name} -> {robot.name}: {result.frames} frames at {result.fps:g} fps, "
        f"{result.frames / report.retarget_s:.0f} frames/s (validate "
        f"{result.frames / max(report.validate_s, 1e-9):.0f} frames/s)"
    )
    print(
        f"retarget: joint-limit violations {row['joint_limit_violations']}, velocity-limit "
        f"violations {row['velocity_limit_violations']}, self-collision frames "
        f"{row['self_collision_frames']}, mean keypoint error "
        f"{1000 * row['mean_keypoint_error_m']:.1f} mm"
    )
    if row["dynamics"] is not None:
        d = row["dynamics"]
        print(
            f"dynamics: ZMP outside the feet {d['zmp_outside_frames']} frames, flight "
            f"{d['flight_frames']} ({d['infeasible_flight_frames']} not ballistic), friction "
            f"{d['friction_violations']}, pulling {d['pull_frames']}"
        )
    print(f"wrote {args.out}")
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps({"robot": robot.name, **row}, indent=1))
        print(f"wrote {args.report}")
    if args.video:
        from molingo_ros.robot.view import render_retarget

        out = render_retarget(
            motion, robot, result.qpos, result.fps, args.video, max_frames=args.max_frames
        )
        print(f"wrote {out}")
    return 0


def cmd_retarget_report(args: argparse.Namespace) -> int:
    from molingo_ros.robot.report import retarget_clips
    from molingo_ros.robot.report_markdown import suite_markdown

    loaded = load_robot_config(args.robot)

    robot, config = loaded.robot, loaded.retarget
    loaders = clip_loaders(args.clips, args.root)
    if args.limit:
        loaders = loaders[: args.limit]
    validator = _validator_config(args)
    loaded.prepare(validator)  # one-time collision set-up before the first clip's timing
    suite = retarget_clips(
        [f for _, f in loaders],
        robot,
        config,
        validator,
        progress=not args.quiet,
        total=len(loaders),
    )
    suite.write_json(args.out)
    summary = suite.summary()
    print(json.dumps(summary, indent=1))
    print(f"wrote {args.out}")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(suite_markdown(suite, args.clips, args.robot, machine()))
        print(f"wrote {args.markdown}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from molingo_ros.robot.export import RobotMotion, export_motion
    from molingo_ros.robot.models import load_robot

    motion = RobotMotion.from_npz(args.input)
    robot = load_robot(motion.robot)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out = export_motion(robot, motion, args.out, args.format, args.fps)
    frames = f"{len(motion.qpos)} frames at {motion.fps:g} fps"
    print(f"wrote {out} ({args.format}, {robot.name}, {frames})")
    return 0
