import { checkUtf8 } from '../../../lambdas/core/datasets/utf8-check';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('checkUtf8', () => {
  it('accepts multi-byte text', () => {
    // Act
    const result = checkUtf8(utf8('name\nJosé,北京,🙂\n'));

    // Assess
    expect(result).toEqual({ valid: true, invalid: [], invalidCount: 0 });
  });

  it.each([
    ['a lone continuation byte', [0x80]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a truncated sequence at the end', [0xe2, 0x82]],
  ])('rejects %s', (_why, bytes) => {
    // Act
    const result = checkUtf8(new Uint8Array([...utf8('ok\nx'), ...bytes]));

    // Assess
    expect(result.valid).toBe(false);
    expect(result.invalid[0]).toMatchObject({ offset: 4, line: 2 });
  });

  it('counts every invalid run but lists only the first few', () => {
    // Prepare: 30 lines, each with one bad byte
    const bytes = new Uint8Array(Array.from({ length: 30 }, () => [0x61, 0xff, 0x0a]).flat());

    // Act
    const result = checkUtf8(bytes, 5);

    // Assess
    expect(result.invalidCount).toBe(30);
    expect(result.invalid.map((s) => s.line)).toEqual([1, 2, 3, 4, 5]);
  });

  it('accepts a character split across the decoder chunk boundary and finds a bad byte beyond it', () => {
    // Prepare: 1 MiB - 1 bytes of "a", a 3-byte character across the boundary, then a bad byte
    const bytes = new Uint8Array((1 << 20) + 8).fill(0x61);
    bytes.set([0xe2, 0x82, 0xac], (1 << 20) - 1);
    bytes[(1 << 20) + 5] = 0xff;

    // Act
    const result = checkUtf8(bytes);

    // Assess
    expect(result.invalidCount).toBe(1);
    expect(result.invalid[0]).toEqual({ offset: (1 << 20) + 5, line: 1, bytesHex: 'ff' });
  });
});
