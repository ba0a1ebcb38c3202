#!/usr/bin/env bash
# One lent-GPU session (docs/MODEL.md, "Training on a lent GPU"): the model benchmark on the
# GPU, then three generators of different sizes trained side by side from the latent pack on
# the shipped SAE, each for the same wall-clock budget. Run from the repo root there, after
# carrying the two halves made here by:
#   python tools/text_model_parts.py split .dev/a .dev/b
#   python -m molingo_ros.model.train_generator --sae molingo_ros/weights/molingo.safetensors \
#       --export-pack .dev/b/pack.npz
# (.dev/a in a first call, .dev/b in the second: each call carries at most 64 MiB.)
# Results land in $OUT: the benchmark table, the logs (logs.tgz) and each generator
# stripped of the SAE (tools/bundle_parts.py), split into parts of at most 15 MB.
set -uo pipefail
OUT=${OUT:-out/gpu}
BUDGET=${BUDGET:-360}
PY=${PY:-python3}
DEVICE=${DEVICE:-cuda}
RUNS=/tmp/runs
mkdir -p "$OUT" "$RUNS"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$RUNS/gpu.txt"
$PY -c "import torch, transformers, numpy; print(torch.__version__, transformers.__version__, \
numpy.__version__, torch.cuda.get_device_name(0))" | tee -a "$RUNS/gpu.txt"
$PY tools/text_model_parts.py join "${PART_A:-.dev/a}" .dev/b /tmp/minilm || exit 1
export MOLINGO_MINILM_DIR=/tmp/minilm

# 1. The model benchmark, alone on the GPU (SKIP_BENCH=1: not this time).
if [ "${SKIP_BENCH:-0}" != 1 ]; then
  $PY -m molingo_ros.bench --model-only --device "$DEVICE" --out "$OUT/bench_gpu.md" \
      >"$RUNS/bench.log" 2>&1 || tail -20 "$RUNS/bench.log"
  cat "$OUT/bench_gpu.md"
fi

# 2. Generators side by side (v3's window and history; batch 8x v3's). RUN_SPECS: runs
# separated by ';', each a name and its train_generator arguments; HALF: names sent back as
# float16; TRAIN_TIMEOUT: seconds after which a run is stopped (its last checkpoint is sent).
RUN_SPECS=${RUN_SPECS:-"g128 --lr 1e-3;\
g192 --dim 192 --layers 6 --heads 6 --flow-width 256 --lr 8e-4;\
g256 --dim 256 --layers 8 --heads 8 --flow-width 384 --lr 6e-4"}
HALF=${HALF:-g256}
common=(--sae molingo_ros/weights/molingo.safetensors --pack .dev/b/pack.npz --batch 256
        --steps 200000 --time-budget "$BUDGET" --device "$DEVICE" --threads 4 --quiet
        --window-tokens 32 --max-prefix-tokens 24 --warmup 500)
train() {  # name, extra args
  local name=$1; shift
  timeout "${TRAIN_TIMEOUT:-$((BUDGET + 240))}" $PY -m molingo_ros.model.train_generator "${common[@]}" \
      --out "$RUNS/$name" "$@" >"$RUNS/$name.log" 2>&1
}
names=()
IFS=';' read -ra specs <<<"$RUN_SPECS"
for spec in "${specs[@]}"; do
  read -ra words <<<"$spec"
  names+=("${words[0]}")
  train "${words[@]}" &
done
wait
for name in "${names[@]}"; do
  tail -3 "$RUNS/$name/log.csv" 2>/dev/null | sed "s/^/$name /"
  tail -2 "$RUNS/$name.log"
done

# 3. The generators back, without the SAE (g256 as float16), in parts under 16 MiB.
for name in "${names[@]}"; do
  [ -f "$RUNS/$name/molingo.safetensors" ] || continue
  half=(); [[ " $HALF " == *" $name "* ]] && half=(--half)
  $PY tools/bundle_parts.py strip "$RUNS/$name/molingo.safetensors" "$RUNS/$name.gen" "${half[@]}"
  split -b 15000000 -d "$RUNS/$name.gen" "$OUT/$name.gen.part"
done
tar czf "$OUT/logs.tgz" -C "$RUNS" $(cd "$RUNS" && ls -d gpu.txt ./*.log ./*/log.csv \
    ./*/config.json ./*/loss.png 2>/dev/null)
ls -la "$OUT"
