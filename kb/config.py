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
    embed_model: str | None = None  # path of a local sentence-transformers model; None = the project's own

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
    def state_dir(self) -> Path:
        """Accounts, the audit log, write locks and the web app's scratch folders (never in the package)."""
        return self.root / "state"


def get_settings(root: str | Path | None = None) -> Settings:
    mb = float(os.environ.get("KB_MAX_FILE_MB", DEFAULT_MAX_FILE_MB))
    return Settings(
        root=Path(root).resolve() if root else _default_root(),
        max_file_bytes=int(mb * 1024 * 1024),
        embed_model=os.environ.get("KB_EMBED_MODEL") or None,
    )
