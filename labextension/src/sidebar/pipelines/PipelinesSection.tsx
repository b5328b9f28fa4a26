import { addIcon } from '@jupyterlab/ui-components';
import React, { useCallback, useState } from 'react';

import {
  initPipeline,
  PipelineList,
  PipelineSummary,
  listPipelines
} from '../../api/pipelines';
import { isHTTPStatus } from '../../api/request';
import {
  Caret,
  ErrorMessage,
  Loading,
  SectionShell,
  StatusBadge
} from '../../components';
import { useAction, useLoadable } from '../../hooks';
import { ISectionProps, ISidebarContext } from '../Panel';
import { Breakable } from './Breakable';
import { PipelineDetail } from './PipelineDetail';
import { siblingPipeline } from './steps';

/**
 * The Pipelines section: the pipeline files under the server root; a selected one
 * shows its steps as a layered DAG, runs them and follows the run live.
 */
export function PipelinesSection(props: ISectionProps): React.ReactElement {
  const { context } = props;
  const [localToken, setLocalToken] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);
  const reloadToken = props.refreshToken + localToken;

  const list = useLoadable<PipelineList>(
    signal => listPipelines({ signal }),
    [reloadToken]
  );

  const reload = useCallback(() => setLocalToken(token => token + 1), []);
  const creation = useAction({ onSettled: reload });

  const createFromNotebook = () =>
    creation.run(async () => {
      const notebook = context.currentNotebook;
      if (!notebook) {
        return;
      }
      try {
        const created = await initPipeline(notebook);
        setSelected(created.path);
        context.openFile(created.path);
      } catch (reason) {
        if (!isHTTPStatus(reason, 409)) {
          throw reason;
        }
        // There is one already: show it rather than an error.
        setSelected(siblingPipeline(notebook));
      }
    });

  return (
    <SectionShell
      className="jp-MLOps-pipelines"
      what="pipelines"
      onRefresh={reload}
      toolbar={
        <button
          className="jp-MLOps-button jp-MLOps-createPipeline"
          aria-label="Create pipeline from this notebook"
          title={
            context.currentNotebook
              ? `Create pipeline.yaml beside ${context.currentNotebook}, with it as the first step`
              : 'Open a notebook to create a pipeline from it'
          }
          disabled={!context.currentNotebook || creation.busy}
          onClick={createFromNotebook}
        >
          <addIcon.react tag="span" className="jp-MLOps-buttonIcon" />
          <span>Pipeline from notebook</span>
        </button>
      }
    >
      {creation.error !== null && (
        <ErrorMessage message={creation.error} onRetry={createFromNotebook} />
      )}
      {list.state === 'loading' && <Loading />}
      {list.state === 'error' && (
        <ErrorMessage message={list.message} onRetry={reload} />
      )}
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
                  setSelected(current =>
                    current === pipeline.path ? null : pipeline.path
                  )
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
          Stopped searching early: the folder is large. Pipelines deeper down
          are not listed.
        </p>
      )}
    </SectionShell>
  );
}

function PipelineItem(props: {
  pipeline: PipelineSummary;
  expanded: boolean;
  onToggle: () => void;
  context: ISidebarContext;
  reloadToken: number;
  onRunEnded: () => void;
}): React.ReactElement {
  const { pipeline, expanded } = props;
  return (
    <li className="jp-MLOps-pipeline" data-path={pipeline.path}>
      <button
        className="jp-MLOps-pipelineHeader"
        aria-expanded={expanded}
        title={pipeline.path}
        onClick={props.onToggle}
      >
        <Caret open={expanded} />
        <span className="jp-MLOps-pipelineTitle">
          <span className="jp-MLOps-pipelineName">
            <Breakable text={pipeline.name} />
          </span>
          <span className="jp-MLOps-pipelinePath">
            <Breakable text={pipeline.path} />
          </span>
        </span>
        {pipeline.error !== null ? (
          <StatusBadge status="FAILED" label="Invalid" title={pipeline.error} />
        ) : (
          pipeline.last_run?.status && (
            <StatusBadge status={pipeline.last_run.status} />
          )
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

function NoPipelines(): React.ReactElement {
  return (
    <div className="jp-MLOps-empty">
      <p className="jp-MLOps-emptyTitle">No pipelines yet</p>
      <p>
        A pipeline chains notebooks; unchanged steps come from the cache. Open a
        notebook and use <b>Pipeline from notebook</b>, or write a{' '}
        <code>pipeline.yaml</code>.
      </p>
    </div>
  );
}
