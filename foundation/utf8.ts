// UTF-8 validation that says where it fails: for sources, model metadata and JSON, which ptch refuses rather than
// read with U+FFFD in place of the bad bytes (a vocabulary would then no longer round-trip its tokens exactly).

/**
 * The well-formed UTF-8 sequences (RFC 3629, as the Unicode standard's table 3-7 lists them): by lead byte, how
 * many continuation bytes follow, and the range the first of them must lie in (which rules out overlong forms and
 * surrogates; the others lie in 0x80–0xbf).
 */
const UTF8_SEQUENCES: readonly { leads: [number, number]; count: number; second: [number, number] }[] = [
  { leads: [0xc2, 0xdf], count: 1, second: [0x80, 0xbf] },
  { leads: [0xe0, 0xe0], count: 2, second: [0xa0, 0xbf] },
  { leads: [0xe1, 0xec], count: 2, second: [0x80, 0xbf] },
  { leads: [0xed, 0xed], count: 2, second: [0x80, 0x9f] },
  { leads: [0xee, 0xef], count: 2, second: [0x80, 0xbf] },
  { leads: [0xf0, 0xf0], count: 3, second: [0x90, 0xbf] },
  { leads: [0xf1, 0xf3], count: 3, second: [0x80, 0xbf] },
  { leads: [0xf4, 0xf4], count: 3, second: [0x80, 0x8f] },
];

/**
 * The offset of the first byte that starts no valid UTF-8 sequence (RFC 3629: no overlongs, no surrogates), or
 * `bytes.length` when there is none.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const sequence = UTF8_SEQUENCES.find((row) => lead >= row.leads[0] && lead <= row.leads[1]);
    if (!sequence) return i;
    const {
      count,
      second: [low, high],
    } = sequence;
    const second = bytes[i + 1];
    if (second === undefined || second < low || second > high) return i;
    for (let k = 2; k <= count; k++) {
      const next = bytes[i + k];
      if (next === undefined || next < 0x80 || next > 0xbf) return i;
    }
    i += count + 1;
  }
  return i;
}

const fatalDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }); // a leading U+FEFF is content

/** The text of `bytes`, or undefined when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return fatalDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Where `bytes` stop being UTF-8, for a message: "byte 0xff at offset 12". */
export function describeInvalidUtf8(bytes: Uint8Array): string {
  const offset = firstInvalidUtf8(bytes);
  return `byte 0x${bytes[offset]?.toString(16).padStart(2, "0") ?? "??"} at offset ${offset}`;
}
