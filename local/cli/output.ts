/** Text the CLI prints: tables, aligned key/value lists, durations, timestamps and JSON. */

/** Columns padded to their widest cell, two spaces apart; trailing spaces trimmed. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/** `key   value` lines with the values aligned, indented by two spaces. */
export function formatFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...fields.map(([key]) => key.length));
  return fields.map(([key, value]) => `  ${key.padEnd(width)}  ${value}\n`).join('');
}

/** A short human duration: 850 ms, 4.2 s, 3m 05s, 1h 02m. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** An ISO timestamp to the second, in UTC: 2026-05-01 12:34:56Z. Unparseable text is shown as it is. */
export function formatTimestamp(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** Milliseconds between two ISO timestamps, or undefined while the second is missing. */
export function elapsedMs(startIso: string, stopIso: string | undefined): number | undefined {
  if (stopIso === undefined) return undefined;
  const ms = Date.parse(stopIso) - Date.parse(startIso);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Pretty JSON with a trailing newline: what `--json` prints. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * A run's failure in one line. Lambda failures carry their cause as the JSON the runtime
 * reports ({errorType, errorMessage, trace}); show its type and message, not the trace.
 */
export function describeFailure(error: string | undefined, cause: string | undefined): string {
  const reason = causeText(cause);
  if (error && reason) return `${error}: ${reason}`;
  return error ?? reason ?? '';
}

function causeText(cause: string | undefined): string | undefined {
  if (cause === undefined || cause === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(cause);
    if (parsed && typeof parsed === 'object' && 'errorMessage' in parsed && typeof parsed.errorMessage === 'string') {
      const type = 'errorType' in parsed && typeof parsed.errorType === 'string' ? `${parsed.errorType}: ` : '';
      return `${type}${parsed.errorMessage}`;
    }
  } catch {
    // Not JSON: the cause is plain text.
  }
  return cause;
}

/** Cuts text to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s*\n\s*/g, ' ');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}
