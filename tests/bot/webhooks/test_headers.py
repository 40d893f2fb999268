"""Security headers on every response; every page's scripts and styles are files (a CSP without unsafe-inline)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from bot.app import create_app
from bot.paths import TEMPLATES_DIR
from bot.runtime import Runtime
from bot.settings import Settings
from bot.webhooks.headers import CONTENT_SECURITY_POLICY
from tests.conftest import make_settings, started_runtime


def _client(rt: Runtime, base_url: str = "https://keephome.example.org", **kw: bool) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(rt), **kw), base_url=base_url)


@pytest.fixture
async def http(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(runtime) as client:
        yield client


async def test_html_pages_get_a_policy_without_inline_script_or_style(http: httpx.AsyncClient) -> None:
    page = await http.get("/console/login")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/healthz", {}),
        ("GET", "/metrics", {}),
        ("GET", "/console/static/console.css", {}),
        ("GET", "/no/such/page", {}),
        ("POST", "/console/login", {"content": b"x" * 100_000}),
    ],
    ids=["json", "metrics", "stylesheet", "404", "413"],
)
async def test_every_response_says_nosniff_and_only_html_carries_the_page_policy(
    http: httpx.AsyncClient, method: str, path: str, kwargs: dict[str, bytes]
) -> None:
    response = await http.request(method, path, **kwargs)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert ("content-security-policy" in response.headers) == response.headers.get("content-type", "").startswith(
        "text/html"
    )


async def test_even_a_crash_is_answered_with_nosniff(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    async def crash(request: Request) -> Response:
        raise RuntimeError("a bug")

    monkeypatch.setattr("bot.app._healthz", crash)
    async with _client(runtime, raise_app_exceptions=False) as client:
        response = await client.get("/healthz")
    assert response.status_code == 500
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("public_url", "hsts"), [("https://keephome.example.org", True), ("http://127.0.0.1:8000", False)]
)
async def test_hsts_only_when_the_public_url_is_https(sqlite_url: str, public_url: str, hsts: bool) -> None:
    settings: Settings = make_settings(sqlite_url, public_url=public_url)
    async with started_runtime(settings) as rt, _client(rt, base_url=public_url) as client:
        for path in ("/console/login", "/healthz"):
            response = await client.get(path)
            assert ("strict-transport-security" in response.headers) is hsts
            if hsts:
                assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_scripts_and_styles_are_served_as_files_and_revalidated(http: httpx.AsyncClient) -> None:
    for name, kind in [("console.css", "text/css"), ("inbox.js", "javascript"), ("case.js", "javascript")]:
        response = await http.get(f"/console/static/{name}")
        assert response.status_code == 200 and kind in response.headers["content-type"]
        assert response.headers["cache-control"] == "no-cache"
        again = await http.get(f"/console/static/{name}", headers={"if-none-match": response.headers["etag"]})
        assert again.status_code == 304
    for path in ("/console/static/nothing.js", "/console/static/../base.html", "/console/static/%2e%2e/base.html"):
        assert (await http.get(path)).status_code == 404


async def test_the_demo_pages_are_served_with_their_files_and_run_has_none(runtime: Runtime) -> None:
    async with _client(runtime) as client:
        assert (await client.get("/simulator/static/simulator.js")).status_code == 404
        assert (await client.get("/demo/static/front.css")).status_code == 404
    runtime.demo = True
    async with _client(runtime) as client:
        page = await client.get("/simulator")
        assert "content-security-policy" in page.headers
        assert '<script src="/simulator/static/simulator.js"></script>' in page.text
        assert '<link rel="stylesheet" href="/simulator/static/simulator.css">' in page.text
        for path in ("/simulator/static/simulator.js", "/simulator/static/simulator.css", "/demo/static/front.css"):
            assert (await client.get(path)).status_code == 200
        assert '<link rel="stylesheet" href="/demo/static/front.css">' in (await client.get("/")).text


# What a CSP without 'unsafe-inline' blocks: inline scripts, style elements and attributes, event handlers,
# javascript: URLs.
_INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)


@pytest.mark.parametrize(
    "page", sorted(TEMPLATES_DIR.glob("*/*.html")), ids=lambda p: f"{Path(p).parent.name}/{Path(p).name}"
)
def test_no_page_has_an_inline_script_or_style(page: Path) -> None:
    assert _INLINE.findall(page.read_text(encoding="utf-8")) == []
