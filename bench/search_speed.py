"""Search latency (p50/p95) as a ratio to the cost of embedding the query alone.

    python bench/search_speed.py --store DIR [--store DIR2 …] [--repeat 3]
    python bench/search_speed.py --store DIR --compare [--gold] [--repeat 2]
    python bench/search_speed.py --store DIR --memoised [--repeat 3] [--profile 25]
    python bench/search_speed.py --store DIR --clients 4 [--repeat 4]
    python bench/search_speed.py --store DIR --tail [--repeat 7]

``--compare`` (issue 13, item 8) answers the same questions in the same process with the
exact float32 product and with the int8 scan + exact re-rank (forced, whatever the store's
size), and times the first count of terms by a scan of the text against the
character-pair index; it prints Markdown tables.

``--tail`` times what follows the vector in a search: from the search's own embedding
returning to the answer, per question (median of ``--repeat`` rounds), with the caches as an
embedding leaves them (``--memoised`` has none to leave).

``--clients N`` asks the questions from N threads of one process at once (each its own
order, ``--repeat`` rounds) and prints searches per second, p50 and p95.

Each store must already be built (``policykg build``). For every question the
full search and the bare query embedding are timed in the same run; the
difference is the cost of tokenising, BM25, linking, fusion and graph lifting.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from policykg.kg import KnowledgeGraph  # noqa: E402
from policykg.kg.embeddings import get_embedder  # noqa: E402

QUESTIONS = [
    "which tasks involve aviation?", "哪些任务涉及养老？", "elderly care", "垃圾分类",
    "startups and incubators", "哪些单位参与时尚创意？", "foreign investment", "人工智能",
    "哪些文件提到科技创新？", "which sentences mention the Belt and Road?", "机场", "ballet",
]


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def measure(store: str, repeat: int) -> dict[str, float]:
    """Latencies in milliseconds for one store."""
    with KnowledgeGraph.open({"store": store}) as kg:
        embedder = get_embedder(kg.settings)  # the searcher's model, loaded beside it
        embedder.embed_queries(["warm-up"])
        t0 = time.perf_counter()
        kg.search("warm-up")  # loads the searcher once
        load = time.perf_counter() - t0
        own = _embedded_texts(kg)
        searches, embeds, owns = [], [], []
        for _ in range(repeat):
            for question in QUESTIONS:
                t = time.perf_counter()
                embedder.embed_queries([question])
                embeds.append(time.perf_counter() - t)
                t = time.perf_counter()
                embedder.embed_queries(own[question])
                owns.append(time.perf_counter() - t)
                t = time.perf_counter()
                kg.search(question)
                searches.append(time.perf_counter() - t)
        rows = kg.store.select_rows("SELECT (COUNT(?s) AS ?n) WHERE { ?s a pol:Sentence }")
        n_sent = int(list(rows)[0]["n"])
    emb50 = statistics.median(embeds)
    return {"load_s": load, "sentences": n_sent,
            "search_p50": _pct(searches, 0.5) * 1e3, "search_p95": _pct(searches, 0.95) * 1e3,
            "embed_p50": emb50 * 1e3, "embed_p95": _pct(embeds, 0.95) * 1e3,
            "ratio_p50": _pct(searches, 0.5) / emb50, "ratio_p95": _pct(searches, 0.95) / emb50,
            "ratio_p95_p95": _pct(searches, 0.95) / _pct(embeds, 0.95),
            "overhead_p50": (_pct(searches, 0.5) - emb50) / emb50,
            "own_p50": statistics.median(owns) * 1e3,
            "ratio_p95_own": _pct(searches, 0.95) / statistics.median(owns)}


def _embedded_texts(kg: KnowledgeGraph) -> dict[str, list[str]]:
    """What the search embeds for each question: the question with the Chinese names of the
    concepts it links to ("elderly care老年照护"), longer and slower to embed than the
    question alone (the "own" columns)."""
    embedder = kg.searcher().embedder
    seen: list[str] = []
    plain = embedder.embed_queries

    def noted(texts):
        seen.extend(texts)
        return plain(texts)

    embedder.embed_queries = noted  # this instance, for one pass
    texts = {}
    try:
        for question in QUESTIONS:
            seen.clear()
            kg.search(question)
            texts[question] = list(seen) or [question]
    finally:
        del embedder.embed_queries
    return texts


def memoised(store: str, repeat: int, profile: int = 0) -> dict[str, float]:
    """The search without its query embedding (each question's vector memoised): load, first
    question, p50/p95 in milliseconds, and the process's RSS in MB; with ``profile``, the timed
    searches run under cProfile and its ``profile`` costliest functions (own time) are printed."""
    with KnowledgeGraph.open({"store": store}, read_only=True) as kg:
        t0 = time.perf_counter()
        searcher = kg.searcher()
        load = time.perf_counter() - t0
        embedder, vectors = searcher.embedder, {}
        embed = embedder.embed_queries

        def once(texts):
            key = tuple(texts)
            if key not in vectors:
                vectors[key] = embed(texts)
            return vectors[key]

        embedder.embed_queries = once  # this instance only
        t0 = time.perf_counter()
        kg.search(QUESTIONS[0])
        first = time.perf_counter() - t0
        for question in QUESTIONS:
            kg.search(question)  # every vector the searcher asks for, memoised
        times = []
        profiler = cProfile.Profile() if profile else None
        for _ in range(repeat):
            for question in QUESTIONS:
                if profiler:
                    profiler.enable()
                t0 = time.perf_counter()
                kg.search(question)
                times.append(time.perf_counter() - t0)
                if profiler:
                    profiler.disable()
        if profiler:  # per search, so the figures read against p50
            rows = sorted(pstats.Stats(profiler).stats.items(), key=lambda kv: -kv[1][2])
            print(f"{'own ms':>8} {'with callees':>12} {'calls':>7}  function (per search)")
            for (path, line, name), (_, calls, own, cum, _) in rows[:profile]:
                where = f"{Path(path).name}:{line}({name})" if line else name
                print(f"{own / len(times) * 1e3:>8.3f} {cum / len(times) * 1e3:>12.3f} "
                      f"{calls / len(times):>7.1f}  {where}")
        status = Path("/proc/self/status")
        rss = float(status.read_text().split("VmRSS:")[1].split()[0]) / 1024 \
            if status.is_file() else float("nan")
    return {"load_s": load, "first_ms": first * 1e3, "p50_ms": _pct(times, 0.5) * 1e3,
            "p95_ms": _pct(times, 0.95) * 1e3, "rss_mb": rss}


def tail(store: str, repeat: int) -> dict[str, float]:
    """Per question, the median milliseconds from the search's embedding returning to its
    answer (the questions taken in turn, so that no vector is reused)."""
    with KnowledgeGraph.open({"store": store}, read_only=True) as kg:
        kg.search("warm-up")
        embedder = kg.searcher().embedder
        embed, returned = embedder.embed_queries, [None]

        def noted(texts):
            vectors = embed(texts)
            returned[0] = time.perf_counter()
            return vectors

        embedder.embed_queries = noted  # this instance only
        after: dict[str, list[float]] = {q: [] for q in QUESTIONS}
        for _ in range(repeat):
            for question in QUESTIONS:
                returned[0] = None
                kg.search(question)
                if returned[0] is not None:  # a question answered without a vector has no tail
                    after[question].append(time.perf_counter() - returned[0])
    return {q: statistics.median(v) * 1e3 for q, v in after.items() if v}


def clients(store: str, count: int, repeat: int) -> dict[str, float]:
    """``count`` threads asking every question ``repeat`` times at once: searches per second
    and latency p50/p95 in milliseconds."""
    from concurrent.futures import ThreadPoolExecutor

    with KnowledgeGraph.open({"store": store}, read_only=True) as kg:
        for question in ["warm-up", *QUESTIONS]:
            kg.search(question)
        times: list[float] = []

        def ask(offset: int) -> None:
            for _ in range(repeat):
                for i in range(len(QUESTIONS)):
                    t = time.perf_counter()
                    kg.search(QUESTIONS[(offset * 5 + i) % len(QUESTIONS)])
                    times.append(time.perf_counter() - t)  # list.append is atomic
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=count) as pool:
            list(pool.map(ask, range(count)))
        wall = time.perf_counter() - t0
    return {"per_s": len(times) / wall, "p50": _pct(times, 0.5) * 1e3,
            "p95": _pct(times, 0.95) * 1e3}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", action="append", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compare", action="store_true",
                        help="exact vs int8 + re-rank, term scan vs index (Markdown)")
    parser.add_argument("--gold", action="store_true",
                        help="with --compare: also every question of bench/gold/")
    parser.add_argument("--memoised", action="store_true",
                        help="the search without its query embedding: load, first, p50/p95, RSS")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="with --memoised: the N functions with the most own time per search")
    parser.add_argument("--clients", type=int, default=0, metavar="N",
                        help="N threads asking at once: searches/s, p50, p95")
    parser.add_argument("--tail", action="store_true",
                        help="per question, the time from its embedding to the answer")
    args = parser.parse_args(argv)
    if args.tail:
        for store in args.store:
            m = tail(store, args.repeat)
            print(f"{Path(store).name}: after the vector, median of the questions "
                  f"{statistics.median(m.values()):.2f} ms, slowest {max(m.values()):.2f} ms")
            for question, ms in m.items():
                print(f"  {ms:6.2f} ms  {question}")
        return 0
    if args.clients:
        for store in args.store:
            m = clients(store, args.clients, args.repeat)
            print(f"{Path(store).name}: {args.clients} clients, {m['per_s']:.1f} searches/s, "
                  f"p50 {m['p50']:.1f} ms, p95 {m['p95']:.1f} ms")
        return 0
    if args.memoised:
        for store in args.store:
            m = memoised(store, args.repeat, args.profile)
            print(f"{Path(store).name}: load {m['load_s']:.2f} s, first {m['first_ms']:.0f} ms, "
                  f"p50 {m['p50_ms']:.1f} ms, p95 {m['p95_ms']:.1f} ms without the embedding; "
                  f"RSS {m['rss_mb']:.0f} MB")
        return 0
    if args.compare:
        from speed_compare import compare  # beside this script
        from vector_index import questions
        for store in args.store:
            compare(store, args.repeat, QUESTIONS + (questions() if args.gold else []))
        return 0
    # ratio p95 is the search's p95 over the embedding's p50; "p95/p95" over the embedding's
    # own p95 (the model's jitter on a busy machine is in both); "own": the embedding of the
    # text the search itself embeds, "p95/own" the search's p95 over its median
    print(f"{'store':<28} {'sent':>6} {'load s':>7} {'search p50':>10} {'p95':>7} "
          f"{'embed p50':>9} {'p95':>7} {'ratio p50':>9} {'p95':>6} {'p95/p95':>7} "
          f"{'overhead/embed':>14} {'own p50':>8} {'p95/own':>7}")
    for store in args.store:
        m = measure(store, args.repeat)
        print(f"{Path(store).name:<28} {m['sentences']:>6} {m['load_s']:>7.2f} "
              f"{m['search_p50']:>8.1f}ms {m['search_p95']:>5.1f}ms {m['embed_p50']:>7.1f}ms "
              f"{m['embed_p95']:>5.1f}ms {m['ratio_p50']:>9.2f} {m['ratio_p95']:>6.2f} "
              f"{m['ratio_p95_p95']:>7.2f} {m['overhead_p50']:>14.2f} "
              f"{m['own_p50']:>6.1f}ms {m['ratio_p95_own']:>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
