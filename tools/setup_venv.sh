#!/usr/bin/env bash
# Build the project's virtual environment .venv (called by `make setup`).
#
#   1. python3 -m venv .venv
#   2. pip install -r requirements.txt      (exact pins; constraints.txt pins the rest)
#   3. CMake: interfaces/tf2_msgs into .venv (TFMessage only: there is no tf2_msgs wheel on
#      PyPI), unless the venv already has a tf2_msgs; build/interfaces/tf2_msgs
#   4. tools/fix_cmake_paths.sh (ROS wheels' CMake exports -> this venv), then CMake: generate
#      msg/ and action/ into .venv (Route A of docs ros2-on-pypi.md, build/)
#   5. pip install -e . --no-deps            (the checkout's molingo_ros/ + console scripts)
#
# Each step runs only when its inputs changed (hashes kept in .venv/.setup-*); when nothing
# changed the script exits at once. Afterwards, from any directory,
#     .venv/bin/python -c "from molingo_ros.msg import MotionCommand; import molingo_ros.motion"
# imports the generated interfaces from site-packages and the sources from this checkout
# (edits take effect without reinstalling): both molingo_ros/__init__.py files merge their
# directories with pkgutil.extend_path.
#
# Environment: PYTHON (default python3, 3.11 expected by the pins), MOLINGO_TORCH=cpu to keep
# the CPU torch even where an NVIDIA GPU is present.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
BUILD="$ROOT/build"
PYTHON="${PYTHON:-python3}"

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# Hash of the named files and of every file under the named directories (names included).
hash_inputs() {
    local p
    for p in "$@"; do
        if [ -d "$p" ]; then
            find "$p" -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 \
                | LC_ALL=C sort -z | xargs -0 -r sha256sum
        elif [ -e "$p" ]; then
            sha256sum "$p"
        else
            echo "missing $p"
        fi
    done | sha256sum | cut -d' ' -f1
}

have_gpu=no
if [ "${MOLINGO_TORCH:-auto}" != cpu ] && command -v nvidia-smi >/dev/null 2>&1 \
    && nvidia-smi -L >/dev/null 2>&1; then
    have_gpu=yes
fi

req_hash="$(hash_inputs requirements.txt constraints.txt)-gpu=$have_gpu"
build_hash="$(hash_inputs CMakeLists.txt package.xml msg action launch config scripts \
    tools/fix_cmake_paths.sh molingo_ros/__init__.py)-req=$req_hash"
tf2_hash="$(hash_inputs interfaces/tf2_msgs tools/fix_cmake_paths.sh)-req=$req_hash"
dev_hash="$(hash_inputs setup.py resource molingo_ros/__init__.py)-root=$ROOT-build=$build_hash"
all_hash="$(hash_inputs tools/setup_venv.sh)-$dev_hash-tf2=$tf2_hash"

stamp_ok() { [ -f "$VENV/.setup-$1" ] && [ "$(cat "$VENV/.setup-$1")" = "$2" ]; }
stamp_set() { printf '%s\n' "$2" > "$VENV/.setup-$1"; }

if [ -x "$PY" ] && stamp_ok all "$all_hash"; then
    log ".venv is up to date"
    exit 0
fi

# Keep a sourced ROS install or another venv out of this build.
unset PYTHONPATH AMENT_PREFIX_PATH COLCON_PREFIX_PATH _ROS_WHEELS_BOOTSTRAP_COMPLETE
export VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH"
export CMAKE_PREFIX_PATH="$VENV"
t0=$SECONDS

# --- 1. the venv --------------------------------------------------------------------------
if [ ! -x "$PY" ]; then
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
        || log "warning: $("$PYTHON" --version 2>&1); the pins are for Python 3.11"
    log "creating .venv with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv "$VENV"
    rm -f "$VENV"/.setup-*
fi

# pip prints a warning per package for this machine's partial local package mirrors; keep its
# output in a log and show it only when it fails.
pip_quiet() {
    local logf="$VENV/.setup-pip.log"
    if ! "$PY" -m pip "$@" >"$logf" 2>&1; then
        grep -v 'is ignored: it is neither a file nor a directory' "$logf" | tail -40 >&2
        die "pip $* failed (full log: $logf)"
    fi
}

# --- 2. Python dependencies ---------------------------------------------------------------
if ! stamp_ok req "$req_hash"; then
    log "pip install -r requirements.txt (first time: about 2 minutes)"
    pip_quiet install --disable-pip-version-check -r requirements.txt
    if [ "$have_gpu" = yes ]; then
        # The pinned torch on this machine's disk is the CPU build. With an NVIDIA GPU, try
        # the CUDA build of the same version from PyPI (several GB; needs PyPI access).
        if "$PY" -c 'import sys, torch; sys.exit(0 if torch.version.cuda else 1)' 2>/dev/null; then
            log "NVIDIA GPU found; torch already has CUDA"
        else
            torch_ver="$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')"
            log "NVIDIA GPU found: installing the CUDA build of torch==$torch_ver from PyPI"
            if env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null \
                "$PY" -m pip install -q --disable-pip-version-check \
                --force-reinstall --no-deps "torch==$torch_ver" \
                && env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null \
                    "$PY" -m pip install -q --disable-pip-version-check "torch==$torch_ver"; then
                log "torch: $("$PY" -c 'import torch; print(torch.__version__, torch.version.cuda)')"
            else
                log "warning: could not install the CUDA build of torch; keeping the CPU build"
                "$PY" -c 'import torch' 2>/dev/null \
                    || pip_quiet install --disable-pip-version-check --force-reinstall \
                        --no-deps "torch==$torch_ver"
            fi
        fi
    fi
    stamp_set req "$req_hash"
    rm -f "$VENV/.setup-build" "$VENV/.setup-tf2"
fi

# Plain CMake configure + build + install into the venv of the package in $1, built in $2.
cmake_into_venv() {
    local src="$1" bld="$2" cmake_log="$2/setup-cmake.log"
    shift 2
    mkdir -p "$bld"
    {
        cmake -S "$src" -B "$bld" \
            -DCMAKE_INSTALL_PREFIX="$VENV" \
            -DCMAKE_PREFIX_PATH="$VENV" \
            -DCMAKE_BUILD_TYPE=Release \
            -DBUILD_TESTING=OFF \
            -DPython3_EXECUTABLE="$PY" \
            "$@" \
            && cmake --build "$bld" -j "$(nproc 2>/dev/null || echo 2)" \
            && cmake --install "$bld"
    } >"$cmake_log" 2>&1 || { tail -40 "$cmake_log" >&2; die "CMake failed (log: $cmake_log)"; }
}

site="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"

# --- 3. tf2_msgs (TFMessage for /tf): no wheel on PyPI, so build interfaces/tf2_msgs --------
# Its TFMessage has the same definition, so the same type hash, as ROS 2's. Skipped when the
# venv already has a tf2_msgs of its own (a wheel, some day). A sourced ROS install does not
# count: this script keeps it out (PYTHONPATH is unset above) so that the venv works without
# it; with ROS sourced, its tf2_msgs comes first on PYTHONPATH at run time anyway.
tf2_build="$BUILD/interfaces/tf2_msgs"
if ! stamp_ok tf2 "$tf2_hash"; then
    if grep -qs molingo_ros "$VENV/share/tf2_msgs/package.xml"; then
        # Remove what our earlier build installed: rebuild cleanly, or find another tf2_msgs.
        rm -rf "$site/tf2_msgs" "$site"/tf2_msgs-*.egg-info "$VENV/share/tf2_msgs" \
            "$VENV/include/tf2_msgs" "$VENV"/lib/libtf2_msgs__*.so \
            "$VENV"/share/ament_index/resource_index/*/tf2_msgs
    fi
    if (cd / && "$PY" -c 'from tf2_msgs.msg import TFMessage') 2>/dev/null; then
        log "tf2_msgs is already in .venv; not building interfaces/tf2_msgs"
    else
        "$ROOT/tools/fix_cmake_paths.sh" "$VENV" | sed 's/^/[setup] /'
        log "building interfaces/tf2_msgs (TFMessage) with CMake into .venv (about 10 s)"
        cmake_into_venv "$ROOT/interfaces/tf2_msgs" "$tf2_build"
        (cd / && "$PY" -c 'from tf2_msgs.msg import TFMessage') \
            || die "tf2_msgs not importable after its build (log: $tf2_build/setup-cmake.log)"
    fi
    stamp_set tf2 "$tf2_hash"
fi

# --- 4. interfaces: plain CMake into the venv ---------------------------------------------
if ! stamp_ok build "$build_hash"; then
    "$ROOT/tools/fix_cmake_paths.sh" "$VENV" | sed 's/^/[setup] /'
    # Remove what an earlier build installed, so deleted messages don't linger.
    rm -rf "$site/molingo_ros" "$site"/molingo_ros-*.egg-info "$VENV/share/molingo_ros" \
        "$VENV/include/molingo_ros" "$VENV/lib/molingo_ros" "$VENV"/lib/libmolingo_ros__*.so
    log "building msg/ and action/ with CMake into .venv (about 30 s)"
    cmake_into_venv "$ROOT" "$BUILD" -DMOLINGO_INSTALL_PYTHON_SOURCE=OFF
    # rosidl installed its own site-packages/molingo_ros/__init__.py; use the checkout's
    # (pkgutil.extend_path only), so whichever molingo_ros dir comes first on sys.path, both
    # the generated modules and the checkout's sources are found.
    [ -d "$site/molingo_ros/msg" ] || die "CMake installed no $site/molingo_ros/msg"
    cp "$ROOT/molingo_ros/__init__.py" "$site/molingo_ros/__init__.py"
    rm -f "$site"/molingo_ros/__pycache__/__init__.*.pyc
    # ament_python_install_package also wrote an egg-info named molingo_ros; step 5's
    # `pip install -e .` (same name) would take it for an old install and delete the
    # generated package with it.
    rm -rf "$site"/molingo_ros-*.egg-info
    rm -f "$VENV/.setup-dev"
    stamp_set build "$build_hash"
fi

# --- 5. this checkout, editable ------------------------------------------------------------
if ! stamp_ok dev "$dev_hash"; then
    log "pip install -e . (the checkout's sources, console scripts molingo, molingo_node)"
    pip_quiet install --disable-pip-version-check --no-deps --no-build-isolation -e "$ROOT"
    stamp_set dev "$dev_hash"
fi

# --- check --------------------------------------------------------------------------------
(cd / && "$PY" -c '
import molingo_ros, molingo_ros.msg, molingo_ros.action
from molingo_ros.msg import MotionCommand, MotionStatus
from molingo_ros.action import GenerateMotion
from tf2_msgs.msg import TFMessage
from std_srvs.srv import Trigger
from rosgraph_msgs.msg import Clock
import os, sys
root = sys.argv[1]
assert any(os.path.realpath(p) == os.path.join(root, "molingo_ros") for p in molingo_ros.__path__), (
    "the checkout is not on molingo_ros.__path__: %s" % list(molingo_ros.__path__))
' "$ROOT") || die "the venv cannot import molingo_ros (generated + checkout) or tf2_msgs, std_srvs"

stamp_set all "$all_hash"
log "done in $((SECONDS - t0)) s: .venv ready (.venv/bin/python, .venv/bin/molingo)"
