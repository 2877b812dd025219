import { Session } from 'node:inspector/promises';
import { hotspots, type Profile } from './hotspots.js';

export interface ProfileSummary {
  /** Share of the main thread's sampled time spent running code (not idle). */
  busyPct: number;
  areas: { name: string; ms: number; pct: number }[];
  functions: { name: string; ms: number; pct: number }[];
}

/**
 * A CPU profile of this thread (the scheduler's event loop: API, watcher, executor, sink and the
 * bench itself) through the inspector, as `node --cpu-prof` would write it; `stop` returns the raw
 * profile for a .cpuprofile file (Chrome DevTools, speedscope) and its summary by area.
 */
export async function startProfile(): Promise<{
  stop(): Promise<{ raw: Profile; summary: ProfileSummary }>;
}> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
      session.disconnect();
      const top = hotspots(profile, 15);
      const idle = top.areas.find((a) => a.name === '(idle)')?.pct ?? 0;
      return {
        raw: profile,
        summary: {
          busyPct: Math.round((100 - idle) * 10) / 10,
          areas: top.areas.filter((a) => a.name !== '(idle)'),
          functions: top.functions.filter((f) => !f.name.startsWith('(idle)')),
        },
      };
    },
  };
}
