"""``python -m osca_core.cli``: the ``osca`` console script."""

import sys

from osca_core.cli import main

sys.exit(main())
