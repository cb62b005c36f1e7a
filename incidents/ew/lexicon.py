"""Words: Sastrawi stems behind a per-word cache, shared by the lexicon engine and the event
reader (no Django)."""

from __future__ import annotations

import functools


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


def stem_cache_clear() -> None:
    """Forget every cached stem (benchmarks use it to measure a cold start)."""
    stem.cache_clear()
    _sastrawi.cache_clear()
