import { requestAPI } from './request';
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
