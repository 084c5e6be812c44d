/**
 * A small ustar (POSIX.1-1988) reader and writer for the archives SageMaker packs its model
 * directory into (`model.tar.gz`), with gzip through node:zlib. Regular files only: directory
 * entries are skipped on read, links and devices are refused, and names longer than ustar's
 * 100 + 155 characters are refused on write. Pure code: no AWS, no I/O.
 */
import { gunzipSync, gzipSync } from 'node:zlib';

const BLOCK = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An archive that cannot be read, or an entry that cannot be written; `entry` names it when known. */
export class TarFormatError extends Error {
  override readonly name = 'TarFormatError';
  constructor(
    reason: string,
    readonly entry?: string,
  ) {
    super(entry === undefined ? reason : `${entry}: ${reason}`);
  }
}

export interface TarEntry {
  /** Path inside the archive, `/`-separated, without a leading `./`. */
  readonly name: string;
  readonly data: Uint8Array;
  /** Seconds since the epoch. @default 0 (reproducible archives) */
  readonly mtime?: number;
}

function field(header: Uint8Array, offset: number, length: number): string {
  const bytes = header.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  return decoder.decode(end === -1 ? bytes : bytes.subarray(0, end));
}

function octal(header: Uint8Array, offset: number, length: number, what: string, entry: string): number {
  const bytes = header.subarray(offset, offset + length);
  // GNU base-256 for values that do not fit in octal (files of 8 GiB and more).
  if (bytes[0] & 0x80) {
    let value = bytes[0] & 0x7f;
    for (let i = 1; i < bytes.length; i++) value = value * 256 + bytes[i];
    return value;
  }
  const text = field(header, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`${what} field is not octal (${JSON.stringify(text)})`, entry);
  return parseInt(text, 8);
}

function checksumOf(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return sum;
}

function normalizeName(name: string): string {
  return name.replace(/^(\.\/)+/, '');
}

/** The regular files of an uncompressed tar archive, in archive order. */
export function readTar(archive: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break; // end-of-archive marker
    const rawName = field(header, 0, 100);
    const prefix = field(header, 345, 155);
    const headerName = prefix && field(header, 257, 6) === 'ustar' ? `${prefix}/${rawName}` : rawName;
    const name = normalizeName(paxPath ?? longName ?? headerName);
    const expected = octal(header, 148, 8, 'checksum', name);
    if (expected !== checksumOf(header)) throw new TarFormatError(`header checksum ${expected} does not match ${checksumOf(header)} (not a tar archive, or corrupt)`, name);
    const size = octal(header, 124, 12, 'size', name);
    const type = String.fromCharCode(header[156] || 0x30);
    const start = offset + BLOCK;
    if (start + size > archive.length) throw new TarFormatError(`needs ${size} bytes but the archive ends after ${archive.length - start}`, name);
    const data = archive.subarray(start, start + size);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'L') {
      longName = decoder.decode(data).replace(/\0+$/, '');
      continue;
    }
    if (type === 'x') {
      paxPath = paxRecords(data).path ?? paxPath;
      continue;
    }
    if (type === 'g') continue;
    longName = undefined;
    paxPath = undefined;
    if (type === '5') continue; // directory
    if (type !== '0' && type !== '7') throw new TarFormatError(`entry type '${type}' is not a regular file (links and devices are not supported)`, name);
    entries.push({ name, data: Uint8Array.from(data), mtime: octal(header, 136, 12, 'mtime', name) });
  }
  return entries;
}

function paxRecords(data: Uint8Array): Record<string, string> {
  const records: Record<string, string> = {};
  const text = decoder.decode(data);
  let i = 0;
  while (i < text.length) {
    const space = text.indexOf(' ', i);
    if (space === -1) break;
    const length = Number(text.slice(i, space));
    if (!Number.isInteger(length) || length <= 0) break;
    const record = text.slice(space + 1, i + length - 1);
    const equals = record.indexOf('=');
    if (equals > 0) records[record.slice(0, equals)] = record.slice(equals + 1);
    i += length;
  }
  return records;
}

function writeString(header: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = encoder.encode(value);
  if (bytes.length > length) throw new TarFormatError(`does not fit in ${length} bytes`, value);
  header.set(bytes, offset);
}

function writeOctal(header: Uint8Array, offset: number, length: number, value: number): void {
  writeString(header, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

/** Splits a long name into ustar's prefix (155) and name (100) at a `/`. */
function splitName(name: string): { prefix: string; base: string } {
  if (encoder.encode(name).length <= 100) return { prefix: '', base: name };
  for (let cut = name.lastIndexOf('/'); cut > 0; cut = name.lastIndexOf('/', cut - 1)) {
    const prefix = name.slice(0, cut);
    const base = name.slice(cut + 1);
    if (encoder.encode(prefix).length <= 155 && encoder.encode(base).length <= 100 && base !== '') return { prefix, base };
  }
  throw new TarFormatError('name is too long for a ustar header (100 characters, or 155 + 100 split at a /)', name);
}

/** An uncompressed ustar archive of the given files (mode 0644, owner 0). */
export function writeTar(entries: readonly TarEntry[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const entry of entries) {
    const name = normalizeName(entry.name);
    if (name === '' || name.endsWith('/')) throw new TarFormatError('a file entry needs a non-empty name', entry.name);
    const { prefix, base } = splitName(name);
    const header = new Uint8Array(BLOCK);
    writeString(header, 0, 100, base);
    writeOctal(header, 100, 8, 0o644);
    writeOctal(header, 108, 8, 0);
    writeOctal(header, 116, 8, 0);
    writeOctal(header, 124, 12, entry.data.length);
    writeOctal(header, 136, 12, Math.floor(entry.mtime ?? 0));
    header[156] = 0x30; // '0': regular file
    writeString(header, 257, 6, 'ustar\0');
    writeString(header, 263, 2, '00');
    writeString(header, 345, 155, prefix);
    writeString(header, 148, 8, `${checksumOf(header).toString(8).padStart(6, '0')}\0 `);
    blocks.push(header, entry.data);
    const padding = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
    if (padding > 0) blocks.push(new Uint8Array(padding));
  }
  blocks.push(new Uint8Array(2 * BLOCK));
  return Buffer.concat(blocks);
}

/** A `.tar.gz` of the given files. */
export function writeTarGz(entries: readonly TarEntry[]): Uint8Array {
  return gzipSync(writeTar(entries));
}

/** The files of a `.tar.gz` (or an uncompressed tar: gzip's magic bytes decide). */
export function readTarGz(archive: Uint8Array): TarEntry[] {
  const gzipped = archive.length >= 2 && archive[0] === 0x1f && archive[1] === 0x8b;
  let tar: Uint8Array;
  try {
    tar = gzipped ? gunzipSync(archive) : archive;
  } catch (error) {
    throw new TarFormatError(`gzip stream cannot be read: ${(error as Error).message}`);
  }
  return readTar(tar);
}
