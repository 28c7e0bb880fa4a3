"""First run of ``policykg serve``: answer at once with a progress page while the sample builds.

``Starting`` is a plain WSGI app. It builds the bundled sample into the empty
store in a thread and, until the store is ready, answers every request with a
page that refreshes itself (HTTP 503 with ``Retry-After``, so scripts wait too);
then it makes the real app and hands every request to it.
"""
from __future__ import annotations

import re
import sys
import threading
import time
from html import escape
from pathlib import Path
from typing import Any, Callable, Iterable

from ..kg import KnowledgeGraph, Settings

#: How long building and embedding the bundled sample takes on a 2-core machine (the README says so).
TYPICAL_SECONDS = 120

_PAGE = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="3">
<title>正在准备 · Starting · policykg</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<style>
body {{ font-family: "Noto Sans CJK SC", "Source Han Sans SC", system-ui, sans-serif; margin: 0;
       background: #f6f7f9; color: #1f2933; }}
header {{ background: #b3261e; color: #fff; padding: .6rem 1.5rem; font-weight: bold; }}
main {{ max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }}
progress {{ width: 100%; height: 1.2rem; }}
small {{ color: #61707d; }}
.error {{ background: #fdecea; border: 1px solid #f5c2c0; border-radius: 8px; padding: .5rem 1rem; }}
</style></head>
<body><header>政策知识图谱 <small style="color:#f3d6d3">policykg</small></header>
<main id="starting" data-state="{state}">
<h1>{heading}</h1>
{body}
</main></body></html>
"""


class Starting:
    """A WSGI app that builds the sample into ``settings.store`` and then serves ``make_app()``.

    Args:
        settings: the resolved settings (the store is empty).
        make_app: makes the real app once the store is ready.
        build: builds the sample into the store (default: ``KnowledgeGraph.build`` of
            ``settings.sample`` with progress bars on standard error).
    """

    def __init__(self, settings: Settings, make_app: Callable[[], Any], *,
                 build: Callable[[Settings], str] | None = None):
        self.settings = settings
        self.started = time.monotonic()
        self.app: Any = None
        self.error: str | None = None
        self._make_app = make_app
        self._build = build or _build_sample
        self._thread = threading.Thread(target=self._run, name="policykg-sample-build", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # the build's progress bars (tqdm, on standard error) go on to the console and their
        # last line is kept for the page
        self._console = _LastLine(sys.stderr)
        sys.stderr = self._console
        try:
            summary = self._build(self.settings)
            print(summary, file=sys.stderr)
            self.app = self._make_app()
        except Exception as exc:  # shown on the page and on the console, the server keeps answering
            self.error = f"{type(exc).__name__}: {exc}"
            print(f"policykg: error: building the sample failed: {self.error}", file=sys.stderr)
        finally:
            if sys.stderr is self._console:
                sys.stderr = self._console.stream

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the build to end; True when the real app is ready."""
        self._thread.join(timeout)
        return self.app is not None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        app = self.app
        if app is not None:
            return app(environ, start_response)
        if environ.get("PATH_INFO") in ("/favicon.ico", "/static/favicon.svg"):
            icon = (Path(__file__).parent / "static" / "favicon.svg").read_bytes()
            start_response("200 OK", [("Content-Type", "image/svg+xml"),
                                      ("Content-Length", str(len(icon)))])
            return [icon]
        body = self.page().encode("utf-8")
        start_response("503 Service Unavailable", [
            ("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
            ("Retry-After", "3"), ("Cache-Control", "no-store")])
        return [body]

    def page(self) -> str:
        """The progress page: elapsed time against the usual duration, or the error."""
        if self.error:
            return _PAGE.format(state="error", heading="示例构建失败 · Building the sample failed",
                                body=f'<p class="error">{escape(self.error)}</p>'
                                     "<p>请查看服务器日志 · see the server's console.</p>")
        elapsed = int(time.monotonic() - self.started)
        line = getattr(getattr(self, "_console", None), "last", "")
        step = re.match(r"\s*([^:|]{1,40}):\s*(\d{1,3})%", line)
        if step:  # the bar of the step under way: "embedding:  45%|…| 100/223"
            done = int(step.group(2))
            stage = (f'<p>当前步骤 <small>step</small>: <strong>{escape(step.group(1).strip())}</strong> '
                     f"{done}%</p><pre class=\"bar\">{escape(line.strip()[:120])}</pre>")
        else:
            done = min(95, int(100 * elapsed / TYPICAL_SECONDS))
            stage = ""
        return _PAGE.format(
            state="building", heading="正在构建示例数据 · Building the sample",
            body=f"<p>首次运行：正在把示例文件读入知识图谱并计算向量，通常约需 {TYPICAL_SECONDS // 60} 分钟。"
                 f"<br><small>First run: the sample documents are being built into the graph and "
                 f"embedded; this usually takes about {TYPICAL_SECONDS // 60} minutes.</small></p>"
                 f'<progress max="100" value="{done}"></progress>{stage}'
                 f"<p>已用时 {elapsed} 秒 · {elapsed} s so far · "
                 f"<small>{escape(self.settings.sample)} → {escape(self.settings.store)}</small></p>"
                 "<p><small>本页每 3 秒自动刷新 · this page refreshes itself every 3 s</small></p>")


class _LastLine:
    """A text stream that writes through to ``stream`` and keeps the last line written."""

    def __init__(self, stream):
        self.stream = stream
        self.last = ""

    def write(self, text: str) -> int:
        parts = [p for p in re.split(r"[\r\n]", text) if p.strip()]
        if parts:
            self.last = parts[-1]
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str):  # isatty, fileno, encoding … of the real stream
        return getattr(self.stream, name)


def _build_sample(settings: Settings) -> str:
    with KnowledgeGraph.open(settings) as kg:
        print(f"policykg: the store is empty; building the sample from {settings.sample}",
              file=sys.stderr)
        return kg.build([settings.sample], progress=True).summary()


def needs_sample(settings: Settings) -> bool:
    """True when the store is local and empty (so serving starts by building the sample)."""
    if settings.is_remote:
        return False
    with KnowledgeGraph.open(settings) as kg:
        return kg.is_empty()
