/** What the domain core needs from object storage; the S3 adapter implements it. */
export interface ObjectStore {
  /** Reads an object (a specific version when given); a missing object rejects with an error isMissingObject recognises. */
  get(bucket: string, key: string, versionId?: string): Promise<Uint8Array>;
  put(bucket: string, key: string, body: Uint8Array | string, contentType: string): Promise<{ versionId?: string }>;
}

/** Whether ObjectStore.get failed because the object does not exist: S3 (and the emulator) say NoSuchKey, or NotFound. */
export function isMissingObject(error: unknown): boolean {
  return error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound');
}
