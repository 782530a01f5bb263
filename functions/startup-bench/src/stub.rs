//! A stub of the AWS services a function's first invocation calls, answering every request at
//! once on 127.0.0.1 over plain HTTP: SSM `GetParameter` (the HMAC secret), DynamoDB `GetItem`
//! (nobody stored yet) and `PutItem`, SNS `Publish`.
//!
//! With a stub that takes no time and no network between, what the first invocation takes is the
//! function's own work: building the SDK clients' HTTP stack and TLS configuration on first use,
//! signing, serialising, the pipeline itself. What AWS adds on top (DNS, a TCP and a TLS handshake
//! per new connection, a round trip per request, the services' own time) is the network's; the stub
//! counts the connections and requests so the report can say how many of those there are.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tiny_http::{Header, Response, Server};

/// The value of the SSM parameter the stub hands out.
pub const SECRET: &str = "startup-bench-secret";

/// What the stub saw.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// The operations, in order (`ssm:GetParameter`, `dynamodb:GetItem`, ...).
    pub operations: Vec<String>,
    /// Distinct client ports: one per TCP connection the function opened.
    pub connections: BTreeSet<u16>,
    /// Time spent inside the stub answering.
    pub answering: Duration,
}

/// The running stub.
pub struct Stub {
    server: Arc<Server>,
    pub url: String,
    seen: Arc<Mutex<Seen>>,
    thread: Option<JoinHandle<()>>,
}

impl Stub {
    pub fn start() -> Result<Stub, String> {
        let server = Arc::new(Server::http("127.0.0.1:0").map_err(|e| format!("AWS stub: {e}"))?);
        let address = server.server_addr().to_ip().ok_or("AWS stub: no IP address")?;
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (server2, seen2) = (server.clone(), seen.clone());
        let thread = std::thread::spawn(move || {
            for mut request in server2.incoming_requests() {
                let started = Instant::now();
                let target = request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("x-amz-target"))
                    .map(|h| h.value.as_str().to_string())
                    .unwrap_or_default();
                let mut body = String::new();
                let _ = request.as_reader().read_to_string(&mut body);
                let (operation, content_type, answer) = answer(&target, &body);
                let port = request.remote_addr().map_or(0, |a| a.port());
                let header = Header::from_bytes("Content-Type", content_type).expect("a header");
                let _ = request.respond(Response::from_string(answer).with_header(header));
                let mut seen = seen2.lock().expect("stub lock");
                seen.operations.push(operation);
                seen.connections.insert(port);
                seen.answering += started.elapsed();
            }
        });
        Ok(Stub { server, url: format!("http://{address}"), seen, thread: Some(thread) })
    }

    /// What the stub saw since the last call.
    pub fn take(&self) -> Seen {
        std::mem::take(&mut *self.seen.lock().expect("stub lock"))
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The operation's name, the content type and the body of an immediate success.
fn answer(target: &str, body: &str) -> (String, &'static str, String) {
    match target {
        "AmazonSSM.GetParameter" => (
            "ssm:GetParameter".into(),
            "application/x-amz-json-1.1",
            format!(
                r#"{{"Parameter":{{"Name":"/samspil/hmac-secret","Type":"SecureString","Value":"{SECRET}","Version":1}}}}"#
            ),
        ),
        "DynamoDB_20120810.GetItem" => ("dynamodb:GetItem".into(), "application/x-amz-json-1.0", "{}".into()),
        "DynamoDB_20120810.PutItem" => ("dynamodb:PutItem".into(), "application/x-amz-json-1.0", "{}".into()),
        _ if body.starts_with("Action=Publish&") => (
            "sns:Publish".into(),
            "text/xml",
            "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult>\
             <MessageId>00000000-0000-0000-0000-000000000001</MessageId></PublishResult>\
             <ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></PublishResponse>"
                .into(),
        ),
        other => (
            format!("unexpected {other:?}"),
            "application/x-amz-json-1.0",
            r#"{"__type":"com.amazon.coral.service#UnknownOperationException"}"#.into(),
        ),
    }
}
