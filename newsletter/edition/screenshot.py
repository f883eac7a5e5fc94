"""Screenshots of a rendered issue in headless Chromium (Debian's ``chromium``), at phone and
desktop widths in light and dark mode, plus the page measurements the layout test needs.

Playwright drives the system browser (``executable_path``; ``playwright install`` is never
needed). Without Playwright the ``chromium --headless --screenshot`` command line is used.
Without any browser, callers get :class:`BrowserUnavailableError` with the reason, and skip.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from newsletter.errors import NewsletterError

WIDTHS = (375, 600)
#: Colour schemes shot (Chromium emulates ``prefers-color-scheme``); light has no suffix.
SCHEMES = ("light", "dark")
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Without the networking switches Chromium keeps trying hosts it cannot reach.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
_CLI_HEIGHT = 3200


class BrowserUnavailableError(NewsletterError):
    """No headless Chromium could be started; the message says why."""


@dataclass(frozen=True, slots=True)
class PageMetrics:
    width: int
    scroll_width: int
    height: int

    @property
    def scrolls_horizontally(self) -> bool:
        return self.scroll_width > self.width


def find_chromium() -> str:
    """The path of a Chromium-family browser on PATH, or BrowserUnavailableError."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserUnavailableError(
        "no headless Chromium found (install Debian's chromium: `make chromium`)"
    )


def measure_and_shoot(
    html_path: Path,
    widths: Iterable[int] = WIDTHS,
    out_stem: Path | None = None,
    schemes: Iterable[str] = ("light",),
) -> dict[int, PageMetrics]:
    """Load the page at each width (in the light scheme); measure it and, with ``out_stem``,
    save full-page PNGs as ``<out_stem>-<width>.png`` (``-<width>-dark.png`` in the dark
    scheme)."""
    executable = find_chromium()
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        if out_stem is None:
            raise BrowserUnavailableError("measuring pages needs the playwright package") from None
        return {w: _cli_shot(executable, html_path, w, out_stem) for w in widths}  # light only
    metrics: dict[int, PageMetrics] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
            try:
                for w in widths:
                    for scheme in schemes:
                        page = browser.new_page(
                            viewport={"width": w, "height": 800},
                            color_scheme="dark" if scheme == "dark" else "light",
                        )
                        page.goto(html_path.resolve().as_uri())
                        sw, iw, h = page.evaluate(
                            "[document.documentElement.scrollWidth, window.innerWidth,"
                            " document.documentElement.scrollHeight]"
                        )
                        if scheme == "light" or w not in metrics:
                            metrics[w] = PageMetrics(int(iw), int(sw), int(h))
                        if out_stem is not None:
                            png = shot_path(out_stem, w, scheme)
                            page.screenshot(path=str(png), full_page=True)
                        page.close()
            finally:
                browser.close()
    except PlaywrightError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BrowserUnavailableError(f"headless Chromium failed to start: {first}") from None
    return metrics


def shot_path(out_stem: Path, width: int, scheme: str = "light") -> Path:
    suffix = "" if scheme == "light" else f"-{scheme}"
    return out_stem.with_name(f"{out_stem.name}-{width}{suffix}.png")


def _cli_shot(executable: str, html_path: Path, width: int, out_stem: Path) -> PageMetrics:
    out = shot_path(out_stem, width)
    cmd = [
        executable,
        "--headless",
        *CHROMIUM_ARGS,
        f"--window-size={width},{_CLI_HEIGHT}",
        f"--screenshot={out}",
        html_path.resolve().as_uri(),
    ]
    try:
        subprocess.run(cmd, capture_output=True, timeout=120, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise BrowserUnavailableError(f"headless Chromium failed: {exc}") from None
    return PageMetrics(width, width, _CLI_HEIGHT)


def screenshots(html_path: Path, widths: Iterable[int] = WIDTHS) -> list[Path]:
    """PNG screenshots beside the HTML file, light and dark: ``issue-375.png``,
    ``issue-375-dark.png``, ``issue-600.png``, ``issue-600-dark.png`` (light only when
    Playwright is missing and the ``chromium`` command line shoots)."""
    stem = html_path.with_suffix("")
    widths = tuple(widths)
    measure_and_shoot(html_path, widths, stem, SCHEMES)
    return [
        shot_path(stem, w, s) for w in widths for s in SCHEMES if shot_path(stem, w, s).exists()
    ]
