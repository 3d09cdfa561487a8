"""The project's own Chinese sentence-embedding model: training (train.py), pair mining (pairs.py), use (model.py)."""
from kb.embed.model import Embedder, baseline_model_path, default_model_path, load_embedder

__all__ = ["Embedder", "baseline_model_path", "default_model_path", "load_embedder", "train_model"]


def train_model(*args, **kwargs):
    """See kb.embed.train.train_model (imported lazily: training pulls in torch and the library reader)."""
    from kb.embed.train import train_model as _train

    return _train(*args, **kwargs)
