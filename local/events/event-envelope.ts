/**
 * The EventBridge event envelope and the JSON values it carries. Every event on the local
 * bus has this shape, whether a caller put it (PutEvents), a service emitted it (S3 object
 * created, CloudWatch alarm state change) or a schedule fired it.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface EventBridgeEvent {
  readonly version: string;
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  /** `yyyy-MM-ddTHH:mm:ssZ`, as EventBridge writes it. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: JsonObject;
}

/** An envelope handed to the bus is not one EventBridge could carry; names the event and field. */
export class EventEnvelopeError extends Error {
  constructor(
    readonly eventId: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`Event ${eventId}: ${field}: ${reason}`);
    this.name = 'EventEnvelopeError';
  }
}

/** An envelope from elsewhere (a local service); its detail is copied in as JSON. */
export interface EventEnvelopeInput {
  readonly version: string;
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Readonly<Record<string, unknown>>;
}

/** A JSON copy of an envelope: drops undefined members, refuses what JSON cannot hold. */
export function normalizeEvent(input: EventEnvelopeInput): EventBridgeEvent {
  for (const field of ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region'] as const) {
    if (typeof input[field] !== 'string') throw new EventEnvelopeError(String(input.id), field, 'must be a string');
  }
  if (!Array.isArray(input.resources) || input.resources.some((r) => typeof r !== 'string')) {
    throw new EventEnvelopeError(input.id, 'resources', 'must be a list of strings');
  }
  const detail = JSON.parse(JSON.stringify(input.detail ?? {})) as unknown;
  if (!isJsonObject(detail)) throw new EventEnvelopeError(input.id, 'detail', 'must be a JSON object');
  return { ...input, resources: [...input.resources], detail };
}

/** EventBridge writes `time` to the second, without milliseconds. */
export function formatEventTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The envelope as a plain JSON object (for patterns, paths and templates). */
export function eventAsJson(event: EventBridgeEvent): JsonObject {
  return {
    version: event.version,
    id: event.id,
    'detail-type': event['detail-type'],
    source: event.source,
    account: event.account,
    time: event.time,
    region: event.region,
    resources: [...event.resources],
    detail: event.detail,
  };
}
