/** What the domain core needs from object storage; the S3 adapter implements it. */
export interface ObjectStore {
  /** Reads an object (a specific version when given). */
  get(bucket: string, key: string, versionId?: string): Promise<Uint8Array>;
  put(bucket: string, key: string, body: Uint8Array | string, contentType: string): Promise<{ versionId?: string }>;
}
