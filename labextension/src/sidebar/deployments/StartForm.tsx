import React, { useState } from 'react';

import {
  startDeployment,
  StartDeploymentRequest,
  StartedDeployment
} from '../../api/deployments';
import { listModels, ModelSummary } from '../../api/models';
import { Field, Loading } from '../../components';
import { useAction, useLoadable } from '../../hooks';

type Mode = 'single' | 'ab' | 'shadow';

/**
 * The request the form's values make; a message when they do not make one.
 */
export function startRequest(values: {
  model: string;
  alias: string;
  port: string;
  mode: Mode;
  other: string;
  split: string;
}): StartDeploymentRequest | string {
  if (!values.model) {
    return 'Choose a model';
  }
  const request: StartDeploymentRequest = {
    model: values.model,
    alias: values.alias || 'champion'
  };
  if (values.port.trim()) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 1024 || port > 65535) {
      return 'The port is a whole number from 1024 to 65535';
    }
    request.port = port;
  }
  if (values.mode !== 'single' && !values.other) {
    return `Choose the ${values.mode === 'ab' ? 'challenger' : 'shadow'} alias`;
  }
  if (values.mode === 'ab') {
    const split = Number(values.split) / 100;
    if (!(split > 0 && split < 1)) {
      return 'The challenger share is a percentage between 0 and 100';
    }
    request.challenger = values.other;
    request.split = split;
  } else if (values.mode === 'shadow') {
    request.shadow = values.other;
  }
  return request;
}

/**
 * Start an endpoint: model, alias, port (free one when empty), and a challenger
 * with its share of traffic, or a shadow.
 */
export function StartForm(props: {
  onStarted: (started: StartedDeployment) => void;
  onCancel: () => void;
}): React.ReactElement {
  const models = useLoadable<ModelSummary[]>(
    signal => listModels({ signal }),
    []
  );
  const [model, setModel] = useState('');
  const [alias, setAlias] = useState('champion');
  const [port, setPort] = useState('');
  const [mode, setMode] = useState<Mode>('single');
  const [other, setOther] = useState('challenger');
  const [split, setSplit] = useState('20');
  const [problem, setProblem] = useState<string | null>(null);
  const action = useAction();

  if (models.state !== 'ready') {
    return (
      <div className="jp-MLOps-startForm">
        {models.state === 'loading' ? (
          <Loading />
        ) : (
          <p className="jp-MLOps-deploymentError">{models.message}</p>
        )}
      </div>
    );
  }
  const chosen = models.value.find(item => item.name === model);
  const aliases = chosen ? Object.keys(chosen.aliases).sort() : [];

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    const request = startRequest({ model, alias, port, mode, other, split });
    if (typeof request === 'string') {
      setProblem(request);
      return;
    }
    setProblem(null);
    void action.run(async () =>
      props.onStarted(await startDeployment(request))
    );
  };

  return (
    <form className="jp-MLOps-startForm" onSubmit={submit}>
      <div className="jp-MLOps-formTitle">Start an endpoint</div>
      <Field label="Model">
        <select
          className="jp-MLOps-startModel"
          value={model}
          onChange={event => setModel(event.target.value)}
        >
          <option value="">choose…</option>
          {models.value.map(item => (
            <option key={item.name} value={item.name}>
              {item.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Alias">
        <input
          className="jp-MLOps-startAlias"
          list="jp-MLOps-startAliases"
          value={alias}
          onChange={event => setAlias(event.target.value)}
        />
        <datalist id="jp-MLOps-startAliases">
          {aliases.map(name => (
            <option key={name} value={name} />
          ))}
        </datalist>
      </Field>
      <Field label="Port">
        <input
          className="jp-MLOps-startPort"
          placeholder="a free one"
          inputMode="numeric"
          value={port}
          onChange={event => setPort(event.target.value)}
        />
      </Field>
      <Field label="Traffic">
        <select
          className="jp-MLOps-startMode"
          value={mode}
          onChange={event => setMode(event.target.value as Mode)}
        >
          <option value="single">the alias only</option>
          <option value="ab">A/B with a challenger</option>
          <option value="shadow">shadow a challenger</option>
        </select>
      </Field>
      {mode !== 'single' && (
        <Field label={mode === 'ab' ? 'Challenger' : 'Shadow'}>
          <input
            className="jp-MLOps-startOther"
            list="jp-MLOps-startAliases"
            value={other}
            onChange={event => setOther(event.target.value)}
          />
        </Field>
      )}
      {mode === 'ab' && (
        <Field label="Share %">
          <input
            className="jp-MLOps-startSplit"
            inputMode="decimal"
            value={split}
            onChange={event => setSplit(event.target.value)}
          />
        </Field>
      )}
      {(problem ?? action.error) && (
        <p className="jp-MLOps-deploymentError" role="alert">
          {problem ?? action.error}
        </p>
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
          className="jp-MLOps-button jp-mod-accept jp-MLOps-startSubmit"
          disabled={action.busy}
        >
          {action.busy ? 'Starting…' : 'Start'}
        </button>
      </div>
    </form>
  );
}
