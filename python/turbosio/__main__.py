"""``python -m turbosio module:app``: the same as the ``turbosio`` command."""

import sys

from .cli import main

sys.exit(main())
