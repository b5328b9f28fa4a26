import { closeIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import React, { useEffect, useMemo, useRef, useState } from 'react';

import {
  createSchedule,
  CronPreset,
  CronPreview,
  listScheduleTargets,
  Schedule,
  MissedPolicy,
  previewCron
} from '../../api/schedules';
import { Field } from '../../components';
import { baseName } from '../../format';
import { useAction, useLoadable } from '../../hooks';
import { ISidebarContext } from '../Panel';
import { browserTimeZone, knownTimeZones, PREVIEW_DEBOUNCE_MS } from './timing';

// ---------------------------------------------------------------- the form

interface ITargetOption {
  path: string;
  label: string;
  kind: 'pipeline' | 'monitor' | 'notebook';
}

/**
 * The form of a new schedule, with a live preview of the cron expression.
 */
export function ScheduleForm(props: {
  context: ISidebarContext;
  presets: CronPreset[];
  onCancel: () => void;
  onCreated: (schedule: Schedule) => void;
}): React.ReactElement {
  const { context } = props;
  const [pipelines, setPipelines] = useState<ITargetOption[]>([]);
  const [target, setTarget] = useState<string>(context.currentNotebook ?? '');
  const [name, setName] = useState('');
  const [cron, setCron] = useState('0 2 * * *');
  const [timezone, setTimezone] = useState(browserTimeZone);
  const [missed, setMissed] = useState<MissedPolicy>('skip');
  const [params, setParams] = useState('');
  const submission = useAction();
  const zones = useMemo(knownTimeZones, []);
  const zoneListId = useRef(
    `jp-MLOps-zones-${Math.random().toString(36).slice(2)}`
  );

  useEffect(() => {
    const controller = new AbortController();
    listScheduleTargets({ signal: controller.signal }).then(
      value => {
        // Pipelines first, then the drift checks (monitor files).
        const options: ITargetOption[] = [...value.targets]
          .sort((a, b) =>
            a.kind === b.kind ? 0 : a.kind === 'pipeline' ? -1 : 1
          )
          .map(item => ({
            path: item.path,
            kind: item.kind,
            label:
              item.kind === 'monitor'
                ? `Drift check ${item.name} (${item.path})`
                : `${item.name} (${item.path})`
          }));
        setPipelines(options);
        setTarget(current => current || options[0]?.path || '');
      },
      () => undefined // the select still offers the open notebook
    );
    return () => controller.abort();
  }, []);

  // The live preview: fetched a moment after the last change.
  const preview = useLoadable<CronPreview>(
    signal => previewCron(cron, timezone, { signal }),
    [cron, timezone],
    { clear: true, delayMs: PREVIEW_DEBOUNCE_MS }
  );

  const options: ITargetOption[] = [];
  if (context.currentNotebook) {
    options.push({
      path: context.currentNotebook,
      label: `This notebook (${context.currentNotebook})`,
      kind: 'notebook'
    });
  }
  for (const option of pipelines) {
    if (option.path !== context.currentNotebook) {
      options.push(option);
    }
  }
  if (target && !options.some(option => option.path === target)) {
    options.unshift({
      path: target,
      label: target,
      kind: /\.ipynb$/.test(target) ? 'notebook' : 'pipeline'
    });
  }

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    void submission.run(async () => {
      const created = await createSchedule({
        target,
        cron,
        timezone,
        missed,
        params: isMonitor
          ? []
          : params
              .split('\n')
              .map(line => line.trim())
              .filter(line => line.length > 0),
        ...(name.trim() ? { name: name.trim() } : {})
      });
      props.onCreated(created);
    });
  };

  const chosen = options.find(option => option.path === target);
  const isMonitor = chosen?.kind === 'monitor';
  const isPipeline = !isMonitor && /\.ya?ml$/.test(target);
  return (
    <form
      className="jp-MLOps-scheduleForm"
      aria-label="New schedule"
      onSubmit={submit}
    >
      <div className="jp-MLOps-formTitle">
        <span>New schedule</span>
        <ToolbarButtonComponent
          className="jp-MLOps-closeForm"
          icon={closeIcon}
          tooltip="Close"
          onClick={props.onCancel}
        />
      </div>
      <Field label="Run">
        <select
          className="jp-mod-styled jp-MLOps-targetSelect"
          value={target}
          onChange={event => setTarget(event.target.value)}
        >
          {options.length === 0 && (
            <option value="">Open a notebook or add a pipeline</option>
          )}
          {options.map(option => (
            <option key={option.path} value={option.path}>
              {option.label}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Name">
        <input
          className="jp-mod-styled jp-MLOps-nameInput"
          value={name}
          placeholder={
            target ? baseName(target).replace(/\.[^.]+$/, '') : 'schedule name'
          }
          onChange={event => setName(event.target.value)}
        />
      </Field>
      <Field label="Cron">
        <input
          className="jp-mod-styled jp-MLOps-cronInput"
          value={cron}
          spellCheck={false}
          aria-invalid={preview.state === 'error'}
          placeholder="minute hour day month weekday [second]"
          onChange={event => setCron(event.target.value)}
        />
      </Field>
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
        {preview.state === 'loading' && (
          <span className="jp-MLOps-muted">Next runs…</span>
        )}
        {preview.state === 'error' && (
          <div className="jp-MLOps-inlineError jp-MLOps-previewError">
            {preview.message}
          </div>
        )}
        {preview.state === 'ready' && (
          <>
            <span className="jp-MLOps-muted">
              Next runs ({preview.value.timezone})
            </span>
            <ol className="jp-MLOps-previewTimes">
              {preview.value.local.map((local, index) => (
                <li key={preview.value.next[index]}>
                  <span className="jp-MLOps-previewLocal">{local}</span>
                  <span className="jp-MLOps-muted">
                    {preview.value.human[index]}
                  </span>
                </li>
              ))}
            </ol>
          </>
        )}
      </div>
      <Field label="Time zone">
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
      </Field>
      <Field label="If missed">
        <select
          className="jp-mod-styled jp-MLOps-missedSelect"
          value={missed}
          title="What happens to ticks that pass while no scheduler runs"
          onChange={event => setMissed(event.target.value as MissedPolicy)}
        >
          <option value="skip">Skip them (recorded as skipped)</option>
          <option value="catch_up_once">Catch up once (run the latest)</option>
        </select>
      </Field>
      {isMonitor ? (
        <p className="jp-MLOps-muted jp-MLOps-monitorNote">
          A drift check of the monitor file: its model, data and rules come from
          the file (no parameters).
        </p>
      ) : (
        <Field label="Parameters" className="jp-MLOps-paramsField">
          <textarea
            className="jp-mod-styled jp-MLOps-paramsInput"
            value={params}
            rows={2}
            spellCheck={false}
            placeholder={
              isPipeline
                ? 'step.name=value, one per line'
                : 'name=value, one per line'
            }
            onChange={event => setParams(event.target.value)}
          />
        </Field>
      )}
      {submission.error !== null && (
        <div className="jp-MLOps-inlineError jp-MLOps-formError">
          {submission.error}
        </div>
      )}
      <div className="jp-MLOps-formActions">
        <button
          type="button"
          className="jp-MLOps-button"
          onClick={props.onCancel}
        >
          Cancel
        </button>
        <button
          type="submit"
          className="jp-MLOps-button jp-mod-accept jp-MLOps-createSchedule"
          disabled={submission.busy || !target || preview.state === 'error'}
        >
          <span>Create schedule</span>
        </button>
      </div>
    </form>
  );
}
