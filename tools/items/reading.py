"""One customer message read against one order: the phrases that point at its lines.

A phrase is a SKU, a run of product-name words with the option words said beside it ('the
blue water bottle', 'Headphones (over-ear, wireless, blue)'), option words with a pointer
('the 1000ml one'), or a position ('the second item', 'item 2'). Each phrase is then
settled to lines, to a question (which of these?), or to a product the order lacks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tools.items.words import (
    DETERMINERS,
    FILLERS,
    GENERIC,
    NOISE,
    ORDINALS,
    REFERENTS,
    SAME,
    SEPARATORS,
    TYPO,
    VERB_LEADS,
    Tok,
    likeness,
    options_of,
    product_name,
    tokens,
    vocabulary,
)
from tools.schemas import OrderView


@dataclass
class _Run:
    """Adjacent words naming one product: 'the blue water bottle'."""

    toks: list[int]
    clause: int
    hits: dict[int, dict[int, float]] = field(default_factory=dict)  # cand -> word -> likeness
    options: set[tuple[int, tuple[str, ...]]] = field(default_factory=set)  # (cand, value) said
    ordinal: int | None = None
    plural: bool = False
    noun: bool = False  # a determiner leads it ('the watch', not 'I watch')


@dataclass(frozen=True)
class _Mention:
    """One phrase that points at lines, by SKU, product words, options or position."""

    pos: int
    skus: tuple[int, ...] = ()
    run: _Run | None = None
    options: tuple[tuple[int, tuple[str, ...]], ...] = ()
    position: int = 0
    in_group: bool = False  # 'the second one' counts within the lines just asked about


class Reading:
    """One text read against one order: its words, clauses, and the phrases naming lines."""

    def __init__(self, order: OrderView, text: str, known_names: Iterable[str]) -> None:
        self.items = list(order.items)
        owned = {product_name(i).lower() for i in self.items}
        names = (product_name(n) for n in known_names)
        self.extra = list(dict.fromkeys(n for n in names if n.lower() not in owned))
        self.cands = [vocabulary(i.name, options_of(i)) for i in self.items]
        self.cands += [vocabulary(n, ()) for n in self.extra]
        self.mentions: list[_Mention] = []
        text = self._skus(text)
        self.toks = tokens(NOISE.sub(lambda m: " " * len(m[0]), text))
        self.clauses = self._clauses()
        self.hits = [self._hits(t) for t in self.toks]
        self.spans = self._option_spans()
        self._runs()
        self._pointed_options()
        self._positions()

    def _skus(self, text: str) -> str:
        """SKU mentions; the text with them blanked out."""
        for sku in dict.fromkeys(i.sku for i in self.items if i.sku):
            pattern = rf"(?<![A-Za-z0-9]){re.escape(sku)}(?![A-Za-z0-9])"
            for m in re.finditer(pattern, text, re.I):
                lines = tuple(n for n, i in enumerate(self.items) if i.sku == sku)
                self.mentions.append(_Mention(m.start(), skus=lines))
                text = text[: m.start()] + " " * len(m[0]) + text[m.end() :]
        return text

    def _clauses(self) -> list[int]:
        """Clause number per token: 'and', commas, stops split; commas in parentheses don't."""
        clause, depth, out = 0, 0, []
        for t in self.toks:
            depth = max(0, depth + (t.raw == "(") - (t.raw == ")"))
            clause += depth == 0 and t.word in SEPARATORS
            out.append(clause)
        return out

    def _hits(self, t: Tok) -> dict[int, tuple[int, float, bool]]:
        """candidate -> (word index, likeness, strong) for the product words `t` fits."""
        found: dict[int, tuple[int, float, bool]] = {}
        if t.word in GENERIC or t.word in FILLERS or t.word in SEPARATORS:
            return found
        for c, product in enumerate(self.cands):
            for w, word in enumerate(product.words):
                score = likeness(t, word)
                if c >= len(self.items) and score < SAME:
                    continue  # 'not in your order' is said only of a name said exactly
                if score > found.get(c, (0, 0.0, False))[1]:
                    found[c] = (w, score, word.strong)
        # a word that is some product's own word is no typo of another's ('speaker', 'sneaker')
        best = max((s for _, s, _ in found.values()), default=0.0)
        return {c: h for c, h in found.items() if h[1] > TYPO or best == TYPO}

    def _option_spans(self) -> list[tuple[int, int, int, tuple[str, ...]]]:
        """(first token, last token, line, value) per option value said. Beside its own
        product an option word is no product name ('the backpack with the laptop pocket')."""
        words = [t.word for t in self.toks]
        spans = []
        for c, product in enumerate(self.cands[: len(self.items)]):
            for value in product.options:
                for a in range(len(words) - len(value) + 1):
                    if tuple(words[a : a + len(value)]) == value:
                        spans.append((a, a + len(value) - 1, c, value))
        for a, b, c, _ in spans:
            clause = [i for i, k in enumerate(self.clauses) if k == self.clauses[a]]
            if any(c in self.hits[i] for i in clause if not a <= i <= b):
                for i in range(a, b + 1):
                    self.hits[i] = {}
        return spans

    def _before(self, i: int, skip: set[int]) -> str | None:
        """The nearest word before token i that is no filler and not in `skip`, in its clause."""
        for j in range(i - 1, max(-1, i - 5), -1):
            if self.toks[j].word in SEPARATORS:
                return None
            if self.toks[j].word not in FILLERS and j not in skip:
                return self.toks[j].word
        return None

    def _runs(self) -> None:
        """Product-word mentions, with the option words said in their clause."""
        option_toks = {i for a, b, _, _ in self.spans for i in range(a, b + 1)}
        runs: list[_Run] = []
        for i, found in enumerate(self.hits):
            if not found:
                continue
            last = runs[-1] if runs else None
            gap = range(last.toks[-1] + 1, i) if last else range(0)
            if not (
                last
                and last.clause == self.clauses[i]
                and len(gap) <= 3
                and all(self.toks[g].word in FILLERS or g in option_toks for g in gap)
                and set(found) & set(last.hits)
            ):
                last = _Run([], self.clauses[i])
                runs.append(last)
            last.toks.append(i)
            for c, (w, score, _) in found.items():
                words = last.hits.setdefault(c, {})
                words[w] = max(words.get(w, 0.0), score)
        named = [r for r in runs if self._describe(r, option_toks)]
        for a, b, c, value in self.spans:
            near = [r for r in named if r.clause == self.clauses[a]]
            if near:
                run = min(near, key=lambda r: min(abs(a - r.toks[0]), abs(b - r.toks[-1])))
                run.options.add((c, value))
        self.mentions += [_Mention(self.toks[r.toks[0]].pos, run=r) for r in named]

    def _describe(self, run: _Run, option_toks: set[int]) -> bool:
        """Fill in what surrounds `run`; whether it names something at all."""
        toks, first = self.toks, run.toks[0]
        lead = [t.word for t in toks[max(0, first - 2) : first]]
        if len(run.toks) == 1 and lead and lead[-1] in VERB_LEADS:
            return False
        run.noun = len(run.toks) > 1 or bool(DETERMINERS & set(lead))
        before = self._before(first, option_toks)
        run.ordinal = ORDINALS.get(before or "")
        said_plural = any(
            toks[i].plural and not self.cands[c].words[self.hits[i][c][0]].plural
            for i in run.toks
            for c in self.hits[i]
        )
        run.plural = before in ("both", "all") or (
            said_plural and before not in ("one", "either", "which")
        )
        after = [t.word for t in toks[run.toks[-1] + 1 : run.toks[-1] + 4]]
        pointed = any(w in REFERENTS for w in after[:2]) or (
            bool(after) and after[0] in FILLERS and any(w in REFERENTS for w in after[1:])
        )
        strong = any(h[2] for i in run.toks for h in self.hits[i].values())
        return strong or pointed or any(len(ws) >= 2 for ws in run.hits.values())

    def _pointed_options(self) -> None:
        """'the blue one': option words and a pointer word, in a clause naming no product."""
        busy = {m.run.clause for m in self.mentions if m.run}
        by_clause: dict[int, list[tuple[int, int, tuple[str, ...]]]] = {}
        for a, _, c, value in self.spans:
            alone = not all(w.isdigit() or len(w) == 1 for w in value)  # not 'L', '10'
            if self.clauses[a] not in busy and alone:
                by_clause.setdefault(self.clauses[a], []).append((a, c, value))
        for clause, found in by_clause.items():
            words = {t.word for t, k in zip(self.toks, self.clauses, strict=True) if k == clause}
            if words & REFERENTS:
                said = tuple(dict.fromkeys((c, value) for _, c, value in found))
                self.mentions.append(_Mention(self.toks[found[0][0]].pos, options=said))

    def _positions(self) -> None:
        """'the second item', 'the last one', 'item 2', '#2 item'."""
        words = [t.word for t in self.toks]
        for i, w in enumerate(words):
            nxt = words[i + 1] if i + 1 < len(words) else ""
            pos = self.toks[i].pos
            if w in ORDINALS and nxt in REFERENTS and not self.toks[i + 1].plural:
                self.mentions.append(_Mention(pos, position=ORDINALS[w], in_group=nxt == "one"))
            elif w in ("item", "line", "product") and nxt:
                j = i + 1 + (nxt in ("#", "no", "number"))
                said = words[j] if j < len(words) and self.clauses[j] == self.clauses[i] else ""
                if said.isdigit() and int(said) > 0:
                    self.mentions.append(_Mention(pos, position=int(said)))
            elif w == "#" and nxt.isdigit() and words[i + 2 : i + 3] in (["item"], ["line"]):
                if int(nxt) > 0:
                    self.mentions.append(_Mention(pos, position=int(nxt)))

    # -- resolution ------------------------------------------------------------------------

    def resolve(self) -> tuple[list[int], list[tuple[int, ...]], list[str]]:
        """(lines, groups to ask between, missing names): the mentions in order of the text,
        lines as positions in the order."""
        lines: list[int] = []
        groups: list[tuple[int, ...]] = []
        missing: list[str] = []
        for m in sorted(self.mentions, key=lambda m: m.pos):
            chosen, group = self._lines_of(m, groups[-1] if groups else (), missing)
            lines += [c for c in chosen if c not in lines]
            if group and group not in groups:
                groups.append(group)
        asked = [g for g in groups if not set(g) & set(lines)]  # a later phrase settled it
        return lines, asked, list(dict.fromkeys(missing))

    def _lines_of(
        self, m: _Mention, group: tuple[int, ...], missing: list[str]
    ) -> tuple[list[int], tuple[int, ...]]:
        """(lines named, lines to ask between) for one mention; missing names are added."""
        if m.skus:
            return list(m.skus[:1]), ()
        if m.position:
            pool = list(group) if m.in_group and group else list(range(len(self.items)))
            at = m.position - 1 if m.position > 0 else m.position
            return ([pool[at]] if -len(pool) <= at < len(pool) else []), ()
        if m.options:
            score: dict[int, int] = {}
            for c, _ in m.options:
                score[c] = score.get(c, 0) + 1
            if set(score) & set(group):  # 'the bottle ... the blue one'
                score = {c: s for c, s in score.items() if c in group}
            top = max(score.values())
            return self._choose(sorted(c for c, s in score.items() if s == top), None)
        run = m.run
        assert run is not None
        keys = {
            c: (round(sum(ws.values()), 3), sum(1 for oc, _ in run.options if oc == c))
            for c, ws in run.hits.items()
        }
        real = {c: k for c, k in keys.items() if c < len(self.items)}
        known = {c: k[0] for c, k in keys.items() if c >= len(self.items)}
        real_top = max(real.values(), default=None)
        known_top = max(known.values(), default=None)
        # another product wins only by a whole word: 'the smart watch' when the order has a
        # wristwatch, not 'the watch'
        if (
            run.noun
            and known_top is not None
            and (real_top is None or known_top > real_top[0] + 0.5)
        ):
            missing += [self.extra[c - len(self.items)] for c, s in known.items() if s == known_top]
            return [], ()
        if real_top is None:
            return [], ()
        return self._choose(sorted(c for c, k in real.items() if k == real_top), run)

    def _choose(self, tied: Sequence[int], run: _Run | None) -> tuple[list[int], tuple[int, ...]]:
        """(lines, ambiguous group) among lines a phrase fits equally, in order position."""
        if len(tied) == 1:
            return list(tied), ()
        if run and run.ordinal is not None:  # 'the second water bottle'
            at = run.ordinal - 1 if run.ordinal > 0 else run.ordinal
            if -len(tied) <= at < len(tied):
                return [tied[at]], ()
        if run and run.plural:  # 'the bottles', 'both bottles'
            return list(tied), ()
        kinds = {(self.items[i].sku, self.items[i].name, options_of(self.items[i])) for i in tied}
        if len(kinds) == 1:
            return list(tied[:1]), ()  # identical lines: 'which one?' would have no answer
        return [], tuple(tied)
