// Binary data packed 1:1 into the page's windows-1252 text (see py/pagebuild/blocks.py).

const ESCAPE = 0x3d; // '='
// windows-1252 maps bytes 0x80-0x9F to these code points; every other byte is its own code point.
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];
let byteOfCode = null; // code point -> byte, built on first use

function codeTable() {
  if (byteOfCode) return byteOfCode;
  byteOfCode = new Uint8Array(0x2200); // the highest code point above is U+2122
  for (let byte = 0; byte < 256; byte++) {
    byteOfCode[byte >= 0x80 && byte < 0xa0 ? CP1252_HIGH[byte - 0x80] : byte] = byte;
  }
  // After the escape byte, the digits '0'..'3' stand for NUL, CR, '<' and '=' itself.
  byteOfCode.escaped = Uint8Array.of(0x00, 0x0d, 0x3c, 0x3d);
  return byteOfCode;
}

/** The bytes a packed block's text stands for (its textContent as the windows-1252 page decoded it). */
export function unpack(text) {
  const table = codeTable();
  const out = new Uint8Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === ESCAPE) {
      const digit = text.charCodeAt(++i) - 0x30;
      if (!(digit >= 0 && digit < 4)) throw new Error(`bad escape at character ${i} of a packed data block`);
      out[n++] = table.escaped[digit];
    } else {
      out[n++] = table[code];
    }
  }
  return out.subarray(0, n);
}
