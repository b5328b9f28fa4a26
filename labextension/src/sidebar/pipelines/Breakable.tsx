import React from 'react';

/**
 * A name that may wrap after `_`, `-`, `.` and `/` (`prepare_training_data` →
 * `prepare_training_` / `data`) instead of being cut to "prep…" or broken
 * mid-word in a narrow sidebar.
 */
export function Breakable(props: { text: string }): React.ReactElement {
  const parts = props.text.split(/(?<=[_\-./])/);
  return (
    <>
      {parts.map((part, index) => (
        <React.Fragment key={index}>
          {part}
          {index < parts.length - 1 && <wbr />}
        </React.Fragment>
      ))}
    </>
  );
}
