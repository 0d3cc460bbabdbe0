// Calls to the server's APIs on the same origin, with the signed-in API
// key as a bearer token. The key lives in this tab's sessionStorage only.

const KEY = 'updraft.apiKey';

export const session = {
  get key() { return sessionStorage.getItem(KEY) || ''; },
  set(k) { sessionStorage.setItem(KEY, k); },
  clear() { sessionStorage.removeItem(KEY); },
};

export class ApiError extends Error {
  constructor(status, type, message) {
    super(message || ('HTTP ' + status));
    this.status = status;
    this.type = type || '';
  }
}

// onUnauthorized is called when the key is refused (set by the app).
export const hooks = { onUnauthorized() {} };

// call sends a request; opts: method, body, headers, raw (return the
// Response), key (instead of the session's, to try one).
export async function call(path, opts = {}) {
  const headers = { Authorization: 'Bearer ' + (opts.key || session.key), ...(opts.headers || {}) };
  let body = opts.body;
  if (body !== undefined && typeof body !== 'string') {
    body = JSON.stringify(body);
    headers['Content-Type'] = headers['Content-Type'] || 'application/json';
  }
  const res = await fetch(path, { method: opts.method || 'GET', headers, body, cache: 'no-store' });
  if (!res.ok) {
    let type = res.headers.get('X-Amzn-ErrorType') || '';
    let msg = res.statusText;
    const text = await res.text();
    try {
      const j = JSON.parse(text);
      msg = j.message || j.Message || msg;
      type = type || j.__type || '';
    } catch {
      const m = /<Message>([^<]*)<\/Message>/.exec(text);
      if (m) msg = m[1];
    }
    if (res.status === 401 || (res.status === 403 && /UnrecognizedClient/.test(type))) hooks.onUnauthorized(msg);
    throw new ApiError(res.status, type.split(/[#:]/).pop(), msg);
  }
  if (opts.raw) return res;
  if (res.status === 204) return null;
  const ct = res.headers.get('Content-Type') || '';
  if (ct.includes('ndjson')) {
    return (await res.text()).split('\n').filter(Boolean).map(l => JSON.parse(l));
  }
  if (ct.includes('json')) return res.json();
  return res.text();
}

export const fnPath = (name, suffix = '') => '/v1/functions/' + encodeURIComponent(name) + suffix;
export const lambdaPath = (name, suffix = '') => '/2015-03-31/functions/' + encodeURIComponent(name) + suffix;

// exists says whether GET path is served: a missing endpoint answers
// 404 UnknownOperationException (a route of another build).
export async function exists(path) {
  try {
    await call(path);
    return true;
  } catch (e) {
    return !(e.status === 404 || e.status === 400 || e.status === 501);
  }
}

// sqs, dynamodb: the AWS JSON protocols (X-Amz-Target) with the bearer key.
export const sqs = (action, input = {}) => call('/', {
  method: 'POST', body: input,
  headers: { 'X-Amz-Target': 'AmazonSQS.' + action, 'Content-Type': 'application/x-amz-json-1.0' },
});
export const dynamodb = (action, input = {}) => call('/', {
  method: 'POST', body: input,
  headers: { 'X-Amz-Target': 'DynamoDB_20120810.' + action, 'Content-Type': 'application/x-amz-json-1.0' },
});

// sns speaks SNS's query protocol; the X-Amz-Target names the service
// for a request signed with a bearer key. It returns the reply's XML.
export async function sns(action, params = {}) {
  const form = new URLSearchParams({ Action: action, ...params });
  const text = await call('/', {
    method: 'POST', body: form.toString(),
    headers: { 'X-Amz-Target': 'sns.' + action, 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  return new DOMParser().parseFromString(text, 'application/xml');
}
