import React, { useState } from 'react';

import { getLineage, LineageResponse } from '../../api/models';
import { ErrorMessage, Loading } from '../../components';
import { useLoadable } from '../../hooks';
import { ISidebarContext } from '../Panel';

/**
 * Where a version came from, as a text tree with links to its notebooks.
 */
export function LineageView(props: {
  name: string;
  version: string;
  context: ISidebarContext;
}): React.ReactElement {
  const [token, setToken] = useState(0);
  const lineage = useLoadable<LineageResponse>(
    signal => getLineage(props.name, props.version, { signal }),
    [props.name, props.version, token]
  );

  if (lineage.state === 'loading') {
    return <Loading />;
  }
  if (lineage.state === 'error') {
    return (
      <ErrorMessage
        message={lineage.message}
        onRetry={() => setToken(t => t + 1)}
      />
    );
  }
  const info = lineage.value.lineage;
  const files = [
    info.notebook?.path,
    info.pipeline?.output_notebook,
    info.pipeline?.notebook
  ]
    .filter(
      (path): path is string =>
        typeof path === 'string' && path !== '' && !path.startsWith('/')
    )
    .filter((path, index, all) => all.indexOf(path) === index);
  return (
    <div
      className="jp-MLOps-lineage"
      aria-label={`Lineage of version ${props.version}`}
    >
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
