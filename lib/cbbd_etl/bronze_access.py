"""The silver layer's view of bronze: files for (endpoint slug, season) with their manifests.

Kept apart from the ingester so silver depends only on the bronze layout
contract (``_manifests/{slug}/season=S/...json`` beside each data file), not
on how the files were fetched.
"""
from __future__ import annotations

from typing import Callable

from .config import Config
from .silver.bronze_reader import BronzeFile, manifest_to_file


def bronze_files(cfg: Config, slug: str, season: int | None) -> tuple[list[BronzeFile], Callable[[str], bytes]]:
    """Every manifest-backed response for ``slug`` in ``season`` plus a reader for their URIs."""
    from .bronze.store import BronzeStore, list_manifests

    store = BronzeStore.for_root(cfg.bronze.root, region=cfg.aws.region)
    manifests = list_manifests(store, slug, season)
    files = [manifest_to_file(m, store.uri(m["data_key"])) for m in manifests]
    files.sort(key=lambda f: (f.fetched_at, f.uri))

    def read_bytes(uri: str) -> bytes:
        return store.get_bytes(_key_of(store.uri(""), uri))

    return files, read_bytes


def _key_of(root_uri: str, uri: str) -> str:
    root = root_uri.rstrip("/") + "/"
    return uri[len(root):] if uri.startswith(root) else uri
