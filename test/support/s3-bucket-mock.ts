import {
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';

const PAGE = 1000;

/** The part of a GetObject answer the archive's store reads, for aws-sdk-client-mock's `resolves`. */
export function objectBody(bytes: Uint8Array): GetObjectCommandOutput['Body'] {
  return { transformToByteArray: async () => bytes } as unknown as GetObjectCommandOutput['Body'];
}

export interface FakeBucket {
  /** Hand this to the adapter under test: it answers `send` like S3 would. */
  client: S3Client;
  objects: Map<string, Uint8Array>;
  /** Requests received, by command name. */
  calls: Record<string, number>;
}

/**
 * An S3 bucket in a Map behind a client that answers PutObject (and its `If-None-Match: *`),
 * GetObject (and its `Range`), DeleteObjects and ListObjectsV2 (prefix, delimiter, start-after,
 * 1,000 entries per page, continuation tokens) — enough for the archive's store, with every
 * request counted and none of the SDK's per-request overhead. Listing walks a
 * sorted index and jumps over each common prefix, as S3 does, so a year of a job that runs every
 * minute (hundreds of thousands of keys) is listed in microseconds.
 */
export function fakeBucket(): FakeBucket {
  const objects = new Map<string, Uint8Array>();
  const calls: Record<string, number> = {};
  let index: string[] | undefined;
  const send = async (command: unknown) => {
    const name = (command as object).constructor.name;
    calls[name] = (calls[name] ?? 0) + 1;
    if (command instanceof PutObjectCommand) {
      const key = command.input.Key!;
      if (command.input.IfNoneMatch === '*' && objects.has(key))
        throw new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: {} });
      if (!objects.has(key)) index = undefined;
      objects.set(key, new Uint8Array(command.input.Body as Uint8Array));
      return {};
    }
    if (command instanceof GetObjectCommand) {
      const bytes = objects.get(command.input.Key!);
      if (!bytes) throw new S3ServiceException({ name: 'NoSuchKey', $fault: 'client', $metadata: {} });
      const range = /^bytes=(\d+)-(\d+)$/.exec(command.input.Range ?? '');
      const body = range ? bytes.slice(Number(range[1]), Number(range[2]) + 1) : bytes;
      return { Body: { transformToByteArray: async () => body } };
    }
    if (command instanceof DeleteObjectsCommand) {
      for (const { Key } of command.input.Delete?.Objects ?? []) objects.delete(Key!);
      index = undefined;
      return { Errors: [] };
    }
    if (command instanceof ListObjectsV2Command) {
      index ??= [...objects.keys()].sort();
      return list(index, objects, command.input);
    }
    throw new Error(`the fake bucket does not answer ${name}`);
  };
  const tracked = new Proxy(objects, {
    get(target, property) {
      // Writes straight into the map (test setup) must refresh the index too.
      if (property === 'set' || property === 'delete' || property === 'clear') index = undefined;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { client: { send } as unknown as S3Client, objects: tracked, calls };
}

/** The first position in `sorted` whose key is ≥ `key`. */
function lowerBound(sorted: string[], key: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < key) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Keys hold no U+FFFF: a prefix followed by it sorts after every key under that prefix. */
const AFTER = '\uffff';

function list(sorted: string[], objects: Map<string, Uint8Array>, input: ListObjectsV2CommandInput) {
  const prefix = input.Prefix ?? '';
  const token = input.ContinuationToken;
  const after = token ?? input.StartAfter;
  let at = lowerBound(sorted, after !== undefined && after >= prefix ? `${after}\u0000` : prefix);
  const contents: { Key: string; Size: number }[] = [];
  const common: { Prefix: string }[] = [];
  let last = '';
  while (at < sorted.length && contents.length + common.length < PAGE) {
    const key = sorted[at]!;
    if (!key.startsWith(prefix)) break;
    const cut = input.Delimiter ? key.indexOf(input.Delimiter, prefix.length) : -1;
    if (cut >= 0) {
      const commonPrefix = key.slice(0, cut + input.Delimiter!.length);
      common.push({ Prefix: commonPrefix });
      last = `${commonPrefix}${AFTER}`;
      at = lowerBound(sorted, last);
    } else {
      contents.push({ Key: key, Size: objects.get(key)?.length ?? 0 });
      last = key;
      at++;
    }
  }
  const truncated = at < sorted.length && sorted[at]!.startsWith(prefix);
  return {
    Contents: contents,
    CommonPrefixes: common,
    IsTruncated: truncated,
    ...(truncated ? { NextContinuationToken: last } : {}),
  };
}
