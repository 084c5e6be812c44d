import { joinOutcomes, LabelsFileError, parseLabelsCsv, performanceOverTime, type PredictionLogRecord } from '../../../lambdas/core/performance/ground-truth';

const prediction = (requestId: string, at: string, probability: number, extra: Partial<PredictionLogRecord> = {}): PredictionLogRecord => ({
  requestId,
  at,
  probability,
  modelVersion: 1,
  variant: 'champion',
  ...extra,
});

describe('parseLabelsCsv', () => {
  it('reads request-id and entity-id outcomes in the usual spellings', () => {
    const rows = parseLabelsCsv('request_id,entity_id,outcome,observed_at\nr1,,1,\n,P7,no,2026-11-30T10:00:00Z\n,P8,TRUE,\n');
    expect(rows).toEqual([
      { line: 2, requestId: 'r1', entityId: undefined, outcome: 1, observedAt: undefined },
      { line: 3, requestId: undefined, entityId: 'P7', outcome: 0, observedAt: '2026-11-30T10:00:00.000Z' },
      { line: 4, requestId: undefined, entityId: 'P8', outcome: 1, observedAt: undefined },
    ]);
  });

  it('reports every bad line at once and returns nothing', () => {
    expect(() => parseLabelsCsv('request_id,outcome\nr1,maybe\n,1\nr3,1,extra\nr4,1\n')).toThrow(
      'labels file has 3 problems: line 2: outcome "maybe" is not one of 1/0, true/false, yes/no; line 3: neither request_id nor entity_id is set; line 4: 3 fields, expected 2',
    );
    expect(() => parseLabelsCsv('patient,label\n1,1\n')).toThrow(LabelsFileError);
  });
});

describe('joinOutcomes', () => {
  const predictions = [
    prediction('r1', '2026-11-30T09:00:00Z', 0.9, { entityId: 'P1' }),
    prediction('r2', '2026-11-30T09:30:00Z', 0.2, { entityId: 'P2' }),
    prediction('r3', '2026-11-30T11:00:00Z', 0.7, { entityId: 'P2' }),
  ];

  it('joins by request id, else by the latest prediction for the entity made before the outcome was observed', () => {
    const { joined, unmatched } = joinOutcomes(predictions, [
      { line: 2, requestId: 'r1', outcome: 1 },
      { line: 3, entityId: 'P2', outcome: 0, observedAt: '2026-11-30T10:00:00.000Z' },
    ]);
    expect(joined.map((j) => [j.prediction.requestId, j.outcome, j.joinedBy])).toEqual([
      ['r1', 1, 'request'],
      ['r2', 0, 'entity'], // r3 was made after the outcome was observed: no credit
    ]);
    expect(unmatched).toEqual([]);
  });

  it('explains outcomes it cannot join and never credits a prediction twice', () => {
    const { joined, unmatched } = joinOutcomes(predictions, [
      { line: 2, requestId: 'r1', outcome: 1 },
      { line: 3, requestId: 'r1', outcome: 0 },
      { line: 4, requestId: 'nope', outcome: 0 },
      { line: 5, entityId: 'P9', outcome: 1 },
      { line: 6, entityId: 'P1', outcome: 1, observedAt: '2026-11-29T00:00:00.000Z' },
    ]);
    expect(joined).toHaveLength(1);
    expect(unmatched).toEqual([
      { line: 3, reason: 'request r1 already has an outcome' },
      { line: 4, reason: 'no prediction with request id nope' },
      { line: 5, reason: 'no prediction for entity P9' },
      { line: 6, reason: 'no prediction for entity P1 before 2026-11-29T00:00:00.000Z' },
    ]);
  });
});

describe('performanceOverTime', () => {
  it('computes AUC, accuracy and ECE per window, model version and variant', () => {
    const hour = 3_600_000;
    const joined = [
      // window 09:00, v1 champion: p = 0.9 (1), 0.8 (0), 0.3 (1), 0.1 (0)
      { prediction: prediction('a', '2026-11-30T09:05:00Z', 0.9), outcome: 1 as const, joinedBy: 'request' as const },
      { prediction: prediction('b', '2026-11-30T09:10:00Z', 0.8), outcome: 0 as const, joinedBy: 'request' as const },
      { prediction: prediction('c', '2026-11-30T09:20:00Z', 0.3), outcome: 1 as const, joinedBy: 'request' as const },
      { prediction: prediction('d', '2026-11-30T09:40:00Z', 0.1), outcome: 0 as const, joinedBy: 'request' as const },
      // window 09:00, v2 challenger: a single class
      { prediction: prediction('e', '2026-11-30T09:15:00Z', 0.6, { modelVersion: 2, variant: 'challenger' }), outcome: 1 as const, joinedBy: 'request' as const },
    ];
    const windows = performanceOverTime(joined, hour);
    expect(windows).toHaveLength(2);
    // pairs (pos, neg): (0.9,0.8) win, (0.9,0.1) win, (0.3,0.8) loss, (0.3,0.1) win -> AUC 3/4
    // accuracy at 0.5: 0.9->1 ok, 0.8->1 wrong, 0.3->0 wrong, 0.1->0 ok -> 1/2
    // ECE, 10 bins: each row alone in its bin: (|1-.9| + |0-.8| + |1-.3| + |0-.1|)/4 = 1.7/4 = 0.425
    expect(windows[0]).toEqual({ start: '2026-11-30T09:00:00.000Z', modelVersion: 1, variant: 'champion', count: 4, positives: 2, auc: 0.75, accuracy: 0.5, ece: expect.closeTo(0.425, 12) });
    expect(windows[1]).toMatchObject({ modelVersion: 2, variant: 'challenger', count: 1, auc: null, accuracy: 1 });
    expect(() => performanceOverTime(joined, 0)).toThrow('window must be positive, got 0 ms');
  });
});
