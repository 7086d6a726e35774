"""Retrieval quality: recall@k and MRR of hybrid, BM25-only and dense-only search, one run.

The documents are ingested into a throw-away embedded Chroma collection (a temporary
folder), exactly as `support ingest` would, then every question is asked in each mode.
Scores are per document: a ranking's passages are reduced to their distinct doc_ids.

QA files are JSONL, either ``{"question", "relevant_ids": [...]}`` per line, or MTRAG
records (``input`` turns and ``contexts``): the question is the last user turn and the
relevant documents are ``contexts[].document_id``; records without contexts (unanswerable)
are counted and skipped.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge.retrieval import MODES, Mode, Retriever

if TYPE_CHECKING:
    from knowledge.ingest import IngestSummary

DEMO_QA_PATH = Path(__file__).parent / "data" / "kb_retrieval_qa.jsonl"


class DatasetError(ValueError):
    """A QA file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class QAItem:
    question: str
    relevant: tuple[str, ...]
    context: str = ""
    """What came before the question (MTRAG: the previous user turn; JSONL: `context`)."""


def read_qa(path: Path) -> tuple[list[QAItem], int]:
    """The questions with relevant doc ids, and how many records had none (skipped)."""
    items: list[QAItem] = []
    skipped = 0
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{number}: invalid JSON ({exc.msg})") from exc
        item = _qa_item(record)
        if item is None:
            raise DatasetError(
                f"{path}:{number}: expected question + relevant_ids, or MTRAG input + contexts"
            )
        if item.relevant and item.question:
            items.append(item)
        else:
            skipped += 1
    if not items:
        raise DatasetError(f"{path}: no question with relevant documents")
    return items, skipped


def _qa_item(record: Any) -> QAItem | None:
    if not isinstance(record, dict):
        return None
    if "question" in record and "relevant_ids" in record:
        ids = tuple(dict.fromkeys(str(i) for i in record["relevant_ids"] or []))
        return QAItem(str(record["question"]).strip(), ids, str(record.get("context") or ""))
    if "input" in record and "contexts" in record:  # MTRAG task
        turns = [t for t in record["input"] or [] if t.get("speaker") == "user"]
        question = str(turns[-1].get("text", "")).strip() if turns else ""
        context = str(turns[-2].get("text", "")).strip() if len(turns) > 1 else ""
        ids = tuple(dict.fromkeys(str(c["document_id"]) for c in record["contexts"] or []))
        return QAItem(question, ids, context)
    return None


def ranked_docs(
    retriever: Retriever, question: str, k: int, mode: Mode, context: str = ""
) -> list[str]:
    """The first k distinct doc_ids of the mode's ranking (searched deep enough that a
    document split into many chunks does not leave a single mode short of k documents)."""
    docs: list[str] = []
    for passage in retriever.search(question, k * 20, mode=mode, context=context):
        if passage.doc_id not in docs:
            docs.append(passage.doc_id)
    return docs[:k]


def score(items: list[QAItem], rankings: list[list[str]]) -> dict[str, float]:
    """Mean recall@k, MRR@k and hit rate (any relevant doc in the top k)."""
    recall = mrr = hits = 0.0
    for item, ranked in zip(items, rankings, strict=True):
        relevant = set(item.relevant)
        found = [doc for doc in ranked if doc in relevant]
        recall += len(found) / len(relevant)
        hits += bool(found)
        mrr += next((1 / r for r, doc in enumerate(ranked, start=1) if doc in relevant), 0.0)
    n = len(items)
    return {"recall": recall / n, "mrr": mrr / n, "hit_rate": hits / n}


def evaluate(
    retriever: Retriever,
    items: list[QAItem],
    k: int,
    modes: tuple[Mode, ...] = MODES,
    *,
    with_context: bool = False,
) -> dict[str, Any]:
    """Per mode: recall@k, MRR@k, hit rate, and mean search latency. `with_context`
    searches each question with its context, as the knowledge node does in a chat."""
    report: dict[str, Any] = {}
    for mode in modes:
        started = time.perf_counter()
        rankings = [
            ranked_docs(retriever, i.question, k, mode, i.context if with_context else "")
            for i in items
        ]
        seconds = time.perf_counter() - started
        report[mode] = {**score(items, rankings), "ms_per_query": 1000 * seconds / len(items)}
    singles = [report[m]["recall"] for m in modes if m != "hybrid"]
    if "hybrid" in report and singles:
        report["hybrid_gain_points"] = 100 * (report["hybrid"]["recall"] - max(singles))
    return report


def best_scores(
    retriever: Retriever, questions: list[str], k: int = 4, contexts: list[str] | None = None
) -> list[float]:
    """The score the knowledge node compares with KB_MIN_SCORE, per question (searched
    with its context when given, as the node does in a conversation)."""
    contexts = contexts or [""] * len(questions)
    return [
        max((p.score for p in retriever.search(q, k, context=c)), default=0.0)
        for q, c in zip(questions, contexts, strict=True)
    ]


def threshold_report(in_kb: list[float], off_topic: list[float], threshold: float) -> dict:
    """How a KB_MIN_SCORE value splits answerable questions from off-topic ones."""
    return {
        "threshold": threshold,
        "in_kb_min": min(in_kb),
        "off_topic_max": max(off_topic),
        "in_kb_answered": sum(s >= threshold for s in in_kb) / len(in_kb),
        "off_topic_declined": sum(s < threshold for s in off_topic) / len(off_topic),
        "separable": min(in_kb) > max(off_topic),
    }


def run(
    docs: list[Path],
    qa: Path,
    *,
    k: int = 5,
    off_topic: list[str] | None = None,
    threshold: float | None = None,
    rrf_k: int | None = None,
    weights: tuple[float, float] | None = None,
    with_context: bool = False,
) -> dict[str, Any]:
    """Ingest docs into a throw-away collection and measure every retrieval mode on qa."""
    from app.settings import Settings
    from knowledge.ingest import ingest_paths
    from knowledge.tokens import get_tokenizer
    from knowledge.vectorstore import open_client, open_collection

    items, skipped = read_qa(qa)
    with tempfile.TemporaryDirectory(prefix="kb-eval-") as tmp:
        settings = Settings(_env_file=None, DATA_DIR=Path(tmp), CHROMA_URL="")  # type: ignore[call-arg]
        client = open_client(settings.knowledge)
        collection = open_collection(settings.knowledge, "retrieval-eval", client=client)
        summary: IngestSummary = ingest_paths(
            docs, collection, get_tokenizer(str(settings.tiktoken_cache_dir))
        )
        if not summary.chunks:
            raise DatasetError(f"nothing ingested from {', '.join(map(str, docs))}")
        options: dict[str, Any] = {}
        if rrf_k is not None:
            options["rrf_k"] = rrf_k
        if weights is not None:
            options["weights"] = weights
        retriever = Retriever(collection, **options)
        report: dict[str, Any] = {
            "k": k,
            "questions": len(items),
            "questions_skipped": skipped,
            "documents": summary.added,
            "chunks": summary.chunks,
            "files_skipped": summary.skipped,
            "files_failed": summary.failed,
            "ingest_seconds": round(summary.seconds, 1),
            "rrf_k": retriever.rrf_k,
            "weights": list(retriever.weights),
            "with_context": with_context,
            "questions_with_context": sum(bool(i.context) for i in items),
            "modes": evaluate(retriever, items, k, with_context=with_context),
        }
        if off_topic:
            report["no_context_decision"] = threshold_report(
                best_scores(
                    retriever,
                    [i.question for i in items],
                    contexts=[i.context for i in items] if with_context else None,
                ),
                best_scores(retriever, off_topic),
                threshold if threshold is not None else settings.KB_MIN_SCORE,
            )
        client.delete_collection("retrieval-eval")
    return report
