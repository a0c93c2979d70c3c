"""Look at the built site as a reader would: render pages in headless Chromium and check them.

Run by hand after building the docs (CI has no Chromium)::

    apt-get install -y chromium
    python -m sphinx -W --keep-going -b html docs docs/_build/html
    python docs/check_site.py [--out docs/_build/check]

It serves ``docs/_build/html`` on localhost (http.server in a thread), and for each page
to check it renders a small checker page of its own in Chromium (``--headless
--dump-dom``). The checker loads the page in a same-origin iframe, waits until its images
have loaded, and writes what it sees — the API signatures, the math, every image with its
natural size — into its own DOM as JSON, which ``--dump-dom`` hands back. It also takes a
screenshot of each page (``--screenshot``) into ``--out``. Checks:

1. the BatchNorm2d reference page shows its signature (``BatchNorm2d(num_features, ...)``)
   and a formula (a math element);
2. the autograd-internals page shows its graph picture (an ``<img>`` of ``graph.svg`` with
   non-zero natural size);
3. every figure of every study page loads (non-zero natural size); a study with no
   committed report is listed as not run;
4. the gallery's figures load.

MathJax is bundled with the site (``_static/mathjax``, from the sphinx-mathjax-offline
package), so the formulas are checked as typeset by MathJax, with no network. Before any
page is rendered, every built page is checked to load MathJax from the site itself and
never from a CDN (``--static-only`` runs just this part, which needs no Chromium).
Exit status 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import functools
import html
import http.server
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from pathlib import Path

DOCS = Path(__file__).resolve().parent
BUILD = DOCS / "_build" / "html"
STUDIES = [
    "bn-sigmoid-mlp",
    "batch-size",
    "learning-rate",
    "init-scale",
    "regularization",
    "train-vs-eval",
    "renorm",
    "landscape",
]

CHECKER = """<!doctype html>
<html><head><meta charset="utf-8"><title>check</title></head>
<body>
<pre id="result">pending</pre>
<script>
const page = new URLSearchParams(location.search).get("page");
const out = document.getElementById("result");
const frame = document.createElement("iframe");
frame.style.width = "1280px";
frame.style.height = "3000px";
let started = Date.now();
let mathjaxDone = false;
function report() {
  const d = frame.contentDocument;
  const w = frame.contentWindow;
  const imgs = Array.from(d.images);
  const pending = imgs.filter(i => !i.complete);
  if (pending.length && Date.now() - started < 8000) { setTimeout(report, 100); return; }
  const mj = w.MathJax;
  if (!mathjaxDone && mj && mj.startup && mj.startup.promise && Date.now() - started < 8000) {
    mj.startup.promise.then(() => { mathjaxDone = true; report(); });
    return;
  }
  const text = s => (s.textContent || "").replace(/\\s+/g, " ").trim();
  out.textContent = JSON.stringify({
    page: page,
    title: d.title,
    h1: Array.from(d.querySelectorAll("h1")).map(text),
    signatures: Array.from(d.querySelectorAll("dl.py > dt.sig")).map(text),
    math: Array.from(d.querySelectorAll(".math, mjx-container")).map(text).slice(0, 20),
    n_math: d.querySelectorAll(".math, mjx-container").length,
    n_typeset: d.querySelectorAll("mjx-container").length,
    mathjax_loaded: !!(mj && mj.version),
    images: imgs.map(i => ({src: i.getAttribute("src"), alt: i.getAttribute("alt"),
                            width: i.naturalWidth, height: i.naturalHeight,
                            complete: i.complete,
                            in_article: !!i.closest("article, .bd-article, [role=main]")})),
    notes: Array.from(d.querySelectorAll(".admonition.note")).map(text),
  });
}
frame.onload = () => { started = Date.now(); setTimeout(report, 200); };
frame.onerror = () => { out.textContent = JSON.stringify({page: page, error: "load failed"}); };
frame.src = page;
document.body.appendChild(frame);
</script>
</body></html>
"""


MATHJAX_SCRIPT = re.compile(r'<script[^>]+src="([^"]*mathjax[^"]*)"', re.I)
BUNDLED_MATHJAX = "_static/mathjax/tex-chtml.js"


def check_bundled_mathjax(build: Path, checks) -> None:
    """Every page that loads MathJax loads the site's own copy, which exists (no CDN)."""
    pages = sorted(build.rglob("*.html"))
    with_math, external = [], []
    for page in pages:
        for src in MATHJAX_SCRIPT.findall(page.read_text(encoding="utf-8", errors="replace")):
            with_math.append(page)
            if "://" in src or src.startswith("//"):
                external.append(f"{page.relative_to(build)}: {src}")
            elif not (page.parent / src.split("?")[0]).resolve().is_file():
                external.append(f"{page.relative_to(build)}: {src} (missing)")
    checks.ok((build / BUNDLED_MATHJAX).is_file(), f"{BUNDLED_MATHJAX} is in the built site")
    checks.ok(len(with_math) > 0, f"{len(set(with_math))} pages load MathJax")
    checks.ok(not external, "every page loads the bundled MathJax (none from a CDN)")
    for line in external[:10]:
        checks.note(line)


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site, plus the checker page at ``/__check__.html``."""

    def _send(self, body: bytes, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's name
        path = urllib.parse.urlsplit(self.path).path
        if path == "/__check__.html":
            self._send(CHECKER.encode(), "text/html; charset=utf-8")
            return
        super().do_GET()

    def log_message(self, *args):  # quiet
        pass


def serve(root: Path):
    handler = functools.partial(Handler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("no Chromium found: apt-get install -y chromium")


def chromium(args: list[str], timeout: int = 60) -> str:
    with tempfile.TemporaryDirectory(prefix="minigrad-docs-chromium-") as profile:
        cmd = [
            chromium_binary(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *args,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return proc.stdout


def inspect_page(base: str, page: str) -> dict:
    url = f"{base}/__check__.html?page={urllib.parse.quote('/' + page)}"
    dom = chromium(["--virtual-time-budget=20000", "--dump-dom", url])
    m = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
    if not m or m.group(1) == "pending":
        return {"page": page, "error": "the checker page did not finish"}
    return json.loads(html.unescape(m.group(1)))


def screenshot(base: str, page: str, path: Path, height: int = 1600) -> None:
    chromium(
        [
            "--virtual-time-budget=10000",
            f"--window-size=1280,{height}",
            f"--screenshot={path}",
            f"{base}/{page}",
        ]
    )


class Checks:
    def __init__(self):
        self.failures = []
        self.lines = []

    def ok(self, cond: bool, what: str) -> bool:
        self.lines.append(("PASS " if cond else "FAIL ") + what)
        if not cond:
            self.failures.append(what)
        return cond

    def note(self, what: str) -> None:
        self.lines.append("     " + what)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", type=Path, default=BUILD, help="the built HTML site")
    ap.add_argument(
        "--out",
        type=Path,
        default=DOCS / "_build" / "check",
        help="folder for screenshots and the JSON findings",
    )
    ap.add_argument(
        "--static-only",
        action="store_true",
        help="only check the built files (MathJax bundled, no CDN); needs no Chromium",
    )
    args = ap.parse_args(argv)
    if not (args.build / "index.html").is_file():
        sys.exit(f"{args.build} has no index.html: build the docs first")
    checks = Checks()
    check_bundled_mathjax(args.build, checks)
    if args.static_only:
        print("\n".join(checks.lines))
        print("all checks passed" if not checks.failures else f"{len(checks.failures)} failed")
        return 0 if not checks.failures else 1
    args.out.mkdir(parents=True, exist_ok=True)
    server = serve(args.build)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    findings = {}
    try:
        # 1. BatchNorm2d reference page
        page = "api/generated/minigrad.nn.BatchNorm2d.html"
        if checks.ok((args.build / page).is_file(), f"{page} exists"):
            r = findings[page] = inspect_page(base, page)
            sigs = [s for s in r.get("signatures", []) if "BatchNorm2d" in s]
            checks.ok(
                bool(sigs) and "num_features" in sigs[0], "BatchNorm2d page shows its signature"
            )
            if sigs:
                checks.note(f"signature: {sigs[0][:160]}")
            checks.ok(r.get("n_math", 0) > 0, "BatchNorm2d page shows a formula (math element)")
            checks.ok(
                r.get("n_typeset", 0) > 0, "BatchNorm2d page: MathJax typeset its formulas offline"
            )
            for m in r.get("math", [])[:3]:
                checks.note(f"math: {m[:160]}")
            screenshot(base, page, args.out / "batchnorm2d.png")

        # 2. autograd internals: the graph picture
        page = "autograd_internals.html"
        r = findings[page] = inspect_page(base, page)
        graph = [
            i for i in r.get("images", []) if i.get("in_article") and "graph" in (i["src"] or "")
        ]
        checks.ok(
            bool(graph) and graph[0]["width"] > 0 and graph[0]["height"] > 0,
            "autograd-internals page shows its graph picture",
        )
        for i in graph:
            checks.note(f"{i['src']}: {i['width']}x{i['height']}")
        screenshot(base, page, args.out / "autograd_internals.png", height=2400)

        # the normalization guide's formulas, typeset by the bundled MathJax
        page = "normalization.html"
        r = findings[page] = inspect_page(base, page)
        checks.ok(r.get("n_math", 0) > 0, f"normalization guide has {r.get('n_math', 0)} formulas")
        checks.ok(
            r.get("mathjax_loaded") and r.get("n_typeset", 0) > 0,
            f"normalization guide: MathJax typeset {r.get('n_typeset', 0)} formulas offline",
        )
        screenshot(base, page, args.out / "normalization.png", height=2000)

        # 3. the study pages and their figures
        for name in STUDIES:
            page = f"studies/{name}.html"
            if not checks.ok((args.build / page).is_file(), f"{page} exists"):
                continue
            r = findings[page] = inspect_page(base, page)
            figs = [i for i in r.get("images", []) if i.get("in_article")]
            not_run = any("has not been run yet" in n for n in r.get("notes", []))
            if not_run:
                checks.note(f"study {name}: not run yet (the page says so and gives the command)")
                continue
            checks.ok(bool(figs), f"study {name}: the committed report shows figures")
            bad = [i for i in figs if not (i["width"] > 0 and i["height"] > 0)]
            checks.ok(not bad, f"study {name}: all {len(figs)} figures load")
            for i in bad:
                checks.note(f"broken: {i['src']}")
        ran = [
            n
            for n in STUDIES
            if f"studies/{n}.html" in findings
            and not any(
                "has not been run yet" in t for t in findings[f"studies/{n}.html"].get("notes", [])
            )
        ]
        if ran:
            screenshot(
                base, f"studies/{ran[0]}.html", args.out / f"study_{ran[0]}.png", height=2400
            )

        # 4. gallery figures
        page = "auto_gallery/plot_autograd_basics.html"
        if (args.build / page).is_file():
            r = findings[page] = inspect_page(base, page)
            imgs = [i for i in r.get("images", []) if "sphx_glr" in (i["src"] or "")]
            checks.ok(
                bool(imgs) and all(i["width"] > 0 for i in imgs),
                f"gallery figures load ({len(imgs)})",
            )
    finally:
        server.shutdown()
    (args.out / "findings.json").write_text(json.dumps(findings, indent=1))
    print("\n".join(checks.lines))
    print(f"screenshots and findings.json in {args.out}")
    print("all checks passed" if not checks.failures else f"{len(checks.failures)} failed")
    return 0 if not checks.failures else 1


if __name__ == "__main__":
    sys.exit(main())
