"""Text → vectors. Encoders (encoder.py: e5, our static model, any local sentence-transformers folder), the
content-hash vector cache (cache.py), and training of the project's own static model (train.py, pairs.py)."""
from kb.embed.encoder import E5, STATIC, Encoder, default_spec, load_encoder, static_model_path

__all__ = ["E5", "STATIC", "Encoder", "default_spec", "load_encoder", "static_model_path", "train_model"]


def train_model(*args, **kwargs):
    """See kb.embed.train.train_model (imported lazily: training pulls in torch and the library reader)."""
    from kb.embed.train import train_model as _train

    return _train(*args, **kwargs)
