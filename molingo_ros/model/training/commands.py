"""The command lines of the training jobs: ``molingo train sae``, ``molingo train generator``
and ``molingo train evaluator {train,evaluate}``. Every flag that sets a config field is
generated from the field's :func:`~molingo_ros.settings.setting` (its description, range and
choices); the flags a run takes besides (``--out``, ``--device``, ``--threads``, ``--quiet``)
come from :func:`add_run_flags`."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from molingo_ros.model.evaluation.evaluator import EvaluatorConfig, default_weights_path
from molingo_ros.model.evaluation.evaluator_checkpoint import load_evaluator
from molingo_ros.model.evaluation.retrieval import evaluate_split
from molingo_ros.model.generator import GeneratorConfig
from molingo_ros.model.sae import SAEConfig
from molingo_ros.model.sizes import sized_generator, sized_sae
from molingo_ros.model.training.data import DataConfig
from molingo_ros.model.training.decoder import copy_decoder, finetune_decoder
from molingo_ros.model.training.distributed import ParallelConfig, finish_parallel
from molingo_ros.model.training.evaluator import train_evaluator
from molingo_ros.model.training.generator import train_generator
from molingo_ros.model.training.generator_config import GeneratorTrainConfig
from molingo_ros.model.training.latents import export_pack
from molingo_ros.model.training.sae import SAETrainConfig, train_sae
from molingo_ros.motion.dataset import build_dataset
from molingo_ros.settings import add_flags, flag_overrides

RUN_FLAGS = ("out", "device", "threads")
"""Settings every training run takes as flags (besides ``--quiet``)."""

SAE_FLAGS = ("size", "steps", "batch", "semantic_weight", "root_weight")
"""The :class:`SAETrainConfig` settings of ``molingo train sae`` (and the SAE's ``width``)."""

GENERATOR_FLAGS = (
    "size",
    "sae",
    "steps",
    "batch",
    "lr",
    "warmup",
    "time_budget",
    "window_tokens",
    "max_prefix_tokens",
)
"""The :class:`GeneratorTrainConfig` settings of ``molingo train generator``."""

ARCHITECTURE_FLAGS = ("conditioning", "dim", "layers", "heads", "flow_width", "command_age_tokens")
"""The :class:`GeneratorConfig` settings of ``molingo train generator``."""

EVALUATOR_FLAGS = ("steps", "batch", "seed", "corrupt_negatives")
"""The :class:`EvaluatorConfig` settings of ``molingo train evaluator train``."""


def add_run_flags(parser: argparse.ArgumentParser, config: type) -> None:
    """The flags of a training run: ``--out``, ``--device`` and ``--threads`` (the run
    settings of ``config``), ``--accumulate`` and ``--bf16`` (:class:`ParallelConfig`) and
    ``--quiet``."""
    add_flags(parser, config, RUN_FLAGS, keep_none=False)
    add_flags(parser, ParallelConfig, keep_none=False)
    add_data_flag(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def add_data_flag(parser: argparse.ArgumentParser) -> None:
    """``--data PATH``: the dataset a run reads (see :func:`use_data`)."""
    parser.add_argument(
        "--data",
        type=Path,
        metavar="PATH",
        help="the motion dataset: the Bandai Namco folder, or a HumanML3D / KIT-ML layout "
        "folder (new_joints/, texts/, train.txt ...; docs/DATA.md); default: "
        "$MOLINGO_DATA_ROOT or ../shared/data/bandai-namco-motion",
    )


def use_data(args: argparse.Namespace) -> None:
    """Make ``--data`` the dataset root of this process (and the processes it starts): the
    dataset builder's default root is ``$MOLINGO_DATA_ROOT``
    (:func:`~molingo_ros.motion.bandai_files.default_data_root`); a layout folder is told from
    a Bandai one by its ``new_joints/`` (:func:`~molingo_ros.motion.dataset.build_dataset`)."""
    if getattr(args, "data", None) is not None:
        if not args.data.is_dir():
            raise SystemExit(f"--data {args.data}: no such folder")
        os.environ["MOLINGO_DATA_ROOT"] = str(args.data.resolve())


def _parallel(args: argparse.Namespace) -> ParallelConfig:
    """The :class:`ParallelConfig` of the parsed flags."""
    return ParallelConfig(**flag_overrides(args, ParallelConfig))


def _run(train: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``train(*args, **kwargs)``, leaving torchrun's process group at the end."""
    try:
        return train(*args, **kwargs)
    finally:
        finish_parallel()


def _set_threads(threads: int) -> None:
    """Set torch's CPU threads (0: keep torch's default)."""
    if threads:
        torch.set_num_threads(threads)


def _print_weights(path: Path) -> int:
    """Print the written model file as one JSON line (rank 0 only under torchrun); the exit
    status 0."""
    if not int(os.environ.get("RANK", "0")):
        print(json.dumps({"weights": str(path)}))
    return 0


def sae_main(argv: list[str] | None = None) -> int:
    """``molingo train sae``: train an SAE, fine-tune a bundle's decoder or copy one."""
    parser = argparse.ArgumentParser(
        description="Train the semantic-aligned autoencoder (molingo train sae). Resumes from "
        "<out>/last.pt; writes <out>/sae.safetensors, <out>/log.csv and <out>/loss.png."
    )
    add_run_flags(parser, SAETrainConfig)
    add_flags(parser, SAETrainConfig, SAE_FLAGS, keep_none=False)
    add_flags(parser, SAEConfig, ["width"], keep_none=True)
    parser.add_argument(
        "--finetune-decoder",
        type=Path,
        metavar="BUNDLE",
        help="fine-tune the decoder of a model bundle; writes --out as a file",
    )
    parser.add_argument(
        "--latent-noise",
        type=float,
        default=0.0,
        help="with --finetune-decoder: noise on the decoder's input latents, in latent "
        "standard deviations (the generator's units)",
    )
    parser.add_argument(
        "--copy-decoder",
        nargs=2,
        type=Path,
        metavar=("SOURCE", "TARGET"),
        help="give bundle TARGET the SAE of bundle SOURCE; writes --out",
    )
    args = parser.parse_args(argv)
    _set_threads(args.threads)
    use_data(args)
    if args.copy_decoder:
        return _print_weights(copy_decoder(args.copy_decoder[0], args.copy_decoder[1], args.out))
    if args.finetune_decoder:
        path = finetune_decoder(
            args.finetune_decoder,
            args.out,
            args.steps,
            args.batch,
            cfg=replace(SAETrainConfig(), root_weight=args.root_weight),
            progress=not args.quiet,
            latent_noise=args.latent_noise,
        )
        return _print_weights(path)
    sae = sized_sae(args.size)
    cfg = replace(
        SAETrainConfig(),
        **flag_overrides(args, SAETrainConfig, RUN_FLAGS + SAE_FLAGS),
        sae=replace(sae, **flag_overrides(args, SAEConfig, ["width"])),
        parallel=_parallel(args),
    )
    return _print_weights(_run(train_sae, cfg, progress=not args.quiet))


def _generator_parser() -> argparse.ArgumentParser:
    """The parser of ``molingo train generator``."""
    parser = argparse.ArgumentParser(
        description="Train the masked autoregressive generator on the SAE's latents (molingo "
        "train generator). Resumes from <out>/last.pt; writes the model file "
        "<out>/molingo.safetensors (SAE + generator + normalisers), <out>/log.csv and "
        "<out>/loss.png."
    )
    add_run_flags(parser, GeneratorTrainConfig)
    add_flags(parser, GeneratorTrainConfig, GENERATOR_FLAGS, keep_none=False)
    add_flags(parser, GeneratorConfig, ARCHITECTURE_FLAGS, keep_none=True)
    add_flags(parser, DataConfig, ["captions_per_label"], keep_none=False)
    parser.add_argument(
        "--init", type=Path, metavar="BUNDLE", help="start from the generator of this model file"
    )
    parser.add_argument(
        "--pack", type=Path, help="train from this latent pack instead of the dataset"
    )
    parser.add_argument(
        "--export-pack",
        type=Path,
        metavar="PACK",
        help="write the latent pack of --sae's training sequences to PACK (.npz) and stop",
    )
    return parser


def generator_main(argv: list[str] | None = None) -> int:
    """``molingo train generator``: train a generator, or export a latent pack."""
    parser = _generator_parser()
    args = parser.parse_args(argv)
    use_data(args)
    if not 1 <= args.max_prefix_tokens < args.window_tokens:
        parser.error("--max-prefix-tokens must be >= 1 and below --window-tokens")
    if args.captions_per_label < 1:
        parser.error("--captions-per-label must be >= 1")
    generator = replace(
        sized_generator(args.size), **flag_overrides(args, GeneratorConfig, ARCHITECTURE_FLAGS)
    )
    if generator.dim % generator.heads:
        parser.error(f"--dim {generator.dim} must be a multiple of --heads {generator.heads}")
    cfg = replace(
        GeneratorTrainConfig(),
        **flag_overrides(args, GeneratorTrainConfig, RUN_FLAGS + GENERATOR_FLAGS),
        generator=generator,
        data=replace(DataConfig(), **flag_overrides(args, DataConfig, ["captions_per_label"])),
        pack=args.pack,
        init=args.init,
        parallel=_parallel(args),
    )
    if args.export_pack:
        path = export_pack(cfg, args.export_pack, progress=not args.quiet)
        print(json.dumps({"pack": str(path), "bytes": path.stat().st_size}))
        return 0
    return _print_weights(_run(train_generator, cfg, progress=not args.quiet))


def _evaluator_parser() -> argparse.ArgumentParser:
    """The parser of ``molingo train evaluator``: subcommands ``train`` and ``evaluate``."""
    parser = argparse.ArgumentParser(prog="molingo train evaluator")
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train the retrieval evaluator on the train split")
    train.add_argument("--out", type=Path, default=default_weights_path())
    add_flags(train, EvaluatorConfig, EVALUATOR_FLAGS, keep_none=False)
    add_flags(train, ParallelConfig, keep_none=False)
    train.add_argument("--device", default="cpu", help="torch device (default: cpu)")
    train.add_argument("--no-progress", action="store_true")
    evaluate = sub.add_parser("evaluate", help="retrieval metrics of the real motions of a split")
    evaluate.add_argument("--weights", type=Path, default=default_weights_path())
    evaluate.add_argument("--split", default="test")
    evaluate.add_argument("--heldout", action="store_true", help="held-out caption phrasings")
    evaluate.add_argument("--originals", action="store_true", help="leave out mirrored copies")
    evaluate.add_argument("--repeats", type=int, default=10)
    for p in (train, evaluate):
        p.add_argument("--threads", type=int, default=0, help="torch threads (0 = default)")
        add_data_flag(p)
    return parser


def evaluator_main(argv: list[str] | None = None) -> int:
    """``molingo train evaluator {train,evaluate}``: train the retrieval evaluator (then its
    test-split metrics), or the metrics of a trained one on a split."""
    args = _evaluator_parser().parse_args(argv)
    _set_threads(args.threads)
    use_data(args)
    if args.command == "train":
        config = EvaluatorConfig(**flag_overrides(args, EvaluatorConfig, EVALUATOR_FLAGS))
        model = _run(
            train_evaluator,
            config,
            args.out,
            progress=not args.no_progress,
            device=args.device,
            parallel=_parallel(args),
        )
        if int(os.environ.get("RANK", "0")):
            return 0  # under torchrun, rank 0 reports
        dataset = build_dataset(progress=False)
        result = evaluate_split(model, dataset, "test")
        print(json.dumps({"weights": str(args.out), "test": result}, indent=1))
    else:
        model = load_evaluator(args.weights)
        dataset = build_dataset(progress=False)
        result = evaluate_split(
            model,
            dataset,
            args.split,
            heldout=args.heldout,
            mirrored=False if args.originals else None,
            repeats=args.repeats,
        )
        print(json.dumps(result, indent=1))
    return 0


__all__ = ["add_run_flags", "evaluator_main", "generator_main", "sae_main"]
