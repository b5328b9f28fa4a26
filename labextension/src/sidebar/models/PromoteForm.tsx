import React, { useState } from 'react';

import {
  GatePreviewRequest,
  GateVerdict,
  ModelSummary,
  ModelVersion,
  previewGate,
  promoteModel,
  PromoteResult
} from '../../api/models';
import { Field, Loading, StatusBadge } from '../../components';
import { useAction, useLoadable } from '../../hooks';
import { writeError } from './writeError';

const PREVIEW_DELAY_MS = 300;

function parseThresholds(text: string): string[] {
  return text
    .split('\n')
    .map(line => line.trim())
    .filter(line => line.length > 0);
}

/**
 * Promote a version: the gate's verdict before (live preview) and after.
 */
export function PromoteForm(props: {
  model: ModelSummary;
  version: ModelVersion;
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
  const [result, setResult] = useState<PromoteResult | null>(null);
  const promotion = useAction({ describe: writeError });

  const marginValue = margin.trim() === '' ? NaN : Number(margin);
  const request: GatePreviewRequest = {
    version: version.version,
    alias: alias.trim() || 'champion',
    thresholds: parseThresholds(thresholds),
    margin: Number.isFinite(marginValue) ? marginValue : undefined,
    metric: metric.trim() || undefined
  };
  const requestKey = JSON.stringify(request);

  const preview = useLoadable<GateVerdict>(
    signal => previewGate(model.name, JSON.parse(requestKey), { signal }),
    [model.name, requestKey],
    { clear: true, delayMs: PREVIEW_DELAY_MS }
  );

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    setResult(null);
    void promotion.run(async () => {
      const outcome = await promoteModel(model.name, {
        ...request,
        force,
        reason: reason.trim() || undefined
      });
      setResult(outcome);
      props.onPromoted();
    });
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
      <Field label="Alias">
        <input
          className="jp-mod-styled jp-MLOps-aliasInput"
          value={alias}
          onChange={event => setAlias(event.target.value)}
        />
      </Field>
      <p className="jp-MLOps-note jp-MLOps-gatePolicy">
        {policy
          ? 'Declared gate' +
            (policy.evaluation
              ? `: Promote scores both versions on ${policy.evaluation.data}` +
                ' (the preview below compares run metrics and loads no model). '
              : '. ') +
            'Fields left empty use the declared gate.'
          : "This model declares no gate: with the fields left empty there are no thresholds, and the versions are compared on their runs' accuracy."}
      </p>
      <Field label="Thresholds">
        <textarea
          className="jp-mod-styled jp-MLOps-thresholdsInput"
          rows={2}
          placeholder={
            policy?.thresholds.length
              ? policy.thresholds.join('\n')
              : 'accuracy >= 0.9\nrmse <= 3'
          }
          value={thresholds}
          onChange={event => setThresholds(event.target.value)}
        />
      </Field>
      <Field label="Beat by">
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
          <span>in</span>
          <input
            className="jp-mod-styled jp-MLOps-metricInput"
            placeholder={policy?.metric ?? 'accuracy'}
            value={metric}
            onChange={event => setMetric(event.target.value)}
          />
        </span>
      </Field>
      <Field label="Force">
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
      </Field>
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
              : result.verdict.holder
                ? `Refused: @${result.entry.alias} stays on v${result.verdict.holder}`
                : `Refused: @${result.entry.alias} still points to no version`}
          </p>
          <Verdict verdict={result.verdict} />
        </div>
      )}
      {promotion.error !== null && (
        <p className="jp-MLOps-error jp-MLOps-promoteError" role="alert">
          {promotion.error}
        </p>
      )}
      <div className="jp-MLOps-formActions">
        <button
          type="submit"
          className="jp-MLOps-button jp-mod-accept jp-MLOps-confirmPromote"
          disabled={
            promotion.busy || forceWithoutReason || result?.promoted === true
          }
          title={
            forceWithoutReason ? 'A forced promotion needs a reason' : undefined
          }
        >
          {force ? 'Force promote' : 'Promote'}
        </button>
      </div>
    </form>
  );
}

function Verdict(props: { verdict: GateVerdict }): React.ReactElement {
  const { verdict } = props;
  return (
    <div className="jp-MLOps-verdict" data-passed={verdict.passed}>
      <StatusBadge
        status={verdict.passed ? 'FINISHED' : 'FAILED'}
        label={verdict.passed ? 'Gate passes' : 'Gate fails'}
      />
      {verdict.checks.length === 0 ? (
        <span className="jp-MLOps-note">
          {' '}
          nothing to check: no thresholds, and @
          {verdict.compare_to ?? 'champion'} holds no version to beat
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
