import { ExecutionService } from '../../../local/runtime/execution-service';
import type { TaskAdapters } from '../../../local/runtime/task-adapters';

const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Chunks';
const WORK = 'arn:aws:states:::lambda:invoke';

/** An inline Map over five items, one at a time, each a Task (like ScoreChunks). */
const MAP_DEFINITION = {
  StartAt: 'Each',
  States: {
    Each: {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 1,
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Work', States: { Work: { Type: 'Task', Resource: WORK, End: true } } },
      End: true,
    },
  },
};

describe('ExecutionService: stopping an execution inside a Map', () => {
  it('starts no further iteration Task once the execution is stopped', async () => {
    // Prepare: the first iteration holds until released
    const service = new ExecutionService();
    const started: number[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const adapters: TaskAdapters = {
      [WORK]: async (params) => {
        started.push(Number(params));
        await gate;
        return params;
      },
    };
    service.createStateMachine({ arn: MACHINE, name: 'Chunks', definition: MAP_DEFINITION, adapters });
    const { executionArn } = await service.startExecution(MACHINE, { items: [1, 2, 3, 4, 5] });
    while (started.length === 0) await new Promise((resolve) => setImmediate(resolve));

    // Act
    const stopped = await service.stopExecution(executionArn);
    release();
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));

    // Assess
    expect(stopped.status).toBe('ABORTED');
    expect(started).toEqual([1]);
    await service.close();
  });
});
