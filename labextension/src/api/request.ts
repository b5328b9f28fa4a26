import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * The URL namespace of the mlops-jupyter server extension.
 */
const NAMESPACE = 'mlops-jupyter';

/**
 * Call an mlops-jupyter REST endpoint and return its JSON body.
 *
 * The request goes through `ServerConnection`, which adds the token and the XSRF
 * header of this JupyterLab.
 *
 * @param endpoint - Path below `/mlops-jupyter/`, with any query string.
 * @param init - Fetch options (method, body, abort signal).
 * @returns The decoded JSON body (null for an empty body).
 * @throws ServerConnection.ResponseError whose message is the server's `error` text.
 * @throws ServerConnection.NetworkError when the server cannot be reached.
 */
export async function requestAPI<T>(
  endpoint = '',
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, NAMESPACE, endpoint);

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }

  const text = await response.text();
  let data: unknown = null;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    throw new ServerConnection.ResponseError(
      response,
      errorMessage(response, data)
    );
  }
  return data as T;
}

/**
 * POST `body` as JSON to an mlops-jupyter endpoint and return its JSON answer.
 */
export function postJSON<T>(
  endpoint: string,
  body: unknown = {},
  init: RequestInit = {}
): Promise<T> {
  return requestAPI<T>(endpoint, {
    ...init,
    method: 'POST',
    body: JSON.stringify(body)
  });
}

/**
 * `?key=value&...` for the defined, non-empty values of `params` ('' when none).
 */
export function queryString(
  params: Record<string, string | number | null | undefined>
): string {
  const defined: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') {
      defined[key] = String(value);
    }
  }
  return URLExt.objectToQueryString(defined);
}

/**
 * Whether `reason` is the server's answer with HTTP status `status`.
 */
export function isHTTPStatus(reason: unknown, status: number): boolean {
  return (
    reason instanceof ServerConnection.ResponseError &&
    reason.response.status === status
  );
}

/**
 * A failure as one line for the user (the server's `{"error"}` text when it sent one).
 */
export function messageOf(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

/**
 * The server's `{"error": ...}` message, or the HTTP status text.
 */
function errorMessage(response: Response, data: unknown): string {
  if (data && typeof data === 'object' && 'error' in data) {
    const error = (data as { error: unknown }).error;
    if (typeof error === 'string' && error.length > 0) {
      return error;
    }
  }
  return `${response.status} ${response.statusText || 'request failed'}`.trim();
}
