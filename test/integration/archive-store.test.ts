import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FileArchiveStore } from '../../lambdas/adapters/file-archive-store.js';
import { S3ArchiveStore } from '../../lambdas/adapters/s3-archive-store.js';
import { type Emulator, LOCAL_AWS, startSqs } from '../../local/emulators.js';
import { MemoryArchiveStore } from '../support/memory-archive-store.js';
import { tempDataDir } from '../support/runtime.js';
import { archiveStoreConformance } from './archive-store-conformance.js';

const BUCKET = 'scheduler-archive';
const data = tempDataDir();
let emulator: Emulator;
let s3: S3Client;

beforeAll(async () => {
  // fauxqs serves S3 (in memory) on the same port as SQS; path-style keeps bucket names out of DNS.
  emulator = await startSqs();
  s3 = new S3Client({ ...LOCAL_AWS, endpoint: emulator.endpoint, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  s3?.destroy();
  await emulator?.stop();
  data.remove();
});

async function bucketKeys(): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}

function filesUnder(root: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [relative(root, path).split(sep).join('/')];
    });
  try {
    return walk(root).sort();
  } catch {
    return [];
  }
}

archiveStoreConformance(
  'S3 (fauxqs)',
  () => ({ store: new S3ArchiveStore(s3, BUCKET), keys: bucketKeys }),
  // fauxqs 1.9.2 ignores If-None-Match.
  false,
);

const root = join(data.dir, 'archive');
archiveStoreConformance('files', () => ({
  store: new FileArchiveStore(root),
  keys: async () => filesUnder(root),
}));

archiveStoreConformance('in-memory', () => {
  const store = new MemoryArchiveStore();
  return { store, keys: async () => store.keys() };
});

it('files: a write that never finished leaves no object, and a folder emptied by a delete goes away', async () => {
  const store = new FileArchiveStore(root);
  const hour = (h: string) => join(root, 'executions', 'staging', 'date=2026-03-08', `hour=${h}`);
  await store.put('executions/staging/date=2026-03-08/hour=07/a.jsonl.gz', new Uint8Array([1]));
  // A crash between write and rename leaves `<name>.<random>.tmp` behind: not an object.
  writeFileSync(join(hour('07'), 'b.jsonl.gz.0123456789ab.tmp'), 'x');
  expect((await store.list('executions/staging/')).map((o) => o.key)).toEqual([
    'executions/staging/date=2026-03-08/hour=07/a.jsonl.gz',
  ]);
  await store.delete(['executions/staging/date=2026-03-08/hour=07/a.jsonl.gz']);
  expect(readdirSync(hour('07'))).toEqual(['b.jsonl.gz.0123456789ab.tmp']);

  await store.put('executions/staging/date=2026-03-08/hour=08/c.jsonl.gz', new Uint8Array([1]));
  await store.delete(['executions/staging/date=2026-03-08/hour=08/c.jsonl.gz']);
  expect(existsSync(hour('08'))).toBe(false);
  expect(existsSync(root)).toBe(true);
  await expect(store.get('executions/../../etc/passwd')).rejects.toThrow(/not an archive key/);
});
