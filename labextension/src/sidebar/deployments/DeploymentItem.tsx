import { Dialog, showDialog } from '@jupyterlab/apputils';
import React from 'react';

import {
  Deployment,
  stopDeployment,
  Swap,
  VariantStats
} from '../../api/deployments';
import { formatAbsolute, formatRelative } from '../../format';
import { useAction } from '../../hooks';

/** The roles an endpoint serves, in the order they are shown. */
const ROLES = ['champion', 'challenger', 'shadow'];
/** Swaps shown per endpoint. */
const SWAPS_SHOWN = 3;

function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) {
    return '–';
  }
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

function percent(value: number | null | undefined): string {
  if (value === null || value === undefined) {
    return '–';
  }
  return value === 0 ? '0%' : `${(value * 100).toFixed(value < 0.01 ? 2 : 1)}%`;
}

function rate(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : value.toFixed(1);
}

function epochMs(seconds: number | null | undefined): number | null {
  return seconds === null || seconds === undefined ? null : seconds * 1000;
}

/**
 * One running endpoint: its URL, versions per role, live stats, A/B verdict, recent
 * swaps, last error, and a Stop button (confirmed).
 */
export function DeploymentItem(props: {
  deployment: Deployment;
  onChanged: () => void;
}): React.ReactElement {
  const { deployment } = props;
  const stopping = useAction({ onSettled: props.onChanged });
  const roles = ROLES.filter(role => deployment.versions[role]);
  const all: VariantStats | undefined = deployment.stats['all'];
  const perVariant = roles.filter(
    role => role !== 'champion' && deployment.stats[role]
  );

  const stop = async () => {
    const answer = await showDialog({
      title: `Stop endpoint ${deployment.id}?`,
      body: `${deployment.url ?? ''} stops answering; its inference log is flushed first.`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Stop' })]
    });
    if (answer.button.accept) {
      await stopping.run(() => stopDeployment(deployment.id));
    }
  };

  return (
    <li className="jp-MLOps-deployment" data-id={deployment.id}>
      <div className="jp-MLOps-deploymentHeader">
        <span className="jp-MLOps-modelName">{deployment.model}</span>
        <code className="jp-MLOps-deploymentUrl" title="The endpoint's URL">
          {deployment.url}
        </code>
        <button
          className="jp-MLOps-button jp-MLOps-stopDeployment"
          disabled={stopping.busy}
          title={`Stop ${deployment.id}`}
          onClick={() => void stop()}
        >
          {stopping.busy ? 'Stopping…' : 'Stop'}
        </button>
      </div>
      <ul className="jp-MLOps-deploymentRoles" aria-label="Versions served">
        {roles.length === 0 && (
          <li className="jp-MLOps-muted">loading the model…</li>
        )}
        {roles.map(role => {
          const served = deployment.versions[role];
          return (
            <li key={role} data-role={role} className="jp-MLOps-deploymentRole">
              <span
                className={`jp-MLOps-aliasBadge jp-MLOps-roleBadge jp-mod-${role}`}
              >
                {role}
              </span>{' '}
              <span className="jp-MLOps-servedVersion">
                @{served.alias} v{served.version}
              </span>
              {role === 'challenger' && (
                <span className="jp-MLOps-note">
                  {' '}
                  · {Math.round(deployment.split * 100)}% of traffic
                </span>
              )}
              {role === 'shadow' && (
                <span className="jp-MLOps-note">
                  {' '}
                  · sees a copy, answers none
                </span>
              )}
            </li>
          );
        })}
      </ul>
      <div className="jp-MLOps-deploymentStats" aria-label="Live stats">
        <Stat label="req/s" value={rate(all?.rps)} />
        <Stat label="p50" value={ms(all?.p50_ms)} />
        <Stat label="p95" value={ms(all?.p95_ms)} />
        <Stat
          label="errors"
          value={percent(all?.error_rate)}
          alarm={(all?.error_rate ?? 0) > 0}
        />
      </div>
      {perVariant.length > 0 && (
        <table className="jp-MLOps-variantTable">
          <thead>
            <tr>
              <th>variant</th>
              <th>req/s</th>
              <th>p50</th>
              <th>p95</th>
              <th>errors</th>
            </tr>
          </thead>
          <tbody>
            {['champion', ...perVariant]
              .filter(role => deployment.stats[role])
              .map(role => (
                <tr key={role} data-role={role}>
                  <td>{role}</td>
                  <td>{rate(deployment.stats[role].rps)}</td>
                  <td>{ms(deployment.stats[role].p50_ms)}</td>
                  <td>{ms(deployment.stats[role].p95_ms)}</td>
                  <td>{percent(deployment.stats[role].error_rate)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
      {deployment.ab && (
        <p
          className="jp-MLOps-note jp-MLOps-abVerdict"
          data-winner={String(deployment.ab['winner'] ?? '')}
        >
          {abLine(deployment.ab)}
        </p>
      )}
      {deployment.swaps.length > 0 && (
        <ul className="jp-MLOps-swaps" aria-label="Recent swaps">
          {deployment.swaps.slice(0, SWAPS_SHOWN).map((swap, index) => (
            <SwapLine key={`${swap.time}-${index}`} swap={swap} />
          ))}
        </ul>
      )}
      {deployment.last_error && (
        <p className="jp-MLOps-deploymentError" role="alert">
          {deployment.last_error}
        </p>
      )}
      {stopping.error && (
        <p className="jp-MLOps-deploymentError" role="alert">
          {stopping.error}
        </p>
      )}
      <p className="jp-MLOps-muted jp-MLOps-deploymentMeta">
        {deployment.id}
        {deployment.workers ? ` · ${deployment.workers} worker(s)` : ''}
        {deployment.started
          ? ` · started ${formatRelative(epochMs(deployment.started))}`
          : ''}
        {deployment.window_s ? ` · stats over ${deployment.window_s} s` : ''}
      </p>
    </li>
  );
}

/**
 * The live A/B verdict in one line: `A/B: challenger better (p = 0.012)`, from
 * serving.ab.compare's `{verdict, test: {p_value}, shadow: {agreement}}`.
 */
export function abLine(ab: { [key: string]: unknown }): string {
  const test = (ab['test'] ?? ab['shadow']) as {
    [key: string]: unknown;
  } | null;
  const parts = [String(ab['verdict'] ?? 'no verdict')];
  if (test && typeof test['p_value'] === 'number') {
    parts.push(`p = ${test['p_value'].toPrecision(2)}`);
  }
  if (test && typeof test['agreement'] === 'number') {
    parts.push(`${Math.round(test['agreement'] * 100)}% agreement`);
  }
  return `A/B: ${parts[0]}${parts.length > 1 ? ` (${parts.slice(1).join(', ')})` : ''}`;
}

function Stat(props: {
  label: string;
  value: string;
  alarm?: boolean;
}): React.ReactElement {
  return (
    <span
      className={props.alarm ? 'jp-MLOps-stat jp-mod-alarm' : 'jp-MLOps-stat'}
      data-stat={props.label}
    >
      <span className="jp-MLOps-statValue">{props.value}</span>
      <span className="jp-MLOps-statLabel">{props.label}</span>
    </span>
  );
}

function SwapLine(props: { swap: Swap }): React.ReactElement {
  const { swap } = props;
  const refused = swap.outcome === 'refused';
  return (
    <li
      className={refused ? 'jp-MLOps-swap jp-mod-refused' : 'jp-MLOps-swap'}
      data-outcome={swap.outcome ?? ''}
      title={formatAbsolute(epochMs(swap.time))}
    >
      {swap.role ?? 'champion'} @{swap.alias}:{' '}
      {swap.from_version !== null && swap.from_version !== undefined
        ? `v${swap.from_version} → `
        : ''}
      v{swap.to_version} {refused ? 'refused' : 'switched'}{' '}
      <span className="jp-MLOps-muted">
        {formatRelative(epochMs(swap.time))}
      </span>
      {refused && swap.error && (
        <span className="jp-MLOps-swapError"> · {swap.error}</span>
      )}
    </li>
  );
}
