"""Chroma guideline index: an embedded PersistentClient under the data home, one collection per
installed rulebook version (and one more, '<collection>-ads', for its approved ads), embeddings always from the packaged all-MiniLM-L6-v2."""
from __future__ import annotations

import logging
import pathlib

from knowledge.rulebook.schema import Chunk

logging.getLogger("chromadb.telemetry").setLevel(logging.CRITICAL)


class GuidelineIndex:
    def __init__(self, path: pathlib.Path):
        import chromadb
        from chromadb.config import Settings

        self.path = pathlib.Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.client = chromadb.PersistentClient(path=str(self.path),
                                                settings=Settings(anonymized_telemetry=False, allow_reset=False))

    def _collection(self, name: str, create: bool = False):
        from knowledge.embeddings import ChromaEmbedder

        if create:
            return self.client.create_collection(name=name, embedding_function=ChromaEmbedder(),
                                                 metadata={"hnsw:space": "cosine"})
        return self.client.get_collection(name=name, embedding_function=ChromaEmbedder())

    def build(self, name: str, chunks: list[Chunk], version: str) -> int:
        """Create collection `name` holding every chunk (with its metadata)."""
        from knowledge.embeddings import embed

        col = self._collection(name, create=True)
        if not chunks:
            return 0
        docs = [c.text for c in chunks]
        vecs = embed(docs)
        metas = [{"rulebook": c.rulebook, "brand": c.brand, "version": version, "section": c.section,
                  "file": c.file, "line": c.line, "channel": c.channel} for c in chunks]
        for i in range(0, len(chunks), 1000):
            col.add(ids=[c.id for c in chunks[i:i + 1000]], documents=docs[i:i + 1000],
                    metadatas=metas[i:i + 1000], embeddings=vecs[i:i + 1000])
        return len(chunks)

    def build_exemplars(self, name: str, exemplars: list, version: str) -> int:
        """Create collection `name` holding one document per approved ad (all its lines), with its channel,
        performance label, product and audience as metadata."""
        from knowledge.embeddings import embed

        col = self._collection(name, create=True)
        if not exemplars:
            return 0
        docs = [e.text() for e in exemplars]
        vecs = embed(docs)
        metas = [{"rulebook": e.rulebook, "version": version, "channel": e.channel, "performance": e.performance,
                  "product": e.product, "audience": "; ".join(e.audience), "file": e.file, "line": e.line}
                 for e in exemplars]
        for i in range(0, len(exemplars), 1000):
            col.add(ids=[e.id for e in exemplars[i:i + 1000]], documents=docs[i:i + 1000],
                    metadatas=metas[i:i + 1000], embeddings=vecs[i:i + 1000])
        return len(exemplars)

    def query(self, name: str, text: str, k: int = 4, where: dict | None = None) -> list[dict]:
        from knowledge.embeddings import embed

        col = self._collection(name)
        n = col.count()
        if n == 0:
            return []
        res = col.query(query_embeddings=embed([text]), n_results=min(k, n), where=where or None,
                        include=["documents", "metadatas", "distances"])
        out = []
        for i, d, m, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0]):
            out.append({"id": i, "text": d, "meta": m, "distance": float(dist)})
        return out

    def delete(self, name: str) -> None:
        try:
            self.client.delete_collection(name)
        except Exception:
            pass

    def exists(self, name: str) -> bool:
        try:
            self.client.get_collection(name)
            return True
        except Exception:
            return False
