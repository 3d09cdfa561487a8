"""Search indexes: the store interface and its backends (kb.index.store, local, milvus), and building, updating and
migrating them (kb.index.build). Retrieval and the assistant read only through IndexStore."""
