/**
 * The JSONPath subset EventBridge evaluates in InputPath and InputPathsMap: `$`, dot
 * notation (names may hold dashes, underscores, slashes), array indices `[0]` and wildcards
 * (`.*`, `[*]`). Bracketed names are not part of it ("use JSON dot notation").
 */
import type { JsonValue } from './event-envelope';

export type PathSegment =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'wildcard' };

export interface JsonPath {
  readonly text: string;
  readonly segments: readonly PathSegment[];
  /** False when a wildcard makes the path select a list of values. */
  readonly definite: boolean;
}

/** Parses a path; returns the reason as a string when EventBridge would not accept it. */
export function parseJsonPath(text: string): JsonPath | string {
  if (!text.startsWith('$')) return 'a JSON path starts with "$"';
  const segments: PathSegment[] = [];
  let i = 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '.') {
      let end = i + 1;
      while (end < text.length && text[end] !== '.' && text[end] !== '[') end++;
      const name = text.slice(i + 1, end);
      if (name === '') return `empty field name at position ${i + 1}`;
      if (/[\]\s'"]/.test(name)) return `"${name}" is not a field name EventBridge paths accept`;
      segments.push(name === '*' ? { kind: 'wildcard' } : { kind: 'field', name });
      i = end;
    } else if (c === '[') {
      const close = text.indexOf(']', i);
      if (close < 0) return `unclosed "[" at position ${i}`;
      const inside = text.slice(i + 1, close);
      if (inside === '*') segments.push({ kind: 'wildcard' });
      else if (/^\d+$/.test(inside)) segments.push({ kind: 'index', index: Number(inside) });
      else return `"[${inside}]" is not an array index; use dot notation for names`;
      i = close + 1;
    } else {
      return `unexpected "${c}" at position ${i}`;
    }
  }
  return { text, segments, definite: segments.every((s) => s.kind !== 'wildcard') };
}

function step(values: JsonValue[], segment: PathSegment): JsonValue[] {
  const out: JsonValue[] = [];
  for (const value of values) {
    if (segment.kind === 'field') {
      if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, segment.name)) {
        out.push(value[segment.name]!);
      }
    } else if (segment.kind === 'index') {
      if (Array.isArray(value) && segment.index < value.length) out.push(value[segment.index]!);
    } else if (Array.isArray(value)) {
      out.push(...value);
    } else if (typeof value === 'object' && value !== null) {
      out.push(...Object.values(value));
    }
  }
  return out;
}

export type PathResult = { readonly found: true; readonly value: JsonValue } | { readonly found: false };

/** A definite path gives its one value; a wildcard path gives the list of what it matched. */
export function evaluateJsonPath(path: JsonPath, document: JsonValue): PathResult {
  const matches = path.segments.reduce((values, segment) => step(values, segment), [document]);
  if (path.definite) return matches.length === 1 ? { found: true, value: matches[0]! } : { found: false };
  return matches.length > 0 ? { found: true, value: matches } : { found: false };
}
