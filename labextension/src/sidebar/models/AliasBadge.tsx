import React from 'react';

/**
 * An alias as a badge: `champion`, or `champion v3` in a model's header.
 */
export function AliasBadge(props: {
  alias: string;
  version?: string;
}): React.ReactElement {
  const known = props.alias === 'champion' || props.alias === 'challenger';
  return (
    <span
      className={`jp-MLOps-aliasBadge jp-mod-${known ? props.alias : 'other'}`}
      data-alias={props.alias}
      title={
        props.version
          ? `@${props.alias} → version ${props.version}`
          : `@${props.alias}`
      }
    >
      {props.version ? `${props.alias} v${props.version}` : props.alias}
    </span>
  );
}
