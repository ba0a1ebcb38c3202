# molingo_ros developer commands. Everything runs from .venv; no activation needed.
#   make setup   build/refresh .venv (idempotent; instant when nothing changed)
#   make test    setup, then ruff + pytest
#   make lint    setup, then ruff
#   make demo    setup, then the main job: molingo_node + molingo_sim (MuJoCo) + a short
#                operator session; leaves out/demo/sim.mp4, a bag and a summary
#   make bench   setup, then the benchmarks
#   make bench-gpu  setup, then the model benchmark and N = 1..256 batched streams on CUDA (a GPU
#                   machine), appended to BENCHMARKS.md
#   make soak    setup, then the fault-injection and soak suite of molingo_node (about 10 min;
#                fuzzing, bursts, soak, kills, duplicates, corrupt files): out/soak/report.md and report.json; exits 1 when a criterion fails
#   make clean   remove build outputs and caches (keeps .venv and the dataset cache .cache/)
#   make distclean  clean, and remove .venv too

VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

# A venv Python re-execs itself once to set LD_LIBRARY_PATH (ROS wheels' bootstrapper) unless
# this is already set; don't let another venv's value leak into ours.
unexport _ROS_WHEELS_BOOTSTRAP_COMPLETE

.PHONY: setup test lint demo bench bench-gpu soak clean distclean

setup:
	@bash tools/setup_venv.sh

lint: setup
	$(VENV)/bin/ruff check .

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

demo: setup
	@mkdir -p out
	$(VENV)/bin/molingo session --out out/demo

bench: setup
	$(PY) -m molingo_ros.bench

bench-gpu: setup
	$(PY) -m molingo_ros.bench --model-only --device cuda
	$(PY) -m molingo_ros.bench_batch --device cuda --out BENCHMARKS.md

soak: setup
	$(PY) -m molingo_ros.ros.faults --out out/soak

clean:
	rm -rf build install log out .pytest_cache .ruff_cache *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
