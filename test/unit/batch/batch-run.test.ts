/**
 * @jest-environment ./test/unit/ml/onnxruntime-jest-environment.ts
 */
import { BatchContractError, NoProductionModelError } from '../../../lambdas/core/batch/errors';
import { batchItemKeys } from '../../../lambdas/core/batch/layout';
import { forEachRecord } from '../../../lambdas/core/batch/csv-records';
import { readBatchProgress } from '../../../lambdas/core/batch/merge-batch';
import { predictRow } from '../../../lambdas/core/ml/predict';
import { batchModel, batchWorld, drop, plan, PROJECT, runBatch, text } from './batch-fixtures';

/** Records (header = row 1): rows 4 and 9 are bad (a word in a number column, a wrong boolean), row 7 is blank, row 6 quotes a newline (so row 9 is on line 10). */
const CSV = [
  'patient_id,age,colour,smoker,note',
  'p1,0.2,red,yes,plain',
  'p2,3,blue,no,plain',
  'p3,abc,red,yes,bad age',
  'p4,1.5,green,1,"with, comma"',
  'p5,,purple,false,"two',
  'lines"',
  '',
  'p6,7,orange,true,unknown colour',
  'p7,2,red,maybe,bad smoker',
  'p8,NA,NA,NA,all missing',
  'p9,0.7,blue,0,last',
].join('\n') + '\n';

/** The data records of an output CSV (quote-aware), header dropped. */
function dataRecords(csv: string): string[] {
  const records: string[] = [];
  forEachRecord(csv, 1, (record) => records.push(record));
  return records.slice(1);
}

const expectedProbability = (age: number, colour: number, smoker: number): string => predictRow(batchModel, [age, colour, smoker]).toFixed(6); // ONNX (float32) and the engine agree to 1e-7

describe('batch inference core: plan → score chunks → merge', () => {
  it('scores good rows into the outbox (input columns + probability, label, model_version) and rejects bad rows with row, column and reason', async () => {
    // Prepare
    const world = await batchWorld();
    const input = await drop(world, 'june.csv', CSV, '"etag-1"');

    // Act
    const outcome = await runBatch(world, input, 'exec-1');

    // Assess
    const merged = outcome.merged!;
    expect(merged.predictionsKey).toMatch(/^projects\/adherence\/inference\/outbox\/june\/[0-9a-f]{16}\/predictions\.csv$/);
    const predictions = text(world, merged.predictionsKey);
    expect(predictions.slice(0, predictions.indexOf('\n'))).toBe('patient_id,age,colour,smoker,note,probability,label,model_version');
    expect(dataRecords(predictions).map((line) => line.split(',')[0])).toEqual(['p1', 'p2', 'p4', 'p5', 'p6', 'p8', 'p9']);
    expect(dataRecords(predictions)[0]).toBe(`p1,0.2,red,yes,plain,${expectedProbability(0.2, 0, 1)},${Number(expectedProbability(0.2, 0, 1)) >= 0.5 ? 1 : 0},3`);
    expect(text(world, merged.predictionsKey)).toContain(`p5,,purple,false,"two\nlines",${expectedProbability(NaN, 3, 0)},`);
    expect(text(world, merged.predictionsKey)).toContain(`p6,7,orange,true,unknown colour,${expectedProbability(7, 4, 1)},`);
    expect(text(world, merged.rejectsKey)).toBe(
      'row,column,reason,value,record\n' +
        "4,age,value 'abc' is not a number,abc,\"p3,abc,red,yes,bad age\"\n" +
        "9,smoker,value 'maybe' is not a boolean (expected true/false/yes/no/1/0),maybe,\"p7,2,red,maybe,bad smoker\"\n",
    );
    const metadata = JSON.parse(text(world, merged.metadataKey));
    expect(metadata).toMatchObject({
      project: PROJECT,
      input: { bucket: 'artifacts', key: input.key, etag: '"etag-1"', bytes: Buffer.byteLength(CSV) },
      model: { version: 3, onnxKey: expect.stringContaining('model.onnx') },
      rows: { total: 10, scored: 7, rejected: 2, blank: 1 },
      chunks: 3,
    });
    expect(metadata.timings).toEqual(expect.objectContaining({ startedAt: expect.any(String), mergedAt: expect.any(String), chunkScoringMs: expect.any(Number) }));
  });

  it('writes every scored record as its decoded text: its own bytes when they are UTF-8, CRLF as LF, invalid bytes as U+FFFD', async () => {
    // Prepare: CRLF line ends, a non-ASCII note, a truncated UTF-8 sequence, a quoted CRLF, in chunks of 2 records
    const world = await batchWorld();
    const key = 'projects/adherence/inference/inbox/bytes.csv';
    const bytes = Buffer.concat([
      Buffer.from('patient_id,age,colour,smoker,note\r\np1,0.2,red,yes,café\r\np2,3,blue,no,'),
      Buffer.from([0xe2, 0x82]),
      Buffer.from('\r\np3,1,red,no,"x\r\ny"\r\np4,abc,red,no,naïve\r\n'),
    ]);
    world.objects.objects.set(`artifacts/${key}`, new Uint8Array(bytes));

    // Act
    const { merged } = await runBatch(world, { bucket: 'artifacts', key, etag: 'e-bytes' }, 'exec-bytes', { rowsPerChunk: 2 });

    // Assess
    const records = dataRecords(text(world, merged!.predictionsKey)).map((line) => line.replace(/,(0\.\d{6}|1\.000000),[01],3$/, ''));
    expect(records).toEqual(['p1,0.2,red,yes,café', 'p2,3,blue,no,\uFFFD', 'p3,1,red,no,"x\r\ny"']);
    expect(text(world, merged!.rejectsKey)).toBe("row,column,reason,value,record\n5,age,value 'abc' is not a number,abc,\"p4,abc,red,no,naïve\"\n");
  });

  it('keeps chunk order in the merged file whatever order the chunks finished in', async () => {
    // Prepare
    const world = await batchWorld();
    const rows = Array.from({ length: 30 }, (_, i) => `p${i},${i / 10},red,no,n`);
    const input = await drop(world, 'order.csv', `patient_id,age,colour,smoker,note\n${rows.join('\n')}\n`, 'e-order');
    const planned = await plan(world, input, 'exec-order');
    if (planned.alreadyScored) throw new Error('unexpected no-op');
    const { scoreChunk } = await import('../../../lambdas/core/batch/score-chunk');
    const { mergeBatch } = await import('../../../lambdas/core/batch/merge-batch');
    const deps = { objects: world.objects, operations: world.operations, now: () => new Date(), loadModel: async () => (await import('../../../lambdas/core/batch/onnx-scoring-model')).onnxScoringModel(world.objects.objects.get(`artifacts/${planned.model.onnxKey}`)!) };

    // Act: score the chunks last to first
    for (const chunk of [...planned.chunks].reverse()) await scoreChunk({ ...planned, chunk, executionId: 'exec-order' }, { project: PROJECT }, deps);
    const merged = await mergeBatch({ ...planned, chunks: [...planned.chunks], executionId: 'exec-order' }, { project: PROJECT }, deps);

    // Assess
    expect(dataRecords(text(world, merged.predictionsKey)).map((line) => line.split(',')[0])).toEqual(rows.map((r) => r.split(',')[0]));
  });

  it('resumes a run killed between chunks from the last finished chunk, with byte-identical output', async () => {
    // Prepare: one uninterrupted run, one killed after 2 of 3 chunks then resumed
    const reference = await batchWorld();
    const uninterrupted = (await runBatch(reference, await drop(reference, 'june.csv', CSV, 'etag-1'), 'exec-a')).merged!;
    const world = await batchWorld();
    const input = await drop(world, 'june.csv', CSV, 'etag-1');
    const killed = await runBatch(world, input, 'exec-killed', { killAfterChunks: 2 });
    expect(killed.merged).toBeUndefined();

    // Act: a start with resume takes the run over
    const resumed = await runBatch(world, input, 'exec-resume', { resume: true });

    // Assess: only chunk 3 was scored again; outputs are byte for byte the same
    expect(world.scoredChunks).toEqual([1, 2, 3]);
    expect(resumed.chunkResults.map((r) => r.skipped)).toEqual([true, true, false]);
    expect(resumed.merged!.predictionsKey).toBe(uninterrupted.predictionsKey);
    expect(world.objects.objects.get(`artifacts/${resumed.merged!.predictionsKey}`)).toEqual(reference.objects.objects.get(`artifacts/${uninterrupted.predictionsKey}`));
    expect(world.objects.objects.get(`artifacts/${resumed.merged!.rejectsKey}`)).toEqual(reference.objects.objects.get(`artifacts/${uninterrupted.rejectsKey}`));
    const progress = await readBatchProgress(world.operations, PROJECT, resumed.merged!.runId);
    expect(progress).toMatchObject({ status: 'SUCCEEDED', chunksDone: 3, chunksTotal: 3, rowsScored: 7, rowsRejected: 2, attempt: 2, ownerExecution: 'exec-resume' });
  });

  it('resumes with the model the run started with, even when production moved in between', async () => {
    // Prepare
    const world = await batchWorld();
    const input = await drop(world, 'june.csv', CSV, 'etag-1');
    await runBatch(world, input, 'exec-killed', { killAfterChunks: 1 });
    await world.registry.put('registry', { pk: `PROJECT#${PROJECT}`, sk: 'STAGES', staging: null, production: 4, revision: 2 });

    // Act
    const resumed = await runBatch(world, input, 'exec-resume', { resume: true });

    // Assess
    expect(resumed.merged!.modelVersion).toBe(3);
    expect(dataRecords(text(world, resumed.merged!.predictionsKey)).every((line) => line.endsWith(',3'))).toBe(true);
  });

  it('ends a repeated event for a scored object version as a no-op that says already scored, writing nothing', async () => {
    // Prepare
    const world = await batchWorld();
    const input = await drop(world, 'june.csv', CSV, 'etag-1');
    const first = await runBatch(world, input, 'exec-1');
    const objectsBefore = new Map(world.objects.objects);

    // Act
    const second = await runBatch(world, input, 'exec-2');

    // Assess
    expect(second.plan).toEqual(expect.objectContaining({ alreadyScored: true, status: 'SUCCEEDED', scoredBy: 'exec-1', predictionsKey: first.merged!.predictionsKey }));
    expect(second.plan.alreadyScored && second.plan.message).toMatch(/^already scored: artifacts\/projects\/adherence\/inference\/inbox\/june\.csv\/etag-1 was scored by exec-1/);
    expect(world.objects.objects).toEqual(objectsBefore);
    expect(world.scoredChunks).toEqual([1, 2, 3]);
  });

  it('does not start a second scoring of a version another execution is scoring, until its heartbeat goes stale', async () => {
    // Prepare: exec-1 stopped after one chunk, its marker still RUNNING
    const world = await batchWorld();
    const input = await drop(world, 'june.csv', CSV, 'etag-1');
    await runBatch(world, input, 'exec-1', { killAfterChunks: 1 });

    // Act
    const duplicate = await plan(world, input, 'exec-2');
    world.clock += 2 * 60 * 60_000;
    const afterStale = await runBatch(world, input, 'exec-3');

    // Assess
    expect(duplicate).toEqual(expect.objectContaining({ alreadyScored: true, status: 'RUNNING', scoredBy: 'exec-1' }));
    expect(afterStale.merged).toBeDefined();
    expect(world.scoredChunks).toEqual([1, 2, 3]);
  });

  it('treats a new version of the same key as a new run', async () => {
    // Prepare
    const world = await batchWorld();
    const first = await runBatch(world, await drop(world, 'june.csv', CSV, 'etag-1'), 'exec-1');

    // Act
    const second = await runBatch(world, await drop(world, 'june.csv', CSV.replace('p9,0.7', 'p9,0.9'), 'etag-2'), 'exec-2');

    // Assess
    expect(second.plan.alreadyScored).toBe(false);
    expect(second.merged!.predictionsKey).not.toBe(first.merged!.predictionsKey);
  });

  it('fails the plan with the missing model columns named, and records the failure on the run marker', async () => {
    // Prepare
    const world = await batchWorld();
    const input = await drop(world, 'bad.csv', 'patient_id,age,note\np1,1,x\n', 'e-bad');

    // Act
    const failure = plan(world, input, 'exec-1');

    // Assess
    await expect(failure).rejects.toThrow(BatchContractError);
    await expect(plan(world, input, 'exec-1b')).rejects.toThrow("the model's columns are missing: colour, smoker");
    const marker = [...world.operations.items.values()].find((item) => item.sk.startsWith('BATCH#'));
    expect(marker).toMatchObject({ status: 'FAILED', error: 'BatchContractError', attempt: 2 });
  });

  it('refuses headers with output column names and drops outside the inbox', async () => {
    const world = await batchWorld();
    await expect(plan(world, await drop(world, 'x.csv', 'age,colour,smoker,label\n1,red,no,1\n', 'e'), 'exec')).rejects.toThrow('label would collide with the output columns');
    await expect(plan(world, { bucket: 'artifacts', key: 'projects/adherence/training/inbox/x.csv', etag: 'e' }, 'exec')).rejects.toThrow("is not an object in the project's inference inbox");
  });

  it('fails with NoProductionModelError when nothing is in production', async () => {
    const world = await batchWorld({ production: null });
    await expect(plan(world, await drop(world, 'x.csv', CSV, 'e'), 'exec')).rejects.toThrow(NoProductionModelError);
  });

  it('refuses to merge before every chunk has its checkpoint, naming the missing chunks', async () => {
    // Prepare
    const world = await batchWorld();
    const input = await drop(world, 'june.csv', CSV, 'etag-1');
    const killed = await runBatch(world, input, 'exec-1', { killAfterChunks: 1 });
    if (killed.plan.alreadyScored) throw new Error('unexpected no-op');
    const { mergeBatch } = await import('../../../lambdas/core/batch/merge-batch');

    // Act
    const merge = mergeBatch({ ...killed.plan, chunks: [...killed.plan.chunks], executionId: 'exec-1' }, { project: PROJECT }, { objects: world.objects, operations: world.operations, now: () => new Date() });

    // Assess
    await expect(merge).rejects.toThrow('chunks 2, 3 of 3 have no checkpoint');
    expect(await world.operations.get(batchItemKeys.run(PROJECT, killed.plan.runId))).toMatchObject({ chunksDone: 1, chunksTotal: 3, status: 'RUNNING' });
  });
});
