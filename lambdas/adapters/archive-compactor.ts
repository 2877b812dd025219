import type { ArchiveRow, CompactionManifest } from '../../schemas/archive.js';
import type { ArchiveStore, StoredObject } from '../core/ports/archive-store.js';
import { DAY, HOUR, ms } from '../core/time.js';
import { decodeManifest, decodeRowsWhere, encodeIndex, encodeManifest, encodePart } from './archive-codec.js';
import {
  compactionPrefix,
  doneKey,
  indexKey,
  manifestKey,
  type PartName,
  parseCompactionKey,
  parseStagingKey,
  partKey,
  STAGING_PREFIX,
  shardOf,
  utcDate,
} from './archive-layout.js';
import { byTenantJobTime } from './object-history-archive.js';

/** Objects read or written at once. */
const WIDTH = 8;
const EMPTY = new Uint8Array();

/**
 * A removal date is compacted this long after it ends. A DynamoDB stream keeps a record 24 h and
 * Lambda retries a batch within that time, so no batch can be staged under the date afterwards
 * (a later one would still be compacted, by a generation of its own).
 */
export const SETTLE_MS = 25 * HOUR;

/**
 * Compressed staging bytes one shard compacts. Measured (docs/history.md, "Compaction"): staging
 * holds ~22–40 bytes per row, and a shard peaks at ~0.9 KB of memory per row it keeps, compacting
 * ~19,000 rows a second: 16 MiB is ~0.4–0.75 M rows, well inside the compactor's 2 GB and a minute.
 */
export const SHARD_STAGING_BYTES = 16 * 1024 * 1024;

export interface CompactionReport {
  /** Removal dates whose staging objects are all compacted and removed. */
  compacted: string[];
  /** Removal dates with work left: time ran out, or they failed (see `failed`). */
  pending: string[];
  failed: { date: string; error: string }[];
  /** Shards built by this run (a shard is one part per tenant and scheduled day it holds rows of). */
  shards: number;
  rows: number;
  parts: number;
  stagingDeleted: number;
}

/** What the compactor tells (the Lambda's logger, the local runtime's console). */
export interface CompactionLog {
  info(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

interface Plan {
  manifests: CompactionManifest[];
  /** Keys of the done markers present. */
  done: Set<string>;
}

/**
 * The daily compaction of the archive (docs/history.md, "Compaction"): every staging object of a
 * settled removal date is claimed by a manifest written once (create-if-absent), then each shard
 * of the manifest writes its parts and their indexes and a done marker, and only when every shard
 * of a manifest is done are the staging objects it claimed deleted. Any step may crash or run
 * twice, and two runs may overlap: a manifest fixes what a generation compacts, parts are
 * deterministic (the same manifest gives the same bytes under the same keys), indexes are written
 * after their parts, and staging goes only after every part holding its rows is indexed — so
 * readers always find each row, and nothing is written twice.
 */
export class ArchiveCompactor {
  private readonly settleMs: number;
  private readonly shardBytes: number;

  constructor(
    private readonly store: ArchiveStore,
    private readonly options: {
      clock: { now(): number };
      log: CompactionLog;
      settleMs?: number;
      shardBytes?: number;
    },
  ) {
    this.settleMs = options.settleMs ?? SETTLE_MS;
    this.shardBytes = options.shardBytes ?? SHARD_STAGING_BYTES;
  }

  /** Compacts every settled removal date with staging objects, oldest first, until `deadline` (epoch ms). */
  async compact(deadline = Number.POSITIVE_INFINITY): Promise<CompactionReport> {
    const report: CompactionReport = {
      compacted: [],
      pending: [],
      failed: [],
      shards: 0,
      rows: 0,
      parts: 0,
      stagingDeleted: 0,
    };
    const byDate = new Map<string, StoredObject[]>();
    for (const object of await this.store.list(STAGING_PREFIX)) {
      const date = parseStagingKey(object.key)?.date;
      if (date) byDate.set(date, [...(byDate.get(date) ?? []), object]);
    }
    const now = this.options.clock.now();
    for (const date of [...byDate.keys()].sort()) {
      if (ms(`${date}T00:00:00.000Z`) + DAY + this.settleMs > now) continue;
      try {
        const finished = await this.compactDate(date, byDate.get(date)!, deadline, report);
        (finished ? report.compacted : report.pending).push(date);
      } catch (error) {
        // Its staging stays, readable; the other dates go on, and the next run tries again.
        report.pending.push(date);
        report.failed.push({ date, error: error instanceof Error ? error.message : String(error) });
        this.options.log.error('archive compaction of a removal date failed', { date, error: String(error) });
      }
    }
    return report;
  }

  private async compactDate(
    date: string,
    staged: StoredObject[],
    deadline: number,
    report: CompactionReport,
  ): Promise<boolean> {
    const plan = await this.plan(date, staged);
    const present = new Set(staged.map((o) => o.key));
    for (const manifest of plan.manifests) {
      for (let shard = 0; shard < manifest.shards; shard++) {
        const done = doneKey(date, manifest.generation, shard);
        if (plan.done.has(done)) continue;
        if (this.options.clock.now() >= deadline) return false;
        const built = await this.buildShard(manifest, shard);
        await this.store.put(done, EMPTY);
        report.shards++;
        report.rows += built.rows;
        report.parts += built.parts;
      }
      // Every part holding these objects' rows is indexed: readers find them there now.
      const claimed = manifest.staging.filter((key) => present.has(key));
      await this.store.delete(claimed);
      report.stagingDeleted += claimed.length;
      this.options.log.info('archive compaction generation done', {
        date,
        generation: manifest.generation,
        shards: manifest.shards,
        stagingDeleted: claimed.length,
      });
    }
    return true;
  }

  /**
   * The date's manifests, with a new generation for the staging objects none claims yet. Another
   * run creating the same generation first wins; this one then reads it and claims what is left.
   */
  private async plan(date: string, staged: StoredObject[]): Promise<Plan> {
    for (let attempt = 1; ; attempt++) {
      const plan: Plan = { manifests: [], done: new Set() };
      for (const object of await this.store.list(compactionPrefix(date))) {
        const name = parseCompactionKey(object.key);
        if (name?.shard !== undefined) plan.done.add(object.key);
        else if (name) plan.manifests.push(await this.manifestOf(date, name.generation));
      }
      plan.manifests.sort((a, b) => a.generation - b.generation);
      const claimed = new Set(plan.manifests.flatMap((m) => m.staging));
      const unclaimed = staged.filter((o) => !claimed.has(o.key));
      if (unclaimed.length === 0) return plan;
      const bytes = unclaimed.reduce((sum, o) => sum + o.size, 0);
      const manifest: CompactionManifest = {
        version: 1,
        date,
        generation: (plan.manifests.at(-1)?.generation ?? 0) + 1,
        shards: Math.max(1, Math.ceil(bytes / this.shardBytes)),
        staging: unclaimed.map((o) => o.key).sort(),
      };
      const key = manifestKey(date, manifest.generation);
      if (await this.store.put(key, encodeManifest(manifest), { ifAbsent: true })) {
        plan.manifests.push(manifest);
        return plan;
      }
      if (attempt >= 5) throw new Error(`could not plan the compaction of ${date}: ${key} keeps being taken`);
    }
  }

  private async manifestOf(date: string, generation: number): Promise<CompactionManifest> {
    const key = manifestKey(date, generation);
    const bytes = await this.store.get(key);
    if (bytes === null) throw new Error(`compaction manifest ${key} vanished`);
    const manifest = decodeManifest(bytes, key);
    if (manifest.date !== date || manifest.generation !== generation)
      throw new Error(`compaction manifest ${key} names ${manifest.date} generation ${manifest.generation}`);
    return manifest;
  }

  /**
   * One shard of a manifest: its rows of every staging object claimed (each execution once), as one
   * part per tenant and scheduled day, sorted by job; each part's index after the part itself.
   */
  private async buildShard(
    manifest: CompactionManifest,
    shard: number,
  ): Promise<{ rows: number; parts: number }> {
    const rows = new Map<string, ArchiveRow>();
    const mine = (row: { tenant: string; jobId: string }) =>
      shardOf(row.tenant, row.jobId, manifest.shards) === shard;
    for (let i = 0; i < manifest.staging.length; i += WIDTH) {
      const keys = manifest.staging.slice(i, i + WIDTH);
      const bodies = await Promise.all(keys.map((key) => this.store.get(key)));
      for (const [n, body] of bodies.entries()) {
        const key = keys[n]!;
        // Deleted only after every shard is done: a missing object is damage, and its rows would be lost.
        if (body === null)
          throw new Error(
            `staging object ${key} of ${manifestKey(manifest.date, manifest.generation)} is missing`,
          );
        for (const row of decodeRowsWhere(body, key, mine)) {
          const id = `${row.tenant}\u0000${row.executionId}`;
          if (!rows.has(id)) rows.set(id, row);
        }
      }
    }
    const parts = new Map<string, { name: PartName; rows: ArchiveRow[] }>();
    for (const row of rows.values()) {
      const name: PartName = {
        tenant: row.tenant,
        date: utcDate(row.scheduledAt),
        source: manifest.date,
        generation: manifest.generation,
        shard,
        shards: manifest.shards,
      };
      const id = partKey(name);
      const part = parts.get(id) ?? { name, rows: [] };
      part.rows.push(row);
      parts.set(id, part);
    }
    const pending = [...parts.values()];
    await Promise.all(
      Array.from({ length: Math.min(WIDTH, pending.length) }, async () => {
        for (let part = pending.pop(); part; part = pending.pop()) {
          const key = partKey(part.name);
          const { body, index } = encodePart(key, part.rows.sort(byTenantJobTime));
          await this.store.put(key, body);
          await this.store.put(indexKey(part.name), encodeIndex(index));
        }
      }),
    );
    return { rows: rows.size, parts: parts.size };
  }
}
