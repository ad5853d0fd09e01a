"""The page's Content-Security-Policy: nothing loads from elsewhere; inline code runs only if its hash is listed."""

import base64
import hashlib


def source_hash(text: str) -> str:
    """The CSP source expression `'sha256-...'` of an inline script's or style's exact text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(scripts: list[str], styles: list[str]) -> str:
    """The policy for the page whose inline `<script>` and `<style>` texts are `scripts` and `styles`.

    Data blocks (`type="application/octet-stream"` or JSON) are never executed, so they need no hash.
    The worker starts from a `data:` URL (the only kind that works from file://) and imports its own
    code from a `blob:` URL it makes; the wasm compiles under 'wasm-unsafe-eval' (not 'unsafe-eval').
    The page's own code fetches nothing; `connect-src 'self'` is there for audits that read the host's
    robots.txt from inside the page (Lighthouse, PageSpeed Insights), which `'none'` made fail. It
    reaches only the host that serves the page (from file://, nothing), and no other directive opens.
    """
    script_src = " ".join(sorted({source_hash(s) for s in scripts}))
    style_src = " ".join(sorted({source_hash(s) for s in styles}))
    return "; ".join([
        "default-src 'none'",
        f"script-src {script_src} 'wasm-unsafe-eval' blob:",
        f"style-src {style_src}",
        "worker-src data:",
        "img-src data:",
        "connect-src 'self'",
    ])
