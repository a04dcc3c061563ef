"""Response headers that every page carries, error pages included (ASVS V3.4)."""

from __future__ import annotations

from flask import Flask, Response, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; form-action 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

# Pages that show reflections or other private records: never kept in any cache.
NO_STORE_PREFIXES = ("/journal", "/supervise", "/account", "/admin", "/progress")


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure or _https_configured():
        response.headers["Strict-Transport-Security"] = (
            "max-age=31536000; includeSubDomains"
        )
    if request.path.startswith(NO_STORE_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
    elif "Cache-Control" not in response.headers and not request.path.startswith(
        "/static/"
    ):
        # Pages may show who is signed in; keep shared caches from storing them.
        response.headers["Cache-Control"] = "private, no-cache"
    return response


def _https_configured() -> bool:
    from flask import current_app

    return bool(current_app.config.get("HTTPS"))


#: The longest request target (path and query) the app serves; longer gets 414.
MAX_URL_BYTES = 4096


def refuse_long_urls() -> None:
    """414 for a URL over MAX_URL_BYTES, with the app's page and headers."""
    environ = request.environ
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if target is None:
        query = environ.get("QUERY_STRING", "")
        target = environ.get("PATH_INFO", "") + ("?" + query if query else "")
    if len(target) > MAX_URL_BYTES:
        abort(414)


def init_security(app: Flask) -> None:
    """Add the headers to every response; trust a proxy's headers only if told to."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind n proxies, take the client address and scheme from the last n
        # X-Forwarded-For/-Proto values; without this, a client could forge them
        # to dodge the per-address rate limit. The Host header is left alone.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0
        )
    app.before_request(refuse_long_urls)
    app.after_request(add_security_headers)
