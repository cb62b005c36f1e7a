"""The lexicon: Sastrawi stems behind a per-word cache (shared with the event reader), the
tokeniser, and the matcher that finds the lexicon's terms in a text (no Django). What the
terms mean and weigh is documented in incidents/ew/rules.py."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from incidents.ew.config import KINDS


@functools.cache
def _sastrawi():
    # Imported on first use: building Sastrawi's dictionary costs ~0.3 s, paid only by a
    # process that scores.
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Sastrawi's stem of one lower-case word, cached."""
    if not word.isalpha():
        return word
    return _sastrawi().stem(word) or word


def strip_affixes(
    word: str, prefixes: tuple[str, ...], suffixes: tuple[str, ...], nasal: dict[str, str]
) -> Iterator[str]:
    """Candidate roots of a word with its affixes cut: each suffix, then each prefix, and the
    letter a nasal prefix swallowed (meny-/ny- replace s or c, meng-/ng- k, mem- p, men-/n- t:
    nyerang <- serang). Callers keep only candidates their vocabulary knows."""
    bases = [word]
    for suf in suffixes:
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            bases.append(word[: -len(suf)])
    for base in bases:
        yield base
        for pre in prefixes:
            if base.startswith(pre) and len(base) - len(pre) >= 3:
                rest = base[len(pre) :]
                yield rest
                if rest[0] in "aeiou":
                    for lost in nasal.get(pre, ""):
                        yield lost + rest


def stem_cache_clear() -> None:
    """Forget every cached stem (benchmarks use it to measure a cold start)."""
    stem.cache_clear()
    _sastrawi.cache_clear()


_TOKEN_RE = re.compile(r"[a-z]+[0-9]*|[0-9]+(?:[.,][0-9]+)*|[.,;:!?()\n]")
_BOUNDARY = frozenset(".,;:!?()\n")
_PREFIXES = ("meng", "meny", "mem", "men", "me", "di", "peng", "peny", "pem", "pen", "pe", "ter")
_PREFIXES += ("ber", "ke", "se", "nge", "ng", "ny", "n", "pel", "per")
_SUFFIXES = ("kan", "an", "i", "nya", "in")
_NASAL_LOST = {
    "meny": "sc",
    "peny": "s",
    "ny": "sc",
    "n": "t",
    "meng": "k",
    "peng": "k",
    "ng": "k",
    "mem": "p",
    "pem": "p",
    "men": "t",
    "pen": "t",
}
_K_THREAT, _K_TARGET, _K_REASSURE, _K_ROUTINE, _K_NEG, _K_NEUTRAL, _K_BREAK = range(7)
_K_DRILL, _K_NOTDRILL, _K_NOW, _K_PLANNED, _K_PAST, _K_RUMOUR, _K_COND = range(7, 14)
_K_DIMINISH, _K_INTENSIFY, _K_RESOLVED = 14, 15, 16
_KIND_CODE = {name: i for i, name in enumerate(KINDS)}


def _parse_number(tok: str) -> float | None:
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", tok):
        return float(tok.replace(".", ""))
    try:
        return float(tok.replace(",", "."))
    except ValueError:
        return None


@dataclass(slots=True)
class _Entry:
    category: str
    kind: int
    label: str
    weight: float
    words: tuple[str, ...]
    exact: bool


@dataclass(slots=True)
class Analysis:
    """What the lexicon found in one text (before the context weighs it)."""

    threats: dict[str, dict[str, tuple[float, bool]]] = field(default_factory=dict)
    negated: dict[str, float] = field(default_factory=dict)
    targets: dict[str, float] = field(default_factory=dict)
    reassurance: dict[str, float] = field(default_factory=dict)
    resolved: dict[str, float] = field(default_factory=dict)
    routine: dict[str, float] = field(default_factory=dict)
    drill: dict[str, float] = field(default_factory=dict)
    not_drill: bool = False
    now: dict[str, float] = field(default_factory=dict)
    planned: dict[str, float] = field(default_factory=dict)
    past: list[str] = field(default_factory=list)
    rumour: list[str] = field(default_factory=list)
    size: dict[str, float] = field(default_factory=dict)
    people: float = 0.0
    signature: frozenset = frozenset()
    words: frozenset = frozenset()


class LexiconMatcher:
    """Finds the lexicon's signals in a text (mixed into Engine; build once, it caches words)."""

    def _lexicon_build(self, d: dict) -> None:
        """Index the config's terms by written form and by stem."""
        w = d["weights"]
        self.w = w
        # A weapon named after "mengancam" is there, not hypothetical ("mengancam dengan parang").
        self.cond_exempt = frozenset(d.get("conditional_exempt", ()))
        self.abbrev = {k: tuple(v.split()) for k, v in d.get("abbreviations", {}).items()}
        self.overrides = dict(d.get("stem_overrides", {}))
        scale = d["scale"]
        self.people_words = frozenset(scale.get("people", ()))
        self.number_words = {k: float(v) for k, v in scale.get("words", {}).items()}
        self.multipliers = {k: float(v) for k, v in scale.get("multipliers", {}).items()}
        self.scale_bands = sorted((tuple(b) for b in scale.get("bands", ())), reverse=True)
        entries: list[_Entry] = []
        for name, cat in d["categories"].items():
            kind = _KIND_CODE[cat["kind"]]
            for term, weight in cat["terms"].items():
                exact = term.startswith("=")
                words = tuple(term.lstrip("=").lower().split())
                entries.append(_Entry(name, kind, " ".join(words), float(weight), words, exact))
        # Stems the lexicon knows: the affix stripper only accepts these, and lexicon words
        # are stemmed the same way as the text so both sides meet.
        self._vocab = {self._stem_plain(wd) for e in entries if not e.exact for wd in e.words}
        self._cache: dict[str, tuple[tuple[str, str], ...]] = {}
        self.by_surface: dict[str, list[_Entry]] = {}
        self.by_stem: dict[str, list[_Entry]] = {}
        for e in entries:
            if e.exact:
                self.by_surface.setdefault(e.words[0], []).append(e)
            else:
                e.words = tuple(self._stem_word(wd) for wd in e.words)
                self.by_stem.setdefault(e.words[0], []).append(e)
        for index in (self.by_surface, self.by_stem):
            for lst in index.values():
                lst.sort(key=lambda e: -len(e.words))

    def _stem_plain(self, word: str) -> str:
        return self.overrides.get(word) or stem(word)

    def _stem_word(self, word: str) -> str:
        """Stem, then fall back on lexicon-aware affix stripping and letter de-doubling."""
        s = self._stem_plain(word)
        if s in self._vocab or not word.isalpha():
            return s
        if s == word:  # Sastrawi did not know the root (colloquial ng-/ny-/-in, hadang, ...)
            for cand in self._strip_affixes(word):
                if len(cand) >= 4 and cand in self._vocab:
                    return cand
        dedup = re.sub(r"(.)\1+", r"\1", word)
        if dedup != word:
            s2 = self._stem_plain(dedup)
            if s2 in self._vocab:
                return s2
        return s

    @staticmethod
    def _strip_affixes(word: str) -> Iterator[str]:
        return strip_affixes(word, _PREFIXES, _SUFFIXES, _NASAL_LOST)

    def _tokens(self, raw: str) -> tuple[tuple[str, str], ...]:
        """(surface, stem) pairs for one raw token, cached; boundaries stem to '|'."""
        hit = self._cache.get(raw)
        if hit is not None:
            return hit
        if raw in _BOUNDARY:
            out: tuple[tuple[str, str], ...] = ((raw, "|"),)
        elif raw[0].isdigit():
            out = ((raw, "#"),)
        else:
            word = raw
            if word[-1].isdigit() and word[:-1].isalpha() and word.endswith("2"):
                word = word[:-1]  # rame2, bagi2: reduplication written with a 2
            words = self.abbrev.get(word, (word,))
            out = tuple((wd, self._stem_word(wd)) for wd in words)
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[raw] = out
        return out

    # ---- analysis

    def analyse(self, text: str) -> Analysis:
        """Find the lexicon's signals in `text`."""
        surf: list[str] = []
        stems: list[str] = []
        for raw in _TOKEN_RE.findall(text.lower()):
            for s, k in self._tokens(raw):
                surf.append(s)
                stems.append(k)
        a = Analysis()
        w = self.w
        neg_window = int(w.get("negation_window", 4))
        neg_extend = int(w.get("negation_extend", 2))
        cond_window = int(w.get("conditional_window", 5))
        neg_end = cond_end = -1
        neg_word = ""
        sig: set[str] = set()
        n = len(surf)
        by_surface, by_stem = self.by_surface, self.by_stem
        i = 0
        while i < n:
            k = stems[i]
            if k == "|":
                neg_end = cond_end = -1
                i += 1
                continue
            if k == "#" or surf[i] in self.number_words:
                self._scale_at(a, surf, i)
            c1 = by_surface.get(surf[i])
            c2 = by_stem.get(k)
            if c1 is None and c2 is None:
                i += 1
                continue
            # Longest match wins; at equal length a written-form (=) entry beats a stem entry,
            # so "=kebakaran" (a fire) is not also "bakar" (arson).
            best: list[_Entry] = []
            best_len = 0
            for cands, seq in ((c1, surf), (c2, stems)):
                if not cands:
                    continue
                exact_pass = seq is surf
                for e in cands:
                    length = len(e.words)
                    if i + length > n or length < best_len:
                        continue
                    if length == best_len and not exact_pass and best and best[0].exact:
                        continue
                    if length == 1 or all(seq[i + j] == e.words[j] for j in range(1, length)):
                        if length > best_len:
                            best, best_len = [e], length
                        else:
                            best.append(e)
            if not best:
                i += 1
                continue
            end = i + best_len
            for e in best:
                kind = e.kind
                if kind == _K_THREAT:
                    if i <= neg_end:
                        a.negated[e.label] = max(a.negated.get(e.label, 0.0), e.weight)
                        neg_end = max(neg_end, end - 1 + neg_extend)
                    else:
                        hyp = i <= cond_end and e.category not in self.cond_exempt
                        cat = a.threats.setdefault(e.category, {})
                        old = cat.get(e.label)
                        if old is None or (old[1] and not hyp):
                            cat[e.label] = (e.weight, hyp)
                        sig.update(e.words)
                        sig.add("#" + e.category)
                elif kind == _K_TARGET:
                    a.targets[e.label] = max(a.targets.get(e.label, 0.0), e.weight)
                    sig.update(e.words)
                elif kind in (_K_REASSURE, _K_RESOLVED):
                    if i <= neg_end:
                        cat = a.threats.setdefault("situasi", {})
                        cat[f"{neg_word} {e.label}"] = (e.weight, False)
                        sig.add("#situasi")
                    elif kind == _K_REASSURE:
                        a.reassurance[e.label] = e.weight
                    else:
                        a.resolved[e.label] = e.weight
                elif kind == _K_ROUTINE:
                    a.routine[e.label] = e.weight
                elif kind == _K_NEG:
                    neg_end = end - 1 + neg_window
                    neg_word = e.label
                elif kind == _K_BREAK:
                    neg_end = cond_end = -1
                elif kind == _K_DRILL:
                    if i <= neg_end:
                        a.not_drill = True
                    else:
                        a.drill[e.label] = e.weight
                elif kind == _K_NOTDRILL:
                    a.not_drill = True
                elif kind == _K_NOW:
                    if i > neg_end:
                        a.now[e.label] = e.weight
                elif kind == _K_PLANNED:
                    if i > neg_end:
                        a.planned[e.label] = e.weight
                elif kind == _K_PAST:
                    a.past.append(e.label)
                elif kind == _K_RUMOUR:
                    a.rumour.append(e.label)
                elif kind == _K_COND:
                    cond_end = end - 1 + cond_window
                elif kind in (_K_DIMINISH, _K_INTENSIFY):
                    a.size[e.label] = e.weight
            i = end
        a.signature = frozenset(sig)
        a.words = frozenset(k for k in stems if k not in ("|", "#"))
        return a

    def _scale_at(self, a: Analysis, surf: list[str], i: int) -> None:
        tok = surf[i]
        value = self.number_words.get(tok)
        if value is None:
            value = _parse_number(tok)
        if value is None:
            return
        j = i + 1
        if j < len(surf) and surf[j] in self.multipliers:
            value *= self.multipliers[surf[j]]
            j += 1
        window = int(self.w.get("scale_window", 3))
        for s in surf[j : j + window]:
            if s in self.people_words:
                a.people = max(a.people, value)
                return
            if s in _BOUNDARY:
                return
