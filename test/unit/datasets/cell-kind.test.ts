import { classifyCell } from '../../../lambdas/core/datasets/cell-kind';

describe('classifyCell', () => {
  it.each([
    ['', 'missing'],
    ['   ', 'missing'],
    ['42', 'integral'],
    [' -7 ', 'integral'],
    ['+0', 'integral'],
    ['3.14', 'fractional'],
    ['.5', 'fractional'],
    ['1.', 'fractional'],
    ['-2.5e-3', 'fractional'],
    ['1E10', 'fractional'],
    ['NaN', 'non-finite'],
    ['-Infinity', 'non-finite'],
    ['inf', 'non-finite'],
    ['TRUE', 'boolean'],
    ['false', 'boolean'],
    ['0x1A', 'string'],
    ['1,000', 'string'],
    ['1e', 'string'],
    ['2024-01-02', 'string'],
    ['-', 'string'],
    ['.', 'string'],
    ['Nancy', 'string'],
  ])('classifies %j as %s', (value, kind) => {
    // Assess
    expect(classifyCell(value)).toBe(kind);
  });
});
