import { postJSON, requestAPI } from './request';
import { components } from './schema';

type Schemas = components['schemas'];

/** A running model endpoint: what each role serves, live stats, swaps (no token). */
export type Deployment = Schemas['Deployment'];
/** The version a role (champion, challenger, shadow) serves. */
export type ServedVersion = Schemas['ServedVersion'];
/** Requests/s, error rate and latency quantiles over the endpoint's window. */
export type VariantStats = Schemas['VariantStats'];
/** One alias move the endpoint followed or refused. */
export type Swap = Schemas['Swap'];
/** What starting an endpoint takes; only `model` is required. */
export type StartDeploymentRequest = Partial<
  Schemas['StartDeploymentRequest']
> & {
  model: string;
};
/** A started endpoint: its token is shown this once. */
export type StartedDeployment = Schemas['StartedDeployment'];
/** Where a model version is served. */
export type DeployedAt = Schemas['DeployedAt'];

/**
 * Every running endpoint.
 */
export async function listDeployments(
  init?: RequestInit
): Promise<Deployment[]> {
  const body = await requestAPI<Schemas['DeploymentList']>('deployments', init);
  return body.deployments;
}

/**
 * Start an endpoint; resolves once it answers, with its one-time token.
 */
export function startDeployment(
  request: StartDeploymentRequest,
  init?: RequestInit
): Promise<StartedDeployment> {
  return postJSON<StartedDeployment>('deployments', request, init);
}

/**
 * Stop an endpoint gracefully (its inference log is flushed).
 */
export function stopDeployment(
  id: string,
  init?: RequestInit
): Promise<Schemas['StoppedDeployment']> {
  return postJSON<Schemas['StoppedDeployment']>(
    `deployments/${encodeURIComponent(id)}/stop`,
    {},
    init
  );
}
