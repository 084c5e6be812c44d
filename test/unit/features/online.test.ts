import { getOnlineFeatures, onlineFeatureLookup } from '../../../lambdas/core/features/online';
import { featureKeys } from '../../../lambdas/core/features/keys';
import { memoryFeatureTable } from '../../../lambdas/core/features/memory-table';
import type { BatchGetResult, FeatureTable, ItemKey } from '../../../lambdas/core/features/store';

/** A table holding online values for `ids` (version 1 of `vitals`) whose batchGet records each request and may hold back keys. */
async function fakeTable(ids: string[], holdBack: (request: number, keys: readonly ItemKey[]) => readonly ItemKey[] = () => []) {
  const inner = memoryFeatureTable();
  for (const id of ids) {
    await inner.put({ ...featureKeys.online('vitals', 1, id), entityId: id, eventTime: '2026-01-01T00:00:00.000Z', features: { heart_rate: Number(id.slice(2)) } });
  }
  const requests: ItemKey[][] = [];
  const table: FeatureTable = {
    ...inner,
    async batchGet(keys, options): Promise<BatchGetResult> {
      requests.push([...keys]);
      const held = holdBack(requests.length, keys);
      const heldIds = new Set(held.map((k) => k.pk));
      const result = await inner.batchGet(
        keys.filter((k) => !heldIds.has(k.pk)),
        options,
      );
      return { items: result.items, unprocessed: held };
    },
  };
  return { table, requests };
}

const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `p-${i + from}`);

describe('online retrieval', () => {
  it('asks for 250 ids in chunks of 100, 100 and 50, and lists the ids that have no value', async () => {
    const { table, requests } = await fakeTable(ids(240));

    const result = await getOnlineFeatures(table, { group: 'vitals', version: 1, entityIds: ids(250) });

    expect(requests.map((r) => r.length)).toEqual([100, 100, 50]);
    expect(Object.keys(result.entities)).toHaveLength(240);
    expect(result.entities['p-17']).toEqual({ eventTime: '2026-01-01T00:00:00.000Z', features: { heart_rate: 17 } });
    expect(result.notFound).toEqual(ids(10, 240));
  });

  it('asks again for unprocessed keys, with growing waits, until every key is answered', async () => {
    // The first request holds back 30 keys, the retry 10 of those, the third none.
    const { table, requests } = await fakeTable(ids(100), (request, keys) => (request === 1 ? keys.slice(70) : request === 2 ? keys.slice(20) : []));
    const waits: number[] = [];

    const result = await getOnlineFeatures(table, { group: 'vitals', version: 1, entityIds: ids(100) }, { sleep: async (ms) => void waits.push(ms), random: () => 0.5, baseDelayMs: 20 });

    expect(requests.map((r) => r.length)).toEqual([100, 30, 10]);
    expect(waits).toEqual([10, 20]);
    expect(Object.keys(result.entities)).toHaveLength(100);
    expect(result.notFound).toEqual([]);
  });

  it('gives up after maxAttempts requests while keys stay unprocessed', async () => {
    const { table, requests } = await fakeTable(ids(5), (_, keys) => keys.slice(0, 1));

    await expect(getOnlineFeatures(table, { group: 'vitals', version: 1, entityIds: ids(5) }, { maxAttempts: 3, sleep: async () => undefined })).rejects.toThrow(
      'DynamoDB left 1 of 5 keys unprocessed after 3 BatchGetItem requests (throttled?)',
    );
    expect(requests).toHaveLength(3);
  });

  it('asks once per distinct id, and refuses an empty id', async () => {
    const { table, requests } = await fakeTable(ids(2));

    const result = await getOnlineFeatures(table, { group: 'vitals', version: 1, entityIds: ['p-1', 'p-1', 'p-0'] });

    expect(requests[0]).toHaveLength(2);
    expect(Object.keys(result.entities)).toEqual(['p-1', 'p-0']);
    await expect(getOnlineFeatures(table, { group: 'vitals', version: 1, entityIds: [''] })).rejects.toThrow('invalid entity id: the entity id is empty');
  });

  it("the endpoint's lookup returns an entity's features, or undefined", async () => {
    const { table } = await fakeTable(ids(3));
    const lookup = onlineFeatureLookup(table, 'vitals', 1);

    expect(await lookup('p-2')).toEqual({ heart_rate: 2 });
    expect(await lookup('p-9')).toBeUndefined();
  });
});
