/**
 * How fast this host is, so that the other scripts' wall-clock figures can be compared across
 * hosts: development machines of the same size have differed by about 1.8x from one session
 * to the next (README, "Measured figures"). Fixed work, nothing of LuminaOps:
 * - Node's process start: `node -e 0`, spawn to exit, the median of 7;
 * - single-thread JavaScript: a seeded 1,000,000-value Float64Array sort plus 20,000,000
 *   random-access histogram additions (the shape of the trainer's hot loop), median of 5;
 * - memory copy bandwidth: a 64 MB buffer copied 8 times, best of 3.
 * Printed with the core count and the load average at start. Not a target, a yardstick.
 *
 * Run: npx tsx bench/host-reference.ts
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { seededRandom } from './synthetic-gbdt-model';

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

function processStartMs(): number {
  const start = performance.now();
  const run = spawnSync(process.execPath, ['-e', '0']);
  if (run.status !== 0) throw new Error(`node -e 0 exited with ${run.status}: ${run.stderr?.toString() ?? ''}`);
  return performance.now() - start;
}

function javascriptWorkMs(): { ms: number; checksum: number } {
  const next = seededRandom(42);
  const values = Float64Array.from({ length: 1_000_000 }, next);
  const bins = new Uint16Array(2_000_000).map(() => Math.floor(next() * 7_710));
  const start = performance.now();
  values.sort();
  const histogram = new Float64Array(2 * 7_710);
  for (let pass = 0; pass < 10; pass++) {
    for (let i = 0; i < bins.length; i++) {
      const k = bins[i] << 1;
      histogram[k] += values[i >> 1];
      histogram[k + 1] += 1;
    }
  }
  const ms = performance.now() - start;
  return { ms, checksum: histogram.reduce((a, b) => a + b, 0) + values[0] };
}

function copyGigabytesPerSecond(): number {
  const bytes = 64 * 1024 * 1024;
  const from = new Uint8Array(bytes).fill(7);
  const to = new Uint8Array(bytes);
  const start = performance.now();
  for (let i = 0; i < 8; i++) to.set(from);
  if (to[bytes - 1] !== 7) throw new Error("the copy did not happen");
  const seconds = (performance.now() - start) / 1000;
  return (8 * bytes) / seconds / 1e9;
}

function main(): void {
  const load = loadavg()[0];
  console.log(`host: ${availableParallelism()} cores, load average ${load.toFixed(2)} (1 min) at start, Node ${process.version}`);
  const starts = Array.from({ length: 7 }, processStartMs);
  const work = Array.from({ length: 5 }, javascriptWorkMs);
  const copies = Array.from({ length: 3 }, copyGigabytesPerSecond);
  const figures = {
    benchmark: 'host-reference',
    cores: availableParallelism(),
    loadAverage: Number(load.toFixed(2)),
    node: process.version,
    processStartMs: Number(median(starts).toFixed(1)),
    javascriptWorkMs: Number(median(work.map((w) => w.ms)).toFixed(1)),
    copyGBps: Number(Math.max(...copies).toFixed(2)),
  };
  console.log(`Node process start (node -e 0, spawn to exit): median ${figures.processStartMs} ms of 7`);
  console.log(`single-thread JavaScript (sort 1M + 20M histogram additions): median ${figures.javascriptWorkMs} ms of 5 (checksum ${work[0].checksum.toFixed(3)})`);
  console.log(`memory copy: best ${figures.copyGBps} GB/s of 3`);
  console.log(JSON.stringify(figures));
}

main();
