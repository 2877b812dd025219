/** One call the sink received; kept small, a full run records hundreds of thousands. */
export interface SinkArrival {
  /** Arrival (epoch ms), taken when the request's headers are parsed. */
  at: number;
  path: string;
  key: string;
  scheduledAt: number;
  attempt: number;
  status: number;
}

/** A real HTTP target on loopback that always answers 200 (bench/load-thread.ts runs it). */
export interface BenchSink {
  url: string;
  arrivals: SinkArrival[];
  /** Called for each arrival as it happens (trigger latency listens here). */
  onArrival?: (arrival: SinkArrival) => void;
  close(): Promise<void>;
}
