import { ServerConnection } from '@jupyterlab/services';
import {
  addIcon,
  caretDownIcon,
  caretRightIcon,
  editIcon,
  errorIcon,
  fastForwardIcon,
  runIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import React, { useCallback, useEffect, useState } from 'react';

import {
  getPipeline,
  getPipelineRun,
  initPipeline,
  IPipelineDetail,
  IPipelineList,
  IPipelineRun,
  IPipelineSummary,
  IPlanStep,
  IRunStep,
  isRunOver,
  listPipelines,
  PipelineRunStatus,
  startPipelineRun,
  StepStatus
} from '../api';
import { baseName, formatAbsolute, formatDuration, formatRelative } from '../format';
import { ISectionProps, ISidebarContext } from './Panel';
import { ErrorMessage, Loading, RefreshButton } from './RunsSection';
import { messageOf, useLoadable } from './useLoadable';

/**
 * How often a running pipeline's status is fetched.
 */
const POLL_INTERVAL_MS = 1000;

/**
 * Step states in which the step has an MLflow run (a child of the pipeline's run).
 */
const HAS_MLFLOW_RUN: ReadonlySet<StepStatus> = new Set<StepStatus>([
  'RUNNING',
  'FINISHED',
  'CACHED',
  'FAILED',
  'TIMED_OUT',
  'KERNEL_DIED'
]);

/**
 * The Pipelines section: the pipeline files under the server root; a selected one
 * shows its steps as a layered DAG, runs them and follows the run live.
 */
export function PipelinesSection(props: ISectionProps): React.ReactElement {
  const { context } = props;
  const [localToken, setLocalToken] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const reloadToken = props.refreshToken + localToken;

  const list = useLoadable<IPipelineList>(signal => listPipelines({ signal }), [reloadToken]);

  const reload = useCallback(() => setLocalToken(token => token + 1), []);

  const createFromNotebook = async () => {
    const notebook = context.currentNotebook;
    if (!notebook) {
      return;
    }
    setCreating(true);
    setNotice(null);
    try {
      const created = await initPipeline(notebook);
      setSelected(created.path);
      context.openFile(created.path);
    } catch (reason) {
      if (reason instanceof ServerConnection.ResponseError && reason.response.status === 409) {
        // There is one already: show it rather than an error.
        setSelected(siblingPipeline(notebook));
      } else {
        setNotice(messageOf(reason));
      }
    } finally {
      setCreating(false);
      reload();
    }
  };

  return (
    <div className="jp-MLOps-pipelines">
      <div className="jp-MLOps-toolbar">
        <button
          className="jp-MLOps-button jp-MLOps-createPipeline"
          aria-label="Create pipeline from this notebook"
          title={
            context.currentNotebook
              ? `Create pipeline.yaml beside ${context.currentNotebook}, with it as the first step`
              : 'Open a notebook to create a pipeline from it'
          }
          disabled={!context.currentNotebook || creating}
          onClick={createFromNotebook}
        >
          <addIcon.react tag="span" className="jp-MLOps-buttonIcon" />
          <span>Pipeline from notebook</span>
        </button>
        <RefreshButton what="pipelines" onClick={reload} />
      </div>
      {notice !== null && <ErrorMessage message={notice} onRetry={createFromNotebook} />}
      {list.state === 'loading' && <Loading />}
      {list.state === 'error' && <ErrorMessage message={list.message} onRetry={reload} />}
      {list.state === 'ready' &&
        (list.value.pipelines.length === 0 ? (
          <NoPipelines />
        ) : (
          <ul className="jp-MLOps-pipelineList">
            {list.value.pipelines.map(pipeline => (
              <PipelineItem
                key={pipeline.path}
                pipeline={pipeline}
                expanded={selected === pipeline.path}
                onToggle={() =>
                  setSelected(current => (current === pipeline.path ? null : pipeline.path))
                }
                context={context}
                reloadToken={reloadToken}
                onRunEnded={reload}
              />
            ))}
          </ul>
        ))}
      {list.state === 'ready' && list.value.truncated && (
        <p className="jp-MLOps-note">
          Stopped searching early: the folder is large. Pipelines deeper down are not listed.
        </p>
      )}
    </div>
  );
}

function PipelineItem(props: {
  pipeline: IPipelineSummary;
  expanded: boolean;
  onToggle: () => void;
  context: ISidebarContext;
  reloadToken: number;
  onRunEnded: () => void;
}): React.ReactElement {
  const { pipeline, expanded } = props;
  const Caret = expanded ? caretDownIcon : caretRightIcon;
  return (
    <li className="jp-MLOps-pipeline" data-path={pipeline.path}>
      <button
        className="jp-MLOps-pipelineHeader"
        aria-expanded={expanded}
        title={pipeline.path}
        onClick={props.onToggle}
      >
        <Caret.react tag="span" className="jp-MLOps-caret" />
        <span className="jp-MLOps-pipelineName">{pipeline.name}</span>
        <span className="jp-MLOps-pipelinePath">{pipeline.path}</span>
        {pipeline.error !== null ? (
          <span className="jp-MLOps-badge jp-mod-failed" title={pipeline.error}>
            Invalid
          </span>
        ) : (
          pipeline.last_run && <StatusBadge status={pipeline.last_run.status} />
        )}
      </button>
      {expanded && (
        <PipelineDetail
          path={pipeline.path}
          context={props.context}
          reloadToken={props.reloadToken}
          onRunEnded={props.onRunEnded}
        />
      )}
    </li>
  );
}

/**
 * Follows run `runId` every second until it is over.
 */
function useRunPolling(
  path: string,
  runId: string | null,
  onUpdate: (run: IPipelineRun) => void,
  onError: (message: string) => void
): void {
  useEffect(() => {
    if (runId === null) {
      return;
    }
    const controller = new AbortController();
    let timer: number | undefined;
    const tick = () => {
      getPipelineRun(runId, path, { signal: controller.signal }).then(
        run => {
          if (controller.signal.aborted) {
            return;
          }
          onUpdate(run);
          if (!isRunOver(run.status)) {
            timer = window.setTimeout(tick, POLL_INTERVAL_MS);
          }
        },
        reason => {
          if (!controller.signal.aborted) {
            onError(messageOf(reason));
          }
        }
      );
    };
    tick();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [path, runId]);
}

function PipelineDetail(props: {
  path: string;
  context: ISidebarContext;
  reloadToken: number;
  onRunEnded: () => void;
}): React.ReactElement {
  const { path, context, onRunEnded } = props;
  const [detailToken, setDetailToken] = useState(0);
  const [pollId, setPollId] = useState<string | null>(null);
  const [run, setRun] = useState<IPipelineRun | null>(null);
  const [runError, setRunError] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);

  const detail = useLoadable<IPipelineDetail>(
    signal => getPipeline(path, { signal }),
    [path, detailToken, props.reloadToken],
    {
      onLoaded: value => {
        if (value.active_run) {
          setPollId(value.active_run); // resume following a run started earlier
        }
      }
    }
  );

  const onUpdate = useCallback(
    (value: IPipelineRun) => {
      setRun(value);
      if (isRunOver(value.status)) {
        setPollId(null);
        onRunEnded(); // reloads the list and, through reloadToken, this detail
      }
    },
    [onRunEnded]
  );
  useRunPolling(path, pollId, onUpdate, message => {
    setRunError(message);
    setPollId(null);
  });

  const start = async (force: boolean) => {
    setStarting(true);
    setRunError(null);
    try {
      const runId = await startPipelineRun({ path, force });
      setRun(null);
      setPollId(runId);
    } catch (reason) {
      setRunError(messageOf(reason));
      setDetailToken(token => token + 1);
    } finally {
      setStarting(false);
    }
  };

  if (detail.state === 'loading') {
    return <Loading />;
  }
  if (detail.state === 'error') {
    return (
      <div className="jp-MLOps-pipelineBody">
        <ErrorMessage
          message={detail.message}
          onRetry={() => setDetailToken(token => token + 1)}
        />
        <button className="jp-MLOps-link" onClick={() => context.openFile(path)}>
          Open {baseName(path)}
        </button>
      </div>
    );
  }
  const value = detail.value;
  const shown = run ?? value.last_run;
  const running = pollId !== null || starting;
  const live = running && shown !== null && !isRunOver(shown.status);
  const runSteps = new Map<string, IRunStep>((shown?.steps ?? []).map(s => [s.name, s]));

  return (
    <div className="jp-MLOps-pipelineBody">
      <div className="jp-MLOps-pipelineActions">
        <button
          className="jp-MLOps-button jp-mod-accept jp-MLOps-run-button"
          disabled={running}
          title="Run the pipeline; steps whose inputs did not change are taken from the cache"
          onClick={() => start(false)}
        >
          <runIcon.react tag="span" className="jp-MLOps-buttonIcon" />
          <span>Run</span>
        </button>
        <button
          className="jp-MLOps-button jp-MLOps-force-button"
          disabled={running}
          title="Run every step again, ignoring the cache"
          onClick={() => start(true)}
        >
          <fastForwardIcon.react tag="span" className="jp-MLOps-buttonIcon" />
          <span>Run (ignore cache)</span>
        </button>
        <ToolbarButtonComponent
          className="jp-MLOps-openSpec"
          icon={editIcon}
          tooltip={`Edit ${value.path}`}
          onClick={() => context.openFile(value.path)}
        />
      </div>
      {runError !== null && (
        <ErrorMessage message={runError} onRetry={() => setDetailToken(t => t + 1)} />
      )}
      <RunSummary
        run={shown}
        pending={running && shown === null}
        experiment={value.experiment}
      />
      <ol className="jp-MLOps-dag" aria-label={`Steps of ${value.name}`}>
        {layers(value.steps).map((stage, index) => (
          <li className="jp-MLOps-stage" key={index}>
            {index > 0 && (
              <div className="jp-MLOps-stageArrow" aria-hidden="true">
                <span />
              </div>
            )}
            <ul className="jp-MLOps-stageSteps">
              {stage.map(step => (
                <StepItem
                  key={step.name}
                  step={step}
                  run={runSteps.get(step.name) ?? null}
                  live={live}
                  pending={running && shown === null}
                  pipelineRun={shown}
                  experiment={value.experiment}
                  context={context}
                />
              ))}
            </ul>
          </li>
        ))}
      </ol>
    </div>
  );
}

function RunSummary(props: {
  run: IPipelineRun | null;
  pending: boolean;
  experiment: string;
}): React.ReactElement {
  const { run } = props;
  if (run === null) {
    return (
      <div className="jp-MLOps-runSummary">
        {props.pending ? (
          <StatusBadge status="PENDING" />
        ) : (
          <span className="jp-MLOps-muted">Never run</span>
        )}
        <span className="jp-MLOps-muted" title="MLflow experiment of the pipeline's runs">
          MLflow experiment <b>{props.experiment}</b>
        </span>
      </div>
    );
  }
  const over = isRunOver(run.status);
  const took =
    run.started !== null
      ? (over && run.ended !== null ? run.ended : Date.now() / 1000) - run.started
      : null;
  const counts = countSteps(run);
  return (
    <div className="jp-MLOps-runSummary" data-run-id={run.run_id} data-status={run.status}>
      <div className="jp-MLOps-runSummaryLine">
        <StatusBadge status={run.status} />
        <span className="jp-MLOps-runSummaryId" title={`Run ${run.run_id}`}>
          {over ? 'Last run' : 'Running'}
          {run.started !== null && (
            <time className="jp-MLOps-muted" title={formatAbsolute(run.started * 1000)}>
              {' · started '}
              {formatRelative(run.started * 1000)}
            </time>
          )}
        </span>
        {took !== null && <span className="jp-MLOps-runDuration">{formatDuration(took)}</span>}
      </div>
      {counts && <div className="jp-MLOps-muted jp-MLOps-runCounts">{counts}</div>}
      {run.error && (
        <div className="jp-MLOps-runError" title={run.error}>
          <errorIcon.react tag="span" className="jp-MLOps-runErrorIcon" />
          <span>{run.error}</span>
        </div>
      )}
      <span
        className="jp-MLOps-muted"
        title={`MLflow run "${run.pipeline ?? ''} ${run.run_id}" with one child run per step`}
      >
        MLflow experiment <b>{run.experiment ?? props.experiment}</b>
      </span>
    </div>
  );
}

function StepItem(props: {
  step: IPlanStep;
  run: IRunStep | null;
  live: boolean;
  pending: boolean;
  pipelineRun: IPipelineRun | null;
  experiment: string;
  context: ISidebarContext;
}): React.ReactElement {
  const { step, run, context } = props;
  const status: StepStatus | null = props.pending ? 'PENDING' : run?.status ?? null;
  const output = run?.output_notebook_path ?? (run ? null : step.last_output_notebook_path);
  const invalid = step.cache.startsWith('invalid');
  const duration =
    run && run.status !== 'CACHED' && run.status !== 'SKIPPED' && run.started !== null
      ? run.duration ?? (run.status === 'RUNNING' ? Date.now() / 1000 - run.started : null)
      : null;
  const mlflowTitle = props.pipelineRun
    ? `MLflow experiment "${props.experiment}", run "${step.name}" (child of ` +
      `"${props.pipelineRun.pipeline ?? ''} ${props.pipelineRun.run_id}")`
    : `MLflow experiment "${props.experiment}", run "${step.name}"`;

  return (
    <li
      className="jp-MLOps-step"
      data-step={step.name}
      data-status={status ?? 'NONE'}
      title={step.notebook}
    >
      <div className="jp-MLOps-stepHeader">
        {status !== null ? (
          <StatusBadge status={status} />
        ) : (
          <span className="jp-MLOps-badge jp-mod-none">Not run</span>
        )}
        <span className="jp-MLOps-stepName">{step.name}</span>
        {duration !== null && (
          <span className="jp-MLOps-runDuration" title="Duration">
            {formatDuration(duration)}
          </span>
        )}
      </div>
      <div className="jp-MLOps-stepMeta">
        {step.needs.length > 0 && (
          <span className="jp-MLOps-needs" title="Runs after these steps">
            ← {step.needs.join(', ')}
          </span>
        )}
        <button
          className="jp-MLOps-link jp-MLOps-sourceLink"
          title={`Open ${step.notebook_path}`}
          onClick={() => context.openFile(step.notebook_path)}
        >
          {baseName(step.notebook)}
        </button>
        {!props.live && !(status === 'CACHED' && step.cache === 'cached') && (
          <span
            className={`jp-MLOps-cache ${
              invalid ? 'jp-mod-invalid' : step.cache === 'cached' ? 'jp-mod-cached' : ''
            }`}
            title={invalid ? step.cache : 'What a run would do now'}
          >
            {invalid ? 'invalid' : step.cache}
          </span>
        )}
      </div>
      {run?.error && (
        <div className="jp-MLOps-runError" title={errorLine(run)}>
          <errorIcon.react tag="span" className="jp-MLOps-runErrorIcon" />
          <span>{errorLine(run)}</span>
        </div>
      )}
      {!run?.error && run?.reason && run.status !== 'NOT_SELECTED' && (
        <div className="jp-MLOps-stepReason">{run.reason}</div>
      )}
      {(output || run) && (
        <div className="jp-MLOps-stepLinks">
          {output && (
            <button
              className="jp-MLOps-link jp-MLOps-outputLink"
              title={`Open the executed notebook ${output}`}
              onClick={() => context.openFile(output)}
            >
              Output notebook
            </button>
          )}
          {run && HAS_MLFLOW_RUN.has(run.status) && (
            <span className="jp-MLOps-mlflow" title={mlflowTitle}>
              MLflow: {props.experiment} › {step.name}
            </span>
          )}
        </div>
      )}
    </li>
  );
}

function StatusBadge(props: {
  status: StepStatus | PipelineRunStatus;
}): React.ReactElement {
  const status = props.status;
  return (
    <span className={`jp-MLOps-badge jp-mod-${status.toLowerCase().replace('_', '-')}`}>
      {statusLabel(status)}
    </span>
  );
}

function NoPipelines(): React.ReactElement {
  return (
    <div className="jp-MLOps-empty">
      <p className="jp-MLOps-emptyTitle">No pipelines yet</p>
      <p>
        A pipeline chains notebooks; unchanged steps come from the cache. Open a notebook
        and use <b>Pipeline from notebook</b>, or write a <code>pipeline.yaml</code>.
      </p>
    </div>
  );
}

/**
 * Steps grouped by depth in the DAG: a step is one stage after its deepest need.
 */
function layers(steps: IPlanStep[]): IPlanStep[][] {
  const depth = new Map<string, number>();
  const stages: IPlanStep[][] = [];
  for (const step of steps) {
    // The server lists steps in a topological order, so needs come first.
    const level = step.needs.reduce(
      (deepest, need) => Math.max(deepest, (depth.get(need) ?? -1) + 1),
      0
    );
    depth.set(step.name, level);
    (stages[level] ??= []).push(step);
  }
  return stages.filter(stage => stage !== undefined);
}

function countSteps(run: IPipelineRun): string {
  const counts = new Map<string, number>();
  for (const step of run.steps) {
    if (step.status !== 'NOT_SELECTED') {
      const label = statusLabel(step.status).toLowerCase();
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
  }
  return [...counts.entries()].map(([label, n]) => `${n} ${label}`).join(' · ');
}

function errorLine(step: IRunStep): string {
  const error = step.error;
  if (!error) {
    return '';
  }
  const where =
    error.cell_index !== undefined && error.cell_index !== null
      ? `cell ${error.cell_index}: `
      : '';
  return `${where}${error.ename ?? 'Error'}: ${error.evalue ?? ''}`.trim();
}

function statusLabel(status: string): string {
  const words = status.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * `dir/notebook.ipynb` → `dir/pipeline.yaml`.
 */
function siblingPipeline(notebook: string): string {
  const slash = notebook.lastIndexOf('/');
  return slash < 0 ? 'pipeline.yaml' : `${notebook.slice(0, slash)}/pipeline.yaml`;
}
