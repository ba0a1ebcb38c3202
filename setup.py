"""Plain-Python install of molingo_ros (``pip install -e .``), as ROS 2 Python packages do.

The ROS build is CMakeLists.txt (ament_cmake, which also generates the msg/action modules);
this file is for pip: it installs the Python package, the ``molingo`` and ``molingo_node``
console scripts, and the ament index marker, package.xml, launch and config files, so that a
ROS install finds the package. Exact dependency versions are in requirements.txt
(``pip install -r requirements.txt``); ``make setup`` does all of it into .venv.
"""

from glob import glob

from setuptools import find_namespace_packages, setup

PACKAGE = "molingo_ros"

setup(
    name=PACKAGE,
    version="0.1.0",
    description="Text to humanoid robot motion for ROS 2",
    license="Apache-2.0",
    python_requires=">=3.10",
    # package_dir {"": "."} keeps `pip install -e .` a plain .pth to the checkout: the checkout's
    # molingo_ros/ then merges (pkgutil.extend_path) with the generated molingo_ros.msg/.action.
    package_dir={"": "."},
    # Namespace-aware, so sub-packages without an __init__.py are included too.
    packages=find_namespace_packages(
        include=[PACKAGE, f"{PACKAGE}.*"], exclude=["*.__pycache__", "*.__pycache__.*"]
    ),
    include_package_data=True,
    # Data files read by the code (there is no MANIFEST.in, so they are listed here).
    package_data={f"{PACKAGE}.motion": ["caption_phrases.yaml"]},
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", sorted(glob("launch/*.launch.py"))),
        (f"share/{PACKAGE}/config", sorted(glob("config/*.yaml") + glob("config/*.rviz"))),
        (f"share/{PACKAGE}/config/robots", sorted(glob("config/robots/*.yaml"))),
        # `ros2 run` looks in lib/<package>; these wrappers exec the console scripts in bin/.
        (f"lib/{PACKAGE}", ["scripts/molingo", "scripts/molingo_node", "scripts/molingo_sim"]),
    ],
    # Unpinned, light. The full, pinned set (torch CPU, rclpy wheels, ...) is requirements.txt.
    install_requires=["numpy", "scipy", "pyyaml"],
    zip_safe=False,
    entry_points={
        "console_scripts": [
            "molingo = molingo_ros.cli:main",
            "molingo_node = molingo_ros.ros.node:main",
            "molingo_sim = molingo_ros.ros.sim_node:main",
        ],
    },
)
