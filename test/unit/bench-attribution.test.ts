import { describe, expect, it } from 'vitest';
import { attribute, steadyState } from '../../bench/attribution.js';
import type { Item } from '../../bench/capacity.js';
import { formatLedger, runLedger, shareText } from '../../bench/ledger-format.js';
import { AwsMeter, type Counts, type RequestRecord } from '../../bench/meter.js';
import { jobSubject, messageSubject, runSubject, subjectResolver } from '../../bench/subjects.js';
import { perExecution, residualWait, unitsByTarget } from '../../bench/usage.js';
import { fakeClient } from '../support/meter-client.js';

// The steady-state cost per run is only honest if every request lands on the runs it serves,
// wherever in time it was made: these pin the attribution rules of bench/attribution.ts.

let seq = 0;
function rec(
  operation: string,
  names: { runs?: string[]; jobs?: string[] } = {},
  more: Partial<RequestRecord> = {},
): RequestRecord {
  const service = /Message/.test(operation) ? 'sqs' : 'dynamodb';
  return {
    seq: seq++,
    at: 1000 + seq,
    service,
    operation,
    target: 't',
    ok: true,
    counts: { [`${service === 'sqs' ? 'sqs' : 'ddb'}.call.${operation}`]: 1, 'ddb.wru.table.t': 1 },
    runs: (names.runs ?? []).map((run) => ({ run, job: run.split(':')[0]! })),
    jobs: names.jobs ?? [],
    write: ['PutItem', 'UpdateItem', 'DeleteItem'].includes(operation),
    query: operation === 'Query',
    ...more,
  };
}

/** Each run's share of each operation, e.g. { 'J:1': { Query: 0.5, GetItem: 2, … } }. */
function sharesByRun(records: RequestRecord[]) {
  const { byRun, unattributed } = attribute(records);
  const out: Record<string, Record<string, number>> = {};
  for (const [run, shares] of byRun) {
    const ops: Record<string, number> = {};
    for (const s of shares) ops[s.record.operation] = (ops[s.record.operation] ?? 0) + s.fraction;
    out[run] = ops;
  }
  return { out, unattributed: unattributed.map((u) => [u.record.operation, u.fraction]) };
}

describe('cost attribution', () => {
  it('gives a run today’s whole path: the watcher’s query share, re-read, send and advance, then the executor’s reads and writes', () => {
    const { out, unattributed } = sharesByRun([
      rec('Query', { jobs: ['J', 'K'] }),
      rec('GetItem', { jobs: ['J'] }),
      rec('SendMessageBatch', { runs: ['J:1'] }),
      rec('UpdateItem', { jobs: ['J'] }),
      rec('ReceiveMessage', { runs: ['J:1'] }, { received: ['J:1'] }),
      rec('GetItem', { jobs: ['J'] }),
      rec('PutItem', { runs: ['J:1'] }),
      rec('PutItem', { runs: ['J:1'] }),
      rec('GetItem', { jobs: ['J'] }),
      rec('DeleteMessage', { runs: ['J:1'] }, { settled: ['J:1'] }),
      // after the delete, a read of J is the planner's again (next cycle, which sends nothing here)
      rec('GetItem', { jobs: ['J'] }),
    ]);
    expect(out['J:1']).toEqual({
      Query: 0.5,
      GetItem: 4,
      SendMessageBatch: 1,
      UpdateItem: 1,
      ReceiveMessage: 1,
      PutItem: 2,
      DeleteMessage: 1,
    });
    // K's half of the query: K never sent a run
    expect(unattributed).toEqual([['Query', 0.5]]);
  });

  it('splits a batch send over the runs in it and an advance over the runs it planned ahead', () => {
    const { out } = sharesByRun([
      rec('Query', { jobs: ['J', 'K'] }),
      rec('SendMessageBatch', { runs: ['J:1', 'J:2', 'J:3', 'K:1'] }),
      rec('UpdateItem', { jobs: ['J'] }),
      rec('UpdateItem', { jobs: ['K'] }),
    ]);
    expect(out['J:2']).toEqual({ Query: 1 / 6, SendMessageBatch: 0.25, UpdateItem: 1 / 3 });
    expect(out['K:1']).toEqual({ Query: 0.5, SendMessageBatch: 0.25, UpdateItem: 1 });
  });

  it('splits a batched delete over its runs and charges a job read to the run the executor holds', () => {
    const { out } = sharesByRun([
      rec('SendMessageBatch', { runs: ['J:1', 'K:1'] }),
      rec('UpdateItem', { jobs: ['J'] }),
      rec('UpdateItem', { jobs: ['K'] }),
      rec('ReceiveMessage', { runs: ['J:1', 'K:1'] }, { received: ['J:1', 'K:1'] }),
      rec('GetItem', { jobs: ['K'] }),
      rec('DeleteMessageBatch', { runs: ['J:1', 'K:1'] }, { settled: ['J:1', 'K:1'] }),
    ]);
    expect(out['J:1']).toEqual({
      SendMessageBatch: 0.5,
      UpdateItem: 1,
      ReceiveMessage: 0.5,
      DeleteMessageBatch: 0.5,
    });
    expect(out['K:1']?.GetItem).toBe(1);
  });

  it('gives a write made before its send (a create on the fast path, an advance first) the runs sent right after it', () => {
    const { out } = sharesByRun([
      rec('PutItem', { jobs: ['J'] }), // the API creates the job …
      rec('SendMessageBatch', { runs: ['J:1', 'J:2'] }), // … and sends its first runs
      rec('Query', { jobs: ['J'] }), // a later watcher tick plans the third
      rec('GetItem', { jobs: ['J'] }),
      rec('SendMessageBatch', { runs: ['J:3'] }),
      rec('UpdateItem', { jobs: ['J'] }),
      rec('UpdateItem', { jobs: ['J'] }), // then an advance written before its send
      rec('SendMessageBatch', { runs: ['J:4'] }),
    ]);
    expect(out['J:1']).toEqual({ PutItem: 0.5, SendMessageBatch: 0.5 });
    expect(out['J:3']).toEqual({ Query: 1, GetItem: 1, SendMessageBatch: 1, UpdateItem: 1 });
    expect(out['J:4']).toEqual({ SendMessageBatch: 1, UpdateItem: 1 });
  });

  it('carries a write that sends nothing (a PATCH) to the runs of the next cycle', () => {
    const { out } = sharesByRun([
      rec('UpdateItem', { jobs: ['J'] }), // PATCH
      rec('Query', { jobs: ['J'] }),
      rec('SendMessageBatch', { runs: ['J:1'] }),
      rec('UpdateItem', { jobs: ['J'] }),
    ]);
    expect(out['J:1']).toEqual({ UpdateItem: 2, Query: 1, SendMessageBatch: 1 });
  });

  it('charges an advance made while a run is held to the runs it sent, not to the held run', () => {
    const { out } = sharesByRun([
      rec('SendMessageBatch', { runs: ['J:1'] }),
      rec('UpdateItem', { jobs: ['J'] }),
      rec('ReceiveMessage', { runs: ['J:1'] }, { received: ['J:1'] }),
      rec('SendMessageBatch', { runs: ['J:2'] }), // the next tick while J:1 is still held
      rec('UpdateItem', { jobs: ['J'] }),
      rec('GetItem', { jobs: ['J'] }), // the executor's read of J while it holds J:1
      rec('DeleteMessage', { runs: ['J:1'] }, { settled: ['J:1'] }),
    ]);
    expect(out['J:1']).toEqual({
      SendMessageBatch: 1,
      UpdateItem: 1,
      ReceiveMessage: 1,
      GetItem: 1,
      DeleteMessage: 1,
    });
    expect(out['J:2']).toEqual({ SendMessageBatch: 1, UpdateItem: 1 });
  });

  it('leaves what names nothing, and a job that never sent a run, unattributed', () => {
    const { out, unattributed } = sharesByRun([
      rec('ReceiveMessage'),
      rec('PutItem', { jobs: ['X'] }),
      rec('GetItem', { jobs: ['X'] }),
    ]);
    expect(out).toEqual({});
    expect(unattributed).toEqual([
      ['ReceiveMessage', 1],
      ['PutItem', 1],
      ['GetItem', 1],
    ]);
  });

  it('sums the window’s shares and the overhead made during the window, and reports coverage', () => {
    const records = [
      rec('SendMessageBatch', { runs: ['J:1', 'J:2'] }, { at: 10 }),
      rec('UpdateItem', { jobs: ['J'] }, { at: 11 }),
      rec('PutItem', { runs: ['J:1'] }, { at: 20 }),
      rec('ReceiveMessage', {}, { at: 25 }), // overhead inside the window
      rec('ReceiveMessage', {}, { at: 99 }), // outside
    ];
    const steady = steadyState(attribute(records), ['J:1'], { from: 15, to: 50 });
    const expected: Counts = {
      'sqs.call.SendMessageBatch': 0.5,
      'ddb.call.UpdateItem': 0.5,
      'ddb.call.PutItem': 1,
      'sqs.call.ReceiveMessage': 1,
      'ddb.wru.table.t': 3,
    };
    expect(steady.counts).toEqual(expected);
    expect(steady.coverage).toEqual({ planned: 1, named: 1 });
    expect(steady.overhead).toEqual({ requestsInWindow: 1, unattributedRequests: 2 });
    expect(steady.overheadCounts).toEqual({ 'sqs.call.ReceiveMessage': 1, 'ddb.wru.table.t': 1 });
  });
});

describe('the per-run ledger', () => {
  it('lists a run’s requests in order with who made them, their share and their units, and sums what the run bears', () => {
    const withUnits = (r: RequestRecord, counts: Counts) => ({ ...r, counts: { ...r.counts, ...counts } });
    const records = [
      withUnits(rec('PutItem', { jobs: ['J'] }, { at: 100 }), {
        'ddb.wru.table.t': 1,
        'ddb.wru.index.t/byTenant': 1,
      }),
      rec(
        'SendMessageBatch',
        { runs: ['J:1', 'J:2'] },
        { at: 110, counts: { 'sqs.call.SendMessageBatch': 1, 'sqs.billedRequests': 1 } },
      ),
      rec(
        'ReceiveMessage',
        { runs: ['J:1'] },
        { at: 900, received: ['J:1'], counts: { 'sqs.call.ReceiveMessage': 1, 'sqs.billedRequests': 1 } },
      ),
      withUnits(rec('PutItem', { runs: ['J:1'] }, { at: 910 }), { 'ddb.wru.index.t/pending': 1 }),
    ];
    const { byRun } = attribute(records);
    const ledger = runLedger('cron', 'J:1', byRun.get('J:1') ?? [], 1000, [{ from: 90, to: 120 }]);
    expect(ledger.lines.map((l) => [l.atMs, l.source, l.operation, l.fraction, l.writes])).toEqual([
      [-900, 'api', 'PutItem', 0.5, 'table 1, byTenant 1'],
      [-890, 'api', 'SendMessageBatch', 0.5, ''],
      [-100, 'executor', 'ReceiveMessage', 1, ''],
      [-90, 'executor', 'PutItem', 1, 'table 1, pending 1'],
    ]);
    expect(ledger.totals).toMatchObject({ dynamodbRequests: 1.5, sqsRequests: 1.5, wru: 3 });
    expect(formatLedger(ledger)).toContain('this run bears: 1.5 DynamoDB requests, 1.5 SQS requests');
    expect([1, 0.5, 1 / 3, 0.4].map(shareText)).toEqual(['1', '1/2', '1/3', '0.400']);
  });
});

describe('subjects', () => {
  it('reads runs from execution items by id or by key, jobs from job items and their helper items', () => {
    expect(runSubject({ executionId: { S: 'job_A:2026-01-01T00:00:00.000Z' } }, ['executionId'])).toEqual({
      run: 'job_A:2026-01-01T00:00:00.000Z',
      job: 'job_A',
    });
    expect(runSubject({ jobId: { S: 'job_A' }, scheduledAt: { S: 'T1' } }, ['jobId', 'scheduledAt'])).toEqual(
      {
        run: 'job_A:T1',
        job: 'job_A',
      },
    );
    expect(jobSubject({ jobId: { S: 'job_A' } })).toEqual({ job: 'job_A' });
    expect(jobSubject({ jobId: { S: '#dependents#job_A' } })).toEqual({ job: 'job_A' });
    expect(jobSubject({ jobId: { S: '#watermark#3' } })).toBeUndefined();
    expect(jobSubject({ jobId: { S: '#ping' } })).toBeUndefined();
    expect(messageSubject('{"executionId":"job_A:T1","jobId":"job_A"}')).toEqual({
      run: 'job_A:T1',
      job: 'job_A',
    });
    expect(messageSubject('{"jobId":"job_A","scheduledAt":"T2"}')).toEqual({ run: 'job_A:T2', job: 'job_A' });
    expect(messageSubject('not json')).toBeUndefined();
  });
});

describe('the meter', () => {
  const tables = [
    {
      name: 'jobs',
      key: { partitionKey: 'jobId' },
      indexes: [
        {
          name: 'due',
          partitionKey: 'dueBucket',
          sortKey: 'dueKey',
          projection: { type: 'KEYS_ONLY' as const },
        },
      ],
    },
    {
      name: 'executions',
      key: { partitionKey: 'jobId', sortKey: 'scheduledAt' },
      indexes: [{ name: 'pending', partitionKey: 'shard', sortKey: 'scheduledAt' }],
    },
  ];
  const resolver = subjectResolver({
    jobs: 'jobs',
    executions: 'executions',
    executionKey: ['jobId', 'scheduledAt'],
  });

  it('keeps a record per request with its units, the runs and jobs it names, and the messages it receives and deletes', async () => {
    const meter = new AwsMeter({ tables, resolver });
    const { host, send } = fakeClient();
    meter.attach(host, 'dynamodb');
    const sqs = fakeClient();
    meter.attach(sqs.host, 'sqs');
    meter.startLog();

    const job: Item = {
      jobId: { S: 'J' },
      dueBucket: { S: 'b' },
      dueKey: { S: 'k1' },
      body: { S: 'x'.repeat(600) },
    };
    await send('PutItem', { TableName: 'jobs', Item: job });
    // an update that leaves the index keys alone writes nothing to a KEYS_ONLY index …
    const asked = await send('UpdateItem', { TableName: 'jobs', Key: { jobId: { S: 'J' } } }, (input) => {
      expect(input.ReturnValues).toBe('ALL_NEW'); // forced, to know the new image
      return { Attributes: { ...job, body: { S: 'y'.repeat(600) } } };
    });
    expect(asked.Attributes).toBeUndefined(); // … and the caller gets what it asked for
    // … one that moves its key writes it twice
    await send('UpdateItem', { TableName: 'jobs', Key: { jobId: { S: 'J' } } }, () => ({
      Attributes: { ...job, dueKey: { S: 'k2' } },
    }));
    // two executions of one job are two items (the full key, not the partition key alone)
    const run = (at: string): Item => ({ jobId: { S: 'J' }, scheduledAt: { S: at }, shard: { S: '1' } });
    await send('PutItem', { TableName: 'executions', Item: run('T1') });
    await send('PutItem', { TableName: 'executions', Item: run('T2') });
    await sqs.send('SendMessageBatch', {
      QueueUrl: 'http://q/runs-normal',
      Entries: [
        { MessageBody: '{"executionId":"J:T1","jobId":"J"}' },
        { MessageBody: '{"executionId":"J:T2","jobId":"J"}' },
      ],
    });
    await sqs.send('ReceiveMessage', { QueueUrl: 'http://q/runs-normal' }, () => ({
      Messages: [{ Body: '{"executionId":"J:T1","jobId":"J"}', ReceiptHandle: 'h1' }],
    }));
    await sqs.send('DeleteMessageBatch', {
      QueueUrl: 'http://q/runs-normal',
      Entries: [{ ReceiptHandle: 'h1' }],
    });

    const records = meter.stopLog();
    expect(records.map((r) => [r.operation, r.target, r.runs.map((x) => x.run), r.jobs])).toEqual([
      ['PutItem', 'jobs', [], ['J']],
      ['UpdateItem', 'jobs', [], ['J']],
      ['UpdateItem', 'jobs', [], ['J']],
      ['PutItem', 'executions', ['J:T1'], []],
      ['PutItem', 'executions', ['J:T2'], []],
      ['SendMessageBatch', 'runs-normal', ['J:T1', 'J:T2'], []],
      ['ReceiveMessage', 'runs-normal', ['J:T1'], []],
      ['DeleteMessageBatch', 'runs-normal', ['J:T1'], []],
    ]);
    expect(records.map((r) => r.counts['ddb.wru.index.jobs/due'] ?? 0)).toEqual([1, 0, 2, 0, 0, 0, 0, 0]);
    // a new item enters the index once; were T2 taken for T1 it would look like a key move (2)
    expect(records.map((r) => r.counts['ddb.wru.index.executions/pending'] ?? 0)).toEqual([
      0, 0, 0, 1, 1, 0, 0, 0,
    ]);
    expect(records[6]?.received).toEqual(['J:T1']);
    expect(records[7]?.settled).toEqual(['J:T1']);
    expect(meter.snapshot()['sqs.billedRequests']).toBe(3);
  });

  it('charges a BatchGetItem’s read units to the tables it read, not to a table of its own', async () => {
    const meter = new AwsMeter({ tables, resolver });
    const { host, send } = fakeClient();
    meter.attach(host, 'dynamodb');
    const RequestItems = {
      jobs: { Keys: [{ jobId: { S: 'J' } }, { jobId: { S: 'K' } }, { jobId: { S: 'L' } }] },
      executions: { Keys: [{ jobId: { S: 'J' }, scheduledAt: { S: 'T1' } }] },
    };
    await send('BatchGetItem', { RequestItems }, (input) => {
      expect(input.ReturnConsumedCapacity).toBe('TOTAL');
      return {
        ConsumedCapacity: [
          { TableName: 'jobs', CapacityUnits: 1.5 },
          { TableName: 'executions', CapacityUnits: 0.5 },
        ],
      };
    });
    // without a table name: split by the keys asked of each table
    await send('BatchGetItem', { RequestItems }, () => ({ ConsumedCapacity: [{ CapacityUnits: 2 }] }));
    const counts = meter.snapshot();
    expect(counts['ddb.rru.jobs']).toBe(1.5 + 1.5);
    expect(counts['ddb.rru.executions']).toBe(0.5 + 0.5);
    expect(Object.keys(counts).filter((k) => k.startsWith('ddb.rru.'))).toEqual([
      'ddb.rru.jobs',
      'ddb.rru.executions',
    ]);
    // and provisioned capacity is sized on the tables themselves
    expect(unitsByTarget(counts, 2).rru).toEqual({ jobs: 1.5, executions: 0.5 });
  });

  it('measures each run message’s residual wait from the request’s start, its DelaySeconds and its scheduledAt', async () => {
    let clock = Date.parse('2026-01-01T00:00:00.000Z');
    const meter = new AwsMeter({ tables, resolver, now: () => clock });
    const sqs = fakeClient();
    meter.attach(sqs.host, 'sqs');
    const body = (at: string) => JSON.stringify({ executionId: `J:${at}`, jobId: 'J', scheduledAt: at });
    clock += 400; // sent at :00.400
    await sqs.send(
      'SendMessageBatch',
      {
        QueueUrl: 'q',
        Entries: [
          // due at :05, visible at :04.400: the executor sleeps 600 ms
          { Id: '0', MessageBody: body('2026-01-01T00:00:05.000Z'), DelaySeconds: 4 },
          // already due: no wait
          { Id: '1', MessageBody: body('2026-01-01T00:00:00.000Z'), DelaySeconds: 0 },
          // refused by SQS: not sent, not measured
          { Id: '2', MessageBody: body('2026-01-01T00:00:09.000Z'), DelaySeconds: 0 },
          // not a run message
          { Id: '3', MessageBody: '{"kind":"notification"}' },
        ],
      },
      () => {
        clock += 50; // the answer comes back later; the message could be visible from the start
        return { Failed: [{ Id: '2' }] };
      },
    );
    // one sent close to the second boundary: 130 ms before it is due, answered 200 ms later:
    // it may have become visible 70 ms after it was due
    clock = Date.parse('2026-01-01T00:00:01.870Z');
    await sqs.send(
      'SendMessage',
      { QueueUrl: 'q', MessageBody: body('2026-01-01T00:00:03.000Z'), DelaySeconds: 1 },
      () => {
        clock += 200;
        return {};
      },
    );
    const counts = meter.snapshot();
    expect(counts['sqs.residual.messages']).toBe(3);
    expect(counts['sqs.residual.ms']).toBe(600 + 0 + 130);
    expect(counts['sqs.residual.bin.600']).toBe(1);
    expect(counts['sqs.residual.bin.0']).toBe(1);
    expect(counts['sqs.residual.bin.130']).toBe(1);
    expect(counts['sqs.residual.late']).toBe(1);
    expect(residualWait(counts)).toEqual({
      messages: 3,
      meanMs: 243.3,
      p99Ms: 600,
      late: { messages: 1, meanMs: 70 },
    });
    // and the cost model prices the measured mean, not the assumed 500 ms
    const measured = perExecution(counts, 3);
    expect(measured.usage.residualWaitMs).toBe(243.3);
    expect(measured.residualWait?.p99Ms).toBe(600);
  });

  it('reads the new image back when the caller asked for another one, and bills each put of a batch write', async () => {
    const stored: Item = { jobId: { S: 'J' }, dueBucket: { S: 'b' }, dueKey: { S: 'k9' } };
    const meter = new AwsMeter({ tables, resolver, readBack: async () => stored });
    const { host, send } = fakeClient();
    meter.attach(host, 'dynamodb');
    meter.startLog();
    await send(
      'UpdateItem',
      { TableName: 'jobs', Key: { jobId: { S: 'J' } }, ReturnValues: 'UPDATED_OLD' },
      () => ({
        Attributes: { dueKey: { S: 'k1' } },
      }),
    );
    await send('BatchWriteItem', {
      RequestItems: {
        executions: [
          { PutRequest: { Item: { jobId: { S: 'J' }, scheduledAt: { S: 'T1' } } } },
          { PutRequest: { Item: { jobId: { S: 'J' }, scheduledAt: { S: 'T2' } } } },
        ],
      },
    });
    const sqs = fakeClient();
    meter.attach(sqs.host, 'sqs');
    await sqs.send('ReceiveMessage', { QueueUrl: 'q' }, () => ({
      Messages: [{ Body: '{"executionId":"J:T1"}', ReceiptHandle: 'h1' }],
    }));
    // SQS refused the entry: the message is still there, the run still held
    await sqs.send(
      'DeleteMessageBatch',
      { QueueUrl: 'q', Entries: [{ Id: '0', ReceiptHandle: 'h1' }] },
      () => ({
        Failed: [{ Id: '0' }],
      }),
    );
    await sqs.send('DeleteMessageBatch', { QueueUrl: 'q', Entries: [{ Id: '0', ReceiptHandle: 'h1' }] });
    const [update, batch, , refused, deleted] = meter.stopLog();
    expect(refused?.settled).toEqual([]);
    expect(deleted?.settled).toEqual(['J:T1']);
    expect(update?.counts['ddb.wru.index.jobs/due']).toBe(1);
    expect(update?.counts['ddb.meterReadBacks']).toBe(1);
    expect(batch?.counts['ddb.wru.table.executions']).toBe(2);
    expect(batch?.runs.map((r) => r.run)).toEqual(['J:T1', 'J:T2']);
  });
});
