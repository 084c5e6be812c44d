import { LabelsValidationError, describeLabelsProblem, outcomeOf, parseLabelsFile } from '../../../lambdas/core/performance/labels-file';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function problemsOf(text: string, options = {}): string[] {
  try {
    parseLabelsFile(bytes(text), options);
  } catch (error) {
    if (error instanceof LabelsValidationError) return error.problems.map(describeLabelsProblem);
    throw error;
  }
  throw new Error('expected the file to be refused');
}

describe('parseLabelsFile', () => {
  it("reads request ids, the project's entity column and target column, and event times", () => {
    // Prepare
    const text = 'Request_ID,patient_id,stopped_within_30d,observed_at\nr-1,,1,2026-03-02T10:00:00Z\n,p7,no,2026-03-03\n"r,3",p8,TRUE,\n';

    // Act
    const parsed = parseLabelsFile(bytes(text), { entityIdColumn: 'patient_id', targetColumn: 'stopped_within_30d' });

    // Assess
    expect(parsed.columns).toEqual({ requestId: 'Request_ID', entityId: 'patient_id', outcome: 'stopped_within_30d', observedAt: 'observed_at' });
    expect(parsed.rows).toEqual([
      { line: 2, requestId: 'r-1', outcome: 1, observedAt: '2026-03-02T10:00:00.000Z' },
      { line: 3, entityId: 'p7', outcome: 0, observedAt: '2026-03-03T00:00:00.000Z' },
      { line: 4, requestId: 'r,3', entityId: 'p8', outcome: 1 },
    ]);
    expect(parsed.positives).toBe(2);
  });

  it('reports every bad row with its line, column and value, and returns nothing', () => {
    const problems = problemsOf('request_id,outcome,event_time\nr1,maybe,\nr2,1,yesterday\n,0,\nr1,1,\nr5,1\nr6,,\n');

    expect(problems).toEqual([
      'line 2, column outcome ("maybe"): not an outcome: use 1/0, true/false or yes/no',
      'line 3, column event_time ("yesterday"): not an ISO 8601 date or time (e.g. 2026-03-02 or 2026-03-02T09:30:00Z)',
      'line 4, column request_id: no id to join on: set request_id',
      'line 5, column request_id ("r1"): the request id is already on line 2; give each prediction one outcome',
      'line 6: 2 fields, the header has 3',
      'line 7, column outcome: the outcome is empty',
    ]);
  });

  it('names the missing columns in the header and stops there', () => {
    expect(problemsOf('patient,result\np1,1\np2,x\n', { targetColumn: 'stopped' })).toEqual([
      'line 1: no outcome column: name one "outcome", "label" or "stopped" (columns: patient, result)',
      'line 1: no column to join on: add "request_id" or "entity_id" (columns: patient, result)',
    ]);
    expect(problemsOf('request_id,outcome,label\nr1,1,1\n')).toEqual(['line 1, column label: both "outcome" and "label" would be the outcome column; keep one']);
  });

  it('refuses an empty file, a header without rows and broken quoting', () => {
    expect(problemsOf('')).toEqual(['line 1: the file is empty: expected a header line, e.g. request_id,outcome']);
    expect(problemsOf('request_id,outcome\n')).toEqual(['line 2: the file has a header but no outcome rows']);
    expect(problemsOf('request_id,outcome\n"r1,1\n')[0]).toMatch(/^line 2: a quoted field that starts on line 2 is never closed/);
  });

  it("reads the project's positive label as 1 and still refuses other words", () => {
    const parsed = parseLabelsFile(bytes('entity_id,outcome\np1,Stopped\np2,0\n'), { positiveLabel: 'stopped' });
    expect(parsed.rows.map((r) => r.outcome)).toEqual([1, 0]);
    expect(problemsOf('entity_id,outcome\np1,continued\n', { positiveLabel: 'stopped' })).toEqual([
      'line 2, column outcome ("continued"): not an outcome: use the positive label "stopped", 1/0, true/false or yes/no',
    ]);
  });

  it('keeps the first problems but counts them all', () => {
    const text = `request_id,outcome\n${Array.from({ length: 30 }, (_, i) => `r${i},bad`).join('\n')}\n`;
    let caught: unknown;
    try {
      parseLabelsFile(bytes(text), { maxProblems: 5 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(LabelsValidationError);
    expect((caught as LabelsValidationError).problems).toHaveLength(5);
    expect((caught as LabelsValidationError).problemCount).toBe(30);
    expect((caught as LabelsValidationError).message).toMatch(/^the labels file has 30 problems: line 2, column outcome/);
  });
});

describe('outcomeOf', () => {
  it.each([
    ['1', 1],
    ['1.0', 1],
    ['Yes', 1],
    ['t', 1],
    ['0', 0],
    ['FALSE', 0],
    ['n', 0],
    ['2', undefined],
    ['', undefined],
  ])('%s -> %s', (text, expected) => {
    expect(outcomeOf(text)).toBe(expected);
  });
});
