import React, { useCallback, useState } from 'react';

import { listModels, ModelSummary } from '../../api/models';
import { Caret, ErrorMessage, Loading, SectionShell } from '../../components';
import { useLoadable } from '../../hooks';
import { ISectionProps, ISidebarContext } from '../Panel';
import { AliasBadge } from './AliasBadge';
import { ModelBody } from './ModelBody';

/**
 * The Models section: registered models, their versions with metrics and alias
 * badges, the alias history, promotion through the gate, rollback and lineage.
 */
export function ModelsSection(props: ISectionProps): React.ReactElement {
  const [localToken, setLocalToken] = useState(0);
  const [expanded, setExpanded] = useState<string | null>(null);
  const reloadToken = props.refreshToken + localToken;
  const models = useLoadable<ModelSummary[]>(
    signal => listModels({ signal }),
    [reloadToken],
    {
      onLoaded: value =>
        setExpanded(current =>
          current === null && value.length === 1 ? value[0].name : current
        )
    }
  );

  const reload = useCallback(() => setLocalToken(token => token + 1), []);

  return (
    <SectionShell
      className="jp-MLOps-models"
      what="models"
      onRefresh={reload}
      toolbar={<span className="jp-MLOps-note">Model registry</span>}
    >
      {models.state === 'loading' && <Loading />}
      {models.state === 'error' && (
        <ErrorMessage message={models.message} onRetry={reload} />
      )}
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
                  setExpanded(current =>
                    current === model.name ? null : model.name
                  )
                }
                reloadToken={reloadToken}
                onChanged={reload}
                context={props.context}
              />
            ))}
          </ul>
        ))}
    </SectionShell>
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

function ModelItem(props: {
  model: ModelSummary;
  expanded: boolean;
  onToggle: () => void;
  reloadToken: number;
  onChanged: () => void;
  context: ISidebarContext;
}): React.ReactElement {
  const { model } = props;
  const aliases = Object.entries(model.aliases).sort(([a], [b]) =>
    a.localeCompare(b)
  );
  return (
    <li className="jp-MLOps-model" data-name={model.name}>
      <button
        className="jp-MLOps-modelHeader"
        aria-expanded={props.expanded}
        onClick={props.onToggle}
      >
        <Caret open={props.expanded} />
        <span className="jp-MLOps-modelName">{model.name}</span>
        <span className="jp-MLOps-modelCount">
          {model.versions.length} version
          {model.versions.length === 1 ? '' : 's'}
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
