//! A fake Lambda Runtime API, for driving the built function binaries as Lambda would.
//!
//! Lambda runs a custom runtime (`provided.al2023`) as a plain process and talks to it over HTTP on
//! `AWS_LAMBDA_RUNTIME_API`: the process polls `GET /2018-06-01/runtime/invocation/next`, gets an
//! event with its request id in the headers, and posts the answer to `.../{id}/response` (or
//! `.../{id}/error`). [`FakeRuntime`] is that server on `127.0.0.1:<free port>`, driven step by step
//! from one thread, and [`lambda_command`] starts a binary with the environment Lambda gives it.
//! Used by the functions' integration tests and by `startup-bench`, so both see exactly what
//! Lambda would. [`events`] builds the SQS records the tests hand over.

pub mod events;

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use tiny_http::{Header, Method, Response, Server};

/// The Runtime API's path prefix.
pub const PREFIX: &str = "/2018-06-01/runtime";

/// The fake Runtime API server.
pub struct FakeRuntime {
    server: Server,
    address: String,
}

/// A `GET .../invocation/next` the function is waiting on.
pub struct Poll {
    request: tiny_http::Request,
    /// When it arrived.
    pub at: Instant,
}

/// What the function answered to one invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `POST .../{id}/response` with this body.
    Response(String),
    /// `POST .../{id}/error` with this body.
    Error(String),
}

impl FakeRuntime {
    /// Listens on a free port of 127.0.0.1.
    pub fn start() -> Result<Self, String> {
        let server = Server::http("127.0.0.1:0").map_err(|e| format!("fake Runtime API: {e}"))?;
        let address = server.server_addr().to_ip().ok_or("fake Runtime API: no IP address")?.to_string();
        Ok(FakeRuntime { server, address })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Waits up to `timeout` for the function's next poll. Any other request is an error (an
    /// `init/error` report is returned with its body).
    pub fn next_poll(&self, timeout: Duration) -> Result<Poll, String> {
        let mut request = self.receive(timeout, "the next poll")?;
        let at = Instant::now();
        if request.method() == &Method::Get && request.url() == format!("{PREFIX}/invocation/next") {
            return Ok(Poll { request, at });
        }
        let (method, url, body) = (request.method().clone(), request.url().to_string(), body_of(&mut request));
        let _ = request.respond(Response::empty(202));
        Err(format!("expected GET {PREFIX}/invocation/next, got {method} {url}: {body}"))
    }

    /// Waits up to `timeout` for the function's answer to invocation `request_id`.
    pub fn answer(&self, request_id: &str, timeout: Duration) -> Result<Answer, String> {
        let mut request = self.receive(timeout, "the function's answer")?;
        let url = request.url().to_string();
        let body = body_of(&mut request);
        let _ = request.respond(Response::empty(202));
        let base = format!("{PREFIX}/invocation/{request_id}");
        match url.strip_prefix(&base) {
            Some("/response") => Ok(Answer::Response(body)),
            Some("/error") => Ok(Answer::Error(body)),
            _ => Err(format!("expected the answer to {request_id}, got {url}: {body}")),
        }
    }

    fn receive(&self, timeout: Duration, what: &str) -> Result<tiny_http::Request, String> {
        match self.server.recv_timeout(timeout) {
            Ok(Some(request)) => Ok(request),
            Ok(None) => Err(format!("no request within {timeout:?} while waiting for {what}")),
            Err(e) => Err(format!("fake Runtime API: {e}")),
        }
    }
}

impl Poll {
    /// Hands the function one event as invocation `request_id`, with the headers Lambda sends.
    pub fn respond(self, request_id: &str, event: &str) -> Result<(), String> {
        let deadline = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default()
            + Duration::from_secs(30);
        let header =
            |name: &str, value: &str| Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header");
        let response = Response::from_string(event)
            .with_header(header("Content-Type", "application/json"))
            .with_header(header("Lambda-Runtime-Aws-Request-Id", request_id))
            .with_header(header("Lambda-Runtime-Deadline-Ms", &deadline.as_millis().to_string()))
            .with_header(header(
                "Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:eu-north-1:123456789012:function:samspil-test",
            ))
            .with_header(header("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"));
        self.request.respond(response).map_err(|e| format!("answering the poll: {e}"))
    }
}

fn body_of(request: &mut tiny_http::Request) -> String {
    let mut body = String::new();
    let _ = request.as_reader().read_to_string(&mut body);
    body
}

/// A command that runs `binary` with only the environment Lambda gives a function (plus `PATH`),
/// pointed at `runtime`, with dummy credentials and region. Add the function's own variables.
pub fn lambda_command(binary: &Path, runtime: &FakeRuntime, function_name: &str) -> Command {
    let mut command = Command::new(binary);
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command.envs([
        ("AWS_LAMBDA_RUNTIME_API", runtime.address()),
        ("AWS_LAMBDA_FUNCTION_NAME", function_name),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/samspil-test"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/02/[$LATEST]0123456789abcdef"),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
        ("AWS_REGION", "eu-north-1"),
        ("AWS_DEFAULT_REGION", "eu-north-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_SESSION_TOKEN", "testing"),
        ("TZ", ":UTC"),
        ("LANG", "en_US.UTF-8"),
    ]);
    command
}

/// A child process that is killed when dropped, so a failing test leaves nothing running.
pub struct Running(pub Child);

impl Running {
    /// Kills the process and waits for it.
    pub fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// The peak resident set size so far (`VmHWM`), in KiB. Linux only.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The emulator's URL from `AWS_ENDPOINT_URL`, which `make test` (scripts/with-moto.sh) sets.
pub fn emulator_endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL is not set: run under the emulator (make test, or scripts/with-moto.sh cargo test)")
}

/// `<prefix>-<pid>-<nanoseconds>`: a name for a test's own tables, topics and queues that no other
/// run against the same emulator uses.
pub fn unique_suffix(prefix: &str) -> String {
    let nanos = std::time::UNIX_EPOCH.elapsed().unwrap_or_default().subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}
