import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TarFormatError, readTar, readTarGz, writeTar, writeTarGz } from '../../../lambdas/core/archive/tar';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const bytes = (value: string): Uint8Array => new TextEncoder().encode(value);

describe('ustar reader and writer', () => {
  it('round-trips files of any size through tar.gz, including a name that needs the ustar prefix', () => {
    const long = `${'deep/'.repeat(30)}model.json`;
    const entries = [
      { name: 'xgboost-model.json', data: bytes('{"learner":{}}') },
      { name: 'empty.txt', data: new Uint8Array(0) },
      { name: 'block.bin', data: new Uint8Array(512).fill(7) },
      { name: long, data: bytes('x'.repeat(1000)) },
    ];

    const read = readTarGz(writeTarGz(entries));

    expect(read.map((e) => e.name)).toEqual(entries.map((e) => e.name));
    expect(read.map((e) => e.data.length)).toEqual([14, 0, 512, 1000]);
    expect(text(read[0].data)).toBe('{"learner":{}}');
    expect(read[2].data.every((b) => b === 7)).toBe(true);
  });

  it('reads what GNU tar writes (a ./ prefix and directory entries), and GNU tar reads what it writes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tar-test-'));
    fs.mkdirSync(path.join(dir, 'in/sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'in/metrics.json'), '{"best_iteration":3}');
    fs.writeFileSync(path.join(dir, 'in/sub/encoding.json'), '{}');
    expect(spawnSync('tar', ['-czf', path.join(dir, 'model.tar.gz'), '-C', path.join(dir, 'in'), '.']).status).toBe(0);

    const read = readTarGz(fs.readFileSync(path.join(dir, 'model.tar.gz')));
    expect(read.map((e) => e.name).sort()).toEqual(['metrics.json', 'sub/encoding.json']);
    expect(text(read.find((e) => e.name === 'metrics.json')!.data)).toBe('{"best_iteration":3}');

    fs.writeFileSync(path.join(dir, 'ours.tar'), writeTar([{ name: 'a/b.txt', data: bytes('hello') }]));
    const listed = spawnSync('tar', ['-xOf', path.join(dir, 'ours.tar'), 'a/b.txt'], { encoding: 'utf8' });
    expect(listed.stdout).toBe('hello');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a corrupt header, a truncated entry and a broken gzip stream, naming the entry', () => {
    const archive = writeTar([{ name: 'model.json', data: bytes('{}') }]);
    const corrupt = Uint8Array.from(archive);
    corrupt[0] = 'M'.charCodeAt(0);
    expect(() => readTar(corrupt)).toThrow(/Model.json: header checksum/);
    expect(() => readTar(archive.subarray(0, 512 + 1))).toThrow(TarFormatError);
    expect(() => readTarGz(Uint8Array.from([0x1f, 0x8b, 1, 2, 3]))).toThrow(/gzip stream cannot be read/);
  });
});
