// Updraft's runtime client for Node.js functions.
//
// It speaks the Lambda Runtime API at $AWS_LAMBDA_RUNTIME_API (host:port,
// then a per-instance secret path prefix): it loads the handler named by
// $_HANDLER ("file.function", the file optionally under a directory, the
// function optionally a nested property), then loops: GET the next event,
// call handler(event, context, callback), POST the result or the error.
//
// Handlers may be async (return a promise) or callback style; context.done,
// succeed and fail work too. The first result wins and is posted at once:
// callbackWaitsForEmptyEventLoop is accepted but not waited for. A handler
// that neither returns a promise nor calls back gets null once the event loop
// is empty, as on Lambda.
//
// Built-in modules only, loaded as few as possible: start-up time is the
// function's cold start.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

// Errors with Lambda's runtime error names, e.g. Runtime.ImportModuleError.
function runtimeError(name, message) {
  const e = new Error(message);
  e.name = name;
  return e;
}

// toErrorJSON turns anything thrown or passed to a callback into the error
// JSON Lambda's Node.js runtime reports.
function toErrorJSON(err) {
  try {
    if (err instanceof Error || (err && typeof err.name === 'string' &&
        typeof err.message === 'string' && typeof err.stack === 'string')) {
      return {
        errorType: err.name || 'Error',
        errorMessage: err.message,
        trace: typeof err.stack === 'string' ? err.stack.split('\n') : [],
      };
    }
    return { errorType: typeof err, errorMessage: err.toString(), trace: [] };
  } catch (_) {
    return {
      errorType: 'handled',
      errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

function logError(label, err) {
  let detail;
  try {
    const j = toErrorJSON(err);
    detail = JSON.stringify({ errorType: j.errorType, errorMessage: j.errorMessage, stack: j.trace });
  } catch (_) {
    detail = String(err);
  }
  process.stderr.write(`ERROR\t${label} \t${detail}\n`);
}

// The Runtime API client: one keep-alive connection.
const api = (() => {
  const value = process.env.AWS_LAMBDA_RUNTIME_API || '';
  const slash = value.indexOf('/');
  const hostport = slash < 0 ? value : value.slice(0, slash);
  const colon = hostport.lastIndexOf(':');
  return {
    host: hostport.slice(0, colon).replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: Number(hostport.slice(colon + 1)),
    base: (slash < 0 ? '' : value.slice(slash)) + '/2018-06-01/runtime/',
    agent: new http.Agent({ keepAlive: true, maxSockets: 1 }),
  };
})();

function request(method, p, body, headers, retried) {
  return new Promise((resolve, reject) => {
    const h = Object.assign({ 'Content-Length': body ? Buffer.byteLength(body) : 0 }, headers);
    const req = http.request({
      agent: api.agent, host: api.host, port: api.port, method, path: api.base + p, headers: h,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', (err) => {
      // The server may have closed an idle keep-alive connection: retry once.
      if (req.reusedSocket && !retried && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
        resolve(request(method, p, body, headers, true));
        return;
      }
      reject(err);
    });
    req.end(body);
  });
}

// post sends a result. A refusal (e.g. 413, too large) is the platform's to
// report; the runtime carries on with the next event.
async function post(p, body, errorType) {
  const headers = { 'Content-Type': 'application/json' };
  if (errorType) headers['Lambda-Runtime-Function-Error-Type'] = errorType;
  try {
    await request('POST', p, body, headers);
  } catch (err) {
    process.stderr.write(`updraft: POST ${p} failed: ${err.message}\n`);
  }
}

// Loading the handler, the way Lambda's Node.js runtime resolves it.

async function loadModule(root, moduleRoot, name) {
  const file = path.resolve(root, moduleRoot, name);
  for (const ext of ['', '.js', '.cjs', '.mjs']) {
    const p = file + ext;
    if (!fs.existsSync(p)) continue;
    if (ext === '.mjs') return importFile(p);
    try {
      return require(p);
    } catch (e) {
      if (e && e.code === 'ERR_REQUIRE_ESM') return importFile(p);
      throw e;
    }
  }
  // A package under node_modules, e.g. handler "my-pkg.handler".
  return require(require.resolve(name, { paths: [root, path.resolve(root, moduleRoot)] }));
}

function importFile(p) {
  const { pathToFileURL } = require('url');
  return import(pathToFileURL(p).href);
}

// withoutBootstrap drops this file from a "Require stack" in a message.
function withoutBootstrap(message) {
  const lines = message.split('\n').filter((l) => l !== '- ' + __filename);
  if (lines[lines.length - 1] === 'Require stack:') lines.pop();
  return lines.join('\n');
}

async function loadHandler(root, full) {
  if (full.includes('..')) {
    throw runtimeError('Runtime.MalformedHandlerName',
      `'${full}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`);
  }
  const base = path.basename(full);
  const moduleRoot = full.slice(0, full.length - base.length);
  const m = /^([^.]*)\.(.*)$/.exec(base);
  if (!m) throw runtimeError('Runtime.MalformedHandlerName', 'Bad handler');
  let app;
  try {
    app = await loadModule(root, moduleRoot, m[1]);
  } catch (e) {
    if (e instanceof SyntaxError) throw runtimeError('Runtime.UserCodeSyntaxError', String(e));
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) {
      throw runtimeError('Runtime.ImportModuleError', withoutBootstrap(String(e)));
    }
    throw e;
  }
  const fn = m[2].split('.').reduce((o, k) => o && o[k], app);
  if (!fn) throw runtimeError('Runtime.HandlerNotFound', `${full} is undefined or not exported`);
  if (typeof fn !== 'function') throw runtimeError('Runtime.HandlerNotFound', `${full} is not a function`);
  return fn;
}

// Invocations.

// current is the invocation running now: { fail(err) } ends it with an
// error, used for uncaught exceptions and unhandled rejections.
let current = null;
let initializing = true;

function parseJSONHeader(value, what) {
  if (!value) return undefined;
  try {
    const s = value.trimStart().startsWith('{') ? value : Buffer.from(value, 'base64').toString('utf8');
    return JSON.parse(s);
  } catch (err) {
    throw new Error(`Cannot parse ${what} as json: ${err}`);
  }
}

// invoke runs the handler on one event and resolves with the outcome to
// post: { body, error } where error is true for a function error.
function invoke(handler, headers, body) {
  return new Promise((resolve) => {
    const id = headers['lambda-runtime-aws-request-id'] || '';
    let finished = false;
    let exitAfter = false;
    const finish = (err, result, logged) => {
      if (finished) return;
      finished = true;
      current = null;
      if (err !== undefined && err !== null) {
        if (!logged) logError('Invoke Error', err);
        resolve({ id, body: JSON.stringify(toErrorJSON(err)), error: true, exit: exitAfter });
        return;
      }
      let out;
      try {
        out = JSON.stringify(result === undefined ? null : result);
        if (out === undefined) out = 'null'; // a function or a symbol
      } catch (e) {
        const me = runtimeError('Runtime.MarshalError', `Unable to stringify response body: ${e.message}`);
        logError('Invoke Error', me);
        resolve({ id, body: JSON.stringify(toErrorJSON(me)), error: true });
        return;
      }
      resolve({ id, body: out, error: false });
    };
    current = {
      fail(err) { exitAfter = true; finish(err, undefined, true); },
      empty() { finish(null, null); },
    };

    const trace = headers['lambda-runtime-trace-id'];
    if (trace) process.env._X_AMZN_TRACE_ID = trace;
    else delete process.env._X_AMZN_TRACE_ID;

    const callback = (err, result) => finish(err, result);
    try {
      const deadline = Number(headers['lambda-runtime-deadline-ms']) || 0;
      let waits = true;
      const context = {
        get callbackWaitsForEmptyEventLoop() { return waits; },
        set callbackWaitsForEmptyEventLoop(v) { waits = v; },
        succeed: (result) => finish(null, result),
        fail: (err) => finish(err === undefined || err === null ? 'handled' : err),
        done: callback,
        functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
        functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
        memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
        logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
        logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
        clientContext: parseJSONHeader(headers['lambda-runtime-client-context'], 'ClientContext'),
        identity: parseJSONHeader(headers['lambda-runtime-cognito-identity'], 'CognitoIdentity'),
        invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
        awsRequestId: id,
        getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
      };
      const event = JSON.parse(body.toString('utf8'));
      const ret = handler(event, context, callback);
      if (ret && typeof ret.then === 'function') {
        ret.then((result) => finish(null, result),
          (err) => finish(err === undefined || err === null ? 'handled' : err));
      }
    } catch (err) {
      finish(err);
    }
  });
}

async function loop(handler) {
  for (;;) {
    const next = await request('GET', 'invocation/next');
    if (next.status !== 200) {
      process.stderr.write(`updraft: GET next event failed: ${next.status} ${next.body.toString().slice(0, 200)}\n`);
      process.exit(1);
    }
    const out = await invoke(handler, next.headers, next.body);
    const id = encodeURIComponent(out.id);
    if (out.error) await post(`invocation/${id}/error`, out.body, 'Unhandled');
    else await post(`invocation/${id}/response`, out.body);
    if (out.exit) process.exit(1);
  }
}

let initFailed = false;

async function initError(err, logged) {
  if (initFailed) return;
  initFailed = true;
  if (!logged) logError('Init Error', err);
  const j = toErrorJSON(err);
  try {
    await post('init/error', JSON.stringify(j), j.errorType);
  } finally {
    process.exit(1);
  }
}

// Failures outside the handler's own promise or callback: report them on
// the invocation running now (or as an init error), then exit.
function fatal(label, err) {
  logError(label, err);
  if (initializing) initError(err, true);
  else if (current) current.fail(err);
  else process.exit(1);
}

process.on('uncaughtException', (err) => fatal('Uncaught Exception', err));
process.on('unhandledRejection', (reason) => {
  let message;
  try {
    message = String(reason);
  } catch (_) {
    message = 'a promise was rejected with a value that has no string form';
  }
  const err = runtimeError('Runtime.UnhandledPromiseRejection', message);
  err.stack = reason && typeof reason.stack === 'string' ? `${err.name}: ${err.message}\n${reason.stack}` : err.stack;
  fatal('Unhandled Promise Rejection', err);
});
process.on('beforeExit', () => {
  if (current) current.empty();
});

// A stem cell: a runtime started before its function was known waits here
// for it, then takes the function's environment and task root and carries
// on as a fresh instance would.
async function specialize() {
  // One answered request first: Node compiles its HTTP response path on
  // first use, which would otherwise add milliseconds to the cold start.
  await request('GET', 'updraft/ping');
  const res = await request('GET', 'updraft/specialize');
  if (res.status !== 200) {
    process.stderr.write(`updraft: stem cell not assigned: ${res.status} ${res.body.toString().slice(0, 200)}\n`);
    process.exit(1);
  }
  const msg = JSON.parse(res.body);
  for (const k of Object.keys(process.env)) delete process.env[k];
  for (const kv of msg.env) {
    const i = kv.indexOf('=');
    process.env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  process.chdir(msg.root);
}

(async () => {
  if (process.env._UPDRAFT_STEM) await specialize();
  let handler;
  try {
    handler = await loadHandler(process.env.LAMBDA_TASK_ROOT || process.cwd(), process.env._HANDLER || '');
  } catch (err) {
    await initError(err);
    return;
  }
  // Let a rejection the module left unhandled surface as an init error.
  await new Promise((resolve) => setImmediate(resolve));
  if (initFailed) return;
  initializing = false;
  await loop(handler);
})().catch((err) => {
  process.stderr.write(`updraft: runtime client failed: ${err && err.stack || err}\n`);
  process.exit(1);
});
