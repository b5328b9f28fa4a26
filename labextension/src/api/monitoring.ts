import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { postJSON, queryString, requestAPI } from './request';
import { components } from './schema';

type Schemas = components['schemas'];

/** A fired alert, with the drift check that raised it. */
export type Alert = Schemas['Alert'];
/** A retrain a check started (or skipped, with the reason). */
export type Retrain = Schemas['Retrain'];
/** One drift check, summarized. */
export type DriftCheck = Schemas['DriftCheck'];
/** A monitored model: its latest check, drift share over time, alerts and retrains. */
export type MonitoredModel = Schemas['MonitoredModel'];

/**
 * Every model with drift checks.
 */
export async function getMonitoring(
  init?: RequestInit
): Promise<MonitoredModel[]> {
  const body = await requestAPI<Schemas['MonitoringOverview']>(
    'monitoring',
    init
  );
  return body.models;
}

/** A model's newest drift checks, oldest first. */
export type DriftHistory = Schemas['DriftHistory'];
/** A check started now: the job that runs it. */
export type CheckStarted = Schemas['CheckStarted'];

/**
 * The newest `limit` (1–500) checks of `model`, oldest first.
 */
export async function getDriftHistory(
  model: string,
  limit = 50,
  init?: RequestInit
): Promise<DriftHistory> {
  return requestAPI<DriftHistory>(
    `monitoring/${encodeURIComponent(model)}/history` +
      queryString({ limit: String(limit) }),
    init
  );
}

/**
 * Run `model`'s monitor.yaml check now, as a job; follow it with `getJob(job_id)`.
 *
 * @throws ServerConnection.ResponseError 404 when no schedule monitors the model.
 */
export async function checkNow(
  model: string,
  init?: RequestInit
): Promise<CheckStarted> {
  return postJSON<CheckStarted>(
    `monitoring/${encodeURIComponent(model)}/check`,
    {},
    init
  );
}

/**
 * The URL of a check's Evidently report (served sandboxed, opened in a new tab).
 */
export function reportUrl(runId: string): string {
  return URLExt.join(
    ServerConnection.makeSettings().baseUrl,
    'mlops-jupyter/monitoring/checks',
    encodeURIComponent(runId),
    'report'
  );
}
