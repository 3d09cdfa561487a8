"""Search indexes. The rest of the product sees only kb.index.store (IndexStore, build_index, open_store)."""
