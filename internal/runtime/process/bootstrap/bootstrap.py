"""Updraft's runtime client for Python functions.

It speaks the Lambda Runtime API at $AWS_LAMBDA_RUNTIME_API (host:port, then
a per-instance secret path prefix): it imports the handler named by $_HANDLER
("module.function", the module dotted or a path), then loops: GET the next
event, call handler(event, context), POST the result or the error.

Standard library only, and as little of it as possible before the first
/next: start-up time is the function's cold start. http.client is not used
because importing it (with email and ssl) costs more than the rest of the
start-up together; the Runtime API needs only a few lines of HTTP/1.1 over
one keep-alive socket. traceback and logging are imported when needed.
"""

import json
import os
import socket
import sys
import time

_BOOTSTRAP = os.path.abspath(__file__)


class _Fault(Exception):
    """A runtime-level failure with Lambda's error type, e.g.
    Runtime.ImportModuleError."""

    def __init__(self, error_type, message, trace=None):
        Exception.__init__(self, message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


class _Closed(Exception):
    """The connection closed before a response arrived."""


class _RuntimeAPI:
    """A minimal HTTP/1.1 client for the Runtime API over one keep-alive
    connection, reconnecting when the connection was lost."""

    def __init__(self, api):
        hostport, _, prefix = api.partition("/")
        host, _, port = hostport.rpartition(":")
        self.addr = (host.strip("[]") or "127.0.0.1", int(port))
        self.host = hostport
        self.base = ("/" + prefix if prefix else "") + "/2018-06-01/runtime/"
        self.sock = None
        self.rfile = None

    def _connect(self):
        # Not socket.create_connection: its getaddrinfo imports the idna
        # codec, a millisecond of start-up for an address that is numeric.
        s = socket.socket(socket.AF_INET6 if ":" in self.addr[0] else socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.connect(self.addr)
        except BaseException:
            s.close()
            raise
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = s
        self.rfile = s.makefile("rb")

    def close(self):
        if self.sock is not None:
            try:
                self.rfile.close()
                self.sock.close()
            except OSError:
                pass
        self.sock = self.rfile = None

    def request(self, method, path, body=b"", headers=""):
        head = (
            "%s %s%s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n%s\r\n"
            % (method, self.base, path, self.host, len(body), headers)
        ).encode("latin-1")
        if len(body) < 65536:
            head, body = head + body, b""
        for attempt in (0, 1):
            if self.sock is None:
                self._connect()
            try:
                try:
                    self.sock.sendall(head)
                    if body:
                        self.sock.sendall(body)
                except OSError:
                    # The server may have answered before reading the whole
                    # body (413 for a result over the limit) and closed.
                    return self._response()
                return self._response()
            except (OSError, ValueError, IndexError, _Closed):
                # Or it closed an idle keep-alive connection: reconnect once.
                self.close()
                if attempt:
                    raise

    def _response(self):
        rf = self.rfile
        line = rf.readline(65537)
        if not line:
            raise _Closed()
        status = int(line.split(None, 2)[1])
        headers = {}
        while True:
            line = rf.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(rf.readline(65537).split(b";", 1)[0], 16)
                if size == 0:
                    while rf.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(rf.read(size))
                rf.readline(3)
            body = b"".join(chunks)
        elif "content-length" in headers:
            body = rf.read(int(headers["content-length"]))
        else:
            body = rf.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    def post(self, path, body, error_type=None):
        """POST a result. A refusal (e.g. 413, too large) is the platform's
        to report; the runtime carries on with the next event."""
        extra = "Content-Type: application/json\r\n"
        if error_type:
            extra += "Lambda-Runtime-Function-Error-Type: %s\r\n" % error_type
        try:
            self.request("POST", path, body, extra)
        except (OSError, ValueError, IndexError, _Closed) as e:
            self.close()
            _log("updraft: POST %s failed: %s" % (path, e))


def _log(msg):
    try:
        sys.stdout.write(msg + "\n")
    except Exception:
        pass


def _flush():
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:
            pass


def _error(error_type, message, trace, request_id=""):
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id or "",
        "stackTrace": trace or [],
    }


def _exception_error(exc, request_id=""):
    """Lambda's error JSON for an exception raised by the function's code,
    with the runtime's own frames left out of the stack trace."""
    import traceback

    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(exc.__traceback__)]
    for i, f in enumerate(frames):
        if f[0] != _BOOTSTRAP and not f[0].startswith("<frozen importlib"):
            frames = frames[i:]
            break
    return _error(type(exc).__name__, str(exc), traceback.format_list(frames), request_id)


def _log_error(err):
    """Print the error the way Lambda's Python runtime does."""
    lines = ["[ERROR] %s: %s" % (err["errorType"], err["errorMessage"]), "Traceback (most recent call last):"]
    for element in err["stackTrace"]:
        lines.extend(element.splitlines() or [""])
    _log("\n".join(lines))


def _load_handler(name):
    modname, dot, fname = name.rpartition(".")
    if not dot or not modname or not fname:
        raise _Fault("Runtime.MalformedHandlerName", "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % name)
    if modname.split(".")[0] in sys.builtin_module_names:
        raise _Fault("Runtime.BuiltInModuleConflict", "Cannot use built-in module %s as a handler module" % modname)
    dotted = modname.replace("/", ".")
    try:
        __import__(dotted)
        module = sys.modules[dotted]
    except ImportError as e:
        raise _Fault("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (modname, e))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise _Fault("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (modname, e), trace)
    try:
        return getattr(module, fname)
    except AttributeError:
        raise _Fault("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (fname, modname))


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")


class Client:
    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")


class ClientContext:
    __slots__ = ("custom", "env", "client")


def _from_dict(cls, d):
    if not isinstance(d, dict):
        return None
    obj = cls()
    for k in cls.__slots__:
        setattr(obj, k, d.get(k))
    return obj


def _json_header(value, what):
    """Decode a JSON header; the client context may also arrive base64
    encoded, as the Invoke API takes it."""
    if not value:
        return None
    try:
        raw = value.encode("latin-1")
        if not raw.lstrip().startswith(b"{"):
            import binascii

            raw = binascii.a2b_base64(raw)
        return json.loads(raw.decode("utf-8"))
    except Exception as e:
        raise _Fault("Runtime.LambdaContextUnmarshalError", "Unable to parse %s JSON: %s" % (what, e))


class LambdaContext:
    """The context argument, with the attributes Lambda's Python runtime
    gives it."""

    def __init__(self, request_id, deadline_ms, arn, client_context, identity):
        env = os.environ
        self.aws_request_id = request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        # A string, as on Lambda: code written for Lambda converts it itself.
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = arn
        self.tenant_id = None
        self.client_context = _from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = _from_dict(Client, self.client_context.client)
        self.identity = _from_dict(CognitoIdentity, identity or {})
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        left = self._deadline_ms - int(time.time() * 1000)
        return left if left > 0 else 0

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return "LambdaContext([aws_request_id=%s,function_name=%s,function_version=%s,invoked_function_arn=%s])" % (
            self.aws_request_id, self.function_name, self.function_version, self.invoked_function_arn)


def _default(obj):
    if type(obj).__name__ == "Decimal":
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    raise TypeError("Object of type %s is not JSON serializable" % type(obj).__name__)


_dumps = json.JSONEncoder(ensure_ascii=False, default=_default).encode

# The request id of the invocation running now, for log records.
_request_id = ""
_logging_ready = False


def _setup_logging():
    """Give the root logger Lambda's handler once the function imported
    logging, so logger.info() prints as on Lambda, unless the function
    configured a handler of its own."""
    global _logging_ready
    _logging_ready = True
    import logging

    root = logging.getLogger()
    if root.handlers:
        return

    class RequestIdFilter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = _request_id
            return True

    class StdoutHandler(logging.Handler):
        def emit(self, record):
            try:
                sys.stdout.write(self.format(record))
            except Exception:
                self.handleError(record)

    fmt = logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S")
    fmt.converter = time.gmtime
    h = StdoutHandler()
    h.setFormatter(fmt)
    h.addFilter(RequestIdFilter())
    root.addHandler(h)


def _invoke(handler, headers, body):
    """Run one invocation; return (payload, error_type or None)."""
    global _request_id
    rid = headers.get("lambda-runtime-aws-request-id", "")
    _request_id = rid
    trace_id = headers.get("lambda-runtime-trace-id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    if not _logging_ready and "logging" in sys.modules:
        _setup_logging()
    try:
        try:
            deadline = int(headers.get("lambda-runtime-deadline-ms", "0"))
        except ValueError:
            deadline = 0
        ctx = LambdaContext(
            rid,
            deadline,
            headers.get("lambda-runtime-invoked-function-arn"),
            _json_header(headers.get("lambda-runtime-client-context"), "Client Context"),
            _json_header(headers.get("lambda-runtime-cognito-identity"), "Cognito Identity"),
        )
        try:
            event = json.loads(body)
        except ValueError as e:
            raise _Fault("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % e)
        result = handler(event, ctx)
        try:
            return _dumps(result).encode("utf-8"), None
        except (TypeError, ValueError, OverflowError, RecursionError, UnicodeError) as e:
            raise _Fault("Runtime.MarshalError", "Unable to marshal response: %s" % e)
    except _Fault as f:
        err = _error(f.error_type, f.message, f.trace, rid)
    except Exception as e:
        err = _exception_error(e, rid)
    _log_error(err)
    return json.dumps(err).encode("utf-8"), err["errorType"]


def _specialize(api):
    """A stem cell: an interpreter started before its function was known
    waits here for it, then takes the function's environment and task root
    and carries on as a fresh instance would."""
    status, _, body = api.request("GET", "updraft/specialize")
    if status != 200:
        _log("updraft: stem cell not assigned: %d %s" % (status, body[:200]))
        _flush()
        sys.exit(1)
    msg = json.loads(body)
    env = os.environ
    # Python may have set LC_CTYPE itself at start (PEP 538 locale
    # coercion), as it would have for a fresh process: keep it.
    coerced = env.get("LC_CTYPE")
    env.clear()
    for kv in msg["env"]:
        k, _, v = kv.partition("=")
        env[k] = v
    if coerced is not None:
        env.setdefault("LC_CTYPE", coerced)
    os.chdir(msg["root"])


def main():
    env = os.environ
    api = _RuntimeAPI(env["AWS_LAMBDA_RUNTIME_API"])
    if env.get("_UPDRAFT_STEM"):
        _specialize(api)
    # The function's code comes first on the path, in place of this file's
    # directory.
    root = env.get("LAMBDA_TASK_ROOT") or os.getcwd()
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(_BOOTSTRAP):
        sys.path[0] = root
    else:
        sys.path.insert(0, root)

    try:
        handler = _load_handler(env.get("_HANDLER", ""))
    except Exception as e:
        if isinstance(e, _Fault):
            err = _error(e.error_type, e.message, e.trace)
        else:
            err = _exception_error(e)
        _log_error(err)
        _flush()
        api.post("init/error", json.dumps(err).encode("utf-8"), err["errorType"])
        api.close()
        sys.exit(1)
    if "logging" in sys.modules:
        _setup_logging()

    while True:
        status, headers, body = api.request("GET", "invocation/next")
        if status != 200:
            _log("updraft: GET next event failed: %d %s" % (status, body[:200]))
            _flush()
            sys.exit(1)
        payload, error_type = _invoke(handler, headers, body)
        _flush()
        rid = headers.get("lambda-runtime-aws-request-id", "")
        if error_type is None:
            api.post("invocation/%s/response" % rid, payload)
        else:
            api.post("invocation/%s/error" % rid, payload, "Unhandled")


if __name__ == "__main__":
    main()
