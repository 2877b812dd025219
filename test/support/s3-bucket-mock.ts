import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';

const PAGE = 1000;

export interface FakeBucket {
  /** Hand this to the adapter under test: it answers `send` like S3 would. */
  client: S3Client;
  objects: Map<string, Uint8Array>;
  /** Requests received, by command name. */
  calls: Record<string, number>;
}

/**
 * An S3 bucket in a Map behind a client that answers PutObject, GetObject and ListObjectsV2
 * (prefix, delimiter, 1,000 entries per page, continuation tokens) — enough for the archive
 * adapter, with every request counted and none of the SDK's per-request overhead, so a test can
 * replay a year of history in seconds.
 */
export function fakeBucket(): FakeBucket {
  const objects = new Map<string, Uint8Array>();
  const calls: Record<string, number> = {};
  const send = async (command: unknown) => {
    const name = (command as object).constructor.name;
    calls[name] = (calls[name] ?? 0) + 1;
    if (command instanceof PutObjectCommand) {
      objects.set(command.input.Key!, new Uint8Array(command.input.Body as Buffer));
      return {};
    }
    if (command instanceof GetObjectCommand) {
      const bytes = objects.get(command.input.Key!);
      if (!bytes) throw new S3ServiceException({ name: 'NoSuchKey', $fault: 'client', $metadata: {} });
      return { Body: { transformToByteArray: async () => bytes } };
    }
    if (command instanceof ListObjectsV2Command) return list(objects, command.input);
    throw new Error(`the fake bucket does not answer ${name}`);
  };
  return { client: { send } as unknown as S3Client, objects, calls };
}

function list(objects: Map<string, Uint8Array>, input: ListObjectsV2CommandInput) {
  const prefix = input.Prefix ?? '';
  const keys: string[] = [];
  const common = new Set<string>();
  for (const key of objects.keys()) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const cut = input.Delimiter ? rest.indexOf(input.Delimiter) : -1;
    if (cut >= 0) common.add(`${prefix}${rest.slice(0, cut + 1)}`);
    else keys.push(key);
  }
  // S3 pages keys and common prefixes together, in key order.
  const entries = [
    ...keys.map((name) => ({ name, common: false })),
    ...[...common].map((name) => ({ name, common: true })),
  ].sort((a, b) => (a.name < b.name ? -1 : 1));
  const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
  const page = entries.slice(start, start + PAGE);
  const truncated = start + PAGE < entries.length;
  return {
    Contents: page
      .filter((e) => !e.common)
      .map((e) => ({ Key: e.name, Size: objects.get(e.name)?.length ?? 0 })),
    CommonPrefixes: page.filter((e) => e.common).map((e) => ({ Prefix: e.name })),
    IsTruncated: truncated,
    ...(truncated ? { NextContinuationToken: String(start + PAGE) } : {}),
  };
}
