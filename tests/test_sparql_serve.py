"""``policykg serve`` as a user starts it: granian by default, waitress by the setting ``server``."""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from policykg.kg import KnowledgeGraph

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow
JSON = "application/sparql-results+json"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "store"
    with KnowledgeGraph.open({"store": str(path)}) as kg:
        kg.build([str(REPO / "data")], embed=False)
    return path


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, headers: dict | None = None, method: str = "GET", data: bytes | None = None):
    request = urllib.request.Request(url, headers=headers or {}, method=method, data=data)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()  # names in any case
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


class Served:
    """``policykg serve`` in a child process on a free port, its standard error in a file."""

    def __init__(self, store: Path, log: Path, **env: str):
        self.port, self.store, self.log = _port(), store, log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "policykg.web.cli", "serve", "--store", str(store),
             "--port", str(self.port)],
            env={**os.environ, "POLICYKG_SPARQL_TIMEOUT": "5", **env},
            stdout=subprocess.DEVNULL, stderr=log.open("wb"))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if _get(self.url("ASK {}"))[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
            if self.proc.poll() is not None:
                raise RuntimeError(f"policykg serve exited: {log.read_text()}")
        raise RuntimeError("policykg serve did not answer within 120 s")

    def url(self, query: str | None = None, **params: str) -> str:
        if query is not None:
            params = {"query": query, **params}
        return f"http://127.0.0.1:{self.port}/sparql" + (
            "?" + urllib.parse.urlencode(params) if params else "")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


def _snapshots(store: Path) -> list[str]:
    return [p.name for p in store.parent.iterdir() if p.name.startswith(f".{store.name}-sparql-")]


def test_serve_runs_on_granian_answers_the_protocol_and_stops_cleanly(built, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(built, store)
    served = Served(store, tmp_path / "serve.log")
    try:
        assert "(granian)" in (tmp_path / "serve.log").read_text()
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        status, headers, body = _get(served.url(count), {"Accept": JSON})
        assert status == 200 and headers["Content-Type"].startswith(JSON)
        triples = int(json.loads(body)["results"]["bindings"][0]["n"]["value"])
        # a big answer streams (more than one 64 KB frame) and arrives whole
        status, headers, body = _get(served.url("SELECT * WHERE { ?s ?p ?o }"), {"Accept": JSON})
        assert status == 200 and len(body) > 1_000_000
        assert len(json.loads(body)["results"]["bindings"]) == triples
        # POST, HEAD, a syntax error with the engine's position, CORS, the service description
        status, _h, body = _get(served.url(), {"Content-Type": "application/sparql-query",
                                               "Accept": JSON}, "POST", b"ASK { ?s ?p ?o }")
        assert (status, json.loads(body)["boolean"]) == (200, True)
        status, headers, body = _get(served.url("ASK {}"), method="HEAD")
        assert status == 200 and body == b""
        status, _h, body = _get(served.url("SELECT * WHERE { ?s ?p }"), {"Accept": JSON})
        assert status == 400 and b"syntax error at 1:" in body
        status, headers, _b = _get(served.url("ASK {}"), {"Origin": "http://yasgui.example"})
        assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
        status, headers, body = _get(served.url(), {"Accept": "text/turtle"})
        assert status == 200 and b"sparql-service-description#defaultDataset" in body
        assert _snapshots(store)  # the workers' snapshot, beside the store
        # an answer still streaming at sparql_timeout (5 s) is cut: the chunked body never ends
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=60)
        connection.request("GET", served.url("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"),
                           headers={"Accept": JSON})
        response = connection.getresponse()
        assert response.status == 200
        with pytest.raises(http.client.IncompleteRead):
            response.read()
        connection.close()
        assert _get(served.url("ASK {}"))[0] == 200
    finally:
        code = served.stop()
    log = (tmp_path / "serve.log").read_text()
    assert code == 0, log
    assert "Traceback" not in log and "warning" not in log.lower(), log
    assert "policykg: an answer was cut while streaming: the answer was still streaming after 5 s" \
        in log
    assert not _snapshots(store), "the snapshot is removed when the server stops"


def test_the_setting_server_picks_waitress_and_an_unknown_one_is_a_one_line_error(built, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(built, store)
    served = Served(store, tmp_path / "serve.log", POLICYKG_SERVER="waitress")
    try:
        assert "(waitress)" in (tmp_path / "serve.log").read_text()
        status, headers, body = _get(served.url("ASK {}"), {"Accept": JSON})
        assert (status, json.loads(body)["boolean"]) == (200, True)
        assert headers["Server"] == "policykg"
    finally:
        assert served.stop() == 0
    assert not _snapshots(store)
    done = subprocess.run([sys.executable, "-m", "policykg.web.cli", "serve", "--store",
                           str(store), "--port", str(_port())],
                          env={**os.environ, "POLICYKG_SERVER": "gunicorn"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "policykg: error: setting server: expected one of granian, waitress, got 'gunicorn'"]


def test_a_store_in_use_is_said_in_one_line_and_ends_the_server(built, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(built, store)
    with KnowledgeGraph.open({"store": str(store)}):  # another process's build, say
        done = subprocess.run([sys.executable, "-m", "policykg.web.cli", "serve", "--store",
                               str(store), "--port", str(_port())],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    assert (f"policykg: error: store {store} is in use by another process "
            "(stop the other policykg command or server first)") in done.stderr.splitlines()


def test_a_stop_signal_reaches_granians_handler_whichever_thread_the_kernel_picks():
    """granian's worker waits for its handler in its main thread, blocked on a lock: the
    signals go to one thread of ours, which runs that handler (a stop hung one start in eight)."""
    code = """
import os, signal, sys, threading, time
from policykg.web.serve import _stop_signals_to_one_thread
_stop_signals_to_one_thread()
threading.Thread(target=time.sleep, args=(30,), daemon=True).start()  # made later: masked too
assert signal.SIGTERM in signal.pthread_sigmask(signal.SIG_BLOCK, [])
woken = threading.Event()
if sys.argv[1] == "handler":  # installed last, as granian does once the app is made
    signal.signal(signal.SIGTERM, lambda *_: woken.set())
threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM)).start()
woken.wait(20)
print("stopped" if woken.is_set() else "still waiting")
"""
    done = subprocess.run([sys.executable, "-c", code, "handler"], capture_output=True,
                          text=True, timeout=30)
    assert (done.returncode, done.stdout.strip()) == (0, "stopped"), done.stderr
    early = subprocess.run([sys.executable, "-c", code, "none"], capture_output=True, text=True,
                           timeout=30)  # before granian's handler: ends as SIGTERM would
    assert early.returncode == 128 + signal.SIGTERM and early.stdout == "", early.stderr
