import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { FileHistoryArchive } from '../../lambdas/adapters/file-history-archive.js';
import { S3HistoryArchive } from '../../lambdas/adapters/s3-history-archive.js';
import { type Emulator, LOCAL_AWS, startSqs } from '../../local/emulators.js';
import { MemoryHistoryArchive } from '../support/memory-archive.js';
import { tempDataDir } from '../support/runtime.js';
import { historyArchiveConformance } from './history-archive-conformance.js';

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

historyArchiveConformance('S3 (fauxqs)', () => ({
  archive: new S3HistoryArchive(s3, BUCKET),
  keys: bucketKeys,
  bytes: async (key) => {
    const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  },
}));

const root = join(data.dir, 'archive');
historyArchiveConformance('files', () => ({
  archive: new FileHistoryArchive(root),
  keys: async () => filesUnder(root),
  bytes: async (key) => readFileSync(join(root, ...key.split('/'))),
}));

historyArchiveConformance(
  'in-memory',
  () => {
    const archive = new MemoryHistoryArchive();
    return { archive, keys: async () => [...archive.objects.keys()].sort() };
  },
  false,
);
