import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ArchiveRow } from '../../schemas/archive.js';
import {
  type ArchiveObject,
  type ArchivePartition,
  dateOfSegment,
  datePrefix,
  type HistoryArchive,
  jobPrefix,
  OBJECT_SUFFIX,
} from '../core/history.js';
import { decodeArchiveObject, encodeArchiveObject } from './archive-codec.js';

/** The execution archive in S3 (the layout of lambdas/core/history.ts). */
export class S3HistoryArchive implements HistoryArchive {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async putObject(object: ArchiveObject): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: object.key,
        Body: encodeArchiveObject(object.rows),
        // No Content-Encoding: the object *is* a .gz file (Athena decompresses by extension), not a gzipped transfer.
        ContentType: 'application/gzip',
      }),
    );
  }

  /** One ListObjectsV2 with a delimiter returns up to 1,000 date partitions: a year and more in one request. */
  async listDates(tenant: string, jobId: string): Promise<string[]> {
    const dates: string[] = [];
    await this.list(jobPrefix(tenant, jobId), '/', (page) => {
      for (const common of page.CommonPrefixes ?? []) {
        const date = common.Prefix ? dateOfSegment(common.Prefix) : null;
        if (date) dates.push(date);
      }
    });
    return dates.sort();
  }

  /** One ListObjectsV2 per 1,000 objects: a date of a job that runs every minute is two. */
  async listObjects(partition: ArchivePartition): Promise<string[]> {
    const keys: string[] = [];
    await this.list(datePrefix(partition), undefined, (page) => {
      for (const object of page.Contents ?? []) {
        if (object.Key?.endsWith(OBJECT_SUFFIX)) keys.push(object.Key);
      }
    });
    return keys.sort();
  }

  async readObject(key: string): Promise<ArchiveRow[]> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!out.Body) return [];
      return decodeArchiveObject(await out.Body.transformToByteArray(), key);
    } catch (error) {
      // Listed, then gone (the lifecycle expired it in between): it holds nothing any more.
      if (error instanceof Error && error.name === 'NoSuchKey') return [];
      throw error;
    }
  }

  private async list(
    prefix: string,
    delimiter: string | undefined,
    onPage: (page: ListObjectsV2CommandOutput) => void,
  ): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(delimiter ? { Delimiter: delimiter } : {}),
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      onPage(page);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
