import React, { useState } from 'react';

import {
  AliasHistoryEntry,
  getModel,
  ModelDetail,
  ModelSummary,
  ModelVersion,
  rollbackModel
} from '../../api/models';
import { ErrorMessage, Loading } from '../../components';
import { formatAbsolute, formatMetric, formatRelative } from '../../format';
import { useAction, useLoadable } from '../../hooks';
import { ISidebarContext } from '../Panel';
import { AliasBadge } from './AliasBadge';
import { LineageView } from './LineageView';
import { PromoteForm } from './PromoteForm';
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

  const rollback = (alias: string) =>
    rolling.run(async () => {
      setNotice(null);
      const { entry } = await rollbackModel(
        model.name,
        alias,
        'rolled back from the sidebar'
      );
      setNotice(`@${alias} rolled back to version ${entry.to_version}`);
    });

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
              version={version}
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
              onClick={() => rollback(alias)}
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
  version: ModelVersion;
  onPromote: () => void;
  onLineage: () => void;
}): React.ReactElement {
  const { version } = props;
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
              .map(where => `${where.url ?? where.id} (${where.role})`)
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
            {entry.action}
          </span>{' '}
          <span className="jp-MLOps-historyWhat">
            @{entry.alias} {entry.from_version ? `v${entry.from_version}` : '∅'}{' '}
            → v{entry.to_version}
          </span>
          <span className="jp-MLOps-historyMeta">
            {entry.actor} · {formatRelative(Date.parse(entry.at))}
            {entry.reason ? ` · ${entry.reason}` : ''}
          </span>
        </li>
      ))}
    </ol>
  );
}
