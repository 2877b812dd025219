import {
  type SchedulerClient as EventBridgeSchedulerClient,
  GetScheduleCommand,
  type GetScheduleOutput,
  paginateListSchedules,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { collect, SchedulerApiError, type SchedulerClient } from '../../client/index.js';
import { describeTarget } from '../views.js';
import { convertSchedule, IMPORTED_NAME_PREFIX, importedJobName } from './eventbridge-convert.js';

/** What the importer did (or, without `apply`, would do) with one EventBridge schedule. */
export interface ImportRow {
  schedule: string;
  /** create: would be created · created · exists: a job of its name exists · skip: cannot be converted · failed: the API refused it. */
  action: 'create' | 'created' | 'exists' | 'skip' | 'failed';
  jobId?: string;
  /** Our schedule and target, when converted. */
  as?: string;
  target?: string;
  /** Why it was skipped or failed, and what did not carry over. */
  notes: string[];
  /** `--disable-source`: the EventBridge schedule was disabled once its job existed. */
  sourceDisabled?: boolean;
}

export interface ImportOptions {
  aws: EventBridgeSchedulerClient;
  api: SchedulerClient;
  group: string;
  namePrefix?: string;
  apply: boolean;
  disableSource: boolean;
  progress?: (text: string) => void;
}

async function listSchedules(options: ImportOptions): Promise<GetScheduleOutput[]> {
  const { aws, group, namePrefix } = options;
  const names: string[] = [];
  for await (const page of paginateListSchedules(
    { client: aws, pageSize: 100 },
    { GroupName: group, ...(namePrefix ? { NamePrefix: namePrefix } : {}) },
  )) {
    for (const summary of page.Schedules ?? []) if (summary.Name) names.push(summary.Name);
    options.progress?.(`listed ${names.length} schedules of group ${group}`);
  }
  const schedules: GetScheduleOutput[] = [];
  for (const name of names)
    schedules.push(await aws.send(new GetScheduleCommand({ Name: name, GroupName: group })));
  return schedules;
}

/** The jobs an earlier import made from this group, by name. */
async function importedJobs(options: ImportOptions): Promise<Map<string, string>> {
  const jobs = await collect(options.api.iterateJobs({ name: `${IMPORTED_NAME_PREFIX}${options.group}/` }));
  return new Map(jobs.filter((j) => j.status !== 'cancelled').map((j) => [j.name ?? '', j.id]));
}

/** Disables a schedule: UpdateSchedule replaces the whole definition, so everything else is sent back as read. */
async function disableSource(aws: EventBridgeSchedulerClient, s: GetScheduleOutput): Promise<void> {
  await aws.send(
    new UpdateScheduleCommand({
      Name: s.Name,
      GroupName: s.GroupName,
      ScheduleExpression: s.ScheduleExpression,
      ScheduleExpressionTimezone: s.ScheduleExpressionTimezone,
      StartDate: s.StartDate,
      EndDate: s.EndDate,
      Description: s.Description,
      FlexibleTimeWindow: s.FlexibleTimeWindow,
      Target: s.Target,
      KmsKeyArn: s.KmsKeyArn,
      ActionAfterCompletion: s.ActionAfterCompletion,
      State: 'DISABLED',
    }),
  );
}

/**
 * `scheduler import eventbridge`: reads a schedule group, converts each schedule, and with `apply`
 * creates the jobs it does not have yet (named `eventbridge:<group>/<name>`, sent with an
 * Idempotency-Key of the same name), so a second run creates nothing new.
 */
export async function importEventBridge(options: ImportOptions): Promise<ImportRow[]> {
  const schedules = await listSchedules(options);
  const existing = await importedJobs(options);
  const rows: ImportRow[] = [];
  for (const s of schedules) {
    const name = s.Name ?? '';
    const conversion = convertSchedule({ ...s, GroupName: s.GroupName ?? options.group });
    if (!conversion.ok) {
      rows.push({ schedule: name, action: 'skip', notes: [conversion.reason] });
      continue;
    }
    const { job, paused, notes } = conversion;
    const row: ImportRow = {
      schedule: name,
      action: 'create',
      as: `${s.ScheduleExpression} ${s.ScheduleExpressionTimezone || 'UTC'}${s.StartDate || s.EndDate ? ` ${s.StartDate?.toISOString() ?? '…'}–${s.EndDate?.toISOString() ?? '…'}` : ''}`,
      target: describeTarget(job.target as Parameters<typeof describeTarget>[0]),
      notes: [...notes],
    };
    const jobName = importedJobName(options.group, name);
    const found = existing.get(jobName);
    if (found) {
      row.action = 'exists';
      row.jobId = found;
    } else if (options.apply) {
      try {
        const created = await options.api.createJob(job, { idempotencyKey: `import:${jobName}` });
        if (paused) await options.api.pauseJob(created.id);
        row.action = 'created';
        row.jobId = created.id;
      } catch (error) {
        if (!(error instanceof SchedulerApiError) || !error.isClientError) throw error;
        row.action = 'failed';
        row.notes.unshift(`${error.code}: ${error.message}`);
      }
    }
    if (options.apply && options.disableSource && row.jobId && s.State !== 'DISABLED') {
      await disableSource(options.aws, s);
      row.sourceDisabled = true;
    }
    rows.push(row);
    options.progress?.(`converted ${rows.length} of ${schedules.length}`);
  }
  return rows;
}
