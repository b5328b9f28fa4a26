import { caretDownIcon, caretRightIcon } from '@jupyterlab/ui-components';
import React from 'react';

/**
 * The caret of an expandable header: down when open, right when closed.
 */
export function Caret(props: { open: boolean }): React.ReactElement {
  const Icon = props.open ? caretDownIcon : caretRightIcon;
  return <Icon.react tag="span" className="jp-MLOps-caret" />;
}
