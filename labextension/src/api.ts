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
