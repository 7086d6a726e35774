"""A cache of trained intent models, keyed by a hash of everything that determines one.

`support setup` and the test suite both need the intent model trained on the committed
corpus; training takes about a minute on two cores. The first of them to train stores the
registered version folder under `<cache>/<key>/`; the others copy it into their registry.

The key (`training_key`) hashes every input of training, so a cached model is never
stale: the corpus and background files' bytes, every Python file of the `nlu` package
(the training code, its version constant, seed, grids and hyper-parameters, the masking
of concrete values) and the code outside it that masking reads, the
encoder's files, the confidence floor, the fine-tuning configuration and the versions of
the libraries that compute or pickle the model. Any edit to one of them is a new key and
a new training. An encoder that is not loaded from a model folder has no key: no caching.

Entries are written atomically (a temp folder renamed into place) and never modified.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from functools import lru_cache
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from nlu.classifier import HEAD_FILE, META_FILE, MODEL_VERSION
from nlu.corpus import BACKGROUND_PATH, CORPUS_PATH, NEGATIVES_PATH
from nlu.masking import OUTSIDE_CODE

NLU_DIR = Path(__file__).resolve().parent
KEY_FILE = "key.json"
LIBRARIES = (
    "numpy",
    "scipy",
    "scikit-learn",
    "joblib",
    "torch",
    "transformers",
    "tokenizers",
    "sentence-transformers",
)
"""Packages whose version changes the trained head or the format it is pickled in."""


def _sha256_file(path: Path, digest: Any) -> None:
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    _sha256_file(path, digest)
    return digest.hexdigest()


def _tree_digest(root: Path, pattern: str) -> str:
    """sha256 over the relative paths and bytes of root's files matching pattern."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob(pattern) if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if "__pycache__" in rel:
            continue
        digest.update(rel.encode() + b"\0")
        _sha256_file(path, digest)
        digest.update(b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=8)
def _encoder_digest(model_path: str) -> str:
    """Hash of an encoder folder's files (about 90 MB for MiniLM: a fraction of a second)."""
    return _tree_digest(Path(model_path), "*")


@lru_cache(maxsize=1)
def _nlu_code_digest() -> str:
    """Hash of the nlu package's Python files, taken once per process: the process trains
    with the code it imported, so a file edited while it runs must not name its models."""
    return _tree_digest(NLU_DIR, "*.py")


_nlu_code_digest()  # at import, next to the training code's own import


@lru_cache(maxsize=1)
def _masking_digest() -> str:
    """Hash of the code outside nlu/ that masking reads (nlu/masking.py OUTSIDE_CODE)."""
    digest = hashlib.sha256()
    for path in OUTSIDE_CODE:
        digest.update(path.name.encode() + b"\0")
        _sha256_file(path, digest)
    return digest.hexdigest()


_masking_digest()


def _library_versions() -> dict[str, str]:
    versions = {"python": f"{sys.version_info.major}.{sys.version_info.minor}"}
    for name in LIBRARIES:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def training_inputs(
    encoder: Any,
    corpus_path: Path | None = None,
    *,
    confidence_floor: float | None = None,
    finetune: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """What the key hashes, readable (kept as key.json in each entry); None without an
    encoder folder to fingerprint."""
    model_path = getattr(encoder, "model_path", None)
    if not model_path or not Path(str(model_path)).is_dir():
        return None
    corpus = corpus_path or CORPUS_PATH
    return {
        "model_format": MODEL_VERSION,
        "corpus_sha256": _file_digest(corpus),
        "background_sha256": _file_digest(BACKGROUND_PATH),
        "negatives_sha256": _file_digest(NEGATIVES_PATH),
        "nlu_code_sha256": _nlu_code_digest(),
        "masking_code_sha256": _masking_digest(),
        "encoder_sha256": _encoder_digest(str(Path(str(model_path)).resolve())),
        "confidence_floor": confidence_floor,
        "finetune": finetune,
        "libraries": _library_versions(),
    }


def training_key(inputs: dict[str, Any]) -> str:
    """The cache key (hex sha256) of training_inputs."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


class ModelCache:
    """Folders `<root>/<key>/` holding one registered intent model version each."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def entry(self, key: str) -> Path | None:
        """The cached model folder for key, or None (absent or incomplete)."""
        folder = self.root / key
        if all((folder / name).is_file() for name in (HEAD_FILE, META_FILE, KEY_FILE)):
            return folder
        return None

    def store(self, key: str, inputs: dict[str, Any], model_folder: Path) -> Path | None:
        """Copy a registered model folder in as key's entry, atomically; the entry (already
        there when another process stored it first), or None when the cache is not
        writable (caching is best effort: training already succeeded)."""
        found = self.entry(key)
        if found is not None:
            return found
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".new-", dir=self.root))
        except OSError:
            return None
        try:
            shutil.copytree(model_folder, staging, dirs_exist_ok=True)
            (staging / KEY_FILE).write_text(json.dumps(inputs, indent=1, sort_keys=True) + "\n")
            try:
                staging.rename(self.root / key)
            except OSError:  # another process stored the same key first
                pass
        except OSError:
            return None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return self.entry(key)
