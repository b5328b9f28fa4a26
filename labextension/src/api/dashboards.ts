import { postJSON, requestAPI } from './request';
import { components } from './schema';

type Schemas = components['schemas'];

/** A published Voila dashboard. */
export type Dashboard = Schemas['Dashboard'];
/** The published dashboards and where they live. */
export type DashboardList = Schemas['DashboardList'];
/** The dashboard templates that can be published. */
export type DashboardTemplate = Dashboard['template'];

/**
 * The dashboards published under this server.
 */
export async function listDashboards(
  init?: RequestInit
): Promise<DashboardList> {
  return requestAPI<DashboardList>('dashboards', init);
}

/**
 * Publish a model's dashboard (`all`: every template); the published ones.
 */
export async function publishDashboard(
  model: string,
  template: DashboardTemplate | 'all' = 'all',
  init?: RequestInit
): Promise<Dashboard[]> {
  const request: Partial<Schemas['DashboardRequest']> = { model, template };
  const body = await postJSON<Schemas['PublishedDashboards']>(
    'dashboards',
    request,
    init
  );
  return body.dashboards;
}
