import { ServerConnection } from '@jupyterlab/services';
import { caretDownIcon, caretRightIcon } from '@jupyterlab/ui-components';
import React, { useCallback, useState } from 'react';

import {
  getLineage,
  getModel,
  IAliasHistoryEntry,
  IGateRequest,
  IGateVerdict,
  ILineageResponse,
  IModel,
  IModelDetail,
  IModelVersion,
  IPromoteResult,
  listModels,
  previewGate,
  promoteModel,
  rollbackModel
} from '../api';
import { formatAbsolute, formatMetric, formatRelative } from '../format';
import { ISectionProps, ISidebarContext } from './Panel';
import { ErrorMessage, Loading, RefreshButton } from './RunsSection';
import { messageOf, useLoadable } from './useLoadable';

/**
 * Metrics shown first on a version, when its run has them.
 */
const KEY_METRICS = ['accuracy', 'f1', 'auc', 'rmse', 'mae', 'r2', 'loss'];
const MAX_METRICS = 4;
const PREVIEW_DELAY_MS = 300;

/**
 * The Models section: registered models, their versions with metrics and alias
 * badges, the alias history, promotion through the gate, rollback and lineage.
 */
export function ModelsSection(props: ISectionProps): React.ReactElement {
  const [localToken, setLocalToken] = useState(0);
  const [expanded, setExpanded] = useState<string | null>(null);
  const reloadToken = props.refreshToken + localToken;
  const models = useLoadable<IModel[]>(signal => listModels({ signal }), [reloadToken], {
    onLoaded: value =>
      setExpanded(current => (current === null && value.length === 1 ? value[0].name : current))
  });

  const reload = useCallback(() => setLocalToken(token => token + 1), []);

  return (
    <div className="jp-MLOps-models">
      <div className="jp-MLOps-toolbar">
        <span className="jp-MLOps-note">Model registry</span>
        <RefreshButton what="models" onClick={reload} />
      </div>
      {models.state === 'loading' && <Loading />}
      {models.state === 'error' && <ErrorMessage message={models.message} onRetry={reload} />}
      {models.state === 'ready' &&
        (models.value.length === 0 ? (
          <NoModels />
        ) : (
          <ul className="jp-MLOps-modelList">
            {models.value.map(model => (
              <ModelItem
                key={model.name}
                model={model}
                expanded={expanded === model.name}
                onToggle={() =>
                  setExpanded(current => (current === model.name ? null : model.name))
                }
                reloadToken={reloadToken}
                onChanged={reload}
                context={props.context}
              />
            ))}
          </ul>
        ))}
    </div>
  );
}

function NoModels(): React.ReactElement {
  return (
    <div className="jp-MLOps-empty">
      <p className="jp-MLOps-emptyTitle">No registered models yet</p>
      <pre className="jp-MLOps-code">%mlops register model --name NAME</pre>
      <p>Models registered from notebooks and pipelines appear here.</p>
    </div>
  );
}

function AliasBadge(props: { alias: string; version?: string }): React.ReactElement {
  const known = props.alias === 'champion' || props.alias === 'challenger';
  return (
    <span
      className={`jp-MLOps-aliasBadge jp-mod-${known ? props.alias : 'other'}`}
      data-alias={props.alias}
      title={props.version ? `@${props.alias} → version ${props.version}` : `@${props.alias}`}
    >
      {props.version ? `${props.alias} v${props.version}` : props.alias}
    </span>
  );
}

function ModelItem(props: {
  model: IModel;
  expanded: boolean;
  onToggle: () => void;
  reloadToken: number;
  onChanged: () => void;
  context: ISidebarContext;
}): React.ReactElement {
  const { model } = props;
  const Caret = props.expanded ? caretDownIcon : caretRightIcon;
  const aliases = Object.entries(model.aliases).sort(([a], [b]) => a.localeCompare(b));
  return (
    <li className="jp-MLOps-model" data-name={model.name}>
      <button
        className="jp-MLOps-modelHeader"
        aria-expanded={props.expanded}
        onClick={props.onToggle}
      >
        <Caret.react tag="span" className="jp-MLOps-caret" />
        <span className="jp-MLOps-modelName">{model.name}</span>
        <span className="jp-MLOps-modelCount">
          {model.versions.length} version{model.versions.length === 1 ? '' : 's'}
        </span>
        <span className="jp-MLOps-modelAliases">
          {aliases.map(([alias, version]) => (
            <AliasBadge key={alias} alias={alias} version={version} />
          ))}
        </span>
      </button>
      {props.expanded && (
        <ModelBody
          model={model}
          reloadToken={props.reloadToken}
          onChanged={props.onChanged}
          context={props.context}
        />
      )}
    </li>
  );
}

function ModelBody(props: {
  model: IModel;
  reloadToken: number;
  onChanged: () => void;
  context: ISidebarContext;
}): React.ReactElement {
  const { model } = props;
  const detail = useLoadable<IModelDetail>(
    signal => getModel(model.name, { signal }),
    [model.name, props.reloadToken]
  );
  const [promoting, setPromoting] = useState<string | null>(null);
  const [lineageOf, setLineageOf] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const rollback = async (alias: string) => {
    setNotice(null);
    try {
      const { entry } = await rollbackModel(model.name, alias, 'rolled back from the sidebar');
      setNotice(`@${alias} rolled back to version ${entry.to_version}`);
    } catch (reason) {
      setNotice(writeError(reason));
    }
    props.onChanged();
  };

  const history = detail.state === 'ready' ? detail.value.history : [];
  return (
    <div className="jp-MLOps-modelBody">
      <ul className="jp-MLOps-versionList">
        {model.versions.map(version => (
          <li key={version.version} className="jp-MLOps-modelVersion" data-version={version.version}>
            <VersionRow
              version={version}
              onPromote={() =>
                setPromoting(current => (current === version.version ? null : version.version))
              }
              onLineage={() =>
                setLineageOf(current => (current === version.version ? null : version.version))
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
              <LineageView name={model.name} version={version.version} context={props.context} />
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
      {notice !== null && <p className="jp-MLOps-note jp-MLOps-modelNotice">{notice}</p>}
      <h4 className="jp-MLOps-subTitle">Alias history</h4>
      {detail.state === 'loading' && <Loading />}
      {detail.state === 'error' && (
        <ErrorMessage message={detail.message} onRetry={props.onChanged} />
      )}
      {detail.state === 'ready' && <AliasHistory entries={detail.value.history} />}
    </div>
  );
}

/**
 * Whether the history has an earlier holder of `alias` (the server decides for good).
 */
function canRollBack(history: IAliasHistoryEntry[], alias: string): boolean {
  const holders = new Set(
    history
      .filter(entry => entry.alias === alias && entry.action !== 'refused')
      .map(entry => entry.to_version)
  );
  return holders.size > 1;
}

function VersionRow(props: {
  version: IModelVersion;
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
        {version.created !== null && (
          <span className="jp-MLOps-versionTime" title={formatAbsolute(version.created)}>
            {formatRelative(version.created)}
          </span>
        )}
        <span className="jp-MLOps-versionActions">
          <button className="jp-MLOps-link jp-MLOps-promote" onClick={props.onPromote}>
            Promote…
          </button>
          <button className="jp-MLOps-link jp-MLOps-showLineage" onClick={props.onLineage}>
            Lineage
          </button>
        </span>
      </div>
      <KeyMetrics metrics={version.metrics} />
    </div>
  );
}

function KeyMetrics(props: { metrics: Record<string, number> }): React.ReactElement | null {
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
          <span className="jp-MLOps-metricValue">{formatMetric(props.metrics[name])}</span>
        </span>
      ))}
    </div>
  );
}

function AliasHistory(props: { entries: IAliasHistoryEntry[] }): React.ReactElement {
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
          <span className={`jp-MLOps-historyAction jp-mod-${entry.action}`}>{entry.action}</span>{' '}
          <span className="jp-MLOps-historyWhat">
            @{entry.alias} {entry.from_version ? `v${entry.from_version}` : '∅'} → v
            {entry.to_version}
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

function writeError(reason: unknown): string {
  if (reason instanceof ServerConnection.ResponseError && reason.response.status === 403) {
    return 'You may browse the registry but not change it (403).';
  }
  return messageOf(reason);
}

function parseThresholds(text: string): string[] {
  return text
    .split('\n')
    .map(line => line.trim())
    .filter(line => line.length > 0);
}

function PromoteForm(props: {
  model: IModel;
  version: IModelVersion;
  onClose: () => void;
  onPromoted: () => void;
}): React.ReactElement {
  const { model, version } = props;
  const [alias, setAlias] = useState('champion');
  const policy = model.gate_policy;
  // Empty fields mean "as declared for the model" (or the server's defaults).
  const [thresholds, setThresholds] = useState('');
  const [margin, setMargin] = useState('');
  const [metric, setMetric] = useState('');
  const [force, setForce] = useState(false);
  const [reason, setReason] = useState('');
  const [result, setResult] = useState<IPromoteResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const marginValue = margin.trim() === '' ? NaN : Number(margin);
  const request: IGateRequest = {
    version: version.version,
    alias: alias.trim() || 'champion',
    thresholds: parseThresholds(thresholds),
    margin: Number.isFinite(marginValue) ? marginValue : undefined,
    metric: metric.trim() || undefined
  };
  const requestKey = JSON.stringify(request);

  const preview = useLoadable<IGateVerdict>(
    signal => previewGate(model.name, JSON.parse(requestKey), { signal }),
    [model.name, requestKey],
    { clear: true, delayMs: PREVIEW_DELAY_MS }
  );

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const outcome = await promoteModel(model.name, {
        ...request,
        force,
        reason: reason.trim() || undefined
      });
      setResult(outcome);
      props.onPromoted();
    } catch (reason) {
      setError(writeError(reason));
    } finally {
      setBusy(false);
    }
  };

  const forceWithoutReason = force && reason.trim().length === 0;
  return (
    <form
      className="jp-MLOps-promoteForm"
      aria-label={`Promote version ${version.version}`}
      onSubmit={submit}
    >
      <div className="jp-MLOps-formTitle">
        <span>
          Promote {model.name} v{version.version}
        </span>
        <button type="button" className="jp-MLOps-link" onClick={props.onClose}>
          Close
        </button>
      </div>
      <label className="jp-MLOps-field">
        <span>Alias</span>
        <input
          className="jp-mod-styled jp-MLOps-aliasInput"
          value={alias}
          onChange={event => setAlias(event.target.value)}
        />
      </label>
      <p className="jp-MLOps-note jp-MLOps-gatePolicy">
        {policy
          ? 'Declared gate' +
            (policy.evaluation
              ? `: Promote scores both versions on ${policy.evaluation.data}` +
                ' (the preview below compares run metrics and loads no model). '
              : '. ') +
            'Leave a field empty to use it.'
          : 'No gate declared for this model: empty fields use run metrics and accuracy.'}
      </p>
      <label className="jp-MLOps-field">
        <span>Thresholds</span>
        <textarea
          className="jp-mod-styled jp-MLOps-thresholdsInput"
          rows={2}
          placeholder={
            policy?.thresholds.length ? policy.thresholds.join('\n') : 'accuracy >= 0.9\nrmse <= 3'
          }
          value={thresholds}
          onChange={event => setThresholds(event.target.value)}
        />
      </label>
      <label className="jp-MLOps-field">
        <span>Beat by</span>
        <span className="jp-MLOps-marginFields">
          <input
            className="jp-mod-styled jp-MLOps-marginInput"
            type="number"
            min="0"
            step="any"
            placeholder={String(policy?.margin ?? 0)}
            value={margin}
            onChange={event => setMargin(event.target.value)}
          />
          <span>on</span>
          <input
            className="jp-mod-styled jp-MLOps-metricInput"
            placeholder={policy?.metric ?? 'accuracy'}
            value={metric}
            onChange={event => setMetric(event.target.value)}
          />
        </span>
      </label>
      <label className="jp-MLOps-field">
        <span>Force</span>
        <span className="jp-MLOps-forceFields">
          <input
            className="jp-MLOps-forceInput"
            type="checkbox"
            checked={force}
            onChange={event => setForce(event.target.checked)}
          />
          <input
            className="jp-mod-styled jp-MLOps-reasonInput"
            placeholder={force ? 'reason (required)' : 'reason (optional)'}
            aria-invalid={forceWithoutReason}
            value={reason}
            onChange={event => setReason(event.target.value)}
          />
        </span>
      </label>
      <div className="jp-MLOps-gatePreview">
        <span className="jp-MLOps-verdictLabel">Before:</span>
        {preview.state === 'loading' && <Loading />}
        {preview.state === 'error' && (
          <p className="jp-MLOps-error jp-MLOps-previewError" role="alert">
            {preview.message}
          </p>
        )}
        {preview.state === 'ready' && <Verdict verdict={preview.value} />}
      </div>
      {result !== null && (
        <div className="jp-MLOps-promoteResult" data-promoted={result.promoted}>
          <span className="jp-MLOps-verdictLabel">After:</span>
          <p className="jp-MLOps-promoteOutcome">
            {result.promoted
              ? `Promoted: @${result.entry.alias} → v${result.entry.to_version}` +
                (result.entry.forced ? ' (forced)' : '')
              : `Refused: @${result.entry.alias} stays on ${
                  result.verdict.holder ? 'v' + result.verdict.holder : 'nothing'
                }`}
          </p>
          <Verdict verdict={result.verdict} />
        </div>
      )}
      {error !== null && (
        <p className="jp-MLOps-error jp-MLOps-promoteError" role="alert">
          {error}
        </p>
      )}
      <div className="jp-MLOps-formActions">
        <button
          type="submit"
          className="jp-MLOps-button jp-mod-accept jp-MLOps-confirmPromote"
          disabled={busy || forceWithoutReason || result?.promoted === true}
          title={forceWithoutReason ? 'A forced promotion needs a reason' : undefined}
        >
          {force ? 'Force promote' : 'Promote'}
        </button>
      </div>
    </form>
  );
}

function Verdict(props: { verdict: IGateVerdict }): React.ReactElement {
  const { verdict } = props;
  return (
    <div className="jp-MLOps-verdict" data-passed={verdict.passed}>
      <span className={`jp-MLOps-badge jp-mod-${verdict.passed ? 'finished' : 'failed'}`}>
        {verdict.passed ? 'Gate passes' : 'Gate refuses'}
      </span>
      {verdict.checks.length === 0 ? (
        <span className="jp-MLOps-note">
          {' '}
          no thresholds, no {verdict.compare_to ?? 'holder'} to beat
        </span>
      ) : (
        <ul className="jp-MLOps-checks">
          {verdict.checks.map((check, index) => (
            <li
              key={index}
              className={`jp-MLOps-check jp-mod-${check.passed ? 'passed' : 'failed'}`}
            >
              {check.passed ? '✓' : '✗'} {check.reason}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function LineageView(props: {
  name: string;
  version: string;
  context: ISidebarContext;
}): React.ReactElement {
  const [token, setToken] = useState(0);
  const lineage = useLoadable<ILineageResponse>(
    signal => getLineage(props.name, props.version, { signal }),
    [props.name, props.version, token]
  );

  if (lineage.state === 'loading') {
    return <Loading />;
  }
  if (lineage.state === 'error') {
    return <ErrorMessage message={lineage.message} onRetry={() => setToken(t => t + 1)} />;
  }
  const info = lineage.value.lineage;
  const files = [info.notebook?.path, info.pipeline?.output_notebook, info.pipeline?.notebook]
    .filter((path): path is string => !!path && !path.startsWith('/'))
    .filter((path, index, all) => all.indexOf(path) === index);
  return (
    <div className="jp-MLOps-lineage" aria-label={`Lineage of version ${props.version}`}>
      <pre className="jp-MLOps-lineageTree">{lineage.value.tree}</pre>
      {files.length > 0 && (
        <div className="jp-MLOps-lineageLinks">
          {files.map(path => (
            <button
              key={path}
              className="jp-MLOps-link jp-MLOps-lineageFile"
              title={`Open ${path}`}
              onClick={() => props.context.openFile(path)}
            >
              {path}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
