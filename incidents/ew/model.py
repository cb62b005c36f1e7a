"""The learned layer: a linear model over word and character n-grams and the event parts,
run from a JSON artefact in pure Python (no Django, no scikit-learn at run time, no pickle).

Features of a report (the same function feeds training and scoring, :func:`analyse`):

- ``w:`` word unigrams and bigrams of the normalised text (incidents/ew/events.py's
  normalisation: chat spelling, Javanese, English mapped to concept words);
- ``c:`` character 3- to 5-grams inside word boundaries (" diac", "acun", "ung2"), which carry
  spelling variants and affixes the word list has never seen;
- ``e:`` the event reader's parts with their status (``act_arson_planned``,
  ``means_weapon_plain``, ``doc_drill``, ``ev_level_merah``), the rule engine's level
  (``rule_merah``) and the channel.

Each block is TF-IDF weighted (sublinear term frequency, l2 norm, exactly as scikit-learn's
TfidfVectorizer computes it: tests/test_ew_model.py checks both agree) and multiplied by its
block weight; the event block is binary.
A multinomial logistic model gives a logit per level; logits are divided by the fitted
temperature and turned into probabilities. The report's **severity** is
``p(merah) + 0.5 x p(kuning)``; its level comes from two severity cut-offs chosen on
out-of-fold predictions when the model was trained (``thresholds``), and its score (0..100)
maps severity onto the engine's scale so that the kuning cut-off lands on 15 and the merah
cut-off on 55 (the thresholds the rest of Sispam reads).

The artefact (``ew_train`` writes it, :func:`load_artefact` reads it) is plain JSON:
``{"format": "sispam-ew-linear/1", "classes": [...], "blocks": {"w": {"weight": ...,
"idf": {feature: idf}}, "c": {...}, "e": {...}}, "coef": {feature: [per class]},
"intercept": [...], "temperature": T, "thresholds": {"kuning": s, "merah": s},
"trained": {...}}``. Loading it executes nothing.
"""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT = "sispam-ew-linear/1"
CLASSES = ("hijau", "kuning", "merah")
HERE = Path(__file__).parent
CHAR_RANGE = (3, 5)
OTHERS = ((1, 2), (0, 2), (0, 1))  # the two other classes of each class


def word_features(words: list[str]) -> list[str]:
    """Word unigrams and bigrams within clauses ('|' and ',' end a bigram run)."""
    out: list[str] = []
    prev = None
    for w in words:
        if w in ("|", ","):
            prev = None
            continue
        out.append("w:" + w)
        if prev is not None:
            out.append(f"w:{prev} {w}")
        prev = w
    return out


_CHAR_CACHE: dict[str, tuple[str, ...]] = {}


def _word_grams(w: str) -> tuple[str, ...]:
    hit = _CHAR_CACHE.get(w)
    if hit is None:
        padded = f" {w} "
        n = len(padded)
        lo, hi = CHAR_RANGE
        hit = tuple(
            "c:" + padded[i : i + k] for k in range(lo, min(hi, n) + 1) for i in range(n - k + 1)
        )
        if len(_CHAR_CACHE) > 200_000:
            _CHAR_CACHE.clear()
        _CHAR_CACHE[w] = hit
    return hit


class CharBlock(list):
    """The character block of one report: its n-grams (a plain list to training), and the
    words they came from, which let the model add up cached per-word sums instead of visiting
    every n-gram (LinearModel.logits)."""

    __slots__ = ("words",)


def char_features(words: list[str]) -> CharBlock:
    """Character n-grams of each word padded with spaces (scikit-learn's char_wb idea);
    a word's n-grams are cached, words repeat."""
    out = CharBlock()
    out.words = [w for w in words if w not in ("|", ",")]
    for w in out.words:
        out.extend(_word_grams(w))
    return out


def blocks_of(words: list[str], event_features: list[str]) -> dict[str, list[str]]:
    """The three feature blocks of one report."""
    return {
        "w": word_features(words),
        "c": char_features(words),
        "e": ["e:" + f for f in dict.fromkeys(event_features)],
    }


@dataclass(frozen=True, slots=True)
class Prediction:
    probabilities: dict[str, float]
    severity: float
    level: str
    score: int
    top: list[tuple[str, float]]  # features pulling towards the predicted level
    lifted: bool = False  # raised to a floor by a guard (incidents/ew/combine.py)


class LinearModel:
    """A loaded artefact: :meth:`predict` scores one report's feature blocks."""

    def __init__(self, artefact: dict[str, Any]) -> None:
        if not isinstance(artefact, dict) or artefact.get("format") != FORMAT:
            raise ValueError(f"model artefact must have format {FORMAT!r}")
        try:
            self.classes = tuple(artefact["classes"])
            coef = artefact["coef"]
            # One look-up per feature: (idf, coefficients or None), per block.
            self.blocks = {}
            for name, b in artefact["blocks"].items():
                table = {f: _entry(float(i), _coefs(coef.get(f))) for f, i in b["idf"].items()}
                self.blocks[name] = (
                    float(b["weight"]),
                    table,
                    bool(b.get("binary", False)),
                    bool(b.get("norm", True)),
                )
            self.intercept = tuple(float(v) for v in artefact["intercept"])
            self.temperature = float(artefact.get("temperature", 1.0))
            th = artefact["thresholds"]
            self.cut_kuning, self.cut_merah = float(th["kuning"]), float(th["merah"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"model artefact is missing {exc}") from None
        if self.classes != CLASSES:
            raise ValueError(f"model classes must be {CLASSES}")
        if not 0 < self.cut_kuning < self.cut_merah < 1 or self.temperature <= 0:
            raise ValueError("model thresholds need 0 < kuning < merah < 1, temperature > 0")
        self.trained = artefact.get("trained", {})
        self._word_sums: dict[str, tuple[float, float, float, float]] = {}  # character block

    def logits(self, blocks: dict[str, list[str]]) -> tuple[list[float], dict[str, tuple]]:
        """The logit per class of one report's blocks, and the word and event features with
        their scaled value and coefficients (for the reasons).

        Per block: z += weight / |v| * sum(v_f * coef_f) with v_f = idf_f * tf_f (tf 1, or
        1 + ln(count) when sublinear and the feature repeats). The table holds idf, idf^2 and
        idf * coef per class for every feature, so a feature seen once costs four additions;
        the character block (hundreds of n-grams a report) keeps no per-feature values.
        """
        z0, z1, z2 = self.intercept
        readable: dict[str, tuple] = {}  # word and event features, for the reasons
        for name, feats in blocks.items():
            known = self.blocks.get(name)
            if known is None:  # a block the model was trained without
                continue
            weight, table, binary, norm = known
            keep = name != "c"
            if isinstance(feats, CharBlock) and not keep:
                total, s0, s1, s2 = self._char_sums(feats, table, binary)
                scale = weight / math.sqrt(total) if norm and total > 0 else weight
                z0 += s0 * scale
                z1 += s1 * scale
                z2 += s2 * scale
                continue
            total = s0 = s1 = s2 = 0.0
            kept = []
            for f, c in Counter(feats).items():
                entry = table.get(f)
                if entry is None:
                    continue
                idf, idf2, a0, a1, a2 = entry
                if binary or c == 1:
                    total += idf2
                    s0 += a0
                    s1 += a1
                    s2 += a2
                    tf = 1.0
                else:
                    tf = 1.0 + math.log(c)
                    total += tf * tf * idf2
                    s0 += tf * a0
                    s1 += tf * a1
                    s2 += tf * a2
                if keep and (a0 or a1 or a2):
                    kept.append((f, tf, entry))
            scale = weight / math.sqrt(total) if norm and total > 0 else weight
            z0 += s0 * scale
            z1 += s1 * scale
            z2 += s2 * scale
            for f, tf, (idf, _idf2, a0, a1, a2) in kept:
                x = tf * idf * scale
                readable[f] = (x, a0 / idf, a1 / idf, a2 / idf)
        return [z0, z1, z2], readable

    def _char_sums(self, feats: CharBlock, table: dict, binary: bool):
        """(sum v^2, sum v * coef per class) of the character block, exactly as the general
        loop computes them: the sum of each word's cached sums (every n-gram taken once per
        occurrence), then, for the n-grams that occur c > 1 times, the difference between
        tf(c) (1 + ln c, or 1 when binary) and the c the word sums counted."""
        sums = self._word_sums
        total = s0 = s1 = s2 = 0.0
        for w in feats.words:
            p = sums.get(w)
            if p is None:
                p = self._word_sum(w, table)
            total += p[0]
            s0 += p[1]
            s1 += p[2]
            s2 += p[3]
        counts = Counter(feats)
        if len(counts) < len(feats):
            for f, c in [fc for fc in counts.items() if fc[1] > 1]:
                entry = table.get(f)
                if entry is None:
                    continue
                tf = 1.0 if binary else 1.0 + math.log(c)
                _idf, idf2, a0, a1, a2 = entry
                total += (tf * tf - c) * idf2
                s0 += (tf - c) * a0
                s1 += (tf - c) * a1
                s2 += (tf - c) * a2
        return total, s0, s1, s2

    def _word_sum(self, w: str, table: dict) -> tuple[float, float, float, float]:
        total = s0 = s1 = s2 = 0.0
        for f in _word_grams(w):
            entry = table.get(f)
            if entry is not None:
                total += entry[1]
                s0 += entry[2]
                s1 += entry[3]
                s2 += entry[4]
        if len(self._word_sums) > 200_000:
            self._word_sums.clear()
        self._word_sums[w] = (total, s0, s1, s2)
        return total, s0, s1, s2

    def predict(self, blocks: dict[str, list[str]]) -> Prediction:
        z, readable = self.logits(blocks)
        t = self.temperature
        m = max(z)
        exp = [math.exp((v - m) / t) for v in z]
        total = sum(exp)
        p = [v / total for v in exp]
        severity = p[2] + 0.5 * p[1]
        level = 2 if severity >= self.cut_merah else 1 if severity >= self.cut_kuning else 0
        # What pulled towards this level rather than the others (word and event features).
        pulls = []
        a, b = OTHERS[level]
        for f, (x, *c) in readable.items():
            ca, cb = c[a], c[b]
            pull = x * (c[level] - (ca if ca > cb else cb))
            if pull > 0:
                pulls.append((f, pull))
        pulls.sort(key=lambda kv: -kv[1])
        return Prediction(
            probabilities=dict(zip(CLASSES, p, strict=True)),
            severity=severity,
            level=CLASSES[level],
            score=self.score_of(severity),
            top=pulls[:12],
        )

    def lifted(self, pred: Prediction, level: str) -> Prediction:
        """`pred` raised to `level`: its severity to that level's cut-off."""
        cut = self.cut_merah if level == "merah" else self.cut_kuning
        severity = max(pred.severity, cut)
        return Prediction(
            probabilities=pred.probabilities,
            severity=severity,
            level=level,
            score=self.score_of(severity),
            top=pred.top,
            lifted=True,
        )

    def score_of(self, severity: float) -> int:
        """Severity (0..1) onto 0..100 with the kuning cut at 15 and the merah cut at 55."""
        k, m = self.cut_kuning, self.cut_merah
        if severity < k:
            s = 15 * severity / k
        elif severity < m:
            s = 15 + 40 * (severity - k) / (m - k)
        else:
            s = 55 + 45 * (severity - m) / (1 - m)
        # Never round across a cut-off: the score and the level always agree.
        out = int(s)
        if severity >= m:
            out = max(out, 55)
        elif severity >= k:
            out = min(max(out, 15), 54)
        else:
            out = min(out, 14)
        return max(0, min(100, out))


def _entry(idf: float, coefs) -> tuple[float, float, float, float, float]:
    """A feature's row of the scoring table: idf, idf^2 and idf x coefficient per class (zero
    coefficients for a feature that only weighs in the norm)."""
    c0, c1, c2 = coefs if coefs is not None else (0.0, 0.0, 0.0)
    return (idf, idf * idf, idf * c0, idf * c1, idf * c2)


def _coefs(c) -> tuple[float, float, float] | None:
    return None if c is None else (float(c[0]), float(c[1]), float(c[2]))


def load_artefact(ref: str | dict[str, Any]) -> dict[str, Any]:
    """An artefact given inline (a dict) or as the name of a file shipped beside this module
    (``.json`` or ``.json.gz``); a name with a path in it is refused."""
    if isinstance(ref, dict):
        return ref
    if not isinstance(ref, str) or "/" in ref or "\\" in ref or ref.startswith("."):
        raise ValueError("config.model must be an artefact object or a shipped file name")
    path = HERE / ref
    opener = gzip.open if ref.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            return json.load(fh)
    except OSError as exc:
        raise ValueError(f"cannot read model artefact {ref}: {exc}") from None


def dump_artefact(artefact: dict[str, Any], path: str | Path) -> None:
    """Write an artefact (gzip when the name ends in .gz)."""
    path = Path(path)
    text = json.dumps(artefact, ensure_ascii=False, separators=(",", ":"))
    if path.name.endswith(".gz"):
        # mtime=0: the same model always writes the same bytes.
        with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as fh:
            fh.write(text.encode("utf-8"))
    else:
        path.write_text(text, encoding="utf-8")
