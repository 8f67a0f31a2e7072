"""HTML to PDF with WeasyPrint, tuned for a worker that renders many documents
(DESIGN.md "Money and invoices"): the print stylesheet is parsed once per process,
together with the font configuration its ``@font-face`` rules load (the vendored
Liberation Sans in ``static/billing/fonts``), and both are reused for every PDF.

Resources are read locally and never from the network: the URL fetcher serves
``file:`` URLs inside the stylesheet's folder (the stylesheet and its fonts),
``media:NAME`` from the default storage (a club's logo) and ``data:`` URLs; it refuses
anything else.
"""

import atexit
import functools
import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage

STYLESHEET = "billing/pdf.css"
MEDIA_SCHEME = "media:"


@functools.cache
def stylesheet_path() -> Path:
    """Where the print stylesheet is; its folder (with the fonts) is the only one the
    PDF reads ``file:`` resources from."""
    found = finders.find(STYLESHEET)
    if not found:
        raise FileNotFoundError(f"static file {STYLESHEET} not found")
    return Path(found).resolve()


@functools.cache
def url_fetcher():
    """The process's URL fetcher (its class is made on first use: WeasyPrint is imported
    only by processes that render)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith(MEDIA_SCHEME):
                name = unquote(url[len(MEDIA_SCHEME) :])
                with default_storage.open(name) as fh:  # a name outside storage raises
                    return URLFetcherResponse(url, fh.read(), {"Content-Type": _kind(name)})
            if url.startswith("file:"):
                path = Path(url2pathname(urlsplit(url).path)).resolve()
                if path.is_relative_to(stylesheet_path().parent):
                    body = path.read_bytes()
                    return URLFetcherResponse(url, body, {"Content-Type": _kind(path.name)})
            raise ValueError(f"not a local resource of the PDF: {url[:80]}")

    return LocalOnlyFetcher(allowed_protocols={"data", "file", "media"})


def _kind(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def media_url(name: str) -> str:
    """The URL of a file of the default storage (e.g. a club's logo) inside a PDF."""
    return MEDIA_SCHEME + name


@functools.cache
def font_config():
    """The process's one FontConfiguration (fontconfig set-up is costly)."""
    from weasyprint.text.fonts import FontConfiguration

    # WeasyPrint logs each step of each PDF at INFO: noise in a worker's log
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    # dropped before the interpreter tears modules down, so that its own clean-up (the
    # temporary folder of loaded fonts) still finds what it needs
    atexit.register(stylesheet.cache_clear)
    atexit.register(font_config.cache_clear)
    return FontConfiguration()


@functools.cache
def stylesheet():
    """The print stylesheet, parsed once per process with its fonts loaded."""
    from weasyprint import CSS

    return CSS(url=stylesheet_path().as_uri(), url_fetcher=url_fetcher(), font_config=font_config())


def html_to_pdf(html: str) -> bytes:
    """One PDF from a complete HTML document, with the shared stylesheet and fonts."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=stylesheet_path().as_uri(), url_fetcher=url_fetcher())
    return document.write_pdf(stylesheets=[stylesheet()], font_config=font_config())
