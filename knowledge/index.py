"""Chroma guideline index: an embedded PersistentClient under the data home, or a Chroma server's HttpClient
when BRANDLOOP_CHROMA_URL is set; one collection per installed rulebook version (and one more,
'<collection>-ads', for its approved ads), embeddings always from the packaged all-MiniLM-L6-v2."""
from __future__ import annotations

import logging
import os
import pathlib
from functools import lru_cache

from brandloop.knowledge.rulebook.schema import Chunk

logging.getLogger("chromadb.telemetry").setLevel(logging.CRITICAL)
CHROMA_URL_ENV = "BRANDLOOP_CHROMA_URL"


def ads_collection(collection: str) -> str:
    """The Chroma collection of a rulebook version's approved ads (next to its guideline collection)."""
    return f"{collection}-ads"


@lru_cache(maxsize=1)
def index_errors() -> tuple[type[BaseException], ...]:
    """What a failing index raises: Chroma's errors, a server that is down, a broken store, a bad setting or
    a missing embedding model. Callers that can answer without the index (it is a cache) catch these."""
    import sqlite3

    import httpx
    from chromadb.errors import ChromaError

    from brandloop.errors import BrandloopError

    return ChromaError, BrandloopError, OSError, ValueError, sqlite3.Error, httpx.HTTPError


def http_client(url: str, settings):
    """A Chroma HttpClient for http(s)://HOST:PORT; a bad URL or a server that is down is a one-line ConfigError."""
    from urllib.parse import urlsplit

    import chromadb

    from brandloop.errors import ConfigError

    fix = "start it ('chroma run --host 0.0.0.0 --port 8000') or fix the URL (http://HOST:8000), or unset it"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(CHROMA_URL_ENV, f"'{url}' is not an http(s)://HOST:PORT URL", fix)
    try:
        return chromadb.HttpClient(host=parts.hostname, port=parts.port or (443 if parts.scheme == "https" else 8000),
                                   ssl=parts.scheme == "https", settings=settings)
    except index_errors() as exc:  # chromadb raises ValueError / httpx errors when it cannot reach the server
        raise ConfigError(CHROMA_URL_ENV, f"cannot reach the Chroma server at {url} ({type(exc).__name__})",
                          fix) from None


class GuidelineIndex:
    def __init__(self, path: pathlib.Path):
        import chromadb
        from chromadb.config import Settings

        self.path = pathlib.Path(path)
        settings = Settings(anonymized_telemetry=False, allow_reset=False)
        url = os.environ.get(CHROMA_URL_ENV, "").strip()
        if url:  # a shared server: every worker sees the same collections
            self.client = http_client(url, settings)
            return
        self.path.mkdir(parents=True, exist_ok=True)
        self.client = chromadb.PersistentClient(path=str(self.path), settings=settings)

    def _collection(self, name: str, create: bool = False):
        from brandloop.knowledge.embeddings import ChromaEmbedder

        if create:
            return self.client.create_collection(name=name, embedding_function=ChromaEmbedder(),
                                                 metadata={"hnsw:space": "cosine"})
        return self.client.get_collection(name=name, embedding_function=ChromaEmbedder())

    def build(self, name: str, chunks: list[Chunk], version: str) -> int:
        """Create collection `name` holding every chunk (with its metadata)."""
        from brandloop.knowledge.embeddings import embed

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
        from brandloop.knowledge.embeddings import embed

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
        from brandloop.knowledge.embeddings import embed

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
        except index_errors():  # already gone, or the store is unreachable: nothing to delete
            pass

    def exists(self, name: str) -> bool:
        try:
            self.client.get_collection(name)
            return True
        except index_errors():
            return False
