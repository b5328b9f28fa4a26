import { requestAPI, queryString } from './request';
import { components } from './schema';

type Schemas = components['schemas'];

/** An active MLflow experiment. */
export type Experiment = Schemas['Experiment'];
/** A tracked run: a whole tracking session or one cell execution. */
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
}

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
    page_token: query.pageToken
  });
  return requestAPI<RunsPage>(path + params, init);
}
