"""``python -m lossx``: the ``lossx`` command (``eval``, ``list``, ``demo``, ``--version``; see ``lossx._cli``)."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
