"""`make eval`: run every evaluation harness in turn and print their tables.

Each harness is its own script (runnable alone); this only sequences them and reports failures.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
HARNESSES = [
    ("检索 retrieval", "eval_retrieval.py"),
    ("问答 assistant", "eval_qa.py"),
    ("公平竞争审查 review", "eval_review.py"),
]


def main() -> int:
    failed = []
    for title, script in HARNESSES:
        print(f"\n==================== {title} ({script}) ====================", flush=True)
        rc = subprocess.call([sys.executable, str(HERE / script)], cwd=HERE.parent)
        if rc != 0:
            failed.append(script)
    if failed:
        print("失败的评测：" + "、".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
