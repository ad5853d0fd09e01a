"""Binary data as the text of a `<script type="application/octet-stream">` block: 7 bytes in 8 characters.

Chromium parses ASCII about twice as fast as text with many bytes above 0x7F, and the parser's
time is the page's boot time, so each byte's low 7 bits become one character and every 7 bytes
add a character holding their 7 top bits (bit i for byte i; a short last group of r bytes takes
r + 1 characters): 8/7 of the data's size. Three 7-bit values would not survive the HTML parser
as themselves: NUL (becomes U+FFFD), CR (newlines are normalised) and '<' (could start
`</script>`). They are written as the bytes 0xC0, 0xC1, 0xC2, which the page's windows-1252
decodes to U+00C0..U+00C2. `web/js/runtime/blocks.js` is the decoder; `unpack` here mirrors it.
"""

import numpy as np

GROUP = 7  # bytes per group; each group is GROUP + 1 characters
SUBSTITUTES = {0x00: 0xC0, 0x0D: 0xC1, 0x3C: 0xC2}  # 7-bit value -> the page byte that stands for it

PAGE_BYTE = np.arange(128, dtype=np.uint8)  # 7-bit value -> page byte
for _value, _byte in SUBSTITUTES.items():
    PAGE_BYTE[_value] = _byte
VALUE_OF = {byte: value for value, byte in SUBSTITUTES.items()}  # page byte -> 7-bit value, where not itself


def pack(data: bytes) -> bytes:
    """The page bytes that carry `data` (ASCII but for the three substitutes)."""
    full = len(data) - len(data) % GROUP
    groups = np.frombuffer(data, dtype=np.uint8, count=full).reshape(-1, GROUP)
    chars = np.empty((len(groups), GROUP + 1), dtype=np.uint8)
    chars[:, :GROUP] = groups & 0x7F
    chars[:, GROUP] = ((groups >> 7) << np.arange(GROUP, dtype=np.uint8)).sum(axis=1, dtype=np.uint8)
    tail = data[full:]
    if tail:  # a short last group: its low characters, then its top bits
        chars_tail = [byte & 0x7F for byte in tail] + [sum((byte >> 7) << i for i, byte in enumerate(tail))]
        chars = np.concatenate([chars.ravel(), np.array(chars_tail, dtype=np.uint8)])
    return PAGE_BYTE[chars.ravel()].tobytes()


def unpack(text: str) -> bytes:
    """Invert `pack` from the block's text as the page decoded it (what `textContent` returns)."""
    if len(text) % (GROUP + 1) == 1:
        raise ValueError("a packed data block cannot end with a lone character")
    values = []
    for char in text:
        code = ord(char)
        if code < 0x80 and code not in SUBSTITUTES:
            values.append(code)
        elif code in VALUE_OF:
            values.append(VALUE_OF[code])
        else:
            raise ValueError(f"character U+{code:04X} cannot come from a packed data block")
    out = bytearray()
    for start in range(0, len(values), GROUP + 1):
        *low, high = values[start:start + GROUP + 1]
        out.extend(value | ((high >> i) & 1) << 7 for i, value in enumerate(low))
    return bytes(out)
