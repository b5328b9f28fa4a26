import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { postJSON, queryString, requestAPI } from './request';
import { components } from './schema';

type Schemas = components['schemas'];

/** An active MLflow experiment. */
export type Experiment = Schemas['Experiment'];
/** A tracked run: a session, a cell, a pipeline, a step, a drift check... */
export type Run = Schemas['Run'];
/** One page of an experiment's runs, newest first. */
export type RunsPage = Schemas['RunsPage'];
/** The states an MLflow run can be in. */
export type RunStatus = Run['status'];

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
 * Which runs of an experiment to fetch.
 */
export interface IRunsQuery {
  status?: RunStatus | null;
  maxResults?: number;
  pageToken?: string | null;
  /** MLflow filter syntax; lists the matching runs flat. */
  filter?: string | null;
  /** `start_time DESC`, `metrics.accuracy DESC`, `params.model ASC`, ... */
  orderBy?: string | null;
  /** A run id: list its children. */
  parent?: string | null;
}

/** Everything the Run view shows. */
export type RunDetail = Schemas['RunDetail'];

/**
 * List the active experiments, most recently updated first.
 */
export async function listExperiments(
  init?: RequestInit
): Promise<Experiment[]> {
  const body = await requestAPI<Schemas['ExperimentList']>('experiments', init);
  return body.experiments;
}

/**
 * Fetch one page of an experiment's runs, newest first.
 */
export async function listRuns(
  experimentId: string,
  query: IRunsQuery = {},
  init?: RequestInit
): Promise<RunsPage> {
  const path = `experiments/${encodeURIComponent(experimentId)}/runs`;
  const params = queryString({
    status: query.status,
    max_results: query.maxResults,
    page_token: query.pageToken,
    filter: query.filter,
    order_by: query.orderBy,
    parent: query.parent
  });
  return requestAPI<RunsPage>(path + params, init);
}

/**
 * Fetch one run's detail.
 */
export function getRun(runId: string, init?: RequestInit): Promise<RunDetail> {
  return requestAPI<RunDetail>(`runs/${encodeURIComponent(runId)}`, init);
}

/**
 * Copy a run's notebook artifact into the workspace; returns its path there.
 */
export async function openRunNotebook(
  runId: string,
  path: string
): Promise<string> {
  const reply = await postJSON<Schemas['OpenNotebookReply']>(
    `runs/${encodeURIComponent(runId)}/open-notebook`,
    { path }
  );
  return reply.path;
}

/**
 * Download a run's artifact through the server (same authentication as every
 * request: ServerConnection adds the token and XSRF header) and save it.
 */
export async function downloadArtifact(
  runId: string,
  path: string
): Promise<void> {
  const settings = ServerConnection.makeSettings();
  const url =
    URLExt.join(
      settings.baseUrl,
      'mlops-jupyter',
      'runs',
      encodeURIComponent(runId),
      'artifacts'
    ) + queryString({ path });
  const response = await ServerConnection.makeRequest(url, {}, settings);
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      message = (await response.json()).error ?? message;
    } catch {
      // not JSON: keep the status line
    }
    throw new Error(message);
  }
  const blob = await response.blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = path.split('/').pop() || 'artifact';
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}
