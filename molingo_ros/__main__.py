"""``python -m molingo_ros``: the ``molingo`` command line (:func:`molingo_ros.cli.main`), so
that ``torchrun --nproc_per_node N -m molingo_ros train sae ...`` starts N training
processes."""

import sys

from molingo_ros.cli import main

if __name__ == "__main__":
    sys.exit(main())
