import { HTMLSelect } from '@jupyterlab/ui-components';
import React, { useCallback, useState } from 'react';

import {
  Dashboard,
  DashboardList,
  DashboardTemplate,
  listDashboards,
  publishDashboard
} from '../api/dashboards';
import { listModels, ModelSummary } from '../api/models';
import { ErrorMessage, Loading, SectionShell } from '../components';
import { formatRelative } from '../format';
import { useAction, useLoadable } from '../hooks';
import { ISectionProps } from './Panel';

/**
 * What one click publishes, and the order dashboards are listed in.
 */
const TEMPLATE_ORDER: DashboardTemplate[] = [
  'overview',
  'drift',
  'health',
  'production'
];
type Choice = DashboardTemplate | 'all';

interface IData {
  models: ModelSummary[];
  list: DashboardList;
}

/**
 * The Dashboards section: publish a registered model's Voila dashboards in one
 * click and open the published ones (in a new browser tab, rendered by Voila's
 * server extension behind this server's login).
 */
export function DashboardsSection(props: ISectionProps): React.ReactElement {
  const [localToken, setLocalToken] = useState(0);
  const reload = useCallback(() => setLocalToken(token => token + 1), []);
  const data = useLoadable<IData>(
    async signal => {
      const [models, list] = await Promise.all([
        listModels({ signal }),
        listDashboards({ signal })
      ]);
      return { models, list };
    },
    [props.refreshToken, localToken]
  );

  return (
    <SectionShell
      className="jp-MLOps-dashboards"
      what="dashboards"
      onRefresh={reload}
      toolbar={
        <span className="jp-MLOps-note">Voila dashboards for stakeholders</span>
      }
    >
      {data.state === 'loading' && <Loading />}
      {data.state === 'error' && (
        <ErrorMessage message={data.message} onRetry={reload} />
      )}
      {data.state === 'ready' && (
        <DashboardsBody
          models={data.value.models}
          list={data.value.list}
          onChanged={reload}
        />
      )}
    </SectionShell>
  );
}

function DashboardsBody(props: {
  models: ModelSummary[];
  list: DashboardList;
  onChanged: () => void;
}): React.ReactElement {
  const { models, list } = props;
  if (models.length === 0 && list.dashboards.length === 0) {
    return (
      <div className="jp-MLOps-empty">
        <p className="jp-MLOps-emptyTitle">No registered models yet</p>
        <p>
          Register a model to publish its dashboards: overview, drift and
          health.
        </p>
      </div>
    );
  }
  const byModel = new Map<string, Dashboard[]>();
  for (const dashboard of list.dashboards) {
    byModel.set(dashboard.model, [
      ...(byModel.get(dashboard.model) ?? []),
      dashboard
    ]);
  }
  const names = [
    ...new Set([...models.map(model => model.name), ...byModel.keys()])
  ].sort();
  return (
    <>
      {!list.voila && (
        <p className="jp-MLOps-note jp-MLOps-dashboardWarning" role="status">
          Voila&apos;s server extension is not enabled in this server, so the
          links will not open; serve the folder with{' '}
          <code>mlops dashboard serve</code>.
        </p>
      )}
      <ul className="jp-MLOps-dashboardList">
        {names.map(name => (
          <DashboardModel
            key={name}
            name={name}
            registered={models.some(model => model.name === name)}
            dashboards={byModel.get(name) ?? []}
            templates={list.templates}
            onChanged={props.onChanged}
          />
        ))}
      </ul>
      <p className="jp-MLOps-note jp-MLOps-dashboardFolder">
        Published in <code>{list.folder}/</code> of the mlops-jupyter home,
        where <code>mlops dashboard list</code> and{' '}
        <code>mlops dashboard serve</code> find them.
      </p>
    </>
  );
}

function DashboardModel(props: {
  name: string;
  registered: boolean;
  dashboards: Dashboard[];
  templates: DashboardList['templates'];
  onChanged: () => void;
}): React.ReactElement {
  const [choice, setChoice] = useState<Choice>('all');
  const [message, setMessage] = useState<string | null>(null);
  const publishing = useAction();
  const busy = publishing.busy;
  const shown = publishing.error ?? message;
  const ordered = [...props.dashboards].sort(
    (a, b) =>
      TEMPLATE_ORDER.indexOf(a.template) - TEMPLATE_ORDER.indexOf(b.template)
  );

  const publish = () =>
    publishing.run(async () => {
      setMessage(null);
      const published = await publishDashboard(props.name, choice);
      setMessage(
        `Published ${published.map(item => item.template).join(', ')}`
      );
      props.onChanged();
    });

  return (
    <li className="jp-MLOps-dashboardModel" data-model={props.name}>
      <div className="jp-MLOps-dashboardHeader">
        <span className="jp-MLOps-modelName">{props.name}</span>
        {props.registered && (
          <span className="jp-MLOps-dashboardActions">
            <HTMLSelect
              className="jp-MLOps-templateSelect"
              aria-label={`Dashboard of ${props.name} to publish`}
              value={choice}
              onChange={event => setChoice(event.target.value as Choice)}
              options={[
                { label: 'all three', value: 'all' },
                ...TEMPLATE_ORDER.map(template => ({
                  label: template,
                  value: template
                }))
              ]}
            />
            <button
              className="jp-MLOps-button jp-mod-accept jp-MLOps-publish"
              disabled={busy}
              onClick={() => void publish()}
              title={`Publish the ${choice === 'all' ? '' : `${choice} `}dashboard${
                choice === 'all' ? 's' : ''
              } of ${props.name}`}
            >
              {busy ? 'Publishing…' : 'Publish'}
            </button>
          </span>
        )}
      </div>
      {ordered.length > 0 ? (
        <ul className="jp-MLOps-dashboardLinks">
          {ordered.map(dashboard => (
            <li key={dashboard.file} data-template={dashboard.template}>
              <a
                className="jp-MLOps-dashboardLink"
                href={dashboard.url}
                target="_blank"
                rel="noopener noreferrer"
                title={`${props.templates[dashboard.template] ?? ''} (${dashboard.path})`}
              >
                {dashboard.template} ↗
              </a>
              {dashboard.published && (
                <span className="jp-MLOps-muted">
                  {' '}
                  {formatRelative(Date.parse(dashboard.published))}
                </span>
              )}
            </li>
          ))}
        </ul>
      ) : (
        <p className="jp-MLOps-muted jp-MLOps-dashboardNone">
          not published yet
        </p>
      )}
      {shown && (
        <p className="jp-MLOps-note jp-MLOps-dashboardMessage" role="status">
          {shown}
        </p>
      )}
    </li>
  );
}
