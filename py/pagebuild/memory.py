"""The snapshot as the page carries it: smaller to store and quicker to decompress.

1. XOR its memory with the wasm's initial memory image: about 3.8 MB at the bottom of the
   snapshot is the wasm's own data segments, 98% of it unchanged when the snapshot is taken, and
   XOR turns those bytes into zeros (about 1.4 MB less in the page after gzip).
2. Keep only the non-zero 4 KiB pages: half the 31 MB is zero pages, which the browser then need
   not decompress at all (a new buffer is zeros already).
`web/js/runtime/memory.js` undoes both in the browser, from the same wasm.
"""

import struct

PAGE = 4096


def _uleb(data: bytes, i: int) -> tuple[int, int]:
    """An unsigned LEB128 integer at `data[i]`: (value, index after it)."""
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _sleb(data: bytes, i: int) -> tuple[int, int]:
    """A signed LEB128 integer at `data[i]`: (value, index after it)."""
    value, end = _uleb(data, i)
    bits = 7 * (end - i)
    return (value - (1 << bits) if value & (1 << (bits - 1)) else value), end


def initial_memory(wasm: bytes) -> bytes:
    """The wasm's linear memory right after instantiation, up to its last data segment: zeros plus segments."""
    if wasm[:8] != b"\0asm\x01\0\0\0":
        raise ValueError("not a WebAssembly module (version 1)")
    segments, i = [], 8
    while i < len(wasm):
        section, i = wasm[i], i + 1
        size, i = _uleb(wasm, i)
        if section == 11:  # the data section
            count, j = _uleb(wasm, i)
            for _ in range(count):
                flags, j = _uleb(wasm, j)
                if flags != 0 or wasm[j] != 0x41:  # only "active, memory 0, at i32.const offset"
                    raise ValueError(f"data segment with flags {flags} is not at a constant offset: cannot build the image")
                offset, j = _sleb(wasm, j + 1)
                if wasm[j] != 0x0B:
                    raise ValueError("data segment offset is not a single i32.const")
                length, j = _uleb(wasm, j + 1)
                segments.append((offset, wasm[j:j + length]))
                j += length
        i += size
    image = bytearray(max((offset + len(data) for offset, data in segments), default=0))
    for offset, data in segments:
        image[offset:offset + len(data)] = data
    return bytes(image)


def xor_initial_memory(snapshot: bytes, image: bytes) -> bytes:
    """The snapshot with its memory's first len(image) bytes XOR-ed with `image` (the header stays as it is)."""
    header = int.from_bytes(snapshot[4:8], "little")  # Pyodide's snapshot: word 1 is the header's length
    start, end = header, min(header + len(image), len(snapshot))
    mixed = int.from_bytes(snapshot[start:end], "little") ^ int.from_bytes(image[:end - start], "little")
    return snapshot[:start] + mixed.to_bytes(end - start, "little") + snapshot[end:]


def pack_snapshot(snapshot: bytes, wasm: bytes) -> bytes:
    """The snapshot XOR-ed with the wasm's initial memory, as: u32 length, u32 header length,
    a bitmap of the memory's non-zero 4 KiB pages, the snapshot header, then those pages."""
    mixed = xor_initial_memory(snapshot, initial_memory(wasm))
    header = int.from_bytes(snapshot[4:8], "little")
    memory = mixed[header:]
    pages = [memory[i:i + PAGE] for i in range(0, len(memory), PAGE)]
    bitmap = bytearray((len(pages) + 7) // 8)
    for n, page in enumerate(pages):
        if page.count(0) != len(page):
            bitmap[n // 8] |= 1 << (n % 8)
    kept = b"".join(page for n, page in enumerate(pages) if bitmap[n // 8] >> (n % 8) & 1)
    return struct.pack("<II", len(snapshot), header) + bytes(bitmap) + mixed[:header] + kept


def unpack_snapshot(packed: bytes, wasm: bytes) -> bytes:
    """Invert `pack_snapshot` (the browser does the same in memory.js)."""
    length, header = struct.unpack_from("<II", packed)
    pages = (length - header + PAGE - 1) // PAGE
    bitmap, at = packed[8:8 + (pages + 7) // 8], 8 + (pages + 7) // 8
    out = bytearray(length)
    out[:header], at = packed[at:at + header], at + header
    for n in range(pages):
        if bitmap[n // 8] >> (n % 8) & 1:
            start = header + n * PAGE
            size = min(PAGE, length - start)
            out[start:start + size], at = packed[at:at + size], at + size
    return xor_initial_memory(bytes(out), initial_memory(wasm))
