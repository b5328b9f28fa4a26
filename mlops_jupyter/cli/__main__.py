"""``python -m mlops_jupyter.cli``: the ``mlops`` command."""

import sys

from . import main

sys.exit(main())
