import { UploadMetadataError, parseUploadMetadata, uploadMetadataFor } from '../../../lambdas/core/datasets/upload-attribution';

const SHA = 'ab'.repeat(32);

describe('upload attribution as S3 user metadata', () => {
  it('round-trips uploader, source, checksum and a non-ASCII attribution through header-safe values', () => {
    const attribution = { uploadedBy: 'local:zoë', source: { url: 'https://data.example.org/a b/patients.csv', sha256: SHA, attribution: 'Région Santé, CC-BY-4.0' } };

    const metadata = uploadMetadataFor(attribution);

    expect(Object.values(metadata).every((value) => /^[\x21-\x7e]*$/.test(value))).toBe(true);
    expect(parseUploadMetadata(metadata)).toEqual(attribution);
  });

  it('reads keys in any case and ignores unrelated metadata; no metadata is no attribution', () => {
    expect(parseUploadMetadata({ 'Lumina-Uploaded-By': 'local%3Abob', 'other-tool': 'x' })).toEqual({ uploadedBy: 'local:bob' });
    expect(parseUploadMetadata({})).toEqual({});
  });

  it('refuses malformed values naming the key', () => {
    expect(() => parseUploadMetadata({ 'lumina-uploaded-by': '%E0%A4%A' })).toThrow(new UploadMetadataError('lumina-uploaded-by', 'is not percent-encoded UTF-8'));
    expect(() => parseUploadMetadata({ 'lumina-source': 'https%3A%2F%2Fx', 'lumina-source-sha256': 'XYZ' })).toThrow('upload metadata lumina-source-sha256: must be 64 lowercase hex digits');
    expect(() => parseUploadMetadata({ 'lumina-attribution': 'CC-BY' })).toThrow('upload metadata lumina-source: is missing while a source checksum or attribution is given');
    expect(() => uploadMetadataFor({ source: { url: 'https://x.org/a.csv', attribution: 'x'.repeat(501) } })).toThrow('upload metadata lumina-attribution: is longer than 500 characters');
  });
});
