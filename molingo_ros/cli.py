"""The ``molingo`` command line.

molingo data build [--root DIR] [--cache-dir DIR] [--rebuild] [--workers N] [--json]
molingo data render CLIP_OR_FILE --out FILE.gif|.mp4 [--root DIR] [--max-frames N]
molingo demo [--out FILE.mp4|.gif]
molingo retarget INPUT --robot g1|h1|t1|ROBOT.yaml --out OUT.npz [--report R.json] [--video V.mp4]
molingo retarget-report --robot g1 --clips bandai-test|deepmimic|all --out R.json [--markdown R.md]
molingo generate "TEXT" [--seconds S] [--then "TEXT@SECONDS" ...] [--seed N] [--device D]
                 --out OUT.npz [--robot g1] [--video OUT.mp4]
molingo send "TEXT" [--mode replace|queue] [--duration S] [--wait]   (to a running molingo_node)
molingo session [--out DIR] [--robot g1] [--gif G.gif]   (node + MuJoCo sim + an operator session)
molingo bag repair BAG   (a rosbag2 folder that a crash left unreadable)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from molingo_ros.model.sampler_config import SamplerConfig
from molingo_ros.motion.dataset import DatasetConfig, build_dataset
from molingo_ros.motion.sources import clip_loaders, resolve_motion
from molingo_ros.robot import DEFAULT_ROBOT
from molingo_ros.settings import add_flags, flag_overrides


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
    from molingo_ros.motion.render import RenderConfig, render_motion

    motion = resolve_motion(args.clip, args.root)
    out = render_motion(motion, args.out, RenderConfig(max_frames=args.max_frames))
    print(f"wrote {out} ({motion.num_frames} frames, {motion.duration_s:.1f} s, {motion.name})")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Real mocap through the whole pipeline that exists: BVH → world frame → features →
    exact inverse, two clips joined with a blended transition, rendered to a video."""
    from molingo_ros.motion import captions
    from molingo_ros.motion.blend import join_motions
    from molingo_ros.motion.features import canonicalize, features_to_motion, motion_to_features
    from molingo_ros.motion.render import RenderConfig, render_motion

    rng = np.random.default_rng(0)
    parts = []
    for name in ("dataset-2_walk_normal_001", "dataset-2_wave-right-hand_normal_001"):
        motion = resolve_motion(name, args.root)
        content, style, _ = captions.parse_clip_name(name)
        caption = captions.sample_caption(content, style, rng)
        motion.frame_labels = [caption] * motion.num_frames
        parts.append((motion, caption))
    walk = parts[0][0].frames(0, 150)
    joined, _ = join_motions(walk, parts[1][0], blend_frames=15)
    canon, xy0, theta0 = canonicalize(joined)
    features = motion_to_features(canon)
    rebuilt = features_to_motion(features, joined.fps, start_xy=xy0, start_heading=theta0)
    error_mm = 1000 * np.abs(rebuilt.positions_m - joined.positions_m).max()
    rebuilt.frame_labels = joined.frame_labels
    rebuilt.text = captions.composed_caption([c for _, c in parts], rng)
    out = render_motion(rebuilt, args.out, RenderConfig(max_frames=args.max_frames))
    print(f"demo: {rebuilt.text!r}")
    print(
        f"demo: {joined.num_frames} frames, features {features.shape}, round-trip error "
        f"{error_mm:.4f} mm"
    )
    print(f"wrote {out}")

    # Onto the robot: retarget, validate every frame, render human and robot side by side.
    from molingo_ros.robot.report import retarget_and_validate
    from molingo_ros.robot.view import render_retarget

    robot, config_rt = _robot_and_config(args.robot)
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


def _robot_and_config(spec: str):
    """(Robot, RetargetConfig) for a registered name or a robot YAML path (read once)."""
    from molingo_ros.robot.config import load_robot_config

    loaded = load_robot_config(spec)
    return loaded.robot, loaded.retarget


def cmd_retarget(args: argparse.Namespace) -> int:
    from molingo_ros.robot.report import retarget_and_validate
    from molingo_ros.robot.retarget import save_retarget_npz
    from molingo_ros.robot.validator import ValidatorConfig

    if args.out.suffix != ".npz":
        raise ValueError(f"--out must end in .npz, got {args.out}")
    motion = resolve_motion(args.input, args.root)
    robot, config = _robot_and_config(args.robot)
    validator = ValidatorConfig(self_collision=not args.no_collisions)
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


def machine_name() -> str:
    """CPU model and core count of this machine (for reports)."""
    from molingo_ros.bench import machine

    return machine()


def cmd_retarget_report(args: argparse.Namespace) -> int:
    from molingo_ros.robot.report import retarget_clips
    from molingo_ros.robot.validator import ValidatorConfig

    robot, config = _robot_and_config(args.robot)
    loaders = clip_loaders(args.clips, args.root)
    if args.limit:
        loaders = loaders[: args.limit]
    validator = ValidatorConfig(self_collision=not args.no_collisions)
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
        from molingo_ros.robot.report import SuiteReport

        groups = {
            "Bandai test takes": [c for c in suite.clips if c.name.startswith("dataset-")],
            "DeepMimic clips": [c for c in suite.clips if not c.name.startswith("dataset-")],
        }
        lines = [
            f"# Retargeting report: {args.clips} clips -> {robot.name}",
            "",
            f"Command: `molingo retarget-report --robot {args.robot} --clips {args.clips}` "
            f"({machine_name()}). Every frame of every clip is validated. Lengths in metres "
            "(tables: mm). Keypoint errors are against the robot-scaled targets. *Stance within "
            "1 cm*: the robot's sole centre is within 1 cm of the floor at the (frame, foot) "
            "samples where the human foot is in contact (its ankle within 3 cm of its standing "
            "height and slow); a raised heel on tiptoe counts as a miss. *Jitter flips*: "
            "velocity sign changes with |v| > 0.5 rad/s on both sides.",
            "",
        ]
        for label, clips in groups.items():
            if clips:
                sub = SuiteReport(robot=robot.name, clips=clips).summary()
                lines += [f"## Summary: {label}", "", "```json", json.dumps(sub, indent=1)]
                lines += ["```", ""]
        lines += ["## Per clip", "", suite.markdown_table(), ""]
        if suite.failures:
            lines += ["## Failures", ""] + [f"- {k}: {v}" for k, v in suite.failures.items()]
        args.markdown.write_text("\n".join(lines) + "\n")
        print(f"wrote {args.markdown}")
    return 0


EXIT_REFUSED = 3
"""Exit status of ``molingo generate`` for a command the model does not know."""


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

        robot, config_rt = _robot_and_config(args.robot)
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
            from molingo_ros.motion.render import RenderConfig, render_motion

            render_motion(motion, args.video, RenderConfig(max_frames=args.max_frames))
    print(f"wrote {args.out}" + (f" and {args.video}" if args.video else ""))
    return 0


def cmd_passthrough(args: argparse.Namespace) -> int:
    """``molingo eval`` / ``send`` / ``train STAGE``: the modules' own command lines."""
    if args.command == "eval":
        from molingo_ros.model.evaluate import main as run
    elif args.command == "send":
        from molingo_ros.ros.send import main as run
    elif args.command == "session":
        from molingo_ros.ros.session import main as run
    elif args.command == "replay":
        from molingo_ros.ros.replay import main as run
    elif args.command == "skills":
        from molingo_ros.language.cli import skills_main as run
    elif args.command == "eval-commands":
        from molingo_ros.language.evaluate import main as run
    elif args.stage == "sae":
        from molingo_ros.model.train_sae import main as run
    elif args.stage == "generator":
        from molingo_ros.model.train_generator import main as run
    else:
        from molingo_ros.model.evaluator import main as run
    return int(run(args.rest) or 0)


def cmd_bag_repair(args: argparse.Namespace) -> int:
    """``molingo bag repair BAG``: see :mod:`molingo_ros.ros.bag_repair`."""
    from molingo_ros.ros.bag_repair import repair_bag

    print(repair_bag(args.bag).summary())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="molingo", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="build, inspect and render the motion dataset")
    data_cmds = data.add_subparsers(dest="data_command", required=True)
    build = data_cmds.add_parser("build", help="read every clip into features (cached)")
    build.add_argument(
        "--root",
        type=Path,
        help="dataset folder (default: ../shared/data/bandai-namco-motion or $MOLINGO_DATA_ROOT)",
    )
    build.add_argument(
        "--cache-dir", type=Path, help="cache folder (default: .cache or $MOLINGO_CACHE_DIR)"
    )
    build.add_argument("--workers", type=int, help="processes reading clips")
    build.add_argument("--rebuild", action="store_true", help="ignore the cache")
    build.add_argument("--json", action="store_true", help="print the summary as JSON")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.set_defaults(func=cmd_data_build)

    render = data_cmds.add_parser("render", help="render a clip or motion file to GIF/MP4")
    render.add_argument("clip", help="a .bvh/.bvh.gz/.npz/DeepMimic file or a clip name")
    render.add_argument("--out", type=Path, required=True, help="output .gif or .mp4")
    render.add_argument("--root", type=Path, help="dataset folder for clip names")
    render.add_argument("--max-frames", type=int, help="render at most this many frames")
    render.set_defaults(func=cmd_data_render)

    demo = commands.add_parser("demo", help="run the longest real pipeline and render it")
    demo.add_argument("--out", type=Path, default=Path("out/demo.mp4"))
    demo.add_argument("--root", type=Path, help="dataset folder")
    demo.add_argument("--max-frames", type=int)
    demo.add_argument(
        "--robot", default=DEFAULT_ROBOT, help="robot to retarget onto (g1, h1, t1 or a YAML)"
    )
    demo.set_defaults(func=cmd_demo)

    rt = commands.add_parser("retarget", help="retarget a human motion onto a robot")
    rt.add_argument("input", help="a .bvh/.bvh.gz/.npz/DeepMimic file or a clip name")
    rt.add_argument("--robot", default=DEFAULT_ROBOT, help="g1, h1, t1 or a robot YAML path")
    rt.add_argument("--out", type=Path, required=True, help="output .npz (human + robot)")
    rt.add_argument("--report", type=Path, help="write the validation report (JSON)")
    rt.add_argument("--video", type=Path, help="render human and robot side by side (.mp4/.gif)")
    rt.add_argument("--max-frames", type=int, help="render at most this many frames")
    rt.add_argument("--root", type=Path, help="dataset folder for clip names")
    rt.add_argument("--no-collisions", action="store_true", help="skip self-collision checks")
    rt.set_defaults(func=cmd_retarget)

    rr = commands.add_parser(
        "retarget-report", help="retarget + validate a clip set, per-clip report"
    )
    rr.add_argument("--robot", default=DEFAULT_ROBOT, help="g1, h1, t1 or a robot YAML path")
    rr.add_argument("--clips", default="bandai-test", help="bandai-test|bandai-val|deepmimic|all")
    rr.add_argument("--out", type=Path, required=True, help="output JSON")
    rr.add_argument("--markdown", type=Path, help="also write a Markdown report")
    rr.add_argument("--root", type=Path, help="dataset folder")
    rr.add_argument("--limit", type=int, help="only the first N clips")
    rr.add_argument("--no-collisions", action="store_true", help="skip self-collision checks")
    rr.add_argument("--quiet", action="store_true", help="no progress bar")
    rr.set_defaults(func=cmd_retarget_report)

    gen = commands.add_parser("generate", help="text -> motion (and robot motion)")
    gen.add_argument(
        "text", help='the command, e.g. "walk forward, then wave with your right hand"'
    )
    gen.add_argument(
        "--seconds",
        type=float,
        help="length of the whole motion (s); default: what the command says, 5 s a part",
    )
    gen.add_argument(
        "--allow-unknown",
        action="store_true",
        help="generate even for commands the model does not know (else they are refused, "
        "exit status 3)",
    )
    gen.add_argument(
        "--then",
        action="append",
        metavar="TEXT@SECONDS",
        help="a later command and when it starts (repeatable)",
    )
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--device", default="auto", help="auto, cpu or cuda[:N]")
    gen.add_argument("--model", type=Path, help="model file (default: the shipped one)")
    # sampler settings from SamplerConfig's fields; an absent flag keeps its default
    add_flags(gen.add_argument_group("sampler (defaults: docs/MODEL.md)"), SamplerConfig)
    gen.add_argument("--out", type=Path, required=True, help="output .npz")
    gen.add_argument("--robot", help="also retarget onto this robot (g1, h1, t1, YAML)")
    gen.add_argument("--video", type=Path, help="render to .mp4/.gif")
    gen.add_argument("--max-frames", type=int)
    gen.set_defaults(func=cmd_generate)

    ev = commands.add_parser(
        "eval", help="metrics table of model files (see docs/MODEL.md)", add_help=False
    )
    ev.add_argument("rest", nargs=argparse.REMAINDER)
    ev.set_defaults(func=cmd_passthrough)
    snd = commands.add_parser(
        "send", help="send a text command to a running molingo_node", add_help=False
    )
    snd.add_argument("rest", nargs=argparse.REMAINDER)
    snd.set_defaults(func=cmd_passthrough)
    ses = commands.add_parser(
        "session", help="the main job: node + simulator + an operator session", add_help=False
    )
    ses.add_argument("rest", nargs=argparse.REMAINDER)
    ses.set_defaults(func=cmd_passthrough)
    for name, text in (
        ("skills", "the skills the model knows (and their calibration)"),
        ("eval-commands", "operator commands -> motions, judged kinematically (docs/MODEL.md)"),
        ("replay", "play a recorded bag back, re-stamped for a joint_trajectory_controller"),
    ):
        sub = commands.add_parser(name, help=text, add_help=False)
        sub.add_argument("rest", nargs=argparse.REMAINDER)
        sub.set_defaults(func=cmd_passthrough)
    bag = commands.add_parser("bag", help="rosbag2 recordings of the node")
    bag_cmds = bag.add_subparsers(dest="bag_command", required=True)
    repair = bag_cmds.add_parser(
        "repair",
        help="make a bag that a crash left unreadable readable again (rebuilds the storage "
        "if needed, rewrites metadata.yaml)",
    )
    repair.add_argument("bag", type=Path, help="the bag folder (or its .mcap/.db3 file)")
    repair.set_defaults(func=cmd_bag_repair)

    tr = commands.add_parser("train", help="train a stage: sae, generator or evaluator")
    tr.add_argument("stage", choices=["sae", "generator", "evaluator"])
    tr.add_argument("rest", nargs=argparse.REMAINDER)
    tr.set_defaults(func=cmd_passthrough)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # eval / train hand the rest of the line (options included) to their own parsers.
    if argv[:1] in (["eval"], ["send"], ["session"], ["skills"], ["eval-commands"]) or (
        argv[:1] == ["train"] and argv[1:2] and not argv[1].startswith("-")
    ):
        ns = argparse.Namespace(
            command=argv[0],
            stage=argv[1] if argv[0] == "train" else None,
            rest=argv[2:] if argv[0] == "train" else argv[1:],
        )
        if ns.stage not in (None, "sae", "generator", "evaluator"):
            print(
                f"molingo: error: unknown stage {ns.stage!r}; valid: sae, generator, evaluator",
                file=sys.stderr,
            )
            return 2
        try:
            return cmd_passthrough(ns)
        except (FileNotFoundError, ValueError, KeyError, RuntimeError) as exc:
            print(f"molingo: error: {exc}", file=sys.stderr)
            return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (FileNotFoundError, ValueError, KeyError, RuntimeError) as exc:
        print(f"molingo: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
