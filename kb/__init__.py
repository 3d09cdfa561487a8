"""政策知识库: a knowledge base and compliance assistant over Chinese policy documents and regulations."""

__version__ = "0.1.0"
