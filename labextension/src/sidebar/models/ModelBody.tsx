import React, { useState } from 'react';

import {
  AliasHistoryEntry,
  getModel,
  ModelDetail,
  ModelSummary,
  ModelVersion,
  rollbackModel
} from '../../api/models';
import { ErrorMessage, Loading, RunLink } from '../../components';
import { mlflowUiUrl } from '../../mlflowUi';
import { formatAbsolute, formatMetric, formatRelative } from '../../format';
import { useAction, useLoadable, useMlflowUi } from '../../hooks';
import { ISidebarContext } from '../Panel';
import { AliasBadge } from './AliasBadge';
import { LineageView } from './LineageView';
import { PromoteForm } from './PromoteForm';
import { askReason } from './reasonDialog';
import { writeError } from './writeError';

/**
 * Metrics shown first on a version, when its run has them.
 */
const KEY_METRICS = ['accuracy', 'f1', 'auc', 'rmse', 'mae', 'r2', 'loss'];
const MAX_METRICS = 4;

/**
 * An expanded model: its versions (promote, lineage), alias rollback and history.
 */
export function ModelBody(props: {
  model: ModelSummary;
  reloadToken: number;
  onChanged: () => void;
  context: ISidebarContext;
}): React.ReactElement {
  const { model } = props;
  const detail = useLoadable<ModelDetail>(
    signal => getModel(model.name, { signal }),
    [model.name, props.reloadToken]
  );
  const [promoting, setPromoting] = useState<string | null>(null);
  const [lineageOf, setLineageOf] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const rolling = useAction({
    describe: writeError,
    onSettled: props.onChanged
  });

  const rollback = async (alias: string) => {
    const target = previousHolder(history, alias);
    const current = model.aliases[alias];
    const reason = await askReason({
      title: `Roll back @${alias} of ${model.name}?`,
      message:
        `@${alias} moves from version ${current ?? '?'} back to ` +
        `${target ? `version ${target}` : 'the version that held it before'}.`,
      placeholder: 'e.g. v3 mislabels the new customers',
      okLabel: `Roll back @${alias}`
    });
    if (reason === null) {
      return;
    }
    await rolling.run(async () => {
      setNotice(null);
      const { entry } = await rollbackModel(model.name, alias, reason);
      setNotice(
        `@${alias} now points to version ${entry.to_version} (was version ${entry.from_version}).`
      );
    });
  };

  const history = detail.state === 'ready' ? detail.value.history : [];
  return (
    <div className="jp-MLOps-modelBody">
      <ul className="jp-MLOps-versionList">
        {model.versions.map(version => (
          <li
            key={version.version}
            className="jp-MLOps-modelVersion"
            data-version={version.version}
          >
            <VersionRow
              model={model.name}
              version={version}
              openRun={props.context.openRun}
              onPromote={() =>
                setPromoting(current =>
                  current === version.version ? null : version.version
                )
              }
              onLineage={() =>
                setLineageOf(current =>
                  current === version.version ? null : version.version
                )
              }
            />
            {promoting === version.version && (
              <PromoteForm
                model={model}
                version={version}
                onClose={() => setPromoting(null)}
                onPromoted={props.onChanged}
              />
            )}
            {lineageOf === version.version && (
              <LineageView
                name={model.name}
                version={version.version}
                context={props.context}
              />
            )}
          </li>
        ))}
      </ul>
      <div className="jp-MLOps-aliasActions">
        {Object.keys(model.aliases)
          .sort()
          .map(alias => (
            <button
              key={alias}
              className="jp-MLOps-button jp-MLOps-rollback"
              data-alias={alias}
              title={`Move @${alias} back to the version that held it before`}
              disabled={!canRollBack(history, alias)}
              onClick={() => void rollback(alias)}
            >
              Roll back @{alias}
            </button>
          ))}
      </div>
      {(rolling.error ?? notice) !== null && (
        <p className="jp-MLOps-note jp-MLOps-modelNotice">
          {rolling.error ?? notice}
        </p>
      )}
      <h4 className="jp-MLOps-subTitle">Alias history</h4>
      {detail.state === 'loading' && <Loading />}
      {detail.state === 'error' && (
        <ErrorMessage message={detail.message} onRetry={props.onChanged} />
      )}
      {detail.state === 'ready' && (
        <AliasHistory entries={detail.value.history} />
      )}
    </div>
  );
}

/**
 * The version a rollback of `alias` would return to, as far as the history tells
 * (the server decides for good): the holder before the current one.
 */
function previousHolder(
  history: AliasHistoryEntry[],
  alias: string
): string | null {
  const stack: string[] = [];
  for (const entry of history) {
    if (entry.alias !== alias || !entry.to_version) {
      continue;
    }
    if (entry.action === 'set' || entry.action === 'forced') {
      if (stack[stack.length - 1] !== entry.to_version) {
        stack.push(entry.to_version);
      }
    } else if (entry.action === 'rollback') {
      stack.pop();
      if (stack[stack.length - 1] !== entry.to_version) {
        stack.push(entry.to_version);
      }
    }
  }
  return stack.length >= 2 ? stack[stack.length - 2] : null;
}

/**
 * Whether the history has an earlier holder of `alias` (the server decides for good).
 */
function canRollBack(history: AliasHistoryEntry[], alias: string): boolean {
  const holders = new Set(
    history
      .filter(entry => entry.alias === alias && entry.action !== 'refused')
      .map(entry => entry.to_version)
  );
  return holders.size > 1;
}

function VersionRow(props: {
  model: string;
  version: ModelVersion;
  openRun: (runId: string) => void;
  onPromote: () => void;
  onLineage: () => void;
}): React.ReactElement {
  const { version } = props;
  useMlflowUi();
  const mlflowUrl = mlflowUiUrl({
    model: props.model,
    version: version.version
  });
  return (
    <div className="jp-MLOps-versionRow">
      <div className="jp-MLOps-versionTitle">
        <span className="jp-MLOps-versionNumber">v{version.version}</span>
        {version.aliases.map(alias => (
          <AliasBadge key={alias} alias={alias} />
        ))}
        {version.deployed.length > 0 && (
          <span
            className="jp-MLOps-aliasBadge jp-MLOps-deployedBadge"
            data-deployed={version.deployed.length}
            title={version.deployed
              .map(
                where =>
                  `Served as ${where.role} by endpoint ${where.id}` +
                  (where.url ? ` at ${where.url}` : '')
              )
              .join('\n')}
          >
            deployed
          </span>
        )}
        {version.created !== null && (
          <span
            className="jp-MLOps-versionTime"
            title={formatAbsolute(version.created)}
          >
            {formatRelative(version.created)}
          </span>
        )}
        <span className="jp-MLOps-versionActions">
          <button
            className="jp-MLOps-link jp-MLOps-promote"
            onClick={props.onPromote}
          >
            Promote…
          </button>
          <button
            className="jp-MLOps-link jp-MLOps-showLineage"
            onClick={props.onLineage}
          >
            Lineage
          </button>
        </span>
      </div>
      <div className="jp-MLOps-versionLinks">
        {version.run_id ? (
          <span className="jp-MLOps-versionRun">
            <span className="jp-MLOps-note">from run</span>{' '}
            <RunLink
              runId={version.run_id}
              label={version.run_name || undefined}
              openRun={props.openRun}
            />
          </span>
        ) : (
          <span className="jp-MLOps-note">run unknown (deleted)</span>
        )}
        {mlflowUrl !== null && (
          <a
            className="jp-MLOps-link jp-MLOps-mlflowLink"
            href={mlflowUrl}
            target="_blank"
            rel="noopener noreferrer"
            title={`Version ${version.version} of ${props.model} in the MLflow UI`}
          >
            MLflow UI
          </a>
        )}
      </div>
      <KeyMetrics metrics={version.metrics} />
    </div>
  );
}

function KeyMetrics(props: {
  metrics: Record<string, number>;
}): React.ReactElement | null {
  const names = Object.keys(props.metrics).sort((a, b) => {
    const rank = (name: string) => {
      const index = KEY_METRICS.indexOf(name);
      return index < 0 ? KEY_METRICS.length : index;
    };
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  if (names.length === 0) {
    return null;
  }
  return (
    <div className="jp-MLOps-metrics jp-MLOps-versionMetrics">
      {names.slice(0, MAX_METRICS).map(name => (
        <span key={name} className="jp-MLOps-metric" data-metric={name}>
          <span className="jp-MLOps-metricKey">{name}</span>
          <span className="jp-MLOps-metricValue">
            {formatMetric(props.metrics[name])}
          </span>
        </span>
      ))}
    </div>
  );
}

/** What each alias decision is called in the history. */
const ACTION_LABELS: Record<string, string> = {
  set: 'promoted',
  forced: 'forced',
  rollback: 'rolled back',
  refused: 'refused'
};

/**
 * One decision in plain words: which version the alias left and which it took.
 */
function describeMove(entry: AliasHistoryEntry): string {
  if (entry.action === 'refused') {
    return entry.from_version
      ? `@${entry.alias} kept version ${entry.from_version}; version ${entry.to_version} did not pass the gate`
      : `version ${entry.to_version} did not pass the gate; @${entry.alias} still points to no version`;
  }
  return entry.from_version
    ? `@${entry.alias}: version ${entry.from_version} → version ${entry.to_version}`
    : `@${entry.alias} set to version ${entry.to_version} (first holder)`;
}

function AliasHistory(props: {
  entries: AliasHistoryEntry[];
}): React.ReactElement {
  if (props.entries.length === 0) {
    return <p className="jp-MLOps-note">No alias decisions yet.</p>;
  }
  const newestFirst = [...props.entries].reverse();
  return (
    <ol className="jp-MLOps-aliasHistory">
      {newestFirst.map((entry, index) => (
        <li
          key={`${entry.at}-${index}`}
          className="jp-MLOps-historyEntry"
          data-action={entry.action}
          title={entry.gate?.reasons?.join('\n') || entry.reason}
        >
          <span className={`jp-MLOps-historyAction jp-mod-${entry.action}`}>
            {ACTION_LABELS[entry.action] ?? entry.action}
          </span>{' '}
          <span className="jp-MLOps-historyWhat">{describeMove(entry)}</span>
          <span className="jp-MLOps-historyMeta">
            {entry.actor ?? 'unknown user'} ·{' '}
            <span title={entry.at}>{formatRelative(Date.parse(entry.at))}</span>
          </span>
          {entry.reason && (
            <span className="jp-MLOps-historyReason">
              Reason: {entry.reason}
            </span>
          )}
        </li>
      ))}
    </ol>
  );
}
