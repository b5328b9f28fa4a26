import { addIcon } from '@jupyterlab/ui-components';
import React, { useCallback, useRef, useState } from 'react';

import {
  Deployment,
  listDeployments,
  StartedDeployment
} from '../../api/deployments';
import { ErrorMessage, Loading, SectionShell } from '../../components';
import { useLoadable, usePolling } from '../../hooks';
import { ISectionProps } from '../Panel';
import { DeploymentItem } from './DeploymentItem';
import { StartForm } from './StartForm';
import { TokenNotice } from './TokenNotice';

/** How often the section reloads while it is on screen. */
export const POLL_MS = 2500;

/**
 * Whether `element` is on screen: the page is shown and no ancestor is hidden
 * (another left-area panel, a collapsed section).
 */
function onScreen(element: HTMLElement | null): boolean {
  return (
    element !== null &&
    document.visibilityState === 'visible' &&
    element.offsetParent !== null
  );
}

/**
 * The Deployments section: running model endpoints (`mlops serve`) with the version
 * each role serves, requests/s, latency, error rate, A/B split and verdict, swaps
 * and last error; start one (its token shown once) or stop one.
 */
export function DeploymentsSection(props: ISectionProps): React.ReactElement {
  const [localToken, setLocalToken] = useState(0);
  const [idleTicks, setIdleTicks] = useState(0);
  const [starting, setStarting] = useState(false);
  const [started, setStarted] = useState<StartedDeployment | null>(null);
  const root = useRef<HTMLDivElement>(null);
  const reload = useCallback(() => setLocalToken(token => token + 1), []);

  const list = useLoadable<Deployment[]>(
    signal => listDeployments({ signal }),
    [props.refreshToken + localToken]
  );
  // Reload every few seconds while on screen; off screen, only look again later.
  usePolling(
    () => (onScreen(root.current) ? reload() : setIdleTicks(t => t + 1)),
    list.state === 'loading' ? null : POLL_MS,
    [list, idleTicks]
  );

  return (
    <div ref={root}>
      <SectionShell
        className="jp-MLOps-deployments"
        what="deployments"
        onRefresh={reload}
        toolbar={
          <button
            className="jp-MLOps-button jp-MLOps-newDeployment"
            aria-expanded={starting}
            title="Serve a registered model's alias on a loopback port"
            onClick={() => setStarting(!starting)}
          >
            <addIcon.react tag="span" className="jp-MLOps-buttonIcon" />
            <span>Start endpoint</span>
          </button>
        }
      >
        {starting && (
          <StartForm
            onCancel={() => setStarting(false)}
            onStarted={result => {
              setStarting(false);
              setStarted(result);
              reload();
            }}
          />
        )}
        {started && (
          <TokenNotice started={started} onDismiss={() => setStarted(null)} />
        )}
        {list.state === 'loading' && <Loading />}
        {list.state === 'error' && (
          <ErrorMessage message={list.message} onRetry={reload} />
        )}
        {list.state === 'ready' &&
          (list.value.length === 0 ? (
            <p className="jp-MLOps-empty">
              No running endpoints. Start one here or run{' '}
              <code>mlops serve MODEL@champion</code>.
            </p>
          ) : (
            <ul className="jp-MLOps-deploymentList">
              {list.value.map(deployment => (
                <DeploymentItem
                  key={deployment.id}
                  deployment={deployment}
                  onChanged={reload}
                />
              ))}
            </ul>
          ))}
      </SectionShell>
    </div>
  );
}
