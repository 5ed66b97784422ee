"""Time stamps along the alarm pipeline, for benchmarks only (bench/screen_fanout.py, bench/ingest.py).

Off unless the environment variable PIPELINE_STAMPS names a file prefix: then each process appends
lines `<stage> <epoch seconds> <key>...` to `<prefix>.<pid>` (one file per process, no interleaving).
Nothing here reaches a client or the database; off, a stamp costs one test of a module global.
"""

import os
import time

PREFIX = os.environ.get("PIPELINE_STAMPS", "")
_files: dict[str, int] = {}  # path -> file descriptor (a forked worker's pid names its own path)


def enabled() -> bool:
    return bool(PREFIX)


def stamp(stage: str, *keys: object) -> None:
    """Note that `stage` happened now for `keys` (no spaces in a key)."""
    if not PREFIX:
        return
    path = f"{PREFIX}.{os.getpid()}"
    fd = _files.get(path)
    if fd is None:
        fd = _files[path] = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.write(fd, " ".join([stage, f"{time.time():.6f}", *map(str, keys)]).encode() + b"\n")
