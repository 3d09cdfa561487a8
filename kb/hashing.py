"""Content hashes of files: corpus entries, model weights, training data — one definition for all."""
from __future__ import annotations

import hashlib
from pathlib import Path


def update_with_file(h, path: Path) -> None:
    """Feed a file's bytes to a hash object in 1 MB blocks (a 100 MB archive never sits in memory)."""
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes, hex."""
    h = hashlib.sha256()
    update_with_file(h, Path(path))
    return h.hexdigest()
