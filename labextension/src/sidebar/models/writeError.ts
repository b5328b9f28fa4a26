import { ServerConnection } from '@jupyterlab/services';

import { messageOf } from '../../api/request';

/**
 * A failed registry change as one line; a 403 says the user may only browse.
 */
export function writeError(reason: unknown): string {
  if (
    reason instanceof ServerConnection.ResponseError &&
    reason.response.status === 403
  ) {
    return 'You may browse the registry but not change it (403).';
  }
  return messageOf(reason);
}
