import React from 'react';

/**
 * A labelled form field: the label on the left, the input(s) on the right.
 */
export function Field(props: {
  label: string;
  className?: string;
  children: React.ReactNode;
}): React.ReactElement {
  const className = props.className
    ? `jp-MLOps-field ${props.className}`
    : 'jp-MLOps-field';
  return (
    <label className={className}>
      <span>{props.label}</span>
      {props.children}
    </label>
  );
}
