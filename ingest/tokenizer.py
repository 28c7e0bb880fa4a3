"""The jieba tokenizer of policykg, with its user dictionary: built once per process.

Entity extraction (:mod:`ingest.entities`) and search (``kg.search``) cut text
with the same dictionary. jieba's module-level ``jieba.dt`` is never used: the
tokenizer here is our own instance, built on first use (loading the main
dictionary takes about a second).

    tok = shared_tokenizer()          # the user dictionary loaded; never change it
    mine = private_tokenizer()        # a copy a caller may add words to
"""
from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from typing import Any

__all__ = ["USERDICT", "shared_tokenizer", "private_tokenizer", "dictionary_digest"]

#: The user dictionary shipped with ingest (word, frequency, POS tag per line).
USERDICT = Path(__file__).resolve().parent / "data" / "userdict.txt"

_LOCK = threading.Lock()
_SHARED: dict[Path, Any] = {}  # user dictionary → its tokenizer, one per process


def shared_tokenizer(userdict: str | Path | None = None) -> Any:
    """The process-wide ``jieba.Tokenizer`` with ``userdict`` (default :data:`USERDICT`) loaded.

    Callers only read it (cut, tokenize); one that adds words takes a
    :func:`private_tokenizer` instead, so the words never leak into the others.
    A malformed user dictionary only costs precision: the words read before the
    bad line are kept.
    """
    import jieba

    path = Path(userdict).resolve() if userdict is not None else USERDICT
    with _LOCK:
        tokenizer = _SHARED.get(path)
        if tokenizer is None:
            # jieba announces its dictionary at DEBUG on standard error, in every process
            # (parse workers, a server's worker): only problems are worth a line
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            if path.is_file():
                try:
                    tokenizer.load_userdict(str(path))
                except Exception:  # jieba raises bare ValueError/Exception on a bad line
                    pass
            _SHARED[path] = tokenizer
    return tokenizer


def private_tokenizer(userdict: str | Path | None = None) -> Any:
    """A copy of :func:`shared_tokenizer` that the caller may add words to.

    Copies the word frequencies (milliseconds) instead of loading the main
    dictionary again (about a second).
    """
    import jieba

    base = shared_tokenizer(userdict)
    base.check_initialized()
    with _LOCK:
        copy = jieba.Tokenizer(base.dictionary)
        copy.FREQ = dict(base.FREQ)
        copy.total = base.total
        copy.user_word_tag_tab = dict(base.user_word_tag_tab)
        copy.initialized = True
    return copy


def dictionary_digest(userdict: str | Path | None = None) -> str:
    """A hash of the user dictionary's bytes ('' without one): keys caches of tokenised text."""
    path = Path(userdict) if userdict is not None else USERDICT
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""
