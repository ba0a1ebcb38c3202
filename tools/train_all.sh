#!/usr/bin/env bash
# Train every model of docs/MODEL.md on this machine's CPU (or its GPU), resuming where a
# previous run stopped. Chains run side by side, one core each:
#   shipped:   SAE width 192 (7k steps) -> generator (8k steps) -> decoder fine-tuning
#              = the shipped model (runs/gen_w192/molingo_ft.safetensors); run after the others
#              or alone: tools/train_all.sh runs shipped
#   main (v1): SAE width 128 (4k) -> generator (4k) -> fine-tuning; the generator on to 8k
#              steps (runs/gen_long: the first shipped model)
#   ablations: plain VAE (no semantic loss) -> its generator; AdaLN generator on the v1 SAE
#   v3:        v2 with the root loss in the SAE (--root-weight 1)
#   vae_v2:    the plain-VAE ablation (no semantic loss) at the shipped size and steps
# Usage: tools/train_all.sh [runs-folder] [shipped|ablation_v2|vae_v2|v3]      (logs in <runs>/*.log)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-runs}
PY=.venv/bin/python
mkdir -p "$RUNS"
SAE_STEPS=${SAE_STEPS:-4000}
GEN_STEPS=${GEN_STEPS:-4000}
LONG_STEPS=${LONG_STEPS:-8000}
ABL_STEPS=${ABL_STEPS:-3000}

main_chain() {
  $PY -m molingo_ros.cli train sae --out "$RUNS/sae" --steps "$SAE_STEPS" --threads 1 --quiet
  $PY -m molingo_ros.cli train generator --sae "$RUNS/sae/sae.safetensors" --out "$RUNS/gen" \
      --steps "$GEN_STEPS" --threads 1 --quiet
  # Decoder fine-tuning with the acceleration loss (encoder frozen: the generator stays valid).
  $PY -m molingo_ros.cli train sae --finetune-decoder "$RUNS/gen/molingo.safetensors" \
      --out "$RUNS/gen/molingo_ft.safetensors" --steps 1500 --threads 1 --quiet
  touch "$RUNS/gen/done"
  # The shipped model: the same generator trained on to 8k steps (a warm restart of the
  # cosine schedule from the 4k checkpoint), with the same decoder fine-tuning.
  [ -d "$RUNS/gen_long" ] || cp -r "$RUNS/gen" "$RUNS/gen_long"
  rm -f "$RUNS/gen_long/done"
  $PY -m molingo_ros.cli train generator --sae "$RUNS/sae/sae.safetensors" --out "$RUNS/gen_long" \
      --steps "$LONG_STEPS" --threads 1 --quiet
  $PY -m molingo_ros.cli train sae --finetune-decoder "$RUNS/gen_long/molingo.safetensors" \
      --out "$RUNS/gen_long/molingo_ft.safetensors" --steps 1500 --threads 1 --quiet
}
ablation_chain() {
  $PY -m molingo_ros.cli train sae --out "$RUNS/vae" --steps "$ABL_STEPS" --semantic-weight 0 \
      --threads 1 --quiet
  $PY -m molingo_ros.cli train generator --sae "$RUNS/vae/sae.safetensors" --out "$RUNS/gen_vae" \
      --steps "$ABL_STEPS" --threads 1 --quiet
  $PY -m molingo_ros.cli train sae --finetune-decoder "$RUNS/gen_vae/molingo.safetensors" \
      --out "$RUNS/gen_vae/molingo_ft.safetensors" --steps 1500 --threads 1 --quiet
  while [ ! -f "$RUNS/sae/done" ]; do sleep 30; done
  $PY -m molingo_ros.cli train generator --sae "$RUNS/sae/sae.safetensors" \
      --out "$RUNS/gen_adaln" --conditioning adaln --steps "$ABL_STEPS" --threads 1 --quiet
  # Same SAE as the shipped model: give it the shipped model's fine-tuned decoder.
  while [ ! -f "$RUNS/gen/done" ]; do sleep 30; done
  $PY -m molingo_ros.cli train sae --copy-decoder "$RUNS/gen/molingo_ft.safetensors" \
      "$RUNS/gen_adaln/molingo.safetensors" --out "$RUNS/gen_adaln/molingo_ft.safetensors"
}
# The v2-size recipe: SAE (width 192, 7k steps) -> generator (8k) -> decoder fine-tuning.
# Usage: width192_chain SAE_DIR GEN_DIR [SAE_ARGS [FT_ARGS]]  (extra args, word-split)
width192_chain() {
  local sae=$RUNS/$1 gen=$RUNS/$2
  # shellcheck disable=SC2086  # the extra arguments are meant to split into words
  $PY -m molingo_ros.cli train sae --out "$sae" --width 192 --steps 7000 ${3:-} \
      --threads 1 --quiet
  $PY -m molingo_ros.cli train generator --sae "$sae/sae.safetensors" \
      --out "$gen" --steps 8000 --threads 1 --quiet
  # shellcheck disable=SC2086
  $PY -m molingo_ros.cli train sae --finetune-decoder "$gen/molingo.safetensors" \
      --out "$gen/molingo_ft.safetensors" --steps 1500 ${4:-} --threads 1 --quiet
  touch "$gen/done"
}
shipped_chain() {  # v2
  width192_chain sae_w192 gen_w192
}
ablation_v2_chain() {  # after the shipped chain: AdaLN on the v2 SAE, same 8k steps
  $PY -m molingo_ros.cli train generator --sae "$RUNS/sae_w192/sae.safetensors" \
      --out "$RUNS/gen_w192_adaln" --conditioning adaln --steps 8000 --threads 1 --quiet
  $PY -m molingo_ros.cli train sae --copy-decoder "$RUNS/gen_w192/molingo_ft.safetensors" \
      "$RUNS/gen_w192_adaln/molingo.safetensors" --out "$RUNS/gen_w192_adaln/molingo_ft.safetensors"
}
vae_v2_chain() {  # the plain-VAE ablation at the v2 size and steps
  width192_chain vae_w192 gen_vae_w192 "--semantic-weight 0"
}
v3_chain() {  # v2 with the root loss in the SAE (straight walks stay straight)
  width192_chain sae_v3 gen_v3 "--root-weight 1" "--root-weight 1"
  # On to 12k steps with a longer visible history in training (up to 24 tokens = 3.2 s, was
  # 12): the shipped v3 (sampled with the default 16-token history).
  [ -d "$RUNS/gen_v3_h24" ] || { cp -r "$RUNS/gen_v3" "$RUNS/gen_v3_h24"; rm -f "$RUNS/gen_v3_h24/done" "$RUNS/gen_v3_h24/molingo_ft.safetensors"; }
  $PY -m molingo_ros.cli train generator --sae "$RUNS/sae_v3/sae.safetensors" \
      --out "$RUNS/gen_v3_h24" --steps 12000 --window-tokens 32 --max-prefix-tokens 24 \
      --threads 1 --quiet
  $PY -m molingo_ros.cli train sae --finetune-decoder "$RUNS/gen_v3_h24/molingo.safetensors" \
      --out "$RUNS/gen_v3_h24/molingo_ft.safetensors" --steps 1500 --root-weight 1 --threads 1 --quiet
  touch "$RUNS/gen_v3_h24/done"
}
if [ "${2:-}" = v3 ]; then
  v3_chain > "$RUNS/v3.log" 2>&1
  exit
fi
if [ "${2:-}" = vae_v2 ]; then
  vae_v2_chain > "$RUNS/vae_v2.log" 2>&1
  exit
fi
if [ "${2:-}" = ablation_v2 ]; then
  ablation_v2_chain > "$RUNS/ablation_v2.log" 2>&1
  exit
fi
if [ "${2:-}" = shipped ]; then
  shipped_chain > "$RUNS/shipped.log" 2>&1
  exit
fi
(main_chain > "$RUNS/main.log" 2>&1; echo "main chain rc $?" >> "$RUNS/main.log") &
(ablation_chain > "$RUNS/ablation.log" 2>&1; echo "ablation chain rc $?" >> "$RUNS/ablation.log") &
wait
