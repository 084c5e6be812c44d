/**
 * A prediction request's body, from raw text to one of its three forms:
 * - one record: `{ "age": 61, "smoker": true, ... }`;
 * - many records: `{ "records": [ {...}, {...} ] }`;
 * - an entity whose features the online feature store holds: `{ "entityId": "p-123" }`.
 * A body whose only key is `records` or `entityId` is that form; any other object is one
 * record. Size, encoding and JSON are checked before anything is parsed further.
 */
import type { FieldError } from './input-contract';

export interface BodyLimits {
  /** Largest body accepted, in bytes after base64 decoding. */
  readonly maxBodyBytes: number;
  /** Most records one request may carry. */
  readonly maxRecords: number;
}

export type PredictBody =
  | { readonly form: 'single'; readonly records: readonly unknown[] }
  | { readonly form: 'batch'; readonly records: readonly unknown[] }
  | { readonly form: 'entity'; readonly entityId: string };

export type BodyParseResult =
  | { readonly ok: true; readonly body: PredictBody }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

const MAX_ENTITY_ID_LENGTH = 256;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const SHAPES = 'a record of the model\'s columns, {"records": [...]}, or {"entityId": "..."}';

const fail = (path: string, message: string): BodyParseResult => ({ ok: false, errors: [{ path, message }] });
const tooLarge = (size: string, limits: BodyLimits): BodyParseResult =>
  fail('(body)', `the body is ${size} bytes; the limit is ${limits.maxBodyBytes} bytes (use batch inference for large inputs)`);

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Raw body (as the event carries it) → one of the forms, or the errors. Never throws. */
export function parsePredictBody(raw: string | undefined | null, isBase64Encoded: boolean, limits: BodyLimits): BodyParseResult {
  if (raw === undefined || raw === null || raw.length === 0) return fail('(body)', `the request body is empty; send ${SHAPES}`);
  // Cheap bound first, so a huge body is refused before it is decoded (a UTF-16 code unit is at least one UTF-8 byte).
  const atLeastBytes = isBase64Encoded ? Math.floor((raw.length * 3) / 4) - 2 : raw.length;
  if (atLeastBytes > limits.maxBodyBytes) return tooLarge(`more than ${atLeastBytes}`, limits);
  let text: string;
  let size: number;
  if (isBase64Encoded) {
    const bytes = Buffer.from(raw, 'base64');
    size = bytes.length;
    try {
      text = utf8.decode(bytes);
    } catch {
      return fail('(body)', 'the body is not valid UTF-8 text');
    }
  } else {
    text = raw;
    size = Buffer.byteLength(text, 'utf8');
  }
  if (size > limits.maxBodyBytes) return tooLarge(String(size), limits);
  if (text.trim().length === 0) return fail('(body)', `the request body is empty; send ${SHAPES}`);

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail('(body)', `the body is not valid JSON: ${(error as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return fail('(body)', `must be a JSON object (${SHAPES}), got ${describeJson(json)}`);
  }
  const object = json as Record<string, unknown>;
  const keys = Object.keys(object);
  if (keys.length === 0) return fail('(body)', `the JSON object is empty; send ${SHAPES}`);
  if (keys.length === 1 && keys[0] === 'records') {
    const records = object.records;
    if (!Array.isArray(records)) return fail('records', `must be an array of records, got ${describeJson(records)}`);
    if (records.length === 0) return fail('records', 'is empty; send at least one record');
    if (records.length > limits.maxRecords) return fail('records', `has ${records.length} records; the limit is ${limits.maxRecords} per request (use batch inference for files)`);
    return { ok: true, body: { form: 'batch', records } };
  }
  if (keys.length === 1 && keys[0] === 'entityId') {
    const id = object.entityId;
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ENTITY_ID_LENGTH) {
      return fail('entityId', `must be a non-empty string of at most ${MAX_ENTITY_ID_LENGTH} characters, got ${describeJson(id)}${typeof id === 'string' ? ` of length ${id.length}` : ''}`);
    }
    return { ok: true, body: { form: 'entity', entityId: id } };
  }
  return { ok: true, body: { form: 'single', records: [object] } };
}
