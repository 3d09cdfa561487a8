"""Child process of kb.web.uploads.parse_bounded: limit itself, parse one file, pickle the result to stdout.

The limits are set before the parser is imported, so everything the parse allocates counts against them.
A KBError goes back as ("error", (message, hint)); any other failure (MemoryError, a crash) ends the
process with a non-zero status, which the server reports as an over-limit file.
"""
from __future__ import annotations

import pickle
import resource
import sys


def main() -> int:
    request = pickle.loads(sys.stdin.buffer.read())
    memory = request["memory_mb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (request["seconds"], request["seconds"] + 5))
    from kb import errors

    try:
        if request["task"] == "parse":
            from kb.structure import parse_file

            result = ("ok", parse_file(request["path"], title=request["title"], max_bytes=request["max_bytes"]))
        else:
            from kb.ingest import read_text

            result = ("ok", read_text(request["path"], max_bytes=request["max_bytes"]))
    except errors.KBError as exc:
        result = ("error", (exc.message, exc.hint or ""))
    sys.stdout.buffer.write(pickle.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
