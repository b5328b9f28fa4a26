import { postJSON, queryString, requestAPI } from './request';
import { components } from './schema';

type Schemas = components['schemas'];

/** One run of a schedule. */
export type Job = Schemas['Job'];
/** A cron schedule of a pipeline file or a notebook. */
export type Schedule = Schemas['Schedule'];
/** A named cron expression for the cron helper. */
export type CronPreset = Schemas['CronPreset'];
/** Whether this server runs a scheduler. */
export type SchedulerState = Schemas['SchedulerState'];
/** Every schedule, the cron presets and the scheduler's state. */
export type ScheduleList = Schemas['ScheduleList'];
/** The next fire times of a cron expression. */
export type CronPreview = Schemas['CronPreview'];
/** A file a schedule can run: a pipeline file or a monitor file. */
export type ScheduleTarget = Schemas['ScheduleTarget'];
/** A new schedule. */
export type ScheduleRequest = Partial<Schemas['ScheduleRequest']>;
/** The states of a scheduled job. */
export type JobStatus = Job['status'];
/** What a schedule does when ticks were missed while no scheduler ran. */
export type MissedPolicy = Schedule['missed'];

/**
 * Whether a job is still queued or running.
 */
export function isJobActive(status: JobStatus): boolean {
  return status === 'QUEUED' || status === 'RUNNING';
}

function schedulePath(name: string, action?: string): string {
  const path = `schedules/${encodeURIComponent(name)}`;
  return action ? `${path}/${action}` : path;
}

/**
 * List every schedule with its next fire time and last job.
 */
export async function listSchedules(init?: RequestInit): Promise<ScheduleList> {
  return requestAPI<ScheduleList>('schedules', init);
}

/**
 * Create a schedule.
 */
export async function createSchedule(
  request: ScheduleRequest,
  init?: RequestInit
): Promise<Schedule> {
  return postJSON<Schedule>('schedules', request, init);
}

/**
 * The next five fire times of `cron` in `timezone`.
 *
 * @throws ServerConnection.ResponseError (400) with the reason the expression is refused.
 */
export async function previewCron(
  cron: string,
  timezone: string,
  init?: RequestInit
): Promise<CronPreview> {
  const request: Partial<Schemas['PreviewRequest']> = { cron, timezone };
  return postJSON<CronPreview>('schedules/preview', request, init);
}

/**
 * The cron presets.
 */
export async function listCronPresets(
  init?: RequestInit
): Promise<CronPreset[]> {
  const body = await requestAPI<Schemas['PresetList']>(
    'schedules/presets',
    init
  );
  return body.presets;
}

/**
 * Pause (`enabled` false) or resume a schedule.
 */
export async function setScheduleEnabled(
  name: string,
  enabled: boolean,
  init?: RequestInit
): Promise<Schedule> {
  return postJSON<Schedule>(
    schedulePath(name, enabled ? 'resume' : 'pause'),
    {},
    init
  );
}

/**
 * Delete a schedule (its jobs stay in the history).
 */
export async function deleteSchedule(
  name: string,
  init: RequestInit = {}
): Promise<void> {
  await requestAPI<null>(schedulePath(name), { ...init, method: 'DELETE' });
}

/**
 * Start a job of the schedule now; resolves to the job.
 */
export async function runScheduleNow(
  name: string,
  init?: RequestInit
): Promise<Job> {
  return postJSON<Job>(schedulePath(name, 'run'), {}, init);
}

/**
 * Jobs, newest first.
 */
export async function listJobs(
  query: { schedule?: string; status?: JobStatus; limit?: number } = {},
  init?: RequestInit
): Promise<Job[]> {
  const body = await requestAPI<Schemas['JobList']>(
    'jobs' + queryString(query),
    init
  );
  return body.jobs;
}

/**
 * One job.
 */
export async function getJob(id: number, init?: RequestInit): Promise<Job> {
  return requestAPI<Job>(`jobs/${id}`, init);
}

/**
 * Stop a queued or running job.
 *
 * @throws ServerConnection.ResponseError (409) when it already ended.
 */
export async function cancelJob(id: number, init?: RequestInit): Promise<Job> {
  return postJSON<Job>(`jobs/${id}/cancel`, {}, init);
}

/**
 * The pipeline and monitor files under the server root a schedule can run.
 */
export async function listScheduleTargets(
  init?: RequestInit
): Promise<Schemas['TargetList']> {
  return requestAPI<Schemas['TargetList']>('schedules/targets', init);
}
