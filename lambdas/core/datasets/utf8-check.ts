/**
 * Strict UTF-8 checking that says where the bad bytes are. The native decoder
 * (`TextDecoder` with `fatal: true`) checks the file chunk by chunk without building one
 * huge string; only when it refuses a chunk do we walk the bytes ourselves to name the
 * offset and line of each invalid sequence, which the decoder does not report.
 */

export interface InvalidUtf8Sequence {
  /** Byte offset of the first byte of the invalid sequence, from the start of the input. */
  readonly offset: number;
  /** 1-based line number (counting `\n` bytes before the offset). */
  readonly line: number;
  /** The offending bytes in hex, e.g. `ff fe` (at most 4 bytes). */
  readonly bytesHex: string;
}

export interface Utf8Check {
  readonly valid: boolean;
  /** The first `maxReported` invalid sequences, in file order. */
  readonly invalid: readonly InvalidUtf8Sequence[];
  /** How many invalid sequences the input has in total. */
  readonly invalidCount: number;
}

const CHUNK_BYTES = 1 << 20;

/** Length of the valid sequence starting at `i`, or 0 when the bytes there are not UTF-8. */
function validSequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i];
  if (b0 < 0x80) return 1;
  const end = bytes.length;
  const cont = (j: number, lo = 0x80, hi = 0xbf): boolean => j < end && bytes[j] >= lo && bytes[j] <= hi;
  // Ranges from the Unicode standard, table 3-7 (no overlongs, no surrogates, <= U+10FFFF).
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (b0 === 0xe0) return cont(i + 1, 0xa0) && cont(i + 2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (b0 === 0xed) return cont(i + 1, 0x80, 0x9f) && cont(i + 2) ? 3 : 0;
  if (b0 === 0xf0) return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (b0 === 0xf4) return cont(i + 1, 0x80, 0x8f) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

function hex(bytes: Uint8Array, from: number, count: number): string {
  const parts: string[] = [];
  for (let i = from; i < Math.min(bytes.length, from + count); i++) parts.push(bytes[i].toString(16).padStart(2, '0'));
  return parts.join(' ');
}

function locateInvalid(bytes: Uint8Array, maxReported: number): Utf8Check {
  const invalid: InvalidUtf8Sequence[] = [];
  let invalidCount = 0;
  let line = 1;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b === 10) {
      line++;
      i++;
      continue;
    }
    const length = validSequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    // Group consecutive bad bytes into one finding, so `ff fe` is one problem, not two.
    const start = i;
    i++;
    while (i < bytes.length && bytes[i] !== 10 && validSequenceLength(bytes, i) === 0) i++;
    invalidCount++;
    if (invalid.length < maxReported) invalid.push({ offset: start, line, bytesHex: hex(bytes, start, Math.min(4, i - start)) });
  }
  return { valid: invalidCount === 0, invalid, invalidCount };
}

/** Checks that `bytes` are strict UTF-8, reporting at most `maxReported` invalid sequences. */
export function checkUtf8(bytes: Uint8Array, maxReported = 10): Utf8Check {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) {
    const last = offset + CHUNK_BYTES >= bytes.length;
    try {
      decoder.decode(bytes.subarray(offset, offset + CHUNK_BYTES), { stream: !last });
    } catch {
      // Rescan from the start: line numbers need the prefix anyway, and a chunk boundary
      // may split a character, so no later position is a safe place to resume from.
      return locateInvalid(bytes, maxReported);
    }
  }
  return { valid: true, invalid: [], invalidCount: 0 };
}
