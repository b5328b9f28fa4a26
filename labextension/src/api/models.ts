import { postJSON, queryString, requestAPI } from './request';
import { components } from './schema';

type Schemas = components['schemas'];

/** The last gate verdict recorded on a model version (by a promotion). */
export type GateSummary = Schemas['GateSummary'];
/** One version of a registered model, with the metrics of the run that made it. */
export type ModelVersion = Schemas['ModelVersion'];
/** A model's declared promotion gate. */
export type GatePolicy = Schemas['GatePolicy'];
/** A registered model and its versions, newest first. */
export type ModelSummary = Schemas['RegisteredModel'];
/** One recorded decision about an alias. */
export type AliasHistoryEntry = Schemas['AliasHistoryEntry'];
/** A model with its alias history, oldest first. */
export type ModelDetail = Schemas['ModelDetail'];
/** One check of the promotion gate. */
export type GateCheck = Schemas['GateCheck'];
/** The gate's verdict on a candidate version. */
export type GateVerdict = Schemas['GateVerdict'];
/** What the gate is asked (preview). */
export type GatePreviewRequest = Partial<Schemas['GatePreviewRequest']>;
/** A promotion; `force` needs a `reason`. */
export type PromoteRequest = Partial<Schemas['PromoteRequest']>;
/** The outcome of a promotion: a refused one has `promoted: false` (HTTP 200). */
export type PromoteResult = Schemas['PromoteResult'];
/** A lineage and its rendering as an indented text tree. */
export type LineageResponse = Schemas['LineageReply'];
/** The alias history entry a rollback recorded. */
export type RollbackResult = Schemas['RollbackResult'];

function modelPath(name: string, ...rest: string[]): string {
  return ['models', encodeURIComponent(name), ...rest].join('/');
}

/**
 * Every registered model with its versions.
 */
export async function listModels(init?: RequestInit): Promise<ModelSummary[]> {
  const body = await requestAPI<Schemas['ModelList']>('models', init);
  return body.models;
}

/**
 * One model with its alias history.
 */
export async function getModel(
  name: string,
  init?: RequestInit
): Promise<ModelDetail> {
  return requestAPI<ModelDetail>(modelPath(name), init);
}

/**
 * The lineage of a version (`"3"`) or alias (`"@champion"`).
 */
export async function getLineage(
  name: string,
  ref: string,
  init?: RequestInit
): Promise<LineageResponse> {
  return requestAPI<LineageResponse>(
    modelPath(name, 'lineage') + queryString({ ref }),
    init
  );
}

/**
 * The gate's verdict without changing anything.
 */
export async function previewGate(
  name: string,
  request: GatePreviewRequest,
  init?: RequestInit
): Promise<GateVerdict> {
  return postJSON<GateVerdict>(modelPath(name, 'gate'), request, init);
}

/**
 * Run the gate and move the alias when it passes (or when forced with a reason).
 *
 * @throws ServerConnection.ResponseError 403 when the user may not write the registry.
 */
export async function promoteModel(
  name: string,
  request: PromoteRequest,
  init?: RequestInit
): Promise<PromoteResult> {
  return postJSON<PromoteResult>(modelPath(name, 'promote'), request, init);
}

/**
 * Move an alias back to its previous holder.
 */
export async function rollbackModel(
  name: string,
  alias: string,
  reason?: string,
  init?: RequestInit
): Promise<RollbackResult> {
  const request: Partial<Schemas['RollbackRequest']> = { alias, reason };
  return postJSON<RollbackResult>(modelPath(name, 'rollback'), request, init);
}
