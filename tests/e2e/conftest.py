"""Browser journeys: Debian's Chromium, headless, against pytest-django's live server."""

import contextlib
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the tests
# themselves are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parent / "artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def new_page(browser, request, live_server, *, width=390, height=844):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    request.addfinalizer(lambda: _close(context, page, request))
    return page


def _close(context, page, request):
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        # A screenshot is a courtesy to the reader; failing to take one never fails a test.
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def page(browser, request, live_server):
    """A phone-sized page: members use Suki on their phones."""
    return new_page(browser, request, live_server)


@pytest.fixture
def desktop_page(browser, request, live_server):
    """A desktop/tablet-sized page: the counter and the admin."""
    return new_page(browser, request, live_server, width=1280, height=900)


# What the pages are held to: WCAG 2.2 level AA, every rule of axe tagged for A and AA in WCAG
# 2.0, 2.1 and 2.2. axe's best-practice rules (such as `empty-table-header`, which Django's
# tabular inline fails with its blank first and last header cells) are not part of it.
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def accessibility_violations(page):
    """axe's WCAG 2.2 AA violations on the page, one line each (an empty list when none)."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]},
    )
    return [
        f"{violation['id']}: {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in result.response["violations"]
    ]
