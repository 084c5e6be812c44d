/**
 * JSON typed on the command line or read from a file, parsed with an error that says where:
 * line, column and the line itself with a caret under the offending character. V8's own
 * messages give a position for most mistakes but not all ("Unexpected token 'x', ... is not
 * valid JSON" has none), so the position comes from a small scanner of the JSON grammar
 * that stops at the first character JSON.parse could not accept.
 */

export type JsonTextResult =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      /** What is wrong, without V8's position suffix or echo of the text. */
      readonly reason: string;
      /** 0-based offset of the first character that cannot be JSON here (text.length at an early end). */
      readonly offset: number;
      /** 1-based. */
      readonly line: number;
      /** 1-based, in UTF-16 code units like the offset. */
      readonly column: number;
      /** The offending line (cut to about 60 characters around the column) and a caret line under it. */
      readonly excerpt: readonly [string, string];
    };

export function parseJsonText(text: string): JsonTextResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const offset = firstErrorOffset(text) ?? positionIn(message) ?? text.length;
    const { line, column } = lineAndColumn(text, offset);
    return { ok: false, reason: reasonOf(message), offset, line, column, excerpt: excerptAt(text, offset) };
  }
}

/** `<what> is not valid JSON: <reason> at line L, column C:` and the excerpt, for a UsageError. */
export function describeJsonError(what: string, failure: Extract<JsonTextResult, { ok: false }>): string {
  return `${what} is not valid JSON: ${failure.reason} at line ${failure.line}, column ${failure.column}:\n  ${failure.excerpt[0]}\n  ${failure.excerpt[1]}`;
}

/** V8's message without " in JSON at position N (line L column C)" and without the echoed text. */
function reasonOf(message: string): string {
  return message
    .replace(/\s+in JSON at position \d+( \(line \d+ column \d+\))?$/, '')
    .replace(/, .* is not valid JSON$/s, '')
    .replace(/^Unexpected end of JSON input$/, 'the text ends before the JSON value does');
}

function positionIn(message: string): number | undefined {
  const match = /at position (\d+)/.exec(message);
  return match ? Number(match[1]) : undefined;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

const EXCERPT_WIDTH = 60;

function excerptAt(text: string, offset: number): [string, string] {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const newline = text.indexOf('\n', offset);
  const lineText = text.slice(lineStart, newline === -1 ? text.length : newline).replace(/\r$/, '').replace(/\t/g, ' ');
  const column = offset - lineStart;
  const from = Math.max(0, Math.min(column - EXCERPT_WIDTH / 2, lineText.length - EXCERPT_WIDTH));
  const prefix = from > 0 ? '…' : '';
  const shown = lineText.slice(from, from + EXCERPT_WIDTH);
  const suffix = from + EXCERPT_WIDTH < lineText.length ? '…' : '';
  return [`${prefix}${shown}${suffix}`, `${' '.repeat(prefix.length + column - from)}^`];
}

class ScanStop {
  constructor(readonly offset: number) {}
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** The offset of the first character that breaks the JSON grammar (RFC 8259), or undefined when the text is JSON. */
export function firstErrorOffset(text: string): number | undefined {
  let i = 0;
  const stop = (): never => {
    throw new ScanStop(i);
  };
  const space = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const word = (w: string): void => {
    for (const ch of w) {
      if (text[i] !== ch) stop();
      i++;
    }
  };
  const string = (): void => {
    i++; // the opening quote
    for (;;) {
      if (i >= text.length) stop();
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c.charCodeAt(0) < 0x20) stop();
      if (c === '\\') {
        i++;
        const escape = text[i];
        if (escape === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (!isHex(text[i])) stop();
          }
          i++;
        } else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) i++;
        else stop();
        continue;
      }
      i++;
    }
  };
  const digits = (): void => {
    if (!isDigit(text[i])) stop();
    while (isDigit(text[i])) i++;
  };
  const number = (): void => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      space();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        space();
        if (text[i] !== '"') stop();
        string();
        space();
        if (text[i] !== ':') stop();
        i++;
        value();
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        stop();
      }
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        stop();
      }
    }
    if (c === '"') return string();
    if (c === 't') return word('true');
    if (c === 'f') return word('false');
    if (c === 'n') return word('null');
    if (c === '-' || isDigit(c)) return number();
    stop();
  };
  try {
    value();
    space();
    if (i < text.length) stop();
    return undefined;
  } catch (error) {
    if (error instanceof ScanStop) return error.offset;
    // Nesting deep enough to exhaust the stack: no position, V8's message stands.
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}
