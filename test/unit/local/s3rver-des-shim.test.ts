import crypto from 'node:crypto';
import { desSupported, installS3rverDesShim } from '../../../local/runtime/s3rver-des-shim';

describe('installS3rverDesShim', () => {
  beforeAll(() => installS3rverDesShim());

  it("makes 'des' ciphers work, giving the published DES test vector (key 133457799BBCDFF1, block 0123456789ABCDEF)", () => {
    // Prepare: CBC with a zero IV encrypts the first block as ECB does.
    const key = Buffer.from('133457799bbcdff1', 'hex');
    const iv = Buffer.alloc(8);

    // Act
    const cipher = crypto.createCipheriv('des', key, iv);
    const block = cipher.update(Buffer.from('0123456789abcdef', 'hex'));

    // Assess
    expect(desSupported()).toBe(true);
    expect(block.subarray(0, 8).toString('hex')).toBe('85e813540f0ab405');
  });

  it('decrypts what it encrypts, as s3rver does with its continuation tokens', () => {
    const key = Buffer.alloc(8, 'S3RVER', 'utf8');
    const iv = crypto.randomBytes(8);
    const cipher = crypto.createCipheriv('des', key, iv);
    const token = Buffer.concat([cipher.update('us-east-1/artifacts/projects/p/log/000123', 'utf8'), cipher.final()]);

    const decipher = crypto.createDecipheriv('des', key, iv);

    expect(Buffer.concat([decipher.update(token), decipher.final()]).toString('utf8')).toBe('us-east-1/artifacts/projects/p/log/000123');
  });

  it('leaves every other algorithm alone and rejects a DES key of the wrong length', () => {
    const key = crypto.randomBytes(32);
    const iv = crypto.randomBytes(16);
    const cipher = crypto.createCipheriv('aes-256-cbc', key, iv);
    const text = Buffer.concat([cipher.update('unchanged', 'utf8'), cipher.final()]);
    const decipher = crypto.createDecipheriv('aes-256-cbc', key, iv);

    expect(Buffer.concat([decipher.update(text), decipher.final()]).toString('utf8')).toBe('unchanged');
    expect(() => crypto.createCipheriv('des', Buffer.alloc(7), Buffer.alloc(8))).toThrow(/key/i);
  });
});
