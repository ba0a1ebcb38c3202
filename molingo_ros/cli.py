"""The ``molingo`` command line.

molingo data build [--root DIR] [--cache-dir DIR] [--rebuild] [--workers N] [--json]
molingo data render CLIP_OR_FILE --out FILE.gif|.mp4 [--root DIR] [--max-frames N]
molingo data export OUT/ [--format humanml3d|kit] [--root DIR] [--limit N]
                    [--clips bandai|deepmimic|all]
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
import sys
from pathlib import Path

from molingo_ros import cli_motion, cli_robot
from molingo_ros.model.sampler_config import SamplerConfig
from molingo_ros.robot import DEFAULT_ROBOT
from molingo_ros.settings import add_flags


def cmd_passthrough(args: argparse.Namespace) -> int:
    """``molingo eval`` / ``send`` / ``train STAGE``: the modules' own command lines."""
    if args.command == "eval":
        from molingo_ros.model.evaluation.protocol import main as run
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
        from molingo_ros.model.training.commands import sae_main as run
    elif args.stage == "generator":
        from molingo_ros.model.training.commands import generator_main as run
    else:
        from molingo_ros.model.training.commands import evaluator_main as run
    return int(run(args.rest) or 0)


def cmd_bag_repair(args: argparse.Namespace) -> int:
    """``molingo bag repair BAG``: see :mod:`molingo_ros.ros.bag_repair`."""
    from molingo_ros.ros.bag_repair import repair_bag

    print(repair_bag(args.bag).summary())
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``molingo`` parser: each subcommand's flags, and the function that runs it."""
    parser = argparse.ArgumentParser(prog="molingo", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    _add_data_commands(commands)
    _add_robot_commands(commands)
    _add_generate_command(commands)
    _add_passthrough_commands(commands)
    return parser


def _add_data_commands(commands: argparse._SubParsersAction) -> None:
    """``molingo data build|render|export`` and ``molingo demo``."""
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
    build.set_defaults(func=cli_motion.cmd_data_build)

    render = data_cmds.add_parser("render", help="render a clip or motion file to GIF/MP4")
    render.add_argument("clip", help="a .bvh/.bvh.gz/.npz/DeepMimic file or a clip name")
    render.add_argument("--out", type=Path, required=True, help="output .gif or .mp4")
    render.add_argument("--root", type=Path, help="dataset folder for clip names")
    render.add_argument("--max-frames", type=int, help="render at most this many frames")
    render.set_defaults(func=cli_motion.cmd_data_render)

    export = data_cmds.add_parser(
        "export", help="write the clips in the HumanML3D (or KIT-ML) folder layout"
    )
    export.add_argument("out", type=Path, help="output folder")
    export.add_argument("--format", choices=("humanml3d", "kit"), default="humanml3d")
    export.add_argument("--root", type=Path, help="dataset folder")
    export.add_argument("--limit", type=int, help="at most N clips of each split")
    export.add_argument("--clips", choices=("bandai", "deepmimic", "all"), default="bandai")
    export.set_defaults(func=cli_motion.cmd_data_export)

    demo = commands.add_parser("demo", help="run the longest real pipeline and render it")
    demo.add_argument("--out", type=Path, default=Path("out/demo.mp4"))
    demo.add_argument("--root", type=Path, help="dataset folder")
    demo.add_argument("--max-frames", type=int)
    demo.add_argument(
        "--robot", default=DEFAULT_ROBOT, help="robot to retarget onto (g1, h1, t1 or a YAML)"
    )
    demo.set_defaults(func=cli_motion.cmd_demo)


def _add_robot_commands(commands: argparse._SubParsersAction) -> None:
    """``molingo retarget`` and ``molingo retarget-report``."""
    rt = commands.add_parser("retarget", help="retarget a human motion onto a robot")
    rt.add_argument("input", help="a .bvh/.bvh.gz/.npz/DeepMimic file or a clip name")
    rt.add_argument("--robot", default=DEFAULT_ROBOT, help="g1, h1, t1 or a robot YAML path")
    rt.add_argument("--out", type=Path, required=True, help="output .npz (human + robot)")
    rt.add_argument("--report", type=Path, help="write the validation report (JSON)")
    rt.add_argument("--video", type=Path, help="render human and robot side by side (.mp4/.gif)")
    rt.add_argument("--max-frames", type=int, help="render at most this many frames")
    rt.add_argument("--root", type=Path, help="dataset folder for clip names")
    rt.add_argument("--no-collisions", action="store_true", help="skip self-collision checks")
    rt.add_argument(
        "--dynamics", action="store_true", help="also check dynamic feasibility (ZMP, friction)"
    )
    rt.set_defaults(func=cli_robot.cmd_retarget)

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
    rr.add_argument(
        "--dynamics", action="store_true", help="also check dynamic feasibility (ZMP, friction)"
    )
    rr.add_argument("--quiet", action="store_true", help="no progress bar")
    rr.set_defaults(func=cli_robot.cmd_retarget_report)

    ex = commands.add_parser(
        "export", help="write a robot motion in a motion-tracking trainer's layout"
    )
    ex.add_argument("input", type=Path, help="a robot motion .npz (molingo retarget/generate)")
    ex.add_argument("--format", required=True, choices=["lafan-csv", "tracking-npz"])
    ex.add_argument("--out", type=Path, required=True, help="output .csv or .npz")
    ex.add_argument("--fps", type=float, default=50.0, help="rate of tracking-npz (Hz)")
    ex.set_defaults(func=cli_robot.cmd_export)


def _add_generate_command(commands: argparse._SubParsersAction) -> None:
    """``molingo generate``: its own flags and the sampler's (from SamplerConfig)."""
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
    gen.set_defaults(func=cli_motion.cmd_generate)


def _add_passthrough_commands(commands: argparse._SubParsersAction) -> None:
    """``molingo eval|send|session|skills|eval-commands|replay|train``, which hand the rest of
    the line to their modules' own parsers, and ``molingo bag repair``."""
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
