import {
  editIcon,
  fastForwardIcon,
  runIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import React, { useEffect, useState } from 'react';

import {
  getPipeline,
  getPipelineRun,
  isRunOver,
  PipelineDetail as Detail,
  PipelineRun,
  PipelineRunRequest,
  RunStep,
  startPipelineRun
} from '../../api/pipelines';
import { ErrorMessage, Loading } from '../../components';
import { useAction, useLoadable, usePolling } from '../../hooks';
import { baseName } from '../../format';
import { ISidebarContext } from '../Panel';
import { RunDialog } from './RunDialog';
import { RunHistory } from './RunHistory';
import { RunSummary } from './RunSummary';
import { StepItem } from './StepItem';
import { layers } from './steps';

/**
 * How often a running pipeline's status is fetched.
 */
const POLL_INTERVAL_MS = 1000;

/**
 * An expanded pipeline: run buttons, the shown run and its steps as a layered DAG;
 * a run started here (or still going on) is followed live.
 */
export function PipelineDetail(props: {
  path: string;
  context: ISidebarContext;
  reloadToken: number;
  onRunEnded: () => void;
}): React.ReactElement {
  const { path, context, onRunEnded } = props;
  const [detailToken, setDetailToken] = useState(0);
  const [pollId, setPollId] = useState<string | null>(null);
  const [run, setRun] = useState<PipelineRun | null>(null);
  const [runError, setRunError] = useState<string | null>(null);
  const starter = useAction();
  const [dialog, setDialog] = useState(false);
  const [historyToken, setHistoryToken] = useState(0);

  const detail = useLoadable<Detail>(
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

  // The followed run, fetched again every second until it is over.
  const [pollToken, setPollToken] = useState(0);
  const followed = useLoadable<PipelineRun | null>(
    signal =>
      pollId === null
        ? Promise.resolve(null)
        : getPipelineRun(pollId, path, { signal }),
    [path, pollId, pollToken],
    {
      onLoaded: value => {
        if (value === null) {
          return;
        }
        setRun(value);
        if (isRunOver(value.status)) {
          setPollId(null);
          setHistoryToken(token => token + 1);
          onRunEnded(); // reloads the list and, through reloadToken, this detail
        }
      }
    }
  );
  useEffect(() => {
    if (followed.state === 'error') {
      setRunError(followed.message);
      setPollId(null);
    }
  }, [followed]);
  const following =
    pollId !== null &&
    followed.state === 'ready' &&
    followed.value !== null &&
    !isRunOver(followed.value.status);
  usePolling(
    () => setPollToken(token => token + 1),
    following ? POLL_INTERVAL_MS : null,
    [followed]
  );

  const start = (request: PipelineRunRequest, fromDialog = false) =>
    starter.run(async () => {
      setRunError(null);
      try {
        const runId = await startPipelineRun(request);
        setRun(null);
        setPollId(runId);
        setDialog(false);
        setHistoryToken(token => token + 1);
      } catch (reason) {
        if (fromDialog) {
          throw reason; // shown in the dialog, beside what was typed
        }
        setDetailToken(token => token + 1);
        throw reason;
      }
    });

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
        <button
          className="jp-MLOps-link"
          onClick={() => context.openFile(path)}
        >
          Open {baseName(path)}
        </button>
      </div>
    );
  }
  const value = detail.value;
  const shown = run ?? value.last_run;
  const running = pollId !== null || starter.busy;
  const live = running && shown !== null && !isRunOver(shown.status);
  const shownError = (dialog ? null : starter.error) ?? runError;
  const runSteps = new Map<string, RunStep>(
    (shown?.steps ?? []).map(s => [s.name, s])
  );

  return (
    <div className="jp-MLOps-pipelineBody">
      <div className="jp-MLOps-pipelineActions">
        <button
          className="jp-MLOps-button jp-mod-accept jp-MLOps-run-button"
          disabled={running}
          title="Run the pipeline; steps whose inputs did not change are taken from the cache"
          onClick={() => start({ path, force: false })}
        >
          <runIcon.react tag="span" className="jp-MLOps-buttonIcon" />
          <span>Run</span>
        </button>
        <button
          className="jp-MLOps-button jp-MLOps-force-button"
          disabled={running}
          title="Run every step again, ignoring the cache"
          onClick={() => start({ path, force: true })}
        >
          <fastForwardIcon.react tag="span" className="jp-MLOps-buttonIcon" />
          <span>Run (ignore cache)</span>
        </button>
        <button
          className="jp-MLOps-button jp-MLOps-runDialogButton"
          disabled={running}
          aria-expanded={dialog}
          title="Choose parameters and which steps to run (--from, --only)"
          onClick={() => setDialog(open => !open)}
        >
          <span>Run with options…</span>
        </button>
        <ToolbarButtonComponent
          className="jp-MLOps-openSpec"
          icon={editIcon}
          tooltip={`Edit ${value.path}`}
          onClick={() => context.openFile(value.path)}
        />
      </div>
      {dialog && (
        <RunDialog
          detail={value}
          busy={running}
          error={starter.error}
          onStart={request => start(request, true)}
          onCancel={() => setDialog(false)}
        />
      )}
      {shownError !== null && (
        <ErrorMessage
          message={shownError}
          onRetry={() => setDetailToken(t => t + 1)}
        />
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
      <RunHistory
        path={path}
        reloadToken={props.reloadToken + historyToken}
        context={context}
      />
    </div>
  );
}
