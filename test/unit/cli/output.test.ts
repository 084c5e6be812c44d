import { closestMatch, editDistance } from '../../../local/cli/closest-match';
import { describeFailure, formatDuration, formatTable, formatTimestamp, truncate } from '../../../local/cli/output';

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [850, '850 ms'],
    [4_200, '4.2 s'],
    [59_940, '59.9 s'],
    [185_000, '3m 05s'],
    [3_725_000, '1h 02m'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatTable', () => {
  it('pads every column to its widest cell and trims line ends', () => {
    expect(formatTable(['A', 'LONG HEADER', 'C'], [['wide cell', 'x', ''], ['y', 'z', 'last']])).toBe('A          LONG HEADER  C\nwide cell  x\ny          z            last\n');
  });
});

describe('formatTimestamp', () => {
  it('shows ISO time to the second in UTC, and unparseable text as it is', () => {
    expect(formatTimestamp('2026-03-01T09:00:00.123+02:00')).toBe('2026-03-01 07:00:00Z');
    expect(formatTimestamp('yesterday')).toBe('yesterday');
  });
});

describe('describeFailure', () => {
  it("reads a Lambda cause's type and message and drops its trace", () => {
    const cause = JSON.stringify({ errorType: 'DatasetError', errorMessage: 'column "age" is not numeric', trace: ['at x'] });
    expect(describeFailure('States.TaskFailed', cause)).toBe('States.TaskFailed: DatasetError: column "age" is not numeric');
  });

  it('keeps a plain-text cause and copes with either part missing', () => {
    expect(describeFailure('DatasetRejected', 'too many missing values')).toBe('DatasetRejected: too many missing values');
    expect(describeFailure(undefined, 'only a cause')).toBe('only a cause');
    expect(describeFailure('OnlyError', undefined)).toBe('OnlyError');
    expect(describeFailure(undefined, undefined)).toBe('');
  });
});

describe('truncate', () => {
  it('keeps short text, folds lines and marks a cut', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('two\n  lines', 20)).toBe('two lines');
    expect(truncate('abcdefghijkl', 5)).toBe('abcd…');
  });
});

describe('closestMatch', () => {
  it('edit distance counts insertions, deletions and substitutions', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it.each([
    ['projet', 'project'],
    ['tagret', 'target'],
    ['rnus', 'runs'],
    ['dat', 'data'],
    ['lst', 'list'],
  ])('%s is taken for %s', (input, expected) => {
    expect(closestMatch(input, ['project', 'target', 'runs', 'data', 'list', 'up'])).toBe(expected);
  });

  it('suggests nothing for a different word', () => {
    expect(closestMatch('deploy', ['up', 'project', 'data', 'runs', 'help'])).toBeUndefined();
    expect(closestMatch('xy', ['up'])).toBeUndefined();
  });
});
