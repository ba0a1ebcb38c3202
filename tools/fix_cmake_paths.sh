#!/usr/bin/env bash
# Point the ROS wheels' CMake exports at this venv's Python and numpy headers.
#
# The ros-*-msgs wheels ship share/*/cmake/*__rosidl_generator_pyExport.cmake files that name
# the wheel builder's include dirs (/opt/python/cpXY-cpXY/include/python3.Y and its numpy
# include dir); CMake then refuses to generate any package that depends on them ("Imported
# target ... includes non-existent path"). See docs: ros2-on-pypi.md, Appendix A.
# Idempotent: a second run finds nothing to change.
#
# Usage: tools/fix_cmake_paths.sh [VENV]   (default: .venv next to this script's parent)
set -euo pipefail
venv="${1:-$(cd "$(dirname "$0")/.." && pwd)/.venv}"
py="$venv/bin/python"
[ -x "$py" ] || { echo "fix_cmake_paths: no python at $py" >&2; exit 1; }

read -r py_inc np_inc < <("$py" -c 'import sysconfig, numpy
print(sysconfig.get_paths()["include"], numpy.get_include())')
[ -f "$py_inc/Python.h" ] || {
    echo "fix_cmake_paths: Python headers missing ($py_inc/Python.h); install python3-dev" >&2
    exit 1
}

mapfile -t files < <(grep -l '/opt/python/cp' \
    "$venv"/share/*/cmake/*__rosidl_generator_pyExport.cmake 2>/dev/null || true)
if [ "${#files[@]}" -eq 0 ]; then
    exit 0
fi
builder='/opt/python/cp[0-9]*-cp[0-9]*'
sed -i \
    -e "s#${builder}/lib/python3\.[0-9]*/site-packages/numpy/_\{0,1\}core/include#${np_inc}#g" \
    -e "s#${builder}/include/python3\.[0-9]*#${py_inc}#g" \
    "${files[@]}"
if grep -q '/opt/python/cp' "${files[@]}"; then
    echo "fix_cmake_paths: unknown build-machine paths left in:" >&2
    grep -l '/opt/python/cp' "${files[@]}" >&2
    exit 1
fi
echo "fix_cmake_paths: fixed ${#files[@]} CMake export files"
