import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * The URL namespace of the mlops-jupyter server extension.
 */
const NAMESPACE = 'mlops-jupyter';

/**
 * The states an MLflow run can be in.
 */
export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

/**
 * The run states the server can filter on.
 */
export const FILTERABLE_STATUSES: ReadonlyArray<RunStatus> = [
  'RUNNING',
  'FINISHED',
  'FAILED',
  'KILLED'
];

/**
 * An active MLflow experiment.
 */
export interface IExperiment {
  experiment_id: string;
  name: string;
  lifecycle_stage: string;
  /** Epoch milliseconds. */
  creation_time: number | null;
  /** Epoch milliseconds. */
  last_update_time: number | null;
  tags: Record<string, string>;
}

/**
 * A tracked run: a whole tracking session or one cell execution.
 */
export interface IRun {
  run_id: string;
  run_name: string;
  status: RunStatus;
  /** Epoch milliseconds. */
  start_time: number | null;
  /** Epoch milliseconds. */
  end_time: number | null;
  /** Null while the run is still running. */
  duration_s: number | null;
  parent_run_id: string | null;
  kind: 'session' | 'cell' | null;
  notebook: string | null;
  execution_count: number | null;
  /** `"ErrorType: message"` for a failed cell, else null. */
  error: string | null;
  metrics: Record<string, number>;
  params: Record<string, string>;
}

/**
 * One page of an experiment's runs, newest first.
 */
export interface IRunsPage {
  runs: IRun[];
  next_page_token: string | null;
}

/**
 * Which runs of an experiment to fetch.
 */
export interface IRunsQuery {
  status?: RunStatus | null;
  maxResults?: number;
  pageToken?: string | null;
}

/**
 * Call an mlops-jupyter REST endpoint and return its JSON body.
 *
 * @param endpoint - Path below `/mlops-jupyter/`, with any query string.
 * @param init - Fetch options (method, body, abort signal).
 * @returns The decoded JSON body.
 * @throws ServerConnection.ResponseError whose message is the server's `error` text.
 * @throws ServerConnection.NetworkError when the server cannot be reached.
 */
export async function requestAPI<T>(
  endpoint = '',
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, NAMESPACE, endpoint);

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }

  const text = await response.text();
  let data: unknown = null;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    throw new ServerConnection.ResponseError(response, errorMessage(response, data));
  }
  return data as T;
}

/**
 * List the active experiments, most recently updated first.
 */
export async function listExperiments(init?: RequestInit): Promise<IExperiment[]> {
  const body = await requestAPI<{ experiments: IExperiment[] }>('experiments', init);
  return body.experiments;
}

/**
 * Fetch one page of an experiment's runs, newest first.
 */
export async function listRuns(
  experimentId: string,
  query: IRunsQuery = {},
  init?: RequestInit
): Promise<IRunsPage> {
  const params: Record<string, string> = {};
  if (query.status) {
    params.status = query.status;
  }
  if (query.maxResults !== undefined) {
    params.max_results = String(query.maxResults);
  }
  if (query.pageToken) {
    params.page_token = query.pageToken;
  }
  const path = `experiments/${encodeURIComponent(experimentId)}/runs`;
  return requestAPI<IRunsPage>(path + URLExt.objectToQueryString(params), init);
}

/**
 * The server's `{"error": ...}` message, or the HTTP status text.
 */
function errorMessage(response: Response, data: unknown): string {
  if (data && typeof data === 'object' && 'error' in data) {
    const error = (data as { error: unknown }).error;
    if (typeof error === 'string' && error.length > 0) {
      return error;
    }
  }
  return `${response.status} ${response.statusText || 'request failed'}`.trim();
}

// ----------------------------------------------------------------- pipelines

/**
 * The states of one pipeline step in a run (`status.json`).
 */
export type StepStatus =
  | 'PENDING'
  | 'RUNNING'
  | 'FINISHED'
  | 'CACHED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'KERNEL_DIED'
  | 'SKIPPED'
  | 'NOT_SELECTED';

/**
 * The states of a whole pipeline run.
 */
export type PipelineRunStatus = 'PENDING' | 'RUNNING' | 'FINISHED' | 'FAILED';

/**
 * A pipeline file found under the server root.
 */
export interface IPipelineSummary {
  /** Relative to the server root. */
  path: string;
  name: string;
  /** Number of steps. */
  steps: number;
  last_run: { run_id: string; status: PipelineRunStatus } | null;
  /** Why the spec is invalid, or null. */
  error: string | null;
}

/**
 * The pipeline files under the server root.
 */
export interface IPipelineList {
  pipelines: IPipelineSummary[];
  /** True when the search stopped early (a very large root). */
  truncated: boolean;
}

/**
 * One step of a pipeline as planned now: its dependencies and cache state.
 */
export interface IPlanStep {
  name: string;
  /** Relative to the pipeline's folder. */
  notebook: string;
  /** Relative to the server root (for `docmanager:open`). */
  notebook_path: string;
  needs: string[];
  outputs: Record<string, string>;
  /** `"cached"`, `"will run"` or `"invalid: <reason>"`. */
  cache: string;
  last_status: StepStatus | null;
  last_output_notebook: string | null;
  last_output_notebook_path: string | null;
}

/**
 * Where and why a step's notebook failed.
 */
export interface IStepError {
  cell_index?: number | null;
  ename?: string;
  evalue?: string;
}

/**
 * One step of a pipeline run.
 */
export interface IRunStep {
  name: string;
  status: StepStatus;
  /** Epoch seconds. */
  started: number | null;
  ended: number | null;
  duration: number | null;
  attempts: number;
  parameters: Record<string, unknown>;
  cached_from: { pipeline_run?: string | null; output_notebook?: string | null } | null;
  /** Relative to the pipeline's folder. */
  output_notebook: string | null;
  /** Relative to the server root (for `docmanager:open`). */
  output_notebook_path: string | null;
  error: IStepError | null;
  reason: string | null;
  needs: string[];
}

/**
 * A pipeline run: the server's view of its `status.json`.
 */
export interface IPipelineRun {
  run_id: string;
  /** The pipeline file, relative to the server root. */
  file: string;
  status: PipelineRunStatus;
  /** Epoch seconds. */
  started: number | null;
  ended: number | null;
  pipeline?: string;
  experiment?: string;
  run_dir?: string;
  selected?: string[];
  steps: IRunStep[];
  /** Why the run could not start (only when it never wrote a status). */
  error?: string;
}

/**
 * A pipeline with its steps in order, their cache state and the last run.
 */
export interface IPipelineDetail {
  path: string;
  name: string;
  experiment: string;
  /** The pipeline's folder, relative to the server root. */
  project: string;
  steps: IPlanStep[];
  last_run: IPipelineRun | null;
  /** A run started from this server that is still going on. */
  active_run: string | null;
}

/**
 * What to run.
 */
export interface IPipelineRunRequest {
  path: string;
  /** Ignore the cache. */
  force?: boolean;
  only?: string[];
  from?: string;
  /** `{step: {parameter: value}}` overrides. */
  params?: Record<string, Record<string, unknown>>;
}

/**
 * Whether a run is over.
 */
export function isRunOver(status: PipelineRunStatus): boolean {
  return status === 'FINISHED' || status === 'FAILED';
}

/**
 * List the pipeline files under the server root.
 */
export async function listPipelines(init?: RequestInit): Promise<IPipelineList> {
  return requestAPI<IPipelineList>('pipelines', init);
}

/**
 * A pipeline's steps, cache state and last run.
 */
export async function getPipeline(path: string, init?: RequestInit): Promise<IPipelineDetail> {
  return requestAPI<IPipelineDetail>(
    'pipelines/detail' + URLExt.objectToQueryString({ path }),
    init
  );
}

/**
 * Start a pipeline run in the background; resolves to its run id.
 */
export async function startPipelineRun(
  request: IPipelineRunRequest,
  init: RequestInit = {}
): Promise<string> {
  const body = await requestAPI<{ run_id: string }>('pipelines/runs', {
    ...init,
    method: 'POST',
    body: JSON.stringify(request)
  });
  return body.run_id;
}

/**
 * The live status of a pipeline run.
 */
export async function getPipelineRun(
  runId: string,
  path: string,
  init?: RequestInit
): Promise<IPipelineRun> {
  return requestAPI<IPipelineRun>(
    `pipelines/runs/${encodeURIComponent(runId)}` + URLExt.objectToQueryString({ path }),
    init
  );
}

/**
 * Write `pipeline.yaml` beside a notebook, with the notebook as its first step.
 *
 * @returns The new file's path (relative to the server root) and its text.
 */
export async function initPipeline(
  notebook: string,
  init: RequestInit = {}
): Promise<{ path: string; text: string }> {
  return requestAPI<{ path: string; text: string }>('pipelines/init', {
    ...init,
    method: 'POST',
    body: JSON.stringify({ notebook })
  });
}

// ----------------------------------------------------------------- schedules

/**
 * The states of a scheduled job.
 */
export type JobStatus =
  | 'QUEUED'
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'INTERRUPTED'
  | 'SKIPPED';

/**
 * What a schedule does when ticks were missed while no scheduler ran.
 */
export type MissedPolicy = 'skip' | 'catch_up_once';

/**
 * One run of a schedule.
 */
export interface IJob {
  id: number;
  schedule_id: number | null;
  /** The schedule's name (kept after the schedule is deleted). */
  schedule: string | null;
  target_type: 'pipeline' | 'notebook' | 'monitor';
  /** Relative to the server root, or just the file name when outside it. */
  target: string;
  target_in_root: boolean;
  parameters: Record<string, unknown>;
  /** `cron`, `manual`, `catch-up` or `missed`. */
  trigger: string;
  /** ISO times (UTC). */
  tick: string | null;
  status: JobStatus;
  created: string | null;
  started: string | null;
  ended: string | null;
  duration_s: number | null;
  /** The run folder, relative to the server root (null when outside it). */
  run_dir: string | null;
  mlflow_run_id: string | null;
  /** Executed notebooks, relative to the server root. */
  outputs: string[];
  outputs_outside_root: number;
  error: string | null;
}

/**
 * A cron schedule of a pipeline file or a notebook.
 */
export interface ISchedule {
  id: number;
  name: string;
  target_type: 'pipeline' | 'notebook' | 'monitor';
  /** Relative to the server root, or just the file name when outside it. */
  target: string;
  target_in_root: boolean;
  parameters: Record<string, unknown>;
  cron: string;
  timezone: string;
  missed: MissedPolicy;
  enabled: boolean;
  /** ISO time of the next tick, null while paused. */
  next: string | null;
  /** `in 4 minutes`. */
  next_human: string | null;
  last_job: IJob | null;
}

/**
 * A named cron expression for the cron helper.
 */
export interface ICronPreset {
  label: string;
  cron: string;
}

/**
 * Whether this server runs a scheduler.
 */
export interface ISchedulerState {
  enabled: boolean;
  running: boolean;
  error: string | null;
  poll_interval: number;
}

/**
 * Every schedule, the cron presets and the scheduler's state.
 */
export interface IScheduleList {
  schedules: ISchedule[];
  presets: ICronPreset[];
  scheduler: ISchedulerState;
  /** The server's time (ISO). */
  now: string;
}

/**
 * The next fire times of a cron expression.
 */
export interface ICronPreview {
  cron: string;
  timezone: string;
  /** ISO times (UTC). */
  next: string[];
  /** The same times in the schedule's zone: `Mon 2026-11-23 02:00:00 CET`. */
  local: string[];
  /** `in 4 minutes`. */
  human: string[];
}

/**
 * A new schedule.
 */
export interface IScheduleRequest {
  /** A pipeline file or notebook, relative to the server root. */
  target: string;
  cron: string;
  timezone?: string;
  /** `NAME=VALUE` (notebooks) or `STEP.NAME=VALUE` (pipelines). */
  params?: string[] | Record<string, unknown>;
  missed?: MissedPolicy;
  /** Defaults to the target's file name without extension. */
  name?: string;
}

/**
 * Whether a job is over.
 */
export function isJobActive(status: JobStatus): boolean {
  return status === 'QUEUED' || status === 'RUNNING';
}

/**
 * List every schedule with its next fire time and last job.
 */
export async function listSchedules(init?: RequestInit): Promise<IScheduleList> {
  return requestAPI<IScheduleList>('schedules', init);
}

/**
 * Create a schedule.
 */
export async function createSchedule(
  request: IScheduleRequest,
  init: RequestInit = {}
): Promise<ISchedule> {
  return requestAPI<ISchedule>('schedules', {
    ...init,
    method: 'POST',
    body: JSON.stringify(request)
  });
}

/**
 * The next five fire times of `cron` in `timezone`.
 *
 * @throws ServerConnection.ResponseError (400) with the reason the expression is refused.
 */
export async function previewCron(
  cron: string,
  timezone: string,
  init: RequestInit = {}
): Promise<ICronPreview> {
  return requestAPI<ICronPreview>('schedules/preview', {
    ...init,
    method: 'POST',
    body: JSON.stringify({ cron, timezone })
  });
}

/**
 * The cron presets.
 */
export async function listCronPresets(init?: RequestInit): Promise<ICronPreset[]> {
  const body = await requestAPI<{ presets: ICronPreset[] }>('schedules/presets', init);
  return body.presets;
}

/**
 * Pause (`enabled` false) or resume a schedule.
 */
export async function setScheduleEnabled(
  name: string,
  enabled: boolean,
  init: RequestInit = {}
): Promise<ISchedule> {
  return requestAPI<ISchedule>(
    `schedules/${encodeURIComponent(name)}/${enabled ? 'resume' : 'pause'}`,
    { ...init, method: 'POST', body: '{}' }
  );
}

/**
 * Delete a schedule (its jobs stay in the history).
 */
export async function deleteSchedule(name: string, init: RequestInit = {}): Promise<void> {
  await requestAPI<null>(`schedules/${encodeURIComponent(name)}`, {
    ...init,
    method: 'DELETE'
  });
}

/**
 * Start a job of the schedule now; resolves to the job.
 */
export async function runScheduleNow(name: string, init: RequestInit = {}): Promise<IJob> {
  return requestAPI<IJob>(`schedules/${encodeURIComponent(name)}/run`, {
    ...init,
    method: 'POST',
    body: '{}'
  });
}

/**
 * Jobs, newest first.
 */
export async function listJobs(
  query: { schedule?: string; status?: JobStatus; limit?: number } = {},
  init?: RequestInit
): Promise<IJob[]> {
  const params: Record<string, string> = {};
  if (query.schedule) {
    params.schedule = query.schedule;
  }
  if (query.status) {
    params.status = query.status;
  }
  if (query.limit !== undefined) {
    params.limit = String(query.limit);
  }
  const body = await requestAPI<{ jobs: IJob[] }>(
    'jobs' + URLExt.objectToQueryString(params),
    init
  );
  return body.jobs;
}

/**
 * One job.
 */
export async function getJob(id: number, init?: RequestInit): Promise<IJob> {
  return requestAPI<IJob>(`jobs/${id}`, init);
}

/**
 * Stop a queued or running job.
 *
 * @throws ServerConnection.ResponseError (409) when it already ended.
 */
export async function cancelJob(id: number, init: RequestInit = {}): Promise<IJob> {
  return requestAPI<IJob>(`jobs/${id}/cancel`, { ...init, method: 'POST', body: '{}' });
}

// ----------------------------------------------------------------- models

/**
 * The last gate verdict recorded on a model version (by a promotion).
 */
export interface IGateSummary {
  passed: boolean;
  reasons: string[];
  scores: Record<string, unknown>;
}

/**
 * One version of a registered model, with the metrics of the run that made it.
 */
export interface IModelVersion {
  version: string;
  run_id: string | null;
  run_name: string | null;
  run_status: RunStatus | null;
  experiment_id: string | null;
  /** MLflow's version status: READY, PENDING_REGISTRATION, FAILED_REGISTRATION. */
  status: string;
  /** Epoch milliseconds. */
  created: number | null;
  updated: number | null;
  description: string;
  flavor: string | null;
  metrics: Record<string, number>;
  /** Aliases currently pointing at this version. */
  aliases: string[];
  gate: IGateSummary | null;
}

/**
 * A model's declared promotion gate (`gate:` in pipeline.yaml or `mlops models gate --set`).
 */
export interface IGatePolicy {
  thresholds: string[];
  metric: string;
  higher_is_better: boolean;
  margin: number;
  /** Both versions are scored on this dataset (file name only). */
  evaluation: { data: string; target: string } | null;
}

/**
 * A registered model and its versions, newest first.
 */
export interface IModel {
  name: string;
  description: string;
  created: number | null;
  updated: number | null;
  /** alias → version. */
  aliases: Record<string, string>;
  latest_version: string | null;
  versions: IModelVersion[];
  gate_policy: IGatePolicy | null;
}

/**
 * One recorded decision about an alias.
 */
export interface IAliasHistoryEntry {
  /** ISO time, UTC. */
  at: string;
  actor: string;
  action: 'set' | 'forced' | 'rollback' | 'refused';
  alias: string;
  from_version: string | null;
  to_version: string | null;
  reason: string;
  forced: boolean;
  generation: number;
  gate?: IGateSummary;
}

/**
 * A model with its alias history, oldest first.
 */
export interface IModelDetail extends IModel {
  history: IAliasHistoryEntry[];
}

/**
 * One check of the promotion gate.
 */
export interface IGateCheck {
  kind: 'threshold' | 'comparison';
  name: string;
  passed: boolean;
  actual: number | null;
  expected: number | string | null;
  reason: string;
}

/**
 * The gate's verdict on a candidate version.
 */
export interface IGateVerdict {
  passed: boolean;
  reasons: string[];
  checks: IGateCheck[];
  candidate: string;
  holder: string | null;
  compare_to: string | null;
  scores: Record<string, unknown>;
  /** The gate as applied: the declared one with the request's overrides. */
  policy: IGatePolicy;
  declared: boolean;
  /** An evaluation dataset is declared: `score: true` (or a promotion) scores on it. */
  scorable?: boolean;
}

/**
 * What the gate is asked (preview and promote).
 */
export interface IGateRequest {
  version: string;
  alias?: string;
  /** e.g. `accuracy >= 0.9`. */
  thresholds?: string[];
  margin?: number;
  metric?: string;
  higher_is_better?: boolean;
  /** Preview only: score both versions on the declared dataset (needs write). */
  score?: boolean;
}

/**
 * A promotion; `force` needs a `reason`.
 */
export interface IPromoteRequest extends IGateRequest {
  force?: boolean;
  reason?: string;
}

/**
 * The outcome of a promotion: a refused one has `promoted: false` (HTTP 200).
 */
export interface IPromoteResult {
  promoted: boolean;
  verdict: IGateVerdict;
  entry: IAliasHistoryEntry;
}

/**
 * Where a model version came from (metadata only).
 */
export interface ILineage {
  model: {
    name: string;
    version: string;
    aliases: string[];
    source: string;
    flavor: string | null;
    created: number | null;
  };
  run: {
    run_id: string;
    name: string;
    experiment_id: string;
    status: RunStatus;
    kind: string | null;
    metrics: Record<string, number>;
  } | null;
  notebook: {
    path: string;
    cell: string | null;
    session_run_id: string | null;
    snapshot: string[];
  } | null;
  pipeline: {
    name: string | null;
    run_id: string | null;
    step: string;
    notebook: string | null;
    output_notebook: string | null;
    cache_hit: boolean;
  } | null;
  parameters: Record<string, string>;
  data: Record<string, unknown>;
  upstream: { step: string; run_id: string; matched?: boolean; needs?: string[] }[];
  git: { commit: string; branch: string | null; dirty: boolean } | null;
}

/**
 * A lineage and its rendering as an indented text tree.
 */
export interface ILineageResponse {
  lineage: ILineage;
  tree: string;
}

function modelPath(name: string, ...rest: string[]): string {
  return ['models', encodeURIComponent(name), ...rest].join('/');
}

function postJSON<T>(path: string, body: unknown, init: RequestInit = {}): Promise<T> {
  return requestAPI<T>(path, { ...init, method: 'POST', body: JSON.stringify(body) });
}

/**
 * Every registered model with its versions.
 */
export async function listModels(init?: RequestInit): Promise<IModel[]> {
  const body = await requestAPI<{ models: IModel[] }>('models', init);
  return body.models;
}

/**
 * One model with its alias history.
 */
export async function getModel(name: string, init?: RequestInit): Promise<IModelDetail> {
  return requestAPI<IModelDetail>(modelPath(name), init);
}

/**
 * The lineage of a version (`"3"`) or alias (`"@champion"`).
 */
export async function getLineage(
  name: string,
  ref: string,
  init?: RequestInit
): Promise<ILineageResponse> {
  return requestAPI<ILineageResponse>(
    modelPath(name, 'lineage') + URLExt.objectToQueryString({ ref }),
    init
  );
}

/**
 * The gate's verdict without changing anything.
 */
export async function previewGate(
  name: string,
  request: IGateRequest,
  init?: RequestInit
): Promise<IGateVerdict> {
  return postJSON<IGateVerdict>(modelPath(name, 'gate'), request, init);
}

/**
 * Run the gate and move the alias when it passes (or when forced with a reason).
 *
 * @throws ServerConnection.ResponseError 403 when the user may not write the registry.
 */
export async function promoteModel(
  name: string,
  request: IPromoteRequest,
  init?: RequestInit
): Promise<IPromoteResult> {
  return postJSON<IPromoteResult>(modelPath(name, 'promote'), request, init);
}

/**
 * Move an alias back to its previous holder.
 */
export async function rollbackModel(
  name: string,
  alias: string,
  reason?: string,
  init?: RequestInit
): Promise<{ entry: IAliasHistoryEntry }> {
  return postJSON<{ entry: IAliasHistoryEntry }>(
    modelPath(name, 'rollback'),
    { alias, reason },
    init
  );
}

// ------------------------------------------------------------- monitoring

/**
 * A fired alert, with the drift check that raised it.
 */
export interface IAlert {
  rule: string;
  kind: 'drift_share_above' | 'column_drifts' | 'metric_below';
  message: string;
  retrain: boolean;
  webhook_status?: string;
  /** Epoch milliseconds of the check. */
  time: number;
  run_id: string;
  version: string | null;
}

/**
 * A retrain a check started (or skipped, with the reason).
 */
export interface IRetrain {
  status: 'finished' | 'failed' | 'skipped';
  pipeline: string;
  alias: string;
  reason?: string;
  pipeline_run_id?: string;
  version?: string;
  promoted?: boolean;
  time: number;
  run_id: string;
}

/**
 * One drift check, summarized.
 */
export interface IDriftCheck {
  run_id: string;
  time: number;
  model: string;
  version: string | null;
  alias: string | null;
  dataset_drift: boolean | null;
  drift_share: number | null;
  drifted_columns: number;
  checked_columns: number;
  current_rows: number;
  drifted: string[];
  current: string | null;
}

/**
 * A monitored model: its latest check, drift share over time, alerts and retrains.
 */
export interface IMonitoredModel {
  model: string;
  latest: IDriftCheck;
  history: Pick<IDriftCheck, 'time' | 'drift_share' | 'dataset_drift' | 'version' | 'run_id'>[];
  alerts: IAlert[];
  retrains: IRetrain[];
  checks: number;
}

/**
 * Every model with drift checks.
 */
export async function getMonitoring(init?: RequestInit): Promise<IMonitoredModel[]> {
  const body = await requestAPI<{ models: IMonitoredModel[] }>('monitoring', init);
  return body.models;
}

// ------------------------------------------------------------- dashboards

/**
 * The dashboard templates that can be published.
 */
export type DashboardTemplate = 'overview' | 'drift' | 'health';

/**
 * A published Voila dashboard.
 */
export interface IDashboard {
  /** File name, e.g. `churn-drift.ipynb`. */
  file: string;
  model: string;
  template: DashboardTemplate;
  /** ISO time it was (last) published. */
  published: string | null;
  /** Path in the mlops-jupyter home, e.g. `dashboards/churn-drift.ipynb`. */
  path: string;
  /** Its page, rendered by Voila under this server (signed dashboards only). */
  url: string;
}

/**
 * The published dashboards and where they live.
 */
export interface IDashboardList {
  dashboards: IDashboard[];
  /** The dashboards folder, relative to the mlops-jupyter home. */
  folder: string;
  /** Template name → what it shows. */
  templates: Record<DashboardTemplate, string>;
  /** Whether Voila's server extension is enabled (else the URLs do not work). */
  voila: boolean;
}

/**
 * The dashboards published under this server.
 */
export async function listDashboards(init?: RequestInit): Promise<IDashboardList> {
  return requestAPI<IDashboardList>('dashboards', init);
}

/**
 * Publish a model's dashboard (`all`: every template); the published ones.
 */
export async function publishDashboard(
  model: string,
  template: DashboardTemplate | 'all' = 'all',
  init: RequestInit = {}
): Promise<IDashboard[]> {
  const body = await postJSON<{ dashboards: IDashboard[] }>(
    'dashboards',
    { model, template },
    init
  );
  return body.dashboards;
}
