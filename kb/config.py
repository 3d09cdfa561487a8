"""Where things live and the limits that apply; read from the environment once per call, no globals."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
DEFAULT_MAX_FILE_MB = 50


def _default_root() -> Path:
    env = os.environ.get("KB_ROOT")
    if env:
        return Path(env).resolve()
    cwd = Path.cwd()
    if (cwd / "corpus" / "manifest.toml").exists():
        return cwd
    return PACKAGE_DIR.parent


@dataclass(frozen=True)
class Settings:
    root: Path
    max_file_bytes: int = DEFAULT_MAX_FILE_MB * 1024 * 1024
    embed_model: str | None = None  # encoder spec for the default corpus: "e5", "kb-static-zh" or a model folder
    embed_threads: int = 1  # OpenMP threads per query encoding (one is fastest for a single short text)
    build_threads: int = max(1, os.cpu_count() or 1)  # threads for batches of passages (index builds)
    store: str | None = None  # KB_STORE / --store: "local" (files under indexes/) or a milvus:// URI
    cache_root: Path | None = None  # where the vector cache lives (KB_CACHE_DIR); None = indexes/cache

    @property
    def corpus_dir(self) -> Path:
        return self.root / "corpus"

    @property
    def manifest_path(self) -> Path:
        return self.corpus_dir / "manifest.toml"

    @property
    def index_dir(self) -> Path:
        return self.root / "indexes"

    @property
    def models_dir(self) -> Path:
        return self.index_dir / "models"

    @property
    def cache_dir(self) -> Path:
        return self.cache_root or self.index_dir / "cache"

    @property
    def state_dir(self) -> Path:
        """Accounts, the audit log, write locks and the web app's scratch folders (never in the package)."""
        return self.root / "state"


def get_settings(root: str | Path | None = None) -> Settings:
    mb = float(os.environ.get("KB_MAX_FILE_MB", DEFAULT_MAX_FILE_MB))
    return Settings(
        root=Path(root).resolve() if root else _default_root(),
        max_file_bytes=int(mb * 1024 * 1024),
        embed_model=os.environ.get("KB_EMBED_MODEL") or None,
        embed_threads=_int_env("KB_EMBED_THREADS", 1),
        build_threads=_int_env("KB_BUILD_THREADS", max(1, os.cpu_count() or 1)),
        store=os.environ.get("KB_STORE") or None,
        cache_root=Path(os.environ["KB_CACHE_DIR"]).resolve() if os.environ.get("KB_CACHE_DIR") else None,
    )


def _int_env(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default
