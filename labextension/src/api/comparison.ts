import { postJSON, queryString, requestAPI } from './request';
import { components } from './schema';

type Schemas = components['schemas'];

/** Runs side by side: columnar params and metrics, histories, groups. */
export type Comparison = Schemas['Comparison'];
/** One param across the compared runs. */
export type ParamColumn = Schemas['ParamColumn'];
/** One metric across the compared runs, with deltas against the baseline. */
export type MetricColumn = Schemas['MetricColumn'];
/** A group of runs sharing the grouping params' values. */
export type Group = Schemas['Group'];
/** What differs between two runs. */
export type RunDiff = Schemas['RunDiff'];
/** One aligned cell of two notebook snapshots. */
export type CellDiff = Schemas['CellDiff'];
/** A compared run. */
export type RunSummary = Schemas['RunSummary'];

/** How to compare: the baseline and the grouping. */
export interface ICompareOptions {
  baseline?: string | null;
  groupBy?: string[] | null;
  groupExcept?: string[] | null;
  histories?: boolean;
}

/**
 * Compare 2 to 1000 runs.
 */
export function compareRuns(
  runIds: string[],
  options: ICompareOptions = {},
  init?: RequestInit
): Promise<Comparison> {
  const body: Schemas['CompareRequest'] = {
    run_ids: runIds,
    baseline: options.baseline ?? null,
    group_by: options.groupBy ?? null,
    group_except: options.groupExcept ?? null,
    histories: options.histories ?? true
  };
  return postJSON<Comparison>('runs/compare', body, init);
}

/**
 * What differs between runs `a` and `b`: cells, params, environment, data, metrics.
 */
export function diffRuns(
  a: string,
  b: string,
  init?: RequestInit
): Promise<RunDiff> {
  return requestAPI<RunDiff>('runs/diff' + queryString({ a, b }), init);
}
