import { postJSON, queryString, requestAPI } from './request';
import { components } from './schema';

type Schemas = components['schemas'];

/** A pipeline file found under the server root. */
export type PipelineSummary = Schemas['PipelineSummary'];
/** The pipeline files under the server root. */
export type PipelineList = Schemas['PipelineList'];
/** One step of a pipeline as planned now: its dependencies and cache state. */
export type PlanStep = Schemas['PlanStep'];
/** One step of a pipeline run. */
export type RunStep = Schemas['RunStep'];
/** A pipeline run: the server's view of its `status.json`. */
export type PipelineRun = Schemas['PipelineRun'];
/** A pipeline with its steps in order, their cache state and the last run. */
export type PipelineDetail = Schemas['PipelineDetail'];
/** What to run. */
export type PipelineRunRequest = Partial<Schemas['PipelineRunRequest']>;
/** The states of one pipeline step in a run (`status.json`). */
export type StepStatus = RunStep['status'];
/** The states of a whole pipeline run. */
export type PipelineRunStatus = PipelineRun['status'];

/**
 * Whether a run is over.
 */
export function isRunOver(status: PipelineRunStatus): boolean {
  return status === 'FINISHED' || status === 'FAILED';
}

/**
 * List the pipeline files under the server root.
 */
export async function listPipelines(init?: RequestInit): Promise<PipelineList> {
  return requestAPI<PipelineList>('pipelines', init);
}

/**
 * A pipeline's steps, cache state and last run.
 */
export async function getPipeline(
  path: string,
  init?: RequestInit
): Promise<PipelineDetail> {
  return requestAPI<PipelineDetail>(
    'pipelines/detail' + queryString({ path }),
    init
  );
}

/**
 * Start a pipeline run in the background; resolves to its run id.
 */
export async function startPipelineRun(
  request: PipelineRunRequest,
  init?: RequestInit
): Promise<string> {
  const body = await postJSON<Schemas['RunStarted']>(
    'pipelines/runs',
    request,
    init
  );
  return body.run_id;
}

/**
 * The live status of a pipeline run.
 */
export async function getPipelineRun(
  runId: string,
  path: string,
  init?: RequestInit
): Promise<PipelineRun> {
  return requestAPI<PipelineRun>(
    `pipelines/runs/${encodeURIComponent(runId)}` + queryString({ path }),
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
  init?: RequestInit
): Promise<Schemas['PipelineCreated']> {
  const request: Partial<Schemas['PipelineInitRequest']> = { notebook };
  return postJSON<Schemas['PipelineCreated']>('pipelines/init', request, init);
}

/** A page of a pipeline's past runs, newest first. */
export type PipelineHistory = Schemas['PipelineHistory'];
/** One past run of a pipeline, with its steps. */
export type HistoryRun = Schemas['HistoryRun'];
/** One step of a past run. */
export type HistoryStep = Schemas['HistoryStep'];
/** A parameter a step takes (declared by its notebook and/or set in the spec). */
export type StepParameter = Schemas['StepParameter'];

/**
 * A page of the past runs of a pipeline file, newest first.
 */
export async function getPipelineHistory(
  path: string,
  offset: number,
  limit: number,
  init?: RequestInit
): Promise<PipelineHistory> {
  return requestAPI<PipelineHistory>(
    'pipelines/history' +
      queryString({ path, offset: String(offset), limit: String(limit) }),
    init
  );
}
