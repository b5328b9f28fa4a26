import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';

/**
 * Open `path` (relative to the server root), or say why it cannot be opened.
 *
 * Checked first so a missing file (a pruned run folder) gives a clear notification
 * instead of the document manager's generic load error.
 */
export async function openFile(
  app: JupyterFrontEnd,
  path: string
): Promise<void> {
  try {
    await app.serviceManager.contents.get(path, { content: false });
  } catch (reason) {
    Notification.error(
      `Cannot open ${path}: ${reason instanceof Error ? reason.message : reason}`,
      { autoClose: 10000 }
    );
    return;
  }
  try {
    await app.commands.execute('docmanager:open', { path });
  } catch (reason) {
    console.error(`mlops-jupyter:sidebar: cannot open ${path}`, reason);
  }
}

/**
 * The path of the notebook a main-area widget shows, or null for other widgets.
 */
export function notebookPath(widget: unknown): string | null {
  const context = (widget as { context?: { path?: unknown } } | null)?.context;
  const path = context?.path;
  return typeof path === 'string' && path.endsWith('.ipynb') ? path : null;
}
