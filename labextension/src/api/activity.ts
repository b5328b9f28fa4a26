import { requestAPI } from './request';
import { components } from './schema';

type Schemas = components['schemas'];

/** The tracking store, its reachability, live sessions and the MLflow UI's URL. */
export type TrackingStatus = Schemas['TrackingStatus'];
/** One live tracking session (a kernel running `%mlops track`). */
export type SessionStatus = Schemas['SessionStatus'];
/** One outcome: a job or pipeline run that ended, an alias move, a drift alert. */
export type ActivityEvent = Schemas['Event'];
/** The events after `since`, and the server's `now` to pass next time. */
export type EventList = Schemas['EventList'];

/**
 * The tracking status of this server's store.
 */
export function getStatus(init?: RequestInit): Promise<TrackingStatus> {
  return requestAPI<TrackingStatus>('status', init);
}

/**
 * Outcomes that ended after `since` (epoch ms, server clock), oldest first.
 */
export function getEvents(
  since: number | null,
  init?: RequestInit
): Promise<EventList> {
  const query =
    since === null ? '' : `?since=${Math.max(0, Math.floor(since))}`;
  return requestAPI<EventList>(`events${query}`, init);
}
