"""Errors to HTTP in one place: a PolicyKGError's kind decides its status, anything else 500.

JSON for API clients (``/api/…``, ``/sparql`` or an ``Accept`` preferring
JSON), a page otherwise, plain text for SPARQL clients; never a stack trace.
"""
from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..kg import PolicyKGError

#: kg's error kinds (``PolicyKGError.kind``) as HTTP statuses; kg itself knows no HTTP.
STATUS_OF_KIND = {"invalid": 400, "refused": 403, "not_found": 404, "not_acceptable": 406,
                  "too_large": 413, "timeout": 503, "unavailable": 503}

_TITLES = {400: "请求有误 · Bad request", 403: "不允许 · Forbidden", 404: "未找到 · Not found",
           405: "方法不允许 · Method not allowed", 406: "格式不可用 · Not acceptable",
           413: "请求过大 · Request too large",
           415: "内容类型不支持 · Unsupported media type",
           500: "服务器错误 · Server error", 503: "超时 · Timed out"}


#: What werkzeug says of its own errors, in both languages (a view's own message is kept).
_HTTP_MESSAGES = {404: "这个网址没有页面，请检查拼写 · there is no page at this address; check "
                       "the spelling",
                  405: "这个网址不接受这种请求方法 · this address does not take that method"}


def wants_html() -> bool:
    """True when the client prefers an HTML page to JSON or plain text."""
    best = request.accept_mimetypes.best_match(
        ["text/html", "application/json", "text/plain", "application/sparql-results+json"])
    return best == "text/html" and not request.path.startswith("/api/")


def error_response(status: int, message: str) -> Response:
    """An error answer with ``status`` in the format the client asked for."""
    if wants_html():
        html = render_template("error.html", status=status, message=message,
                               title=_TITLES.get(status, str(status)))
        return Response(html, status=status, mimetype="text/html")
    if request.path.startswith("/sparql") and not _prefers_json():
        return Response(message + "\n", status=status, mimetype="text/plain")
    response = jsonify({"error": {"status": status, "message": message}})
    response.status_code = status
    return response


def _prefers_json() -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/plain"]) == \
        "application/json" and request.accept_mimetypes["application/json"] > 0


def status_of(exc: PolicyKGError) -> int:
    """The HTTP status for a kg error, by its kind."""
    return STATUS_OF_KIND.get(getattr(exc, "kind", "invalid"), 400)


def init_app(app: Flask) -> None:
    """Register the error handlers of the app."""

    @app.errorhandler(PolicyKGError)
    def policykg_error(exc: PolicyKGError):
        return error_response(status_of(exc), str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # werkzeug's own wording is English only; ours is said in both languages
        own = exc.description == type(exc).description
        message = _HTTP_MESSAGES.get(exc.code or 500) if own else None
        return error_response(exc.code or 500, message or exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "内部错误，已记录。An internal error occurred; it has been logged.")
