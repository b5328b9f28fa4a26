import React, { useEffect, useMemo, useState } from 'react';

import {
  PipelineDetail,
  PipelineRunRequest,
  StepParameter
} from '../../api/pipelines';
import { RunError } from '../../components';
import { Breakable } from './Breakable';

/**
 * Which steps a run covers: all, from one step on (`--from`), or only some (`--only`).
 */
type Mode = 'all' | 'from' | 'only';

function key(step: string, name: string): string {
  return `${step}.${name}`;
}

/**
 * The text a parameter's field starts with: the spec's value as JSON, else the
 * notebook's default as written there.
 */
export function initialText(parameter: StepParameter): string {
  if (parameter.source !== 'notebook') {
    return JSON.stringify(parameter.value);
  }
  return parameter.notebook_default ?? '';
}

/**
 * A field's text as the value sent: JSON when it parses (`3`, `0.5`, `true`,
 * `"a"`, `[1, 2]`), a Python-quoted string without its quotes, else the text as
 * a string. The server checks it against the notebook's declared type.
 */
export function parseValue(text: string): unknown {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    const quoted = /^'(.*)'$/s.exec(trimmed);
    if (quoted) {
      return quoted[1];
    }
    if (trimmed === 'True' || trimmed === 'False') {
      return trimmed === 'True';
    }
    if (trimmed === 'None') {
      return null;
    }
    return text;
  }
}

/**
 * The Run dialog of a pipeline: its steps' parameters (changed ones are sent as
 * overrides), `--from STEP` / `--only STEP,..` and "ignore the cache". Bad input
 * (a value of the wrong type, a reference to an unknown output) comes back from
 * the server as one line, shown here.
 */
export function RunDialog(props: {
  detail: PipelineDetail;
  busy: boolean;
  error: string | null;
  onStart: (request: PipelineRunRequest) => void;
  onCancel: () => void;
}): React.ReactElement {
  const { detail } = props;
  const initial = useMemo(() => {
    const texts: Record<string, string> = {};
    for (const step of detail.steps) {
      for (const parameter of step.parameters) {
        texts[key(step.name, parameter.name)] = initialText(parameter);
      }
    }
    return texts;
  }, [detail]);
  const [texts, setTexts] = useState<Record<string, string>>(initial);
  const [mode, setMode] = useState<Mode>('all');
  const [fromStep, setFromStep] = useState(detail.steps[0]?.name ?? '');
  const [only, setOnly] = useState<string[]>([]);
  const [force, setForce] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  // The server's refusal, until the next change of the form.
  const [refusal, setRefusal] = useState<string | null>(props.error);
  useEffect(() => setRefusal(props.error), [props.error]);
  const touched = () => {
    setProblem(null);
    setRefusal(null);
  };

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    setProblem(null);
    if (mode === 'only' && only.length === 0) {
      setProblem('Choose at least one step to run, or run all steps.');
      return;
    }
    const params: Record<string, Record<string, unknown>> = {};
    for (const step of detail.steps) {
      for (const parameter of step.parameters) {
        const id = key(step.name, parameter.name);
        if (texts[id] === initial[id]) {
          continue; // unchanged: the spec's or notebook's own value applies
        }
        if (texts[id].trim() === '') {
          setProblem(`${id}: give a value (or put the old one back)`);
          return;
        }
        (params[step.name] ??= {})[parameter.name] = parseValue(texts[id]);
      }
    }
    const request: PipelineRunRequest = { path: detail.path, force };
    if (Object.keys(params).length > 0) {
      request.params = params;
    }
    if (mode === 'from') {
      request.from = fromStep;
    } else if (mode === 'only') {
      // In the spec's order, as `--only a,b` lists them.
      request.only = detail.steps
        .map(step => step.name)
        .filter(name => only.includes(name));
    }
    props.onStart(request);
  };

  const withParameters = detail.steps.filter(s => s.parameters.length > 0);
  const message = problem ?? refusal;
  return (
    <form
      className="jp-MLOps-runDialog"
      aria-label={`Run ${detail.name}`}
      onSubmit={submit}
    >
      <fieldset className="jp-MLOps-runSteps">
        <legend>Steps</legend>
        <label className="jp-MLOps-radio">
          <input
            type="radio"
            name="mode"
            checked={mode === 'all'}
            onChange={() => {
              setMode('all');
              touched();
            }}
          />
          All steps
        </label>
        <label className="jp-MLOps-radio">
          <input
            type="radio"
            name="mode"
            checked={mode === 'from'}
            onChange={() => {
              setMode('from');
              touched();
            }}
          />
          From step
          <select
            aria-label="From step"
            value={fromStep}
            disabled={mode !== 'from'}
            onChange={event => setFromStep(event.target.value)}
          >
            {detail.steps.map(step => (
              <option key={step.name} value={step.name}>
                {step.name}
              </option>
            ))}
          </select>
        </label>
        <label className="jp-MLOps-radio">
          <input
            type="radio"
            name="mode"
            checked={mode === 'only'}
            onChange={() => {
              setMode('only');
              touched();
            }}
          />
          Only these steps
        </label>
        {mode === 'only' && (
          <div className="jp-MLOps-onlySteps" role="group" aria-label="Only">
            {detail.steps.map(step => (
              <label key={step.name} className="jp-MLOps-check">
                <input
                  type="checkbox"
                  checked={only.includes(step.name)}
                  onChange={event => {
                    const checked = event.target.checked;
                    touched();
                    setOnly(current =>
                      checked
                        ? [...current, step.name]
                        : current.filter(name => name !== step.name)
                    );
                  }}
                />
                <span>
                  <Breakable text={step.name} />
                </span>
              </label>
            ))}
          </div>
        )}
        <label className="jp-MLOps-check">
          <input
            type="checkbox"
            checked={force}
            onChange={event => setForce(event.target.checked)}
          />
          <span>Ignore the cache (run the chosen steps again)</span>
        </label>
      </fieldset>
      {withParameters.length > 0 && (
        <fieldset className="jp-MLOps-runParameters">
          <legend>Parameters</legend>
          {withParameters.map(step => (
            <div className="jp-MLOps-paramGroup" key={step.name}>
              <div className="jp-MLOps-paramStep">
                <Breakable text={step.name} />
              </div>
              {step.parameters.map(parameter => {
                const id = key(step.name, parameter.name);
                const changed = texts[id] !== initial[id];
                return (
                  <label
                    className="jp-MLOps-param"
                    key={id}
                    data-param={id}
                    title={
                      parameter.help ??
                      (parameter.source === 'notebook'
                        ? "Default of the notebook's parameters cell"
                        : `Set in the pipeline file (${parameter.source})`)
                    }
                  >
                    <span className="jp-MLOps-paramName">
                      {parameter.name}
                      {parameter.type && (
                        <span className="jp-MLOps-paramType">
                          {' '}
                          {parameter.type}
                        </span>
                      )}
                    </span>
                    <input
                      className={
                        changed
                          ? 'jp-MLOps-paramInput jp-mod-changed'
                          : 'jp-MLOps-paramInput'
                      }
                      aria-label={id}
                      value={texts[id]}
                      title={texts[id]}
                      spellCheck={false}
                      onChange={event => {
                        const text = event.target.value;
                        touched();
                        setTexts(current => ({ ...current, [id]: text }));
                      }}
                    />
                  </label>
                );
              })}
            </div>
          ))}
        </fieldset>
      )}
      {message && <RunError text={message} />}
      <div className="jp-MLOps-formButtons">
        <button
          type="submit"
          className="jp-MLOps-button jp-mod-accept"
          disabled={props.busy}
        >
          Start run
        </button>
        <button
          type="button"
          className="jp-MLOps-button"
          onClick={props.onCancel}
        >
          Cancel
        </button>
      </div>
    </form>
  );
}
