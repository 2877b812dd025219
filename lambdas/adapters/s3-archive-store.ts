import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ArchiveStore, ByteRange, StoredObject } from '../core/ports/archive-store.js';

/** DeleteObjects takes at most this many keys. */
const DELETE_PAGE = 1000;

const contentTypeOf = (key: string) =>
  key.endsWith('.gz')
    ? 'application/gzip'
    : key.endsWith('.json')
      ? 'application/json'
      : 'application/octet-stream';

const errorName = (error: unknown) => (error instanceof Error ? error.name : '');

/** The execution archive's objects in one S3 bucket. */
export class S3ArchiveStore implements ArchiveStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: Uint8Array, options: { ifAbsent?: boolean } = {}): Promise<boolean> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          // No Content-Encoding: a .gz object *is* a gzip file (Athena decompresses by extension), not a gzipped transfer.
          ContentType: contentTypeOf(key),
          ...(options.ifAbsent ? { IfNoneMatch: '*' } : {}),
        }),
      );
      return true;
    } catch (error) {
      // 412: the key exists. 409: a concurrent conditional write to it is in flight (the caller reads again).
      if (options.ifAbsent && ['PreconditionFailed', 'ConditionalRequestConflict'].includes(errorName(error)))
        return false;
      throw error;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array | null> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    } catch (error) {
      // Listed, then gone (compacted, or expired by the lifecycle in between).
      if (errorName(error) === 'NoSuchKey') return null;
      throw error;
    }
  }

  /** One ListObjectsV2 per 1,000 keys. */
  async list(prefix: string, options: { startAfter?: string } = {}): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(token
            ? { ContinuationToken: token }
            : options.startAfter
              ? { StartAfter: options.startAfter }
              : {}),
        }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key) objects.push({ key: object.Key, size: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  /** One DeleteObjects per 1,000 keys; a key that could not be deleted fails the call. */
  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_PAGE) {
      const out = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.slice(i, i + DELETE_PAGE).map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = out.Errors ?? [];
      if (failed.length > 0) {
        throw new Error(
          `could not delete ${failed.length} archive objects, e.g. ${failed[0]?.Key}: ${failed[0]?.Code} ${failed[0]?.Message ?? ''}`,
        );
      }
    }
  }
}
