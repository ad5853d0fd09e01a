"""Binary data stored 1:1 as characters in a windows-1252 page, escaping only four byte values.

A page declared `windows-1252` decodes every byte to exactly one character, so bytes can sit in a
`<script type="application/octet-stream">` block almost as they are: 1.6% overhead on compressed
data, against base64's 33%. Only the bytes the HTML parser would change or end the block on are
escaped: NUL (becomes U+FFFD), CR (newlines are normalised), '<' (could start `</script>`), and the
escape byte itself. `web/js/runtime/blocks.js` is the decoder; `unpack` here mirrors it for tests.
"""

ESCAPE = 0x3D  # '='
ESCAPED = {0x00: 0x30, 0x0D: 0x31, 0x3C: 0x32, ESCAPE: 0x33}  # byte -> the ASCII digit after '='
UNESCAPED = {code: byte for byte, code in ESCAPED.items()}

# windows-1252 as the WHATWG Encoding Standard defines it: 0x80-0x9F are the only bytes whose
# character is not the byte's own code point (the five undefined ones map to themselves).
CP1252_HIGH = (
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
)
BYTE_OF_CHAR = {chr(cp): 0x80 + i for i, cp in enumerate(CP1252_HIGH)}


def pack(data: bytes) -> bytes:
    """Escape `data` so it survives as the text of a `<script>` block in a windows-1252 page."""
    out = data.replace(b"=", b"=3")  # the escape byte first, so later escapes are not re-escaped
    for byte, code in ESCAPED.items():
        if byte != ESCAPE:
            out = out.replace(bytes([byte]), bytes([ESCAPE, code]))
    return out


def decode_page_text(packed: bytes) -> str:
    """The text a browser's windows-1252 decoder makes of `packed` (what `textContent` returns)."""
    return "".join(chr(CP1252_HIGH[b - 0x80]) if 0x80 <= b < 0xA0 else chr(b) for b in packed)


def unpack(text: str) -> bytes:
    """Invert `pack` from the decoded page text: map each character back to its byte, undo escapes."""
    out, chars = bytearray(), iter(text)
    for char in chars:
        code = ord(char)
        if code == ESCAPE:
            digit = ord(next(chars, "\0"))
            if digit not in UNESCAPED:
                raise ValueError(f"bad escape '={chr(digit)}' in a packed data block")
            out.append(UNESCAPED[digit])
        elif code < 0x80 or 0xA0 <= code < 0x100:
            out.append(code)
        elif char in BYTE_OF_CHAR:
            out.append(BYTE_OF_CHAR[char])
        else:
            raise ValueError(f"character U+{code:04X} cannot come from a windows-1252 byte")
    return bytes(out)
