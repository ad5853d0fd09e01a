"""Unit tests of the build helpers in py/pagebuild (the page's packing, stdlib trimming, NumPy check, CSP)."""

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
from pagebuild.memory import initial_memory, pack_snapshot, unpack_snapshot, xor_initial_memory
from pagebuild.npm import npm_packages_stale
from pagebuild.output import exchange, staging_folder, swap_in
from pagebuild.packages import PackageError, trimmed_lock, verified_wheel
from pagebuild.page import ascii_css, ascii_html, data_blocks, gzipped, json_script
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


def test_text_for_a_windows_1252_page_is_ascii():
    assert ascii_html("<p>\u2202L/\u2202w \u2248 0.6</p>") == "<p>&#x2202;L/&#x2202;w &#x2248; 0.6</p>"
    assert ascii_css('a::after { content: "\u2192"; }') == 'a::after { content: "\\002192"; }'
    script = json_script("s", {"t": "</script><b>\u00e9"})
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
    assert "unsafe-inline" not in policy and "unsafe-eval'" not in policy.replace("wasm-unsafe-eval'", "")


def test_index_page_forwards_keeping_the_fragment_under_its_own_csp():
    page = index_page("lesson.html").decode()
    assert "location.replace('lesson.html' + location.hash);" in page
    assert source_hash("location.replace('lesson.html' + location.hash);") in page


def test_trimmed_stdlib_keeps_what_python_needs_and_drops_the_rest():
    trimmed = zipfile.ZipFile(io.BytesIO(trim_stdlib((PYODIDE / "python_stdlib.zip").read_bytes())))
    names = set(trimmed.namelist())
    for needed in ["site.py", "traceback.py", "json/__init__.py", "random.py", "statistics.py",
                   "encodings/__init__.py", "encodings/utf_8.py", "_pyodide/__init__.py", "asyncio/__init__.py"]:
        assert needed in names
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
    assert lock["packages"]["numpy"]["file_name"] == "numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl"


def test_trimmed_lock_keeps_packages_and_their_dependencies():
    assert trimmed_lock(LOCK, [])["packages"] == {}
    assert sorted(trimmed_lock(LOCK, ["scipy"])["packages"]) == ["numpy", "scipy"]
    assert trimmed_lock(LOCK, ["numpy"])["info"] == LOCK["info"]


def tiny_wasm(segments):
    """A wasm module with one memory and active data segments [(offset, bytes)] (offsets below 64)."""
    data = bytes([len(segments)]) + b"".join(bytes([0, 0x41, offset, 0x0B, len(payload)]) + payload
                                             for offset, payload in segments)
    memory = bytes([1, 0, 1])  # one memory, min 1 page
    return b"\0asm\x01\0\0\0" + bytes([5, len(memory)]) + memory + bytes([11, len(data)]) + data


def fake_snapshot(memory: bytes) -> bytes:
    """A snapshot-shaped blob: 16-byte header whose word 1 is the header length, then the memory."""
    return (1886286592).to_bytes(4, "little") + (16).to_bytes(4, "little") + bytes(8) + memory


def test_initial_memory_places_each_segment_at_its_offset():
    assert initial_memory(tiny_wasm([(2, b"ab"), (6, b"xyz")])) == b"\0\0ab\0\0xyz"


def test_xor_with_initial_memory_zeroes_unchanged_bytes_and_undoes_itself():
    wasm = tiny_wasm([(2, b"ab"), (6, b"xyz")])
    snapshot = fake_snapshot(b"\0\0ab\0\0xYz" + b"tail")
    mixed = xor_initial_memory(snapshot, initial_memory(wasm))
    assert mixed[16:] == b"\0" * 7 + bytes([ord("Y") ^ ord("y")]) + b"\0" + b"tail"
    assert xor_initial_memory(mixed, initial_memory(wasm)) == snapshot


def test_packed_snapshot_keeps_only_non_zero_pages_and_unpacks_exactly():
    wasm = tiny_wasm([(2, b"ab")])
    memory = b"\0\0ab" + bytes(4092) + bytes(4096) + b"x" * 4096 + b"tail"  # pages: image only, zero, data, short
    snapshot = fake_snapshot(memory)
    packed = pack_snapshot(snapshot, wasm)
    assert packed[8] == 0b1100  # the bitmap: pages 2 and 3 hold something once the image is XOR-ed out
    assert len(packed) == 8 + 1 + 16 + 4096 + 4
    assert unpack_snapshot(packed, wasm) == snapshot


@pytest.mark.slow
def test_javascript_unpacks_the_snapshot_from_the_same_wasm(tmp_path):
    """memory.js rebuilds the snapshot from its packed form streamed in small uneven chunks, and makes the
    same initial memory image from the real wasm as the build does."""
    wasm = (PYODIDE / "pyodide.asm.wasm").read_bytes()
    memory = bytearray(initial_memory(wasm)) + bytes(4096 * 3) + bytes(range(256)) * 4096
    memory[5000:5010] = b"changed!!!"
    snapshot = fake_snapshot(bytes(memory))
    (tmp_path / "packed.bin").write_bytes(pack_snapshot(snapshot, wasm))
    script = (f"import {{ initialMemory, streamSnapshot }} from {json.dumps((ROOT / 'web/js/runtime/memory.js').as_uri())};\n"
              "import { readFileSync, writeFileSync } from 'node:fs';\n"
              f"const packed = new Uint8Array(readFileSync({json.dumps(str(tmp_path / 'packed.bin'))}));\n"
              f"const wasm = new Uint8Array(readFileSync({json.dumps(str(PYODIDE / 'pyodide.asm.wasm'))}));\n"
              "const stream = new ReadableStream({ start(c) {\n"
              "  for (let at = 0, n = 1; at < packed.length; at += n, n = (n * 7 + 3) % 9000 + 1) c.enqueue(packed.slice(at, at + n));\n"
              "  c.close(); } });\n"
              "const image = initialMemory(wasm);\n"
              f"writeFileSync({json.dumps(str(tmp_path / 'image.bin'))}, image);\n"
              "const { buffer, done } = streamSnapshot(stream, image);\n"
              "const early = await buffer;\n"
              f"writeFileSync({json.dumps(str(tmp_path / 'out.bin'))}, await done);\n"
              "if (early !== await done) throw new Error('the early buffer is not the one completed');\n")
    subprocess.run(["node", "--no-warnings", "--input-type=module", "-e", script], check=True)
    assert (tmp_path / "image.bin").read_bytes() == initial_memory(wasm)
    assert (tmp_path / "out.bin").read_bytes() == snapshot


def test_javascript_refuses_a_packed_snapshot_that_ends_early(tmp_path):
    wasm = tiny_wasm([(2, b"ab")])
    packed = pack_snapshot(fake_snapshot(b"x" * 10000), wasm)
    script = (f"import {{ unpackSnapshot }} from {json.dumps((ROOT / 'web/js/runtime/memory.js').as_uri())};\n"
              f"const wasm = Uint8Array.from({json.dumps(list(wasm))});\n"
              f"const packed = Uint8Array.from({json.dumps(list(packed[:-5]))});\n"
              "await unpackSnapshot(packed, wasm).then(() => console.log('unpacked'), (e) => console.log(e.message));\n")
    done = subprocess.run(["node", "--no-warnings", "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "the packed snapshot's pages do not add up to its length"


def test_initial_memory_refuses_what_is_not_wasm():
    with pytest.raises(ValueError, match="not a WebAssembly module"):
        initial_memory(b"PK\3\4 a zip")


@pytest.mark.slow
def test_build_refuses_a_numpy_wheel_that_is_not_the_locked_one(tmp_path):
    lock = json.loads((PYODIDE / "pyodide-lock.json").read_text())
    (tmp_path / lock["packages"]["numpy"]["file_name"]).write_bytes(b"not numpy")
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--pyodide-packages", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "but pyodide-lock.json expects" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_build_names_the_missing_numpy_wheel(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--pyodide-packages", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl not found" in done.stderr


def write_locks(root, wanted, installed):
    """A package-lock.json with `wanted` packages and node_modules/.package-lock.json with `installed` ones."""
    (root / "package-lock.json").write_text(json.dumps({"packages": {"": {}, **wanted}}))
    if installed is not None:
        (root / "node_modules").mkdir()
        (root / "node_modules" / ".package-lock.json").write_text(json.dumps({"packages": installed}))


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
    if not exchange(tmp_path / "a", tmp_path / "b"):
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
