/** Per watcher shard: the oldest hour that may still hold due jobs, where the next tick starts reading. */
export interface Watermarks {
  getWatermark(shard: number): Promise<string | null>;
  setWatermark(shard: number, hour: string): Promise<void>;
}
