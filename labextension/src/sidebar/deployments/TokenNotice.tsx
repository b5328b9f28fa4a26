import React, { useState } from 'react';

import { StartedDeployment } from '../../api/deployments';

/**
 * The curl line that scores one row on a started endpoint.
 */
export function curlLine(started: StartedDeployment): string {
  return (
    `curl -H "Authorization: Bearer ${started.token}" ` +
    '-H "Content-Type: application/json" ' +
    '-d \'{"dataframe_split": {"columns": [...], "data": [[...]]}}\' ' +
    `${started.url}/invocations`
  );
}

/**
 * A just-started endpoint's token, shown this once (it is stored nowhere), with
 * copy buttons for the token and a curl line.
 */
export function TokenNotice(props: {
  started: StartedDeployment;
  onDismiss: () => void;
}): React.ReactElement {
  const { started } = props;
  const [copied, setCopied] = useState<string | null>(null);
  const copy = (what: string, text: string) => {
    navigator.clipboard.writeText(text).then(
      () => setCopied(what),
      () => setCopied(null)
    );
  };
  return (
    <div className="jp-MLOps-tokenNotice" role="status" data-id={started.id}>
      <p className="jp-MLOps-tokenTitle">
        Serving at <code>{started.url}</code>. Copy its token now: it is not
        shown again.
      </p>
      <div className="jp-MLOps-tokenRow">
        <input
          className="jp-MLOps-token"
          readOnly
          aria-label="Endpoint token"
          value={started.token}
          onFocus={event => event.target.select()}
        />
        <button
          className="jp-MLOps-button jp-MLOps-copyToken"
          onClick={() => copy('token', started.token)}
        >
          {copied === 'token' ? 'Copied' : 'Copy'}
        </button>
      </div>
      <pre className="jp-MLOps-curl">{curlLine(started)}</pre>
      <div className="jp-MLOps-formActions">
        <button
          className="jp-MLOps-button"
          onClick={() => copy('curl', curlLine(started))}
        >
          {copied === 'curl' ? 'Copied' : 'Copy curl'}
        </button>
        <button
          className="jp-MLOps-button jp-mod-accept jp-MLOps-dismissToken"
          onClick={props.onDismiss}
        >
          Done
        </button>
      </div>
    </div>
  );
}
