"""python-engineio-style ``static_files`` maps, served by both ASGIApp and WSGIApp (whichever server drives them).

Keys are URL paths. A value is a file name, a ``{'filename', 'content_type'}`` dict, or (for a key that is a
directory prefix) a directory.
"""

from __future__ import annotations

import mimetypes
import os
from typing import Any


def resolve_static_file(path: str, static_files: dict[str, Any]) -> dict[str, str] | None:
    """Resolve ``path`` against ``static_files``: ``{'filename', 'content_type'}``, or None if it maps to nothing.

    ``..`` never escapes a directory: such paths are not found.
    """
    candidates = [path] if path.endswith('/') is False else [path, path + 'index.html']
    for candidate in candidates:
        entry = static_files.get(candidate)
        if entry is not None:
            return _entry(entry, '')
    best = ''
    for prefix in static_files:
        if path.startswith(prefix.rstrip('/') + '/') and len(prefix) > len(best):
            best = prefix
    if not best:
        return None
    rest = path[len(best.rstrip('/')) + 1 :]
    if not rest or rest.endswith('/'):
        rest += 'index.html'
    parts = rest.split('/')
    if any(part in ('', '.', '..') for part in parts):
        return None
    return _entry(static_files[best], '/'.join(parts))


def _entry(entry: Any, rest: str) -> dict[str, str]:
    if isinstance(entry, dict):
        filename = os.path.join(entry['filename'], rest) if rest else entry['filename']
        content_type = entry.get('content_type') if not rest else None
    else:
        filename = os.path.join(entry, rest) if rest else entry
        content_type = None
    content_type = content_type or mimetypes.guess_type(filename)[0] or 'application/octet-stream'
    return {'filename': filename, 'content_type': content_type}


def read_static_file(filename: str) -> bytes | None:
    """The file's bytes, or None when there is no such file (a directory, or a missing one)."""
    try:
        with open(filename, 'rb') as f:
            return f.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
