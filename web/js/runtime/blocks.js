// Binary data packed 7 bytes to 8 characters into the page's text (see py/pagebuild/blocks.py).

const GROUP = 7; // bytes per group of GROUP + 1 characters: GROUP low-bit characters, then their top bits
const INVALID = 0x80; // a character no packed block holds

// Page character (windows-1252, so below 0x100) -> the 7-bit value it stands for, or INVALID.
const VALUE = new Uint8Array(256).fill(INVALID);
for (let code = 0; code < 0x80; code++) VALUE[code] = code;
for (const [value, code] of [[0x00, 0xc0], [0x0d, 0xc1], [0x3c, 0xc2]]) {
  VALUE[value] = INVALID; // NUL, CR and '<' cannot pass the HTML parser as themselves
  VALUE[code] = value;
}

/** The bytes a packed block's text stands for (its textContent as the page decoded it). */
export function unpack(text) {
  const length = text.length;
  const rest = length % (GROUP + 1);
  if (rest === 1) throw new Error("a packed data block cannot end with a lone character");
  const out = new Uint8Array(((length - rest) / (GROUP + 1)) * GROUP + (rest && rest - 1));
  let seen = 0; // every value OR-ed together: INVALID shows if any character was not a packed one
  let n = 0;
  for (let start = 0; start < length; start += GROUP + 1) {
    const last = Math.min(start + GROUP, length - 1); // the group's top-bits character
    const code = text.charCodeAt(last);
    const high = VALUE[code & 0xff] | (code > 0xff) << 7;
    seen |= high;
    for (let i = start, bit = 7; i < last; i++, bit--) {
      const c = text.charCodeAt(i);
      const value = VALUE[c & 0xff] | (c > 0xff) << 7;
      seen |= value;
      out[n++] = value | ((high << bit) & 0x80);
    }
  }
  if (seen & INVALID) throw new Error("a packed data block holds a character no packing makes (was the page re-encoded?)");
  return out;
}
