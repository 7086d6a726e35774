"""Entity-extraction eval on a Bitext-style CSV: per-type and micro precision/recall/F1.

The CSV has one row per utterance with at most one gold entity, in the columns
``entity_type``, ``entity_value``, ``start_offset`` and ``end_offset`` (empty when the
utterance has none). Only the seven Bitext types are scored; our ``money`` is Bitext's
``refund_amount``, every other scored type has the same name. Entities of our other
types (date, email, phone, sku, tracking_number) are ignored.

Value match: an extracted entity is a true positive when its type matches and its
value equals the gold value after `normalise_value` (both sides normalised the same way):

- every value: Unicode case-folded, surrounding spaces dropped, inner spaces collapsed,
  a leading ``#`` dropped ('#12588' == '12588');
- person_name: full stops dropped ('Mr. Smith' == 'Mr Smith');
- delivery_country: names, ISO alpha-3 codes and common aliases read as the GeoNames
  country name ('USA' == 'United States');
- refund_amount: the first number, thousands commas dropped, written with two decimals;
  currency symbols and words are ignored because the gold values carry none
  ('$1,499' == '1499 dollars' == '1499.00 USD' == '1499').

Span match (reported as ``span``): type and exact character offsets agree. Our money
spans include the currency ('$350') while Bitext's cover the digits only ('350'), so
refund_amount scores low on span match by design.

    python -m evals.entities --file data.csv [--json] [--min-f1 0.95]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from nlu.entities import Entity, extract_entities
from nlu.entity_rules.places import canonical_country

BITEXT_TYPES = (
    "order_id",
    "invoice_id",
    "refund_amount",
    "person_name",
    "account_type",
    "delivery_city",
    "delivery_country",
)
"""The entity columns of the Bitext customer-support files, in report order."""

OURS_TO_BITEXT = {t: t for t in BITEXT_TYPES} | {"money": "refund_amount"}
"""Our entity type -> the Bitext type it is scored as; types not listed are not scored."""

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")

Extractor = Callable[[str], Sequence[Entity]]


def normalise_value(entity_type: str, value: str) -> str:
    """The form two values of a Bitext type are compared in (see the module docstring)."""
    text = " ".join(value.casefold().split()).removeprefix("#").strip()
    if entity_type == "person_name":
        text = " ".join(text.replace(".", " ").split())
    elif entity_type == "delivery_country":
        text = (canonical_country(text) or text).casefold()
    elif entity_type == "refund_amount":
        number = _NUMBER.search(text)
        if number:
            text = f"{float(number[0].replace(',', '')):.2f}"
    return text


def _scores(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def _tally(gold: Counter[tuple[Any, ...]], pred: Counter[tuple[Any, ...]], counts: dict) -> None:
    """Add one utterance's matches to per-type [tp, fp, fn] counts; key[0] is the type."""
    for key in gold | pred:
        hit = min(gold[key], pred[key])
        row = counts[key[0]]
        row[0] += hit
        row[1] += pred[key] - hit
        row[2] += gold[key] - hit


def _summary(counts: dict[str, list[int]]) -> dict[str, Any]:
    types = {t: _scores(*counts[t]) for t in BITEXT_TYPES}
    totals = [sum(counts[t][i] for t in BITEXT_TYPES) for i in range(3)]
    return {"types": types, "micro": _scores(*totals)}


def evaluate_entities(
    csv_path: str | Path,
    *,
    text_column: str = "utterance",
    extractor: Extractor | None = None,
) -> dict[str, Any]:
    """Score an extractor (ours by default) against the gold entities of a Bitext-style CSV.

    Returns ``{"file", "rows", "ms_per_utterance", "value": {"types", "micro"},
    "span": {"types", "micro"}}`` where each score is ``{tp, fp, fn, precision, recall, f1}``.
    """
    extract = extractor or extract_entities
    value_counts = {t: [0, 0, 0] for t in BITEXT_TYPES}
    span_counts = {t: [0, 0, 0] for t in BITEXT_TYPES}
    rows = 0
    seconds = 0.0
    with Path(csv_path).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            text = row[text_column]
            gold_values: Counter[tuple[Any, ...]] = Counter()
            gold_spans: Counter[tuple[Any, ...]] = Counter()
            kind = (row.get("entity_type") or "").strip()
            if kind in BITEXT_TYPES:
                gold_values[(kind, normalise_value(kind, row["entity_value"]))] += 1
                start, end = int(float(row["start_offset"])), int(float(row["end_offset"]))
                gold_spans[(kind, start, end)] += 1
            began = time.perf_counter()
            found = extract(text)
            seconds += time.perf_counter() - began
            pred_values: Counter[tuple[Any, ...]] = Counter()
            pred_spans: Counter[tuple[Any, ...]] = Counter()
            for entity in found:
                mapped = OURS_TO_BITEXT.get(entity.type)
                if mapped:
                    pred_values[(mapped, normalise_value(mapped, entity.value))] += 1
                    pred_spans[(mapped, entity.start, entity.end)] += 1
            _tally(gold_values, pred_values, value_counts)
            _tally(gold_spans, pred_spans, span_counts)
            rows += 1
    return {
        "file": str(csv_path),
        "rows": rows,
        "ms_per_utterance": round(1000 * seconds / rows, 3) if rows else 0.0,
        "value": _summary(value_counts),
        "span": _summary(span_counts),
    }


CORPUS_TYPES = ("order_id", "invoice_id", "money", "sku", "email", "date")
"""Types annotated in the project corpus (the values its templates' {slots} are filled with)."""
VALUED_TYPES = CORPUS_TYPES[:-1]
"""Corpus types with a fixed gold value (a relative date means another day on every turn)."""


def evaluate_corpus_entities(
    path: str | Path | None = None,
    *,
    extractor: Extractor | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Score an extractor (ours by default) on the entity spans of the project's corpus.

    Gold spans are the filled-in {slot} values of nlu/corpus/intents.jsonl (see
    build_corpus.py). `span` needs type and offsets to agree; `value` needs the type and
    normalised value and leaves dates out (they have no fixed gold value). Extracted
    entities of types the corpus does not annotate are ignored; a literal product name or
    date inside a seed phrasing counts as a false positive: the gold set has no span there.
    """
    from nlu.corpus import CORPUS_PATH

    corpus = Path(path) if path is not None else CORPUS_PATH
    day = today or date(2026, 3, 18)
    extract = extractor or (lambda text: extract_entities(text, today=day))
    span_counts = {t: [0, 0, 0] for t in CORPUS_TYPES}
    value_counts = {t: [0, 0, 0] for t in CORPUS_TYPES}
    rows = 0
    for line in corpus.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        gold = [e for e in row.get("entities", []) if e["type"] in CORPUS_TYPES]
        found = [e for e in extract(row["text"]) if e.type in CORPUS_TYPES]
        _tally(
            Counter((e["type"], e["start"], e["end"]) for e in gold),
            Counter((e.type, e.start, e.end) for e in found),
            span_counts,
        )
        _tally(
            Counter((e["type"], e["value"]) for e in gold if e["type"] in VALUED_TYPES),
            Counter((e.type, e.value) for e in found if e.type in VALUED_TYPES),
            value_counts,
        )
        rows += 1

    def summary(counts: dict[str, list[int]], types: Sequence[str]) -> dict[str, Any]:
        totals = [sum(counts[t][i] for t in types) for i in range(3)]
        return {"types": {t: _scores(*counts[t]) for t in types}, "micro": _scores(*totals)}

    return {
        "file": str(corpus),
        "rows": rows,
        "span": summary(span_counts, CORPUS_TYPES),
        "value": summary(value_counts, VALUED_TYPES),
    }


def format_report(report: dict[str, Any]) -> str:
    """A plain-text table: one line per type, then the micro average."""
    title = (
        f"{report['file']}: {report['rows']} utterances, "
        f"{report['ms_per_utterance']} ms per utterance"
    )
    return "\n".join([title, *type_table(report, BITEXT_TYPES, width=18)])


def type_table(report: Mapping[str, Any], types: Sequence[str], *, width: int) -> list[str]:
    """Lines of a per-type table (value P/R/F1, exact-span F1, counts), then micro; a type
    with no span score shows '-'."""
    lines = [f"{'type':<{width}}{'P':>7}{'R':>7}{'F1':>7}{'span F1':>9}{'tp':>5}{'fp':>5}{'fn':>5}"]
    value, span = report["value"], report["span"]
    for name in (*types, "micro"):
        v = value["micro"] if name == "micro" else value["types"][name]
        s = span["micro"] if name == "micro" else span["types"].get(name)
        span_f1 = f"{s['f1']:>9.3f}" if s else f"{'-':>9}"
        lines.append(
            f"{name:<{width}}{v['precision']:>7.3f}{v['recall']:>7.3f}{v['f1']:>7.3f}"
            f"{span_f1}{v['tp']:>5}{v['fp']:>5}{v['fn']:>5}"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the eval from the command line; exit status 1 when micro F1 is under --min-f1."""
    parser = argparse.ArgumentParser(
        prog="python -m evals.entities",
        description="Score entity extraction on a Bitext-style CSV.",
        epilog="example: python -m evals.entities --file validation.csv --min-f1 0.95",
    )
    parser.add_argument("--file", required=True, type=Path, help="CSV with gold entities")
    parser.add_argument("--text-column", default="utterance", help="column holding the text")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--min-f1", type=float, default=None, help="fail under this micro F1")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        print(f"error: no such file: {args.file}", file=sys.stderr)
        return 2
    report = evaluate_entities(args.file, text_column=args.text_column)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    if args.min_f1 is not None and report["value"]["micro"]["f1"] < args.min_f1:
        print(
            f"error: micro F1 {report['value']['micro']['f1']:.3f} is under {args.min_f1}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
