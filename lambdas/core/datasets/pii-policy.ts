/**
 * What happens to a column that looks like personal data, decided by the project's policy
 * (`piiPolicy` in its project.config.json) and logged. The scanner finds candidates
 * (pii-scan.ts, with a confidence); this decides and applies the policy to them (the
 * profile step does so on ingest: dataset-ingest.ts):
 *
 * - `refuse`: the dataset is rejected with the columns named (nothing is kept but the
 *   upload itself, which is never deleted);
 * - `drop`: the column is removed from the accepted copy;
 * - `mask`: each value is replaced by a keyed pseudonym (HMAC-SHA-256 with the project's
 *   secret key, `projects/<p>/secrets/pii-mask-key`, 16 hex digits), so equal values stay
 *   equal (joins and counts still work) but the value cannot be read back or guessed
 *   without the key;
 * - `allow`: kept, and the decision still logged.
 *
 * Findings below the policy's confidence threshold are logged as `ignored`. The entity id
 * and target columns are exempt by default: masking them would break splits and labels, so
 * a project that must protect its entity id masks it upstream.
 */
import { createHmac } from 'node:crypto';
import * as z from 'zod';
import { loadProjectConfigField, type ReadConfigObject } from '../governance/project-policy';
import { readCsvRecords } from './csv-records';
import type { PiiFinding, PiiKind } from './pii-scan';

const PiiAction = z.enum(['refuse', 'drop', 'mask', 'allow']);
export type PiiAction = z.output<typeof PiiAction>;

export const PiiPolicy = z
  .object({
    /** @default mask */
    default: PiiAction.default('mask'),
    byKind: z.partialRecord(z.enum(['email', 'phone_number', 'national_id', 'date_of_birth', 'person_name', 'street_address']), PiiAction).default({}),
    /** Findings below this confidence are logged and ignored. @default 0.6 */
    minConfidence: z.number().min(0).max(1).default(0.6),
    /** Columns the policy never touches (e.g. the entity id and target). */
    exemptColumns: z.array(z.string()).default([]),
  })
  .strict();
export type PiiPolicy = z.output<typeof PiiPolicy>;

export interface PiiDecision {
  readonly column: string;
  readonly kind: PiiKind;
  readonly confidence: number;
  readonly action: PiiAction | 'ignored' | 'exempt';
  readonly reason: string;
}

export class PiiRefusedError extends Error {
  constructor(readonly decisions: readonly PiiDecision[]) {
    super(`dataset refused by the PII policy: ${decisions.map((d) => `column "${d.column}" may hold ${d.kind.replace(/_/g, ' ')} (confidence ${d.confidence.toFixed(2)})`).join('; ')}`);
    this.name = 'PiiRefusedError';
  }
}

/** The decision for each finding (one per column: the strongest action wins for a column with several kinds). */
export function decidePiiActions(findings: readonly PiiFinding[], policyInput: z.input<typeof PiiPolicy>): PiiDecision[] {
  const policy = PiiPolicy.parse(policyInput);
  const strength: Record<PiiDecision['action'], number> = { exempt: 0, ignored: 1, allow: 2, mask: 3, drop: 4, refuse: 5 };
  const byColumn = new Map<string, PiiDecision>();
  for (const finding of findings) {
    let decision: PiiDecision;
    if (policy.exemptColumns.includes(finding.column)) {
      decision = { column: finding.column, kind: finding.kind, confidence: finding.confidence, action: 'exempt', reason: 'column is exempt (entity id, target or listed)' };
    } else if (finding.confidence < policy.minConfidence) {
      decision = { column: finding.column, kind: finding.kind, confidence: finding.confidence, action: 'ignored', reason: `confidence ${finding.confidence.toFixed(2)} below ${policy.minConfidence}` };
    } else {
      const action = policy.byKind[finding.kind] ?? policy.default;
      decision = { column: finding.column, kind: finding.kind, confidence: finding.confidence, action, reason: policy.byKind[finding.kind] ? `policy for ${finding.kind}` : 'default policy' };
    }
    const previous = byColumn.get(finding.column);
    if (!previous || strength[decision.action] > strength[previous.action]) byColumn.set(finding.column, decision);
  }
  return [...byColumn.values()];
}

const csvCell = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

export interface PiiApplication {
  readonly csv: string;
  readonly decisions: readonly PiiDecision[];
  readonly dropped: readonly string[];
  readonly masked: readonly string[];
}

/** Raised when a column a decision names is not in the file's header (the copy would still hold it). */
export class PiiColumnNotFoundError extends Error {
  constructor(readonly columns: readonly string[]) {
    super(`the PII policy names column${columns.length === 1 ? '' : 's'} ${columns.map((c) => `"${c}"`).join(', ')} that the CSV header does not have; nothing was masked or dropped`);
    this.name = 'PiiColumnNotFoundError';
  }
}

/**
 * Applies the decisions to the CSV and returns the copy to keep. Throws PiiRefusedError
 * when any decision is `refuse`, before anything is produced.
 */
export function applyPiiPolicy(csv: Uint8Array, findings: readonly PiiFinding[], policy: z.input<typeof PiiPolicy>, maskKey: string): PiiApplication {
  return applyPiiDecisions(csv, decidePiiActions(findings, policy), maskKey);
}

/**
 * Applies decisions already made (decidePiiActions). Header names are compared trimmed, as
 * validation and the scanner name columns; a masked or dropped column missing from the
 * header is an error rather than a copy that silently keeps it.
 */
export function applyPiiDecisions(csv: Uint8Array, decisions: readonly PiiDecision[], maskKey: string): PiiApplication {
  const refused = decisions.filter((d) => d.action === 'refuse');
  if (refused.length > 0) throw new PiiRefusedError(refused);
  const dropped = decisions.filter((d) => d.action === 'drop').map((d) => d.column);
  const masked = decisions.filter((d) => d.action === 'mask').map((d) => d.column);
  if (masked.length > 0 && maskKey.length < 16) throw new RangeError('the masking key must be at least 16 characters');
  if (dropped.length === 0 && masked.length === 0) return { csv: Buffer.from(csv).toString('utf8'), decisions, dropped, masked };

  const pseudonym = (value: string): string => (value === '' ? '' : createHmac('sha256', maskKey).update(value).digest('hex').slice(0, 16));
  const lines: string[] = [];
  let keep: number[] = [];
  let mask = new Set<number>();
  readCsvRecords(csv, {
    onHeader(fields) {
      const names = fields.map((field) => field.trim());
      const missing = [...dropped, ...masked].filter((column) => !names.includes(column));
      if (missing.length > 0) throw new PiiColumnNotFoundError(missing);
      keep = names.map((_, i) => i).filter((i) => !dropped.includes(names[i]));
      mask = new Set(names.map((name, i) => (masked.includes(name) ? i : -1)).filter((i) => i >= 0));
      lines.push(keep.map((i) => csvCell(fields[i])).join(','));
      return true;
    },
    onRecord(fields) {
      lines.push(keep.map((i) => csvCell(mask.has(i) ? pseudonym(fields[i] ?? '') : (fields[i] ?? ''))).join(','));
      return true;
    },
    onSyntaxProblem(problem) {
      // The validate step has already refused files with syntax problems; reaching one here is a bug.
      throw new Error(`line ${problem.line}: ${problem.message}`);
    },
  });
  return { csv: `${lines.join('\n')}\n`, decisions, dropped, masked };
}

/** Where a project declares its PII policy: this field of its configuration object. */
export const PII_POLICY_FIELD = 'piiPolicy';

export interface LoadedPiiPolicy {
  readonly policy: PiiPolicy;
  /** The configuration object's key, or `default`. */
  readonly source: string;
}

/**
 * Reads `piiPolicy` from `projects/<project>/config/project.config.json` (the object the
 * promotion policy lives in). No object or no field: the defaults above (mask at confidence
 * 0.6 or more). A present but broken policy is refused with the field named, never replaced
 * by the default: a typo must not turn `refuse` into `mask`.
 */
export async function loadPiiPolicy(read: ReadConfigObject, project: string): Promise<LoadedPiiPolicy> {
  const { value, source } = await loadProjectConfigField(read, project, PII_POLICY_FIELD, PiiPolicy);
  return { policy: value, source };
}

/** The policy with the project's target and entity id columns exempt (see the file comment). */
export function withExemptColumns(policy: PiiPolicy, columns: readonly string[]): PiiPolicy {
  const exempt = [...policy.exemptColumns];
  for (const column of columns) if (column !== '' && !exempt.includes(column)) exempt.push(column);
  return { ...policy, exemptColumns: exempt };
}
