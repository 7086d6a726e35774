"""CHROMA_URL for real: ingest into and search a `chroma run` server started on a free port.

Skipped, with the reason, when the server cannot be started here.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.ingest import ingest_paths
from knowledge.retrieval import Retriever
from knowledge.tokens import get_tokenizer
from knowledge.vectorstore import LazyCollection, open_client, open_collection

ARTICLES = {
    "refund-timing.md": "# Refund timing\n\nRefunds reach your card within 5 to 10 business days.",
    "pairing.md": "# Pairing\n\nHold the power button for five seconds to pair your headphones.",
    "vouchers.md": "# Store credit\n\nKestrel campaign vouchers combine with store credit.",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory) -> Iterator[str]:
    """URL of a Chroma server running for this module (skips when it cannot start)."""
    executable = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    if not Path(executable).exists():
        pytest.skip("the chroma CLI (from the chromadb package) is not installed")
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path / "server.log").open("wb")
    server = subprocess.Popen(
        [executable, "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = (path / "server.log").read_text(errors="replace")[-500:]
                    pytest.skip(f"chroma run did not start on port {port}: {output}")
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture
def server_settings(settings, chroma_url):
    settings.CHROMA_URL = chroma_url
    settings.KB_COLLECTION = f"kb-{time.time_ns()}"
    return settings


def test_chroma_server_ingest_and_hybrid_search(server_settings, tmp_path, encoder):
    kb_dir = tmp_path / "kb"
    kb_dir.mkdir()
    for name, text in ARTICLES.items():
        (kb_dir / name).write_text(text, encoding="utf-8")
    tokenizer = get_tokenizer(str(server_settings.tiktoken_cache_dir))

    first = ingest_paths([kb_dir], open_collection(server_settings.knowledge), tokenizer)
    again = ingest_paths([kb_dir], open_collection(server_settings.knowledge), tokenizer)

    assert (first.added, again.unchanged) == (3, 3)
    assert "chroma" not in [p.name for p in server_settings.data_dir.iterdir()]  # nothing local
    retriever = Retriever(open_collection(server_settings.knowledge))
    assert retriever.search("how long until my refund arrives", k=1)[0].doc_id == "refund-timing"
    assert [p.doc_id for p in retriever.search("Kestrel", k=1, mode="bm25")] == ["vouchers"]


def test_chroma_server_retriever_sees_another_clients_ingest(server_settings, tmp_path, encoder):
    kb_dir = tmp_path / "kb"
    kb_dir.mkdir()
    (kb_dir / "pairing.md").write_text(ARTICLES["pairing.md"], encoding="utf-8")
    tokenizer = get_tokenizer(str(server_settings.tiktoken_cache_dir))
    ingest_paths([kb_dir], open_collection(server_settings.knowledge), tokenizer)
    # The service's retriever (app/runtime.py), checking the revision on every search.
    serving = Retriever(LazyCollection(server_settings.knowledge), refresh_every=0)
    assert serving.search("Ostrava pickup", k=3, mode="bm25") == []

    # Another process's client (a fresh one here) ingests a new article ...
    (kb_dir / "pickup.md").write_text(
        "# Pickup points\n\nCollect parcels at the Ostrava pickup point.", encoding="utf-8"
    )
    other = open_collection(
        server_settings.knowledge, client=open_client(server_settings.knowledge)
    )
    ingest_paths([kb_dir], other, tokenizer)

    # ... and the serving retriever follows the collection's revision, in every mode.
    assert [p.doc_id for p in serving.search("Ostrava pickup", k=3, mode="bm25")] == ["pickup"]
    assert serving.search("Ostrava pickup point", k=1)[0].doc_id == "pickup"
    (kb_dir / "pickup.md").unlink()
    assert ingest_paths([kb_dir], other, tokenizer, delete_missing=True).deleted == 1
    for mode in ("dense", "bm25", "hybrid"):
        found = serving.search("Ostrava pickup point", k=3, mode=mode)  # type: ignore[arg-type]
        assert "pickup" not in [p.doc_id for p in found], mode
