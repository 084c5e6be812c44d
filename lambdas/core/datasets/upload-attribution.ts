/**
 * Who uploaded a training file and where it came from, carried as S3 user metadata on the
 * inbox object (`x-amz-meta-lumina-*`), so the profile step can write it on the dataset
 * version. The S3 event that starts the pipeline names the object, not the person: the
 * uploading tool (`lumina data import`, a notebook helper) states it. It is the uploader's
 * own statement, like a commit author; CloudTrail data events are the evidence of record.
 *
 * Values are percent-encoded: S3 metadata travels as HTTP headers (ASCII only), and the
 * whole set must stay under S3's 2 KB metadata limit, hence the length caps.
 */
import * as z from 'zod';

export const UPLOAD_METADATA_KEYS = {
  uploadedBy: 'lumina-uploaded-by',
  source: 'lumina-source',
  sourceSha256: 'lumina-source-sha256',
  attribution: 'lumina-attribution',
} as const;

export interface UploadAttribution {
  /** `local:<os user>`, an IAM principal, or a service name. */
  readonly uploadedBy?: string;
  readonly source?: {
    /** The public URL or `s3://` object the data was imported from. */
    readonly url: string;
    /** The SHA-256 the import checked (the downloaded bytes). */
    readonly sha256?: string;
    /** License, citation or provider. */
    readonly attribution?: string;
  };
}

export const MAX_UPLOADER_CHARS = 256;
export const MAX_SOURCE_CHARS = 1024;
export const MAX_ATTRIBUTION_CHARS = 500;

/** Raised for metadata that is present but malformed; the field is named. */
export class UploadMetadataError extends Error {
  constructor(readonly field: string, reason: string) {
    super(`upload metadata ${field}: ${reason}`);
    this.name = 'UploadMetadataError';
  }
}

const decoded = (max: number) =>
  z
    .string()
    .transform((value, context) => {
      try {
        return decodeURIComponent(value);
      } catch {
        context.addIssue({ code: 'custom', message: 'is not percent-encoded UTF-8' });
        return z.NEVER;
      }
    })
    .pipe(z.string().trim().min(1, 'is empty').max(max, `is longer than ${max} characters`));

const UploadMetadata = z.object({
  [UPLOAD_METADATA_KEYS.uploadedBy]: decoded(MAX_UPLOADER_CHARS).optional(),
  [UPLOAD_METADATA_KEYS.source]: decoded(MAX_SOURCE_CHARS).optional(),
  [UPLOAD_METADATA_KEYS.sourceSha256]: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits').optional(),
  [UPLOAD_METADATA_KEYS.attribution]: decoded(MAX_ATTRIBUTION_CHARS).optional(),
});

/** S3 user metadata (keys without `x-amz-meta-`, any case) to the attribution; unrelated keys are ignored. */
export function parseUploadMetadata(metadata: Readonly<Record<string, string | undefined>>): UploadAttribution {
  const lowered = Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key.toLowerCase(), value]));
  const parsed = UploadMetadata.safeParse(lowered);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UploadMetadataError(String(issue.path[0] ?? '(metadata)'), issue.message);
  }
  const values = parsed.data;
  const url = values[UPLOAD_METADATA_KEYS.source];
  const sha256 = values[UPLOAD_METADATA_KEYS.sourceSha256];
  const attribution = values[UPLOAD_METADATA_KEYS.attribution];
  if (url === undefined && (sha256 !== undefined || attribution !== undefined)) {
    throw new UploadMetadataError(UPLOAD_METADATA_KEYS.source, 'is missing while a source checksum or attribution is given');
  }
  const uploadedBy = values[UPLOAD_METADATA_KEYS.uploadedBy];
  return {
    ...(uploadedBy === undefined ? {} : { uploadedBy }),
    ...(url === undefined ? {} : { source: { url, ...(sha256 === undefined ? {} : { sha256 }), ...(attribution === undefined ? {} : { attribution }) } }),
  };
}

/** The attribution as S3 user metadata (what `parseUploadMetadata` reads back). Over-long values are refused, not cut. */
export function uploadMetadataFor(attribution: UploadAttribution): Record<string, string> {
  const check = (field: string, value: string, max: number): string => {
    if (value.trim() === '') throw new UploadMetadataError(field, 'is empty');
    if (value.length > max) throw new UploadMetadataError(field, `is longer than ${max} characters`);
    return encodeURIComponent(value);
  };
  const metadata: Record<string, string> = {};
  if (attribution.uploadedBy !== undefined) metadata[UPLOAD_METADATA_KEYS.uploadedBy] = check(UPLOAD_METADATA_KEYS.uploadedBy, attribution.uploadedBy, MAX_UPLOADER_CHARS);
  const { source } = attribution;
  if (source !== undefined) {
    metadata[UPLOAD_METADATA_KEYS.source] = check(UPLOAD_METADATA_KEYS.source, source.url, MAX_SOURCE_CHARS);
    if (source.sha256 !== undefined) {
      if (!/^[0-9a-f]{64}$/.test(source.sha256)) throw new UploadMetadataError(UPLOAD_METADATA_KEYS.sourceSha256, 'must be 64 lowercase hex digits');
      metadata[UPLOAD_METADATA_KEYS.sourceSha256] = source.sha256;
    }
    if (source.attribution !== undefined) metadata[UPLOAD_METADATA_KEYS.attribution] = check(UPLOAD_METADATA_KEYS.attribution, source.attribution, MAX_ATTRIBUTION_CHARS);
  }
  return metadata;
}
