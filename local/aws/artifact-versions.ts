/**
 * A project's artifacts in the versioned artifact bucket: every object version and delete
 * marker under its prefix. Deleting an object without its version id only adds a delete
 * marker and keeps the data, so deletion names each version.
 */
import { DeleteObjectsCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';

export interface ArtifactVersion {
  readonly key: string;
  readonly versionId: string;
  readonly deleteMarker: boolean;
  /** The current version of its key (for a marker: the key reads as deleted). */
  readonly latest: boolean;
  readonly size: number;
}

export interface ArtifactVersionListing {
  readonly versions: readonly ArtifactVersion[];
  /** Object versions (not markers). */
  readonly objectVersions: number;
  /** Keys whose current version is an object: what a plain listing shows. */
  readonly currentObjects: number;
  readonly deleteMarkers: number;
  readonly bytes: number;
}

/** Every version and delete marker under the prefix, all pages. */
export async function listArtifactVersions(s3: S3Client, bucket: string, prefix: string): Promise<ArtifactVersionListing> {
  const versions: ArtifactVersion[] = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    for (const v of page.Versions ?? []) {
      if (v.Key !== undefined) versions.push({ key: v.Key, versionId: v.VersionId ?? 'null', deleteMarker: false, latest: v.IsLatest === true, size: v.Size ?? 0 });
    }
    for (const m of page.DeleteMarkers ?? []) {
      if (m.Key !== undefined) versions.push({ key: m.Key, versionId: m.VersionId ?? 'null', deleteMarker: true, latest: m.IsLatest === true, size: 0 });
    }
    if (!page.IsTruncated) break;
    keyMarker = page.NextKeyMarker;
    versionIdMarker = page.NextVersionIdMarker;
    if (keyMarker === undefined) throw new Error(`ListObjectVersions on s3://${bucket}/${prefix} said there is more but gave no NextKeyMarker`);
  }
  const objects = versions.filter((v) => !v.deleteMarker);
  return {
    versions,
    objectVersions: objects.length,
    currentObjects: objects.filter((v) => v.latest).length,
    deleteMarkers: versions.length - objects.length,
    bytes: objects.reduce((sum, v) => sum + v.size, 0),
  };
}

/** DeleteObjects takes at most 1000 keys. */
const DELETE_OBJECTS_LIMIT = 1000;

export interface ArtifactDeleteError {
  readonly key: string;
  readonly versionId: string;
  readonly code: string;
  readonly message: string;
}

export interface ArtifactDeletion {
  readonly deleted: number;
  /** The versions S3 refused, each with its reason (e.g. AccessDenied). */
  readonly errors: readonly ArtifactDeleteError[];
}

/** Deletes the versions for good, 1000 per request; S3's per-key refusals are returned, not thrown. */
export async function deleteArtifactVersions(s3: S3Client, bucket: string, versions: readonly ArtifactVersion[]): Promise<ArtifactDeletion> {
  const errors: ArtifactDeleteError[] = [];
  let deleted = 0;
  for (let start = 0; start < versions.length; start += DELETE_OBJECTS_LIMIT) {
    const batch = versions.slice(start, start + DELETE_OBJECTS_LIMIT);
    // Quiet: the answer lists only the keys that failed.
    const result = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((v) => ({ Key: v.key, VersionId: v.versionId })), Quiet: true } }));
    const failed = (result.Errors ?? []).map((e) => ({ key: e.Key ?? '?', versionId: e.VersionId ?? 'null', code: e.Code ?? 'Error', message: e.Message ?? '' }));
    errors.push(...failed);
    deleted += batch.length - failed.length;
  }
  return { deleted, errors };
}
