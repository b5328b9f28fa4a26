import React, { useCallback, useState } from 'react';

import { Dashboard, listDashboards } from '../api/dashboards';
import { getMonitoring, MonitoredModel, Retrain } from '../api/monitoring';
import {
  ErrorMessage,
  Loading,
  RunLink,
  SectionShell,
  StatusBadge
} from '../components';
import { formatAbsolute, formatRelative } from '../format';
import { useLoadable } from '../hooks';
import { CheckLinks, CheckNow } from './monitoring/CheckNow';
import { DriftChart } from './monitoring/DriftChart';
import { ISectionProps, ISidebarContext } from './Panel';

/**
 * The Monitoring section: per model, the latest drift verdict, drift share over
 * time, the alerts fired and the retrains they caused.
 */
export function MonitoringSection(props: ISectionProps): React.ReactElement {
  const [localToken, setLocalToken] = useState(0);
  const models = useLoadable<MonitoredModel[]>(
    signal => getMonitoring({ signal }),
    [props.refreshToken + localToken]
  );
  const reload = useCallback(() => setLocalToken(token => token + 1), []);
  const dashboards = useLoadable<Dashboard[]>(
    signal =>
      listDashboards({ signal }).then(
        list => (list.voila ? list.dashboards : []),
        () => []
      ),
    [props.refreshToken + localToken]
  );
  const alerting =
    models.state === 'ready'
      ? models.value.filter(m => m.latest.dataset_drift).length
      : 0;

  return (
    <SectionShell
      className="jp-MLOps-monitoring"
      what="monitoring"
      onRefresh={reload}
      toolbar={
        <>
          <span className="jp-MLOps-note">Drift checks</span>
          {alerting > 0 && (
            <StatusBadge
              status="FAILED"
              className="jp-MLOps-alertBadge"
              title="Models whose latest check found drift"
              label={`${alerting} drifting`}
            />
          )}
        </>
      }
    >
      {models.state === 'loading' && <Loading />}
      {models.state === 'error' && (
        <ErrorMessage message={models.message} onRetry={reload} />
      )}
      {models.state === 'ready' &&
        (models.value.length === 0 ? (
          <p className="jp-MLOps-empty">
            No drift checks yet. Run{' '}
            <code>mlops drift check --model MODEL --current data.csv</code> or
            schedule a <code>monitor.yaml</code>.
          </p>
        ) : (
          <ul className="jp-MLOps-monitorList">
            {models.value.map(model => (
              <MonitoredModel
                key={model.model}
                model={model}
                context={props.context}
                dashboards={
                  dashboards.state === 'ready'
                    ? dashboards.value.filter(d => d.model === model.model)
                    : []
                }
                onChecked={reload}
              />
            ))}
          </ul>
        ))}
    </SectionShell>
  );
}

function verdictLabel(drift: boolean | null): string {
  return drift === null ? 'not computable' : drift ? 'drift' : 'no drift';
}

/**
 * The run status whose colour a retrain's badge takes (a skipped one is grey).
 */
function retrainStatus(retrain: Retrain): string {
  return retrain.status === 'skipped' ? 'KILLED' : retrain.status.toUpperCase();
}

function MonitoredModel(props: {
  model: MonitoredModel;
  context: ISidebarContext;
  dashboards: Dashboard[];
  onChecked: () => void;
}): React.ReactElement {
  const { model } = props;
  const latest = model.latest;
  return (
    <li className="jp-MLOps-monitoredModel" data-model={model.model}>
      <div className="jp-MLOps-monitorHeader">
        <span className="jp-MLOps-name">{model.model}</span>
        {latest.version && (
          <span className="jp-MLOps-note">v{latest.version}</span>
        )}
        <StatusBadge
          status={latest.dataset_drift ? 'FAILED' : 'FINISHED'}
          className="jp-MLOps-verdictBadge"
          label={verdictLabel(latest.dataset_drift)}
          data-drift={String(latest.dataset_drift)}
        />
        <span className="jp-MLOps-note" title={formatAbsolute(latest.time)}>
          {formatRelative(latest.time)}
        </span>
      </div>
      <p className="jp-MLOps-note jp-MLOps-driftSummary">
        {latest.drifted_columns}/{latest.checked_columns} columns drifted
        {latest.drift_share !== null &&
          ` (${Math.round(latest.drift_share * 100)}%)`}
        {latest.current && ` · ${latest.current}`}
        {latest.drifted.length > 0 &&
          ` · ${latest.drifted.slice(0, 4).join(', ')}`}
      </p>
      <CheckLinks
        runId={latest.run_id}
        report={latest.report}
        context={props.context}
        dashboards={props.dashboards}
      />
      <DriftChart
        model={model.model}
        history={model.history}
        openRun={props.context.openRun}
      />
      <CheckNow
        model={model.model}
        openRun={props.context.openRun}
        onDone={props.onChecked}
      />
      {model.alerts.length > 0 && (
        <ul className="jp-MLOps-alerts" aria-label="Alerts">
          {model.alerts.slice(0, 5).map((alert, index) => (
            <li
              key={`${alert.run_id}-${index}`}
              className="jp-MLOps-alert"
              data-rule={alert.rule}
            >
              <StatusBadge status="FAILED" label={alert.rule} /> {alert.message}{' '}
              <RunLink
                runId={alert.run_id}
                label="check"
                openRun={props.context.openRun}
              />
              <span
                className="jp-MLOps-note"
                title={formatAbsolute(alert.time)}
              >
                {' '}
                {formatRelative(alert.time)}
              </span>
              {alert.webhook_status && (
                <span className="jp-MLOps-note">
                  {' '}
                  · webhook {alert.webhook_status}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {model.retrains.length > 0 && (
        <ul className="jp-MLOps-retrains" aria-label="Retrains">
          {model.retrains.slice(0, 5).map(retrain => (
            <li
              key={retrain.run_id}
              className="jp-MLOps-retrain"
              data-status={retrain.status}
            >
              <StatusBadge
                status={retrainStatus(retrain)}
                label={`retrain ${retrain.status}`}
              />{' '}
              {retrain.pipeline}
              {retrain.pipeline_run_id && (
                <span className="jp-MLOps-note">
                  {' '}
                  pipeline run {retrain.pipeline_run_id}
                </span>
              )}
              {retrain.version &&
                ` → v${retrain.version} ${retrain.promoted ? 'promoted to' : 'not promoted to'} @${
                  retrain.alias
                }`}
              {retrain.reason && (
                <span className="jp-MLOps-note"> · {retrain.reason}</span>
              )}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}
