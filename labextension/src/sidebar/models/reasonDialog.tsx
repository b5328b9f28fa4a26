import { Dialog, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

/**
 * The body of a dialog asking for a one-line reason: a sentence and a wide input.
 */
class ReasonBody extends ReactWidget implements Dialog.IBodyWidget<string> {
  constructor(
    private readonly _message: string,
    private readonly _placeholder: string
  ) {
    super();
    this.addClass('jp-MLOps-reasonDialog');
  }

  getValue(): string {
    return this._value.replace(/\s+/g, ' ').trim();
  }

  protected render(): React.ReactElement {
    return (
      <>
        <p>{this._message}</p>
        <label>
          Reason (required, one line — kept in the alias history)
          <input
            className="jp-mod-styled jp-MLOps-reasonDialogInput"
            placeholder={this._placeholder}
            maxLength={500}
            onChange={event => {
              this._value = event.target.value;
            }}
          />
        </label>
      </>
    );
  }

  private _value = '';
}

/**
 * Ask for confirmation and a reason; resolves to the reason, or null when the user
 * cancels. An empty reason asks again (a reason is required).
 */
export async function askReason(options: {
  title: string;
  message: string;
  placeholder: string;
  okLabel: string;
}): Promise<string | null> {
  let message = options.message;
  for (;;) {
    const result = await showDialog<string>({
      title: options.title,
      body: new ReasonBody(message, options.placeholder),
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: options.okLabel })
      ],
      focusNodeSelector: 'input'
    });
    if (!result.button.accept) {
      return null;
    }
    if (result.value) {
      return result.value;
    }
    message = `${options.message} A reason is required.`;
  }
}
