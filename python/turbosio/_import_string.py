"""Finding an app by its import string, ``module:attribute``: the command's argument, and how workers import the
app again (``_workers``)."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any


def load_app(target: str) -> Any:
    """Import ``module:attribute`` (the current directory first on the path, as uvicorn does).

    Raises:
        ValueError: when ``target`` is not ``module:attribute`` or the attribute is missing.
        ImportError: when the module cannot be imported.
    """
    module_name, _, attribute = target.partition(':')
    if not module_name or not attribute:
        raise ValueError(f'expected "module:attribute", got {target!r}')
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    app: Any = module
    for part in attribute.split('.'):
        try:
            app = getattr(app, part)
        except AttributeError:
            raise ValueError(f'module {module_name!r} has no attribute {attribute!r}') from None
    return app
