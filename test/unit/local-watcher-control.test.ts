import { describe, expect, it } from 'vitest';
import type { WatcherService, WatchReport } from '../../lambdas/services/watcher/watcher-service.js';
import { LocalWatcherControl } from '../../local/local-watcher-control.js';
import { WatchTimers } from '../../local/watch-timers.js';
import { silentLogger } from '../support/services.js';

function timers(shards: number) {
  const ticked: number[] = [];
  const watch = {
    watchShard: async (shard: number) => {
      ticked.push(shard);
      return { shard } as WatchReport;
    },
  } as unknown as WatcherService;
  return { timers: new WatchTimers(watch, shards, 60_000, silentLogger), ticked };
}

describe('LocalWatcherControl', () => {
  it('lists one schedule per shard and disables and enables them all', async () => {
    const { timers: t, ticked } = timers(3);
    const control = new LocalWatcherControl(t);
    expect(await control.list()).toEqual([
      { shard: 0, name: 'shard-0', state: 'ENABLED' },
      { shard: 1, name: 'shard-1', state: 'ENABLED' },
      { shard: 2, name: 'shard-2', state: 'ENABLED' },
    ]);
    expect((await control.disableAll()).every((s) => s.state === 'DISABLED')).toBe(true);
    await t.tick();
    expect(ticked).toEqual([]);
    await control.enableAll();
    await t.tick();
    expect(ticked).toEqual([0, 1, 2]);
  });

  it('adds shards but never removes one', async () => {
    const { timers: t, ticked } = timers(2);
    const control = new LocalWatcherControl(t);
    expect(await control.ensureShards(4)).toEqual([2, 3]);
    expect(await control.ensureShards(3)).toEqual([]);
    await t.tick();
    expect(ticked).toEqual([0, 1, 2, 3]);
    await expect(control.ensureShards(0)).rejects.toThrow(/shard count/);
  });
});
