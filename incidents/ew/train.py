"""Training the learned layer with scikit-learn (used by ``manage.py ew_train`` and
``bench/ew_eval.py``; never imported when scoring).

:func:`train` fits one model on labelled rows (``text``, ``expected``, optional ``channel`` and
``author``) and returns the artefact incidents/ew/model.py runs:

1. features from :func:`incidents.ew.engine.Engine.model_blocks` (the very function scoring
   uses), vectorised by TfidfVectorizer with that function's lists as the analyzer;
2. a multinomial LogisticRegression (lbfgs, L2, balanced class weights) on the weighted
   blocks;
3. calibration on out-of-fold predictions, folds grouped by author (GroupKFold) so that a
   report is never judged by a model that saw its author: the temperature that minimises the
   log loss, then the merah cut-off on severity that maximises F1.5 (recall counts more: a
   missed merah costs more than a false one) and the kuning cut-off that maximises accuracy.

Hyper-parameters (C, block weights, min_df) are fixed in :data:`PARAMS`; they were chosen by
leave-one-author-out on the open authors only (docs/early-warning.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from incidents.ew.model import CLASSES, FORMAT

PARAMS = {
    "C": 4.0,
    "weights": {"w": 1.0, "c": 1.0, "e": 0.6},
    "min_df": {"w": 2, "c": 2, "e": 1},
    "folds": 5,
    "f_beta": 1.5,
}


def _identity(x):
    return x


def _vectorisers(params: dict[str, Any]) -> dict[str, TfidfVectorizer]:
    md = params["min_df"]
    return {
        "w": TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=md["w"]),
        "c": TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=md["c"]),
        "e": TfidfVectorizer(
            analyzer=_identity, binary=True, use_idf=False, norm=None, min_df=md["e"]
        ),
    }


class _Fitted:
    def __init__(self, blocks: list[dict[str, list[str]]], y: np.ndarray, params: dict) -> None:
        self.params = params
        # A block no report has a feature in (the text-only layer's events) is left out.
        self.vec = {
            name: v for name, v in _vectorisers(params).items() if any(b[name] for b in blocks)
        }
        mats = []
        for name, v in self.vec.items():
            mats.append(v.fit_transform([b[name] for b in blocks]) * params["weights"][name])
        x = sparse.hstack(mats).tocsr()
        self.clf = LogisticRegression(
            C=params["C"], max_iter=3000, class_weight="balanced", solver="lbfgs"
        )
        self.clf.fit(x, y)

    def transform(self, blocks: list[dict[str, list[str]]]):
        mats = [
            v.transform([b[name] for b in blocks]) * self.params["weights"][name]
            for name, v in self.vec.items()
        ]
        return sparse.hstack(mats).tocsr()

    def logits(self, blocks: list[dict[str, list[str]]]) -> np.ndarray:
        return self.clf.decision_function(self.transform(blocks))


def _softmax(z: np.ndarray, t: float) -> np.ndarray:
    z = z / t
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _temperature(z: np.ndarray, y: np.ndarray) -> float:
    best, best_t = math.inf, 1.0
    for t in np.exp(np.linspace(math.log(0.25), math.log(4.0), 41)):
        p = _softmax(z, t)
        loss = -np.mean(np.log(p[np.arange(len(y)), y] + 1e-12))
        if loss < best:
            best, best_t = loss, float(t)
    return best_t


def _cuts(sev: np.ndarray, y: np.ndarray, beta: float) -> tuple[float, float]:
    grid = np.linspace(0.05, 0.95, 181)
    best_f, cut_m = -1.0, 0.5
    for c in grid:
        pred = sev >= c
        tp = float(np.sum(pred & (y == 2)))
        fp = float(np.sum(pred & (y != 2)))
        fn = float(np.sum(~pred & (y == 2)))
        if tp == 0:
            continue
        p, r = tp / (tp + fp), tp / (tp + fn)
        f = (1 + beta**2) * p * r / (beta**2 * p + r)
        if f > best_f:
            best_f, cut_m = f, float(c)
    best_a, cut_k = -1.0, cut_m / 2
    for c in grid[grid < cut_m]:
        pred = np.where(sev >= cut_m, 2, np.where(sev >= c, 1, 0))
        a = float(np.mean(pred == y))
        if a > best_a:
            best_a, cut_k = a, float(c)
    return cut_k, cut_m


def train(
    rows: list[dict[str, Any]],
    model_blocks,
    *,
    params: dict[str, Any] | None = None,
    version: str = "",
) -> dict[str, Any]:
    """Fit and calibrate one model on `rows`; `model_blocks(row)` gives a row's features."""
    params = {**PARAMS, **(params or {})}
    blocks = [model_blocks(r) for r in rows]
    y = np.array([CLASSES.index(r["expected"]) for r in rows])
    groups = np.array([r.get("author") or "?" for r in rows])
    n_groups = len(set(groups.tolist()))
    oof = np.zeros((len(rows), 3))
    if n_groups >= 2:
        folds = GroupKFold(n_splits=min(params["folds"], n_groups))
        for tr, te in folds.split(blocks, y, groups):
            fitted = _Fitted([blocks[i] for i in tr], y[tr], params)
            oof[te] = fitted.logits([blocks[i] for i in te])
        temperature = _temperature(oof, y)
        p = _softmax(oof, temperature)
        cut_k, cut_m = _cuts(p[:, 2] + 0.5 * p[:, 1], y, params["f_beta"])
    else:
        temperature, cut_k, cut_m = 1.0, 0.25, 0.5
    final = _Fitted(blocks, y, params)
    return _export(final, temperature, cut_k, cut_m, rows, version, params)


def _export(fitted: _Fitted, t: float, cut_k: float, cut_m: float, rows, version, params):
    coef = fitted.clf.coef_  # (3, n_features)
    names: list[str] = []
    blocks = {}
    for name, v in fitted.vec.items():
        vocab = v.get_feature_names_out().tolist()
        idf = v.idf_.tolist() if v.use_idf else [1.0] * len(vocab)
        blocks[name] = {
            "weight": params["weights"][name],
            "binary": bool(v.binary),
            "norm": v.norm is not None,
            "idf": {f: round(i, 6) for f, i in zip(vocab, idf, strict=True)},
        }
        names.extend(vocab)
    out_coef = {}
    for j, f in enumerate(names):
        c = coef[:, j]
        if float(np.max(np.abs(c))) >= 1e-4:
            out_coef[f] = [round(float(v), 5) for v in c]
    digest = hashlib.sha256(
        "\n".join(sorted(f"{r.get('author')}|{r['expected']}|{r['text']}" for r in rows)).encode()
    ).hexdigest()
    counts = {c: sum(1 for r in rows if r["expected"] == c) for c in CLASSES}
    return {
        "format": FORMAT,
        "classes": list(CLASSES),
        "blocks": blocks,
        "coef": out_coef,
        "intercept": [round(float(v), 6) for v in fitted.clf.intercept_],
        "temperature": round(t, 4),
        "thresholds": {"kuning": round(cut_k, 4), "merah": round(cut_m, 4)},
        "trained": {
            "version": version,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "reports": len(rows),
            "per_level": counts,
            "authors": sorted({r.get("author") or "?" for r in rows}),
            "data_sha256": digest,
            "params": json.loads(json.dumps(params)),
        },
    }


def read_corpus(paths: Iterable) -> list[dict[str, Any]]:
    """Rows of JSON Lines files, each tagged with its author (the file's name)."""
    rows = []
    for path in paths:
        author = path.name.split(".")[0]
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    row["author"] = author
                    rows.append(row)
    return rows
