"""Bring a model bundle trained on a lent GPU machine back under its transfer limits
(files of at most 16 MiB, 64 MiB in all): keep only what is not the SAE, and join it again
with the SAE it was trained on.

    python tools/bundle_parts.py strip BUNDLE OUT [--half]   # there: drops the sae.* weights
    python tools/bundle_parts.py restore STRIPPED SAE_BUNDLE OUT   # here: adds them back

``--half`` stores the weights as float16 (restore makes them float32 again). Split the
stripped file with ``split -b 15000000`` for the trip and ``cat`` the parts back together.
``restore`` checks that the metadata's SAE config matches the SAE bundle's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from safetensors import safe_open
from safetensors.torch import load_file, save_file


def _metadata(path: Path) -> dict[str, str]:
    with safe_open(str(path), "pt") as f:
        return dict(f.metadata() or {})


def strip(bundle: Path, out: Path, half: bool) -> None:
    tensors = load_file(str(bundle))
    meta = _metadata(bundle)
    kept = {k: (v.half() if half and v.is_floating_point() else v) for k, v in tensors.items()}
    kept = {k: v.contiguous() for k, v in kept.items() if not k.startswith("sae.")}
    save_file(kept, str(out), metadata={**meta, "stripped_half": str(half)})


def restore(stripped: Path, sae_bundle: Path, out: Path) -> None:
    meta = _metadata(stripped)
    sae_meta = _metadata(sae_bundle)
    if meta.get("sae_config") != sae_meta.get("sae_config"):
        raise SystemExit(f"{stripped} was trained on another SAE config than {sae_bundle}'s")
    tensors = {
        k: (v.float() if v.is_floating_point() else v) for k, v in load_file(str(stripped)).items()
    }
    tensors.update({k: v for k, v in load_file(str(sae_bundle)).items() if k.startswith("sae.")})
    meta.pop("stripped_half", None)
    save_file(tensors, str(out), metadata=meta)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    s = sub.add_parser("strip")
    s.add_argument("bundle", type=Path)
    s.add_argument("out", type=Path)
    s.add_argument("--half", action="store_true")
    r = sub.add_parser("restore")
    r.add_argument("stripped", type=Path)
    r.add_argument("sae_bundle", type=Path)
    r.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    if args.verb == "strip":
        strip(args.bundle, args.out, args.half)
    else:
        restore(args.stripped, args.sae_bundle, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
