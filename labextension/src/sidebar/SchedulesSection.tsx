import { Clipboard, Dialog, showDialog } from '@jupyterlab/apputils';
import {
  addIcon,
  caretDownIcon,
  caretRightIcon,
  closeIcon,
  deleteIcon,
  errorIcon,
  runIcon,
  stopIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';

import {
  cancelJob,
  createSchedule,
  deleteSchedule,
  ICronPreset,
  ICronPreview,
  IJob,
  isJobActive,
  ISchedule,
  IScheduleList,
  JobStatus,
  listJobs,
  listPipelines,
  listSchedules,
  MissedPolicy,
  previewCron,
  runScheduleNow,
  setScheduleEnabled
} from '../api';
import { baseName, formatAbsolute, formatDuration, formatRelative } from '../format';
import { ISectionProps, ISidebarContext } from './Panel';
import { ErrorMessage, Loading, RefreshButton } from './RunsSection';
import { messageOf, useLoadable } from './useLoadable';

/**
 * How often the list is fetched while a job runs or a tick is close, and otherwise.
 */
const BUSY_POLL_MS = 1500;
const IDLE_POLL_MS = 15000;
/** A tick closer than this keeps the fast polling on. */
const SOON_MS = 60000;
/** The wait after the last keystroke before the cron preview is fetched. */
const PREVIEW_DEBOUNCE_MS = 300;
/** Jobs shown per schedule. */
const HISTORY_LENGTH = 10;

/**
 * The browser's time zone, the default of a new schedule.
 */
function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/**
 * Every IANA zone the browser knows, for the time zone field's suggestions.
 */
function knownTimeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  } catch {
    return [];
  }
}

/**
 * The Schedules section: cron schedules of notebooks and pipeline files, their next
 * fire time and job history, and a form to create one with a cron helper.
 */
export function SchedulesSection(props: ISectionProps): React.ReactElement {
  const { context } = props;
  const [localToken, setLocalToken] = useState(0);
  const [expanded, setExpanded] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const reloadToken = props.refreshToken + localToken;
  const reload = useCallback(() => setLocalToken(token => token + 1), []);

  const list = useLoadable<IScheduleList>(signal => listSchedules({ signal }), [reloadToken]);

  // Refresh by itself: often while a job runs or a tick is near, else now and then
  // (so "in 4 minutes" stays true).
  const busy = list.state === 'ready' && isBusy(list.value);
  useEffect(() => {
    if (list.state === 'loading') {
      return;
    }
    const timer = window.setTimeout(reload, busy ? BUSY_POLL_MS : IDLE_POLL_MS);
    return () => window.clearTimeout(timer);
  }, [list, busy, reload]);

  const value = list.state === 'ready' ? list.value : null;
  return (
    <div className="jp-MLOps-schedules">
      <div className="jp-MLOps-toolbar">
        <button
          className="jp-MLOps-button jp-MLOps-newSchedule"
          aria-expanded={creating}
          title="Run a notebook or pipeline on a cron schedule"
          onClick={() => setCreating(!creating)}
        >
          <addIcon.react tag="span" className="jp-MLOps-buttonIcon" />
          <span>New schedule</span>
        </button>
        <RefreshButton what="schedules" onClick={reload} />
      </div>
      {value && <SchedulerNotice state={value.scheduler} />}
      {creating && (
        <ScheduleForm
          context={context}
          presets={value?.presets ?? []}
          onCancel={() => setCreating(false)}
          onCreated={schedule => {
            setCreating(false);
            setExpanded(schedule.name);
            reload();
          }}
        />
      )}
      {list.state === 'loading' && <Loading />}
      {list.state === 'error' && <ErrorMessage message={list.message} onRetry={reload} />}
      {value &&
        (value.schedules.length === 0 ? (
          !creating && <NoSchedules />
        ) : (
          <ul className="jp-MLOps-scheduleList">
            {value.schedules.map(schedule => (
              <ScheduleItem
                key={schedule.id}
                schedule={schedule}
                expanded={expanded === schedule.name}
                onToggle={() =>
                  setExpanded(current => (current === schedule.name ? null : schedule.name))
                }
                canRun={value.scheduler.enabled}
                context={context}
                reloadToken={reloadToken}
                onChanged={reload}
              />
            ))}
          </ul>
        ))}
    </div>
  );
}

function isBusy(value: IScheduleList): boolean {
  const now = Date.now();
  return value.schedules.some(
    schedule =>
      (schedule.last_job !== null && isJobActive(schedule.last_job.status)) ||
      (schedule.next !== null && Date.parse(schedule.next) - now < SOON_MS)
  );
}

function SchedulerNotice(props: { state: IScheduleList['scheduler'] }): React.ReactElement | null {
  const { state } = props;
  if (state.running) {
    return null;
  }
  const text = !state.enabled
    ? 'The scheduler is off in this Jupyter server: schedules fire only while ' +
      '`mlops scheduler` runs elsewhere, and Run now is unavailable.'
    : state.error
      ? `The scheduler is not running: ${state.error}`
      : 'The scheduler is starting…';
  return (
    <div className="jp-MLOps-schedulerNotice" role="status">
      {text}
    </div>
  );
}

function NoSchedules(): React.ReactElement {
  return (
    <div className="jp-MLOps-empty">
      <p className="jp-MLOps-emptyTitle">No schedules yet</p>
      <p>
        Run the open notebook or a pipeline on a cron schedule with <b>New schedule</b>. Its
        jobs keep going while JupyterLab is closed, as long as the server runs.
      </p>
    </div>
  );
}

// ------------------------------------------------------------------ one schedule

function ScheduleItem(props: {
  schedule: ISchedule;
  expanded: boolean;
  onToggle: () => void;
  canRun: boolean;
  context: ISidebarContext;
  reloadToken: number;
  onChanged: () => void;
}): React.ReactElement {
  const { schedule, expanded, context, onChanged } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const Caret = expanded ? caretDownIcon : caretRightIcon;
  const active = schedule.last_job !== null && isJobActive(schedule.last_job.status);

  const act = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (reason) {
      setError(messageOf(reason));
    } finally {
      setBusy(false);
      onChanged();
    }
  };

  const remove = async () => {
    const answer = await showDialog({
      title: `Delete schedule ${schedule.name}?`,
      body: 'It stops firing. Its job history and output notebooks are kept.',
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
    });
    if (answer.button.accept) {
      await act(() => deleteSchedule(schedule.name));
    }
  };

  return (
    <li
      className="jp-MLOps-schedule"
      data-name={schedule.name}
      data-enabled={schedule.enabled ? 'true' : 'false'}
    >
      <button
        className="jp-MLOps-scheduleHeader"
        aria-expanded={expanded}
        title={`${schedule.name}: ${schedule.target}`}
        onClick={props.onToggle}
      >
        <Caret.react tag="span" className="jp-MLOps-caret" />
        <span className="jp-MLOps-scheduleName">{schedule.name}</span>
        {!schedule.enabled ? (
          <span className="jp-MLOps-badge jp-mod-paused">Paused</span>
        ) : (
          schedule.next_human && (
            <time
              className="jp-MLOps-scheduleNext"
              dateTime={schedule.next ?? undefined}
              title={schedule.next ? `Next run ${formatAbsolute(Date.parse(schedule.next))}` : ''}
            >
              {schedule.next_human}
            </time>
          )
        )}
        {schedule.last_job && <JobBadge status={schedule.last_job.status} />}
      </button>
      <div className="jp-MLOps-scheduleBody">
        <div className="jp-MLOps-scheduleMeta">
          {schedule.target_in_root ? (
            <button
              className="jp-MLOps-link jp-MLOps-scheduleTarget"
              title={`Open ${schedule.target}`}
              onClick={() => context.openFile(schedule.target)}
            >
              {schedule.target}
            </button>
          ) : (
            <span className="jp-MLOps-scheduleTarget" title="Outside the server root">
              {schedule.target}
            </span>
          )}
          <code className="jp-MLOps-cron" title={`cron, ${schedule.timezone}`}>
            {schedule.cron}
          </code>
          <span className="jp-MLOps-zone">{schedule.timezone}</span>
          {schedule.missed === 'catch_up_once' && (
            <span title="Missed ticks: the latest one runs when a scheduler is back">
              catch up once
            </span>
          )}
        </div>
        <div className="jp-MLOps-scheduleActions">
          <button
            className="jp-MLOps-button jp-MLOps-runNow"
            disabled={busy || active || !props.canRun}
            title={
              props.canRun
                ? active
                  ? 'A job of this schedule is running'
                  : 'Start a job now'
                : 'The scheduler is off in this server'
            }
            onClick={() => act(() => runScheduleNow(schedule.name))}
          >
            <runIcon.react tag="span" className="jp-MLOps-buttonIcon" />
            <span>Run now</span>
          </button>
          <button
            className="jp-MLOps-button jp-MLOps-togglePause"
            disabled={busy}
            onClick={() => act(() => setScheduleEnabled(schedule.name, !schedule.enabled))}
          >
            <span>{schedule.enabled ? 'Pause' : 'Resume'}</span>
          </button>
          <ToolbarButtonComponent
            className="jp-MLOps-deleteSchedule"
            icon={deleteIcon}
            tooltip={`Delete schedule ${schedule.name}`}
            enabled={!busy}
            onClick={() => void remove()}
          />
        </div>
        {error !== null && <div className="jp-MLOps-inlineError">{error}</div>}
        {expanded && (
          <JobHistory
            schedule={schedule.name}
            context={context}
            reloadToken={props.reloadToken}
            onChanged={onChanged}
          />
        )}
      </div>
    </li>
  );
}

function JobHistory(props: {
  schedule: string;
  context: ISidebarContext;
  reloadToken: number;
  onChanged: () => void;
}): React.ReactElement {
  const [localToken, setLocalToken] = useState(0);
  const jobs = useLoadable<IJob[]>(
    signal => listJobs({ schedule: props.schedule, limit: HISTORY_LENGTH }, { signal }),
    [props.schedule, props.reloadToken, localToken]
  );
  const anyActive = jobs.state === 'ready' && jobs.value.some(job => isJobActive(job.status));

  // Follow a running job even when the list is refreshed slowly.
  useEffect(() => {
    if (!anyActive) {
      return;
    }
    const timer = window.setTimeout(() => setLocalToken(t => t + 1), BUSY_POLL_MS);
    return () => window.clearTimeout(timer);
  }, [anyActive, jobs]);

  if (jobs.state === 'loading') {
    return <Loading />;
  }
  if (jobs.state === 'error') {
    return <ErrorMessage message={jobs.message} onRetry={() => setLocalToken(t => t + 1)} />;
  }
  if (jobs.value.length === 0) {
    return <p className="jp-MLOps-muted jp-MLOps-noJobs">No jobs yet.</p>;
  }
  return (
    <ol className="jp-MLOps-jobList" aria-label={`Jobs of ${props.schedule}`}>
      {jobs.value.map(job => (
        <JobItem
          key={job.id}
          job={job}
          context={props.context}
          onChanged={() => {
            setLocalToken(t => t + 1);
            props.onChanged();
          }}
        />
      ))}
    </ol>
  );
}

function JobItem(props: {
  job: IJob;
  context: ISidebarContext;
  onChanged: () => void;
}): React.ReactElement {
  const { job, context } = props;
  const [error, setError] = useState<string | null>(null);
  const active = isJobActive(job.status);
  const started = job.started ?? job.created;
  const took =
    job.duration_s ??
    (job.status === 'RUNNING' && job.started ? (Date.now() - Date.parse(job.started)) / 1000 : null);

  const cancel = async () => {
    setError(null);
    try {
      await cancelJob(job.id);
    } catch (reason) {
      setError(messageOf(reason));
    }
    props.onChanged();
  };

  return (
    <li className="jp-MLOps-job" data-job-id={job.id} data-status={job.status}>
      <div className="jp-MLOps-jobHeader">
        <JobBadge status={job.status} />
        <span className="jp-MLOps-jobTitle">
          #{job.id} <span className="jp-MLOps-muted">{triggerLabel(job.trigger)}</span>
        </span>
        {started && (
          <time className="jp-MLOps-muted" title={formatAbsolute(Date.parse(started))}>
            {formatRelative(Date.parse(started))}
          </time>
        )}
        {took !== null && job.status !== 'SKIPPED' && (
          <span className="jp-MLOps-runDuration" title="Duration">
            {formatDuration(took)}
          </span>
        )}
        {active && (
          <ToolbarButtonComponent
            className="jp-MLOps-cancelJob"
            icon={stopIcon}
            tooltip={`Cancel job ${job.id} (stops its kernels)`}
            onClick={() => void cancel()}
          />
        )}
      </div>
      {job.error && (
        <div
          className={`jp-MLOps-runError ${job.status === 'SKIPPED' ? 'jp-mod-note' : ''}`}
          title={job.error}
        >
          {job.status !== 'SKIPPED' && (
            <errorIcon.react tag="span" className="jp-MLOps-runErrorIcon" />
          )}
          <span>{job.error}</span>
        </div>
      )}
      {error !== null && <div className="jp-MLOps-inlineError">{error}</div>}
      {(job.outputs.length > 0 || job.mlflow_run_id) && (
        <div className="jp-MLOps-stepLinks">
          {job.outputs.map(output => (
            <button
              key={output}
              className="jp-MLOps-link jp-MLOps-outputLink"
              title={`Open the executed notebook ${output}`}
              onClick={() => context.openFile(output)}
            >
              {baseName(output)}
            </button>
          ))}
          {job.mlflow_run_id && (
            <button
              className="jp-MLOps-link jp-MLOps-mlflowRun"
              title={`MLflow run ${job.mlflow_run_id} (click to copy the id)`}
              onClick={() => Clipboard.copyToSystem(job.mlflow_run_id ?? '')}
            >
              MLflow run {job.mlflow_run_id.slice(0, 8)}
            </button>
          )}
        </div>
      )}
    </li>
  );
}

function JobBadge(props: { status: JobStatus }): React.ReactElement {
  const status = props.status;
  const label = status.charAt(0) + status.slice(1).toLowerCase().replace(/_/g, ' ');
  return (
    <span className={`jp-MLOps-badge jp-mod-${status.toLowerCase().replace('_', '-')}`}>
      {label}
    </span>
  );
}

function triggerLabel(trigger: string): string {
  switch (trigger) {
    case 'cron':
      return 'scheduled';
    case 'manual':
      return 'run now';
    case 'catch-up':
      return 'catch-up';
    case 'missed':
      return 'missed';
    default:
      return trigger;
  }
}

// ---------------------------------------------------------------- the form

interface ITargetOption {
  path: string;
  label: string;
}

function ScheduleForm(props: {
  context: ISidebarContext;
  presets: ICronPreset[];
  onCancel: () => void;
  onCreated: (schedule: ISchedule) => void;
}): React.ReactElement {
  const { context } = props;
  const [pipelines, setPipelines] = useState<ITargetOption[]>([]);
  const [target, setTarget] = useState<string>(context.currentNotebook ?? '');
  const [name, setName] = useState('');
  const [cron, setCron] = useState('0 2 * * *');
  const [timezone, setTimezone] = useState(browserTimeZone);
  const [missed, setMissed] = useState<MissedPolicy>('skip');
  const [params, setParams] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const zones = useMemo(knownTimeZones, []);
  const zoneListId = useRef(`jp-MLOps-zones-${Math.random().toString(36).slice(2)}`);

  useEffect(() => {
    const controller = new AbortController();
    listPipelines({ signal: controller.signal }).then(
      value => {
        const options = value.pipelines
          .filter(pipeline => pipeline.error === null)
          .map(pipeline => ({ path: pipeline.path, label: `${pipeline.name} (${pipeline.path})` }));
        setPipelines(options);
        setTarget(current => current || options[0]?.path || '');
      },
      () => undefined // the select still offers the open notebook
    );
    return () => controller.abort();
  }, []);

  // The live preview: fetched a moment after the last change.
  const preview = useLoadable<ICronPreview>(
    signal => previewCron(cron, timezone, { signal }),
    [cron, timezone],
    { clear: true, delayMs: PREVIEW_DEBOUNCE_MS }
  );

  const options: ITargetOption[] = [];
  if (context.currentNotebook) {
    options.push({
      path: context.currentNotebook,
      label: `This notebook (${context.currentNotebook})`
    });
  }
  for (const option of pipelines) {
    if (option.path !== context.currentNotebook) {
      options.push(option);
    }
  }
  if (target && !options.some(option => option.path === target)) {
    options.unshift({ path: target, label: target });
  }

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      const created = await createSchedule({
        target,
        cron,
        timezone,
        missed,
        params: params
          .split('\n')
          .map(line => line.trim())
          .filter(line => line.length > 0),
        ...(name.trim() ? { name: name.trim() } : {})
      });
      props.onCreated(created);
    } catch (reason) {
      setError(messageOf(reason));
    } finally {
      setSubmitting(false);
    }
  };

  const isPipeline = /\.ya?ml$/.test(target);
  return (
    <form className="jp-MLOps-scheduleForm" aria-label="New schedule" onSubmit={submit}>
      <div className="jp-MLOps-formTitle">
        <span>New schedule</span>
        <ToolbarButtonComponent
          className="jp-MLOps-closeForm"
          icon={closeIcon}
          tooltip="Close"
          onClick={props.onCancel}
        />
      </div>
      <label className="jp-MLOps-field">
        <span>Run</span>
        <select
          className="jp-mod-styled jp-MLOps-targetSelect"
          value={target}
          onChange={event => setTarget(event.target.value)}
        >
          {options.length === 0 && <option value="">Open a notebook or add a pipeline</option>}
          {options.map(option => (
            <option key={option.path} value={option.path}>
              {option.label}
            </option>
          ))}
        </select>
      </label>
      <label className="jp-MLOps-field">
        <span>Name</span>
        <input
          className="jp-mod-styled jp-MLOps-nameInput"
          value={name}
          placeholder={target ? baseName(target).replace(/\.[^.]+$/, '') : 'schedule name'}
          onChange={event => setName(event.target.value)}
        />
      </label>
      <label className="jp-MLOps-field">
        <span>Cron</span>
        <input
          className="jp-mod-styled jp-MLOps-cronInput"
          value={cron}
          spellCheck={false}
          aria-invalid={preview.state === 'error'}
          placeholder="minute hour day month weekday [second]"
          onChange={event => setCron(event.target.value)}
        />
      </label>
      <div className="jp-MLOps-presets" role="group" aria-label="Cron presets">
        {props.presets.map(preset => (
          <button
            type="button"
            key={preset.cron}
            className={`jp-MLOps-preset ${preset.cron === cron.trim() ? 'jp-mod-selected' : ''}`}
            title={preset.cron}
            onClick={() => setCron(preset.cron)}
          >
            {preset.label}
          </button>
        ))}
      </div>
      <div className="jp-MLOps-preview" aria-live="polite">
        {preview.state === 'loading' && <span className="jp-MLOps-muted">Next runs…</span>}
        {preview.state === 'error' && (
          <div className="jp-MLOps-inlineError jp-MLOps-previewError">{preview.message}</div>
        )}
        {preview.state === 'ready' && (
          <>
            <span className="jp-MLOps-muted">Next runs ({preview.value.timezone})</span>
            <ol className="jp-MLOps-previewTimes">
              {preview.value.local.map((local, index) => (
                <li key={preview.value.next[index]}>
                  <span className="jp-MLOps-previewLocal">{local}</span>
                  <span className="jp-MLOps-muted">{preview.value.human[index]}</span>
                </li>
              ))}
            </ol>
          </>
        )}
      </div>
      <label className="jp-MLOps-field">
        <span>Time zone</span>
        <input
          className="jp-mod-styled jp-MLOps-zoneInput"
          value={timezone}
          list={zoneListId.current}
          spellCheck={false}
          onChange={event => setTimezone(event.target.value)}
        />
        <datalist id={zoneListId.current}>
          {zones.map(zone => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
      </label>
      <label className="jp-MLOps-field">
        <span>If missed</span>
        <select
          className="jp-mod-styled jp-MLOps-missedSelect"
          value={missed}
          title="What happens to ticks that pass while no scheduler runs"
          onChange={event => setMissed(event.target.value as MissedPolicy)}
        >
          <option value="skip">Skip them (recorded as skipped)</option>
          <option value="catch_up_once">Catch up once (run the latest)</option>
        </select>
      </label>
      <label className="jp-MLOps-field jp-MLOps-paramsField">
        <span>Parameters</span>
        <textarea
          className="jp-mod-styled jp-MLOps-paramsInput"
          value={params}
          rows={2}
          spellCheck={false}
          placeholder={isPipeline ? 'step.name=value, one per line' : 'name=value, one per line'}
          onChange={event => setParams(event.target.value)}
        />
      </label>
      {error !== null && <div className="jp-MLOps-inlineError jp-MLOps-formError">{error}</div>}
      <div className="jp-MLOps-formActions">
        <button type="button" className="jp-MLOps-button" onClick={props.onCancel}>
          Cancel
        </button>
        <button
          type="submit"
          className="jp-MLOps-button jp-mod-accept jp-MLOps-createSchedule"
          disabled={submitting || !target || preview.state === 'error'}
        >
          <span>Create schedule</span>
        </button>
      </div>
    </form>
  );
}
