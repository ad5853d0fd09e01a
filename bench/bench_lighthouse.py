"""Lighthouse's accessibility, best-practices and SEO scores of the built lesson, served over http.

    python bench/bench_lighthouse.py [--runs N]

Lighthouse (npm, pinned in bench/lighthouse/package-lock.json and installed there by `npm ci` on the
first run, apart from the lesson's own node_modules) drives Debian's Chromium ($LESSON_CHROMIUM).
Prints each category's score per run and every weighted audit that did not pass, with Lighthouse's
reason. Targets (issue 12.4): accessibility 100, best-practices 100, SEO >= 95.

One audit can go unmeasured on a busy machine, best-practices' charset: Lighthouse gives itself 1 s
to read the 10.6 MB document back from Chromium, and sometimes runs out (the category is then an error).
SEO's robots-txt is read from inside the page, which the page's CSP allows (connect-src 'self').
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))
from harness import CHROMIUM, CHROMIUM_ARGS, ensure_dist, serve  # noqa: E402

LIGHTHOUSE = Path(__file__).resolve().parent / "lighthouse"
CATEGORIES = ["accessibility", "best-practices", "seo"]
TARGETS = {"accessibility": 100, "best-practices": 100, "seo": 95}


def lighthouse_cli() -> Path:
    """Lighthouse's command, installed from bench/lighthouse's lock file if it is not there yet."""
    cli = LIGHTHOUSE / "node_modules" / ".bin" / "lighthouse"
    if not cli.exists():
        print("installing Lighthouse into bench/lighthouse (npm ci) ...", flush=True)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=LIGHTHOUSE, check=True, stdout=sys.stderr)
    return cli


def audit(cli: Path, url: str) -> dict:
    """One Lighthouse run (mobile, its default; no throttling: these categories do not depend on speed)."""
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as folder:
        report = Path(folder, "report.json")
        flags = [*CHROMIUM_ARGS, f"--user-data-dir={folder}/profile"]
        subprocess.run([str(cli), url, f"--only-categories={','.join(CATEGORIES)}", "--throttling-method=provided",
                        "--output=json", f"--output-path={report}", f"--chrome-flags={shlex.join(flags)}", "--quiet"],
                       env={**os.environ, "CHROME_PATH": CHROMIUM}, check=False)
        return json.loads(report.read_text())


def failures(report: dict) -> list[str]:
    """Every audit that counts towards a category's score and did not pass, with Lighthouse's reason."""
    lines = []
    for name, category in report["categories"].items():
        for ref in category["auditRefs"]:
            result = report["audits"][ref["id"]]
            if ref["weight"] > 0 and result["score"] != 1:
                reason = result.get("errorMessage") or result.get("explanation") or result.get("displayValue") or ""
                lines.append(f"  {name}: {ref['id']} scored {result['score']}: {reason}")
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="Lighthouse runs (each on a fresh profile)")
    args = parser.parse_args(argv)
    cli = lighthouse_cli()
    url = serve(ensure_dist())[0] + "lesson.html"  # Lighthouse audits pages served over http
    version = subprocess.run([str(cli), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    print(f"Lighthouse {version} on {CHROMIUM}, {url}")
    print(f"{'run':>4}  " + "  ".join(f"{name:>15}" for name in CATEGORIES))
    for run in range(1, args.runs + 1):
        report = audit(cli, url)
        scores = [report["categories"][name]["score"] for name in CATEGORIES]
        print(f"{run:>4}  " + "  ".join(f"{'error' if s is None else round(s * 100):>15}" for s in scores))
        for line in failures(report):
            print(line)
        if report.get("runtimeError"):
            print(f"  Lighthouse's run error: {report['runtimeError']['message']}")
    print("targets: " + ", ".join(f"{name} {'>= ' if name == 'seo' else ''}{target}" for name, target in TARGETS.items()))


if __name__ == "__main__":
    main()
