import React, { useCallback, useMemo, useState } from 'react';

import { Dashboard, listDashboards } from '../api/dashboards';
import {
  checkNow,
  getMonitoring,
  MonitoredModel,
  reportUrl,
  Retrain
} from '../api/monitoring';
import { getJob, isJobActive, Job } from '../api/schedules';
import { messageOf } from '../api/request';
import {
  Chart,
  ChartOption,
  ErrorMessage,
  Loading,
  RunLink,
  SectionShell,
  StatusBadge
} from '../components';
import { formatAbsolute, formatRelative } from '../format';
import { useLoadable, usePolling } from '../hooks';
import { ISectionProps, ISidebarContext } from './Panel';

const DRIFT_COLOR = '#d32f2f';
const CLEAN_COLOR = '#1565c0';
const JOB_POLL_MS = 1500;
/** Pixels around the drift chart's plot (axis names and labels live there). */
const DRIFT_INSETS = { left: 64, right: 18, top: 16, bottom: 44 };

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

/**
 * Links of the latest check: its run, its Evidently report, the model's dashboards.
 */
function CheckLinks(props: {
  runId: string;
  report: boolean;
  context: ISidebarContext;
  dashboards: Dashboard[];
}): React.ReactElement {
  return (
    <div className="jp-MLOps-checkLinks">
      <span className="jp-MLOps-note">Latest check:</span>
      <RunLink
        runId={props.runId}
        label="run"
        openRun={props.context.openRun}
      />
      {props.report ? (
        <a
          className="jp-MLOps-link jp-MLOps-reportLink"
          href={reportUrl(props.runId)}
          target="_blank"
          rel="noopener noreferrer"
          title="The Evidently report of this check (opens in a new tab)"
        >
          Evidently report
        </a>
      ) : (
        <span className="jp-MLOps-note jp-MLOps-noReport">
          no Evidently report kept
        </span>
      )}
      {props.dashboards.map(dashboard => (
        <a
          key={dashboard.file}
          className="jp-MLOps-link jp-MLOps-dashboardLink"
          href={dashboard.url}
          target="_blank"
          rel="noopener noreferrer"
          title={`The ${dashboard.template} dashboard of ${dashboard.model}`}
        >
          {dashboard.template} dashboard
        </a>
      ))}
    </div>
  );
}

/**
 * "Check now": runs the model's monitor.yaml schedule as a job, follows it, and
 * shows how it ended (with the check's run).
 */
function CheckNow(props: {
  model: string;
  openRun: (runId: string) => void;
  onDone: () => void;
}): React.ReactElement {
  const [job, setJob] = useState<Job | null>(null);
  const [jobId, setJobId] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const active = jobId !== null && (job === null || isJobActive(job.status));

  usePolling(
    () => {
      if (jobId === null) {
        return;
      }
      getJob(jobId).then(
        next => {
          setJob(next);
          if (!isJobActive(next.status)) {
            props.onDone();
          }
        },
        reason => {
          setError(messageOf(reason));
          setJobId(null);
        }
      );
    },
    active ? JOB_POLL_MS : null,
    [jobId, job]
  );

  const start = async () => {
    setBusy(true);
    setError(null);
    setJob(null);
    try {
      const started = await checkNow(props.model);
      setJobId(started.job_id);
    } catch (reason) {
      setError(messageOf(reason));
    } finally {
      setBusy(false);
    }
  };

  const ended = job !== null && !isJobActive(job.status);
  return (
    <div className="jp-MLOps-checkNowRow" data-model={props.model}>
      <button
        type="button"
        className="jp-MLOps-button jp-MLOps-checkNow"
        disabled={busy || active}
        title="Run this model's monitor.yaml check now, as a job"
        onClick={() => void start()}
      >
        {active ? 'Checking…' : 'Check now'}
      </button>
      {active && (
        <span className="jp-MLOps-checkNowStatus" role="status">
          job {jobId} {job ? job.status.toLowerCase() : 'queued'}
        </span>
      )}
      {ended && job && (
        <span
          className={`jp-MLOps-checkNowStatus ${job.status === 'SUCCEEDED' ? '' : 'jp-mod-failed'}`}
          role="status"
          data-status={job.status}
        >
          {job.status === 'SUCCEEDED'
            ? 'Check finished'
            : `Check ${job.status.toLowerCase()}: ${job.error ?? 'see the job log'}`}
          {job.mlflow_run_id && (
            <>
              {' '}
              <RunLink
                runId={job.mlflow_run_id}
                label="its run"
                openRun={props.openRun}
              />
            </>
          )}
        </span>
      )}
      {error !== null && (
        <span className="jp-MLOps-checkNowStatus jp-mod-failed" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

/**
 * Drift share per check over time (one ECharts line); the threshold as a dashed
 * line, checks that found dataset drift in red; a click opens that check's run.
 */
function DriftChart(props: {
  model: string;
  history: MonitoredModel['history'];
  openRun: (runId: string) => void;
}): React.ReactElement | null {
  const points = props.history.filter(
    item => item.drift_share !== null && item.time !== null
  );
  const option = useMemo(() => driftOption(points), [props.history]);
  if (points.length === 0) {
    return null;
  }
  const times = points.map(point => point.time as number);
  const first = Math.min(...times);
  const last = Math.max(...times);
  return (
    <div className="jp-MLOps-driftOverTime">
      <Chart
        option={option}
        height={190}
        className="jp-MLOps-driftChart"
        label={`Drift share of ${props.model} over the last ${points.length} checks`}
        onClick={params => {
          const runId = (params.data as { runId?: string } | undefined)?.runId;
          if (runId) {
            props.openRun(runId);
          }
        }}
      />
      <ul className="jp-MLOps-visuallyHidden jp-MLOps-driftPoints">
        {points.map(point => (
          <li
            key={point.run_id}
            className="jp-MLOps-driftPoint"
            data-run-id={point.run_id}
            data-drift={String(point.dataset_drift)}
            data-x={
              last > first
                ? ((point.time ?? first) - first) / (last - first)
                : 0.5
            }
            data-y={1 - (point.drift_share ?? 0)}
          >
            <button type="button" onClick={() => props.openRun(point.run_id)}>
              {`${formatAbsolute(point.time)}: ${Math.round((point.drift_share ?? 0) * 100)}% of columns drifted`}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

function driftOption(points: MonitoredModel['history']): ChartOption {
  const threshold = [...points]
    .reverse()
    .find(point => point.threshold !== null)?.threshold;
  return {
    animation: false,
    // Exactly these insets (ECharts 6 would otherwise grow them around the labels).
    grid: { ...DRIFT_INSETS, outerBoundsMode: 'none' },
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (params: {
        data?: {
          value: [number, number];
          version?: string | null;
          drift?: boolean | null;
        };
      }) => {
        const data = params.data;
        if (!data) {
          return '';
        }
        const verdict =
          data.drift === null
            ? 'verdict unknown'
            : data.drift
              ? 'dataset drift'
              : 'no dataset drift';
        return (
          `${formatAbsolute(data.value[0])}<br/>` +
          `${Math.round(data.value[1] * 100)}% of columns drifted (${verdict})` +
          (data.version ? `<br/>version ${data.version}` : '') +
          "<br/>Click to open the check's run"
        );
      }
    },
    xAxis: {
      type: 'time',
      name: 'check time',
      nameLocation: 'middle',
      nameGap: 26,
      nameTextStyle: { fontSize: 11, color: '#555' },
      axisLabel: {
        fontSize: 10,
        hideOverlap: true,
        color: '#555',
        formatter: {
          year: '{yyyy}',
          month: '{MMM} {yyyy}',
          day: '{d} {MMM}',
          hour: '{d} {MMM} {HH}:{mm}',
          minute: '{HH}:{mm}',
          second: '{HH}:{mm}:{ss}',
          millisecond: '{HH}:{mm}:{ss}'
        }
      },
      splitNumber: 3,
      // The plot spans exactly the first to the last check.
      min: 'dataMin',
      max: 'dataMax'
    },
    yAxis: {
      type: 'value',
      name: 'drifted columns (share)',
      nameLocation: 'middle',
      nameGap: 44,
      nameTextStyle: { fontSize: 11, color: '#555' },
      min: 0,
      max: 1,
      interval: 0.25,
      axisLabel: {
        fontSize: 10,
        color: '#555',
        formatter: (value: number) => `${Math.round(value * 100)}%`
      }
    },
    series: [
      {
        type: 'line',
        name: 'drift share',
        symbol: 'circle',
        symbolSize: 9,
        lineStyle: { color: '#888', width: 1.5 },
        data: points.map(point => ({
          value: [point.time, point.drift_share],
          runId: point.run_id,
          version: point.version,
          drift: point.dataset_drift,
          itemStyle: {
            color: point.dataset_drift ? DRIFT_COLOR : CLEAN_COLOR
          }
        })),
        markLine:
          threshold === undefined || threshold === null
            ? undefined
            : {
                silent: true,
                symbol: 'none',
                lineStyle: { type: 'dashed', color: DRIFT_COLOR },
                label: {
                  formatter: `drift from ${Math.round(threshold * 100)}%`,
                  position: 'insideEndTop',
                  fontSize: 10,
                  color: DRIFT_COLOR
                },
                data: [{ yAxis: threshold }]
              }
      }
    ]
  };
}
