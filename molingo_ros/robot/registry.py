"""The robot registry: the registered robots (:data:`ROBOTS`), where their configs live, and
where model files are installed.

Each registered robot is a YAML file ``config_dir()/robots/<name>.yaml`` (:func:`config_dir`:
``$MOLINGO_CONFIG_DIR``, else the checkout's ``config/``, else the installed
``share/molingo_ros/config``); the schema is in :mod:`molingo_ros.robot.spec`. Any other robot
loads from its URDF text (ROS ``robot_description``) plus such a file:
``load_robot_from_urdf_string(urdf, "my_robot.yaml")``; :func:`molingo_ros.robot.config.
load_robot_config` loads both kinds, with the retarget settings, from one read of the file.

Model files are never copied into this repository: each spec names an installed package and a
path inside it, resolved at run time (:func:`resolve_model_path`). No pinocchio import.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterable, Iterator, MutableMapping
from pathlib import Path

from molingo_ros.robot.spec import ModelSource, RobotModelError, RobotSpec, read_spec_file

__all__ = [
    "CONFIG_DIR_ENV",
    "G1_URDF_SOURCE",
    "ROBOTS",
    "ROBOTS_SUBDIR",
    "config_dir",
    "default_package_dirs",
    "get_spec",
    "load_robot_spec",
    "package_root",
    "resolve_model_path",
    "robot_config_path",
]


#: Environment variable naming the config folder (the one holding ``robots/``).
CONFIG_DIR_ENV = "MOLINGO_CONFIG_DIR"
#: Sub-folder of :func:`config_dir` holding one ``<name>.yaml`` per registered robot.
ROBOTS_SUBDIR = "robots"
# DEFAULT_ROBOT ("g1") is defined in molingo_ros.robot (no pinocchio import).

#: The example-robot-data 6.0.0 copy of unitree_ros' G1 URDF (same kinematics as the MJCF to
#: 0.0005 mm, see docs/robots-and-retargeting.md). Used for ROS/RViz and in the tests.
G1_URDF_SOURCE = ModelSource(
    "example-robot-data", "robots/g1_description/urdf/g1_29dof_rev_1_0.urdf", "urdf"
)


def _config_dir_candidates() -> Iterator[Path]:
    """The default config folders, in the order :func:`config_dir` tries them."""
    # A source checkout (also `pip install -e .`): <repo>/config next to <repo>/molingo_ros.
    yield Path(__file__).resolve().parents[2] / "config"
    # A ROS install (colcon / CMake): <prefix>/share/molingo_ros/config via the ament index.
    try:
        from ament_index_python.packages import get_package_share_directory

        yield Path(get_package_share_directory("molingo_ros")) / "config"
    except Exception:  # no ROS, AMENT_PREFIX_PATH unset, or the package is not indexed
        pass
    # A pip install (setup.py data_files).
    yield Path(sys.prefix) / "share" / "molingo_ros" / "config"


def config_dir() -> Path:
    """The config folder, the one holding ``robots/<name>.yaml``.

    ``$MOLINGO_CONFIG_DIR`` when set (it must then hold ``robots/``; no fallback), else the
    first of: the source checkout's ``config/``, the ament share folder
    ``share/molingo_ros/config`` (ROS install), ``<sys.prefix>/share/molingo_ros/config``.

    Raises:
        RobotModelError: no such folder; the message names every place tried.
    """
    env = os.environ.get(CONFIG_DIR_ENV)
    if env:
        path = Path(env).expanduser()
        if (path / ROBOTS_SUBDIR).is_dir():
            return path
        raise RobotModelError(
            f"{CONFIG_DIR_ENV}={env} has no {ROBOTS_SUBDIR}/ folder (expected "
            f"{path / ROBOTS_SUBDIR}/<name>.yaml)"
        )
    tried = []
    for path in _config_dir_candidates():
        if (path / ROBOTS_SUBDIR).is_dir():
            return path
        tried.append(str(path / ROBOTS_SUBDIR))
    raise RobotModelError(
        f"no robot config folder found; tried: {', '.join(tried)}; "
        f"set {CONFIG_DIR_ENV} to a folder holding {ROBOTS_SUBDIR}/<name>.yaml"
    )


def _known_names(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml"))


def _unknown_robot(name: str, known: Iterable[str], folder: Path) -> RobotModelError:
    return RobotModelError(
        f"unknown robot '{name}'; known: {', '.join(known)} (configs in {folder}/*.yaml); "
        "or give the path of a robot YAML (ending in .yaml)"
    )


def robot_config_path(name: str) -> Path:
    """Path of the config of registered robot ``name``: ``config_dir()/robots/<name>.yaml``.

    Raises:
        RobotModelError: no such file (the message lists the known names).
    """
    folder = config_dir() / ROBOTS_SUBDIR
    path = folder / f"{name}.yaml"
    if not name or Path(name).name != name or not path.is_file():
        raise _unknown_robot(name, _known_names(folder), folder)
    return path


def _is_path(path_or_name: str | os.PathLike) -> bool:
    if isinstance(path_or_name, os.PathLike):
        return True
    return path_or_name.endswith((".yaml", ".yml")) or "/" in path_or_name or os.sep in path_or_name


def load_robot_spec(path_or_name: str | os.PathLike) -> RobotSpec:
    """A :class:`RobotSpec` from a YAML config file (a path, or a string ending in ``.yaml`` /
    ``.yml`` or holding a path separator) or a registered name (``"g1"``, see :data:`ROBOTS`).

    Raises:
        RobotModelError: unknown name (the message lists the known ones), unreadable file,
            bad YAML, or a config that breaks the schema (see
            :func:`~molingo_ros.robot.spec.spec_from_dict`).
    """
    if _is_path(path_or_name):
        return read_spec_file(Path(path_or_name).expanduser())
    return get_spec(str(path_or_name))


def get_spec(name: str) -> RobotSpec:
    """The registered spec called ``name``; the error lists the known names."""
    try:
        return ROBOTS[name]
    except KeyError:
        raise _unknown_robot(name, ROBOTS, ROBOTS.folder) from None


class _RobotRegistry(MutableMapping[str, RobotSpec]):
    """name -> :class:`RobotSpec`: the configs ``config_dir()/robots/*.yaml``, read on first
    use and cached per config folder (so :data:`CONFIG_DIR_ENV` set later takes effect), plus
    specs registered in code with ``ROBOTS[name] = spec`` (these win)."""

    def __init__(self) -> None:
        self._from_files: dict[Path, dict[str, RobotSpec]] = {}
        self._added: dict[str, RobotSpec] = {}

    @property
    def folder(self) -> Path:
        """The folder the file-backed specs come from."""
        return config_dir() / ROBOTS_SUBDIR

    def _file_specs(self) -> dict[str, RobotSpec]:
        folder = self.folder
        specs = self._from_files.get(folder)
        if specs is None:
            specs = {}
            for path in sorted(folder.glob("*.yaml")):
                spec = read_spec_file(path)
                if spec.name != path.stem:
                    raise RobotModelError(
                        f"{path}: robot.name '{spec.name}' must equal the file name "
                        f"'{path.stem}' (the registry name)"
                    )
                specs[spec.name] = spec
            self._from_files[folder] = specs
        return specs

    def _all(self) -> dict[str, RobotSpec]:
        return {**self._file_specs(), **self._added}

    def __getitem__(self, name: str) -> RobotSpec:
        return self._all()[name]

    def __setitem__(self, name: str, spec: RobotSpec) -> None:
        if not isinstance(spec, RobotSpec):
            raise TypeError(f"ROBOTS values must be RobotSpec, got {type(spec).__name__}")
        self._added[name] = spec

    def __delitem__(self, name: str) -> None:
        if name not in self._added:
            raise KeyError(f"'{name}' was not added in code; remove its YAML file instead")
        del self._added[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def reload(self) -> None:
        """Forget the cached file specs (re-read the YAML files on next use)."""
        self._from_files.clear()

    def __repr__(self) -> str:
        return f"ROBOTS({', '.join(self)})"


#: The robots :func:`~molingo_ros.robot.models.load_robot` knows, by name:
#: ``config/robots/*.yaml`` (see :func:`config_dir`). ``g1`` is the default.
ROBOTS: _RobotRegistry = _RobotRegistry()


# --------------------------------------------------------------------------------------------
# Locating model files
# --------------------------------------------------------------------------------------------


def _cmeel_share_dirs() -> list[Path]:
    """``<entry>/cmeel.prefix/share`` for every ``sys.path`` entry that has one."""
    dirs = []
    for entry in sys.path:
        share = Path(entry or ".") / "cmeel.prefix" / "share"
        if share.is_dir():
            dirs.append(share)
    return dirs


def package_root(package: str) -> Path:
    """Install folder of ``package``: an importable module's folder, else the cmeel data
    folder ``<site-packages>/cmeel.prefix/share/<package>``.

    Raises:
        RobotModelError: the package is not installed.
    """
    try:
        spec = importlib.util.find_spec(package.replace("-", "_"))
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        if spec.submodule_search_locations:
            return Path(next(iter(spec.submodule_search_locations)))
        if spec.origin:
            return Path(spec.origin).parent
    for share in _cmeel_share_dirs():
        if (share / package).is_dir():
            return share / package
    raise RobotModelError(
        f"package '{package}' is not installed (neither a Python module nor "
        f"cmeel.prefix/share/{package} on sys.path); pip install it"
    )


def resolve_model_path(source: ModelSource) -> Path:
    """Absolute path of ``source``'s model file. Raises RobotModelError if it is missing."""
    path = package_root(source.package) / source.relative_path
    if not path.is_file():
        raise RobotModelError(f"model file {source.relative_path} not found in {path.parent}")
    return path


def default_package_dirs() -> list[str]:
    """Folders that resolve ``package://<pkg>/...`` mesh URIs of the installed packages (the
    cmeel ``share`` folders, e.g. for ``package://example-robot-data/...``)."""
    return [str(d) for d in _cmeel_share_dirs()]
