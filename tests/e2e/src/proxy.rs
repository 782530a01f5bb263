//! A fault-injecting HTTP proxy between samspil and the emulator: the network as it really is.
//!
//! The AWS SDK talks plain HTTP/1.1 to the emulator, so a proxy on a loopback port sees every call
//! whole. For each request it picks, at the configured rates ([`FaultRates`]), one of:
//!
//! - [`Fault::DropBefore`]: close the connection before the request reaches the emulator;
//! - [`Fault::DropAfter`]: forward it, let the emulator act, then close the connection before the
//!   answer arrives: the call took effect and its caller cannot know (the case that lost updates);
//! - [`Fault::Delay`]: hold the request 0.5 to 3 s, then forward it (past the SDK's 2 s attempt
//!   timeout the caller gives up and retries a call that may still take effect);
//! - [`Fault::Throttle`]: answer 400 with the service's own throttling error;
//! - [`Fault::ServerError`]: answer 500 with an internal error;
//!
//! or forwards it untouched. Each forwarded request goes over a fresh upstream connection with
//! `Connection: close`, and the answer is read to its end, so a request is never split between
//! two faults. The rates can be changed while it runs (turned off to drain, say), and it counts
//! what it did by kind. It binds 127.0.0.1 only and forwards only to the address it is given.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    DropBefore,
    DropAfter,
    Delay,
    Throttle,
    ServerError,
}

impl Fault {
    pub const ALL: [Fault; 5] =
        [Fault::DropBefore, Fault::DropAfter, Fault::Delay, Fault::Throttle, Fault::ServerError];

    pub fn name(self) -> &'static str {
        match self {
            Fault::DropBefore => "dropped before the emulator",
            Fault::DropAfter => "dropped after the emulator acted",
            Fault::Delay => "delayed 0.5-3 s",
            Fault::Throttle => "throttled (400)",
            Fault::ServerError => "server error (500)",
        }
    }
}

/// The share of requests that get each fault (the rest pass untouched).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FaultRates {
    pub drop_before: f64,
    pub drop_after: f64,
    pub delay: f64,
    pub throttle: f64,
    pub server_error: f64,
}

impl FaultRates {
    /// No faults.
    pub const OFF: FaultRates =
        FaultRates { drop_before: 0.0, drop_after: 0.0, delay: 0.0, throttle: 0.0, server_error: 0.0 };

    /// `total` of all requests faulty, spread over the kinds: a quarter dropped before, a quarter
    /// dropped after the emulator acted, and the rest evenly delayed, throttled and failed.
    pub fn spread(total: f64) -> FaultRates {
        let rest = total / 6.0;
        FaultRates {
            drop_before: total / 4.0,
            drop_after: total / 4.0,
            delay: rest,
            throttle: rest,
            server_error: rest,
        }
    }

    fn pick(&self) -> Option<Fault> {
        let mut roll = fastrand::f64();
        for (fault, rate) in [
            (Fault::DropBefore, self.drop_before),
            (Fault::DropAfter, self.drop_after),
            (Fault::Delay, self.delay),
            (Fault::Throttle, self.throttle),
            (Fault::ServerError, self.server_error),
        ] {
            if roll < rate {
                return Some(fault);
            }
            roll -= rate;
        }
        None
    }
}

/// What the proxy did, by kind.
#[derive(Debug, Default)]
struct Counts {
    requests: AtomicU64,
    faults: [AtomicU64; 5],
}

/// A snapshot of [`FaultProxy::counts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FaultCounts {
    pub requests: u64,
    /// By [`Fault::ALL`]'s order.
    pub faults: [u64; 5],
}

impl FaultCounts {
    pub fn total_faults(&self) -> u64 {
        self.faults.iter().sum()
    }

    pub fn of(&self, fault: Fault) -> u64 {
        self.faults[Fault::ALL.iter().position(|f| *f == fault).expect("a fault")]
    }
}

/// The running proxy. Dropping it stops accepting connections.
pub struct FaultProxy {
    address: SocketAddr,
    rates: Arc<Mutex<FaultRates>>,
    counts: Arc<Counts>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl FaultProxy {
    /// Listens on an ephemeral loopback port and forwards to `upstream` (a loopback address).
    pub async fn start(upstream: SocketAddr, rates: FaultRates) -> std::io::Result<FaultProxy> {
        assert!(upstream.ip().is_loopback(), "the proxy forwards to this machine only");
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let rates = Arc::new(Mutex::new(rates));
        let counts = Arc::new(Counts::default());
        let (r, c) = (rates.clone(), counts.clone());
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(client, upstream, r.clone(), c.clone()));
            }
        });
        Ok(FaultProxy { address, rates, counts, accept })
    }

    /// The URL to point `AWS_ENDPOINT_URL` at.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn set_rates(&self, rates: FaultRates) {
        *self.rates.lock().expect("rates lock") = rates;
    }

    pub fn counts(&self) -> FaultCounts {
        FaultCounts {
            requests: self.counts.requests.load(Ordering::Relaxed),
            faults: std::array::from_fn(|i| self.counts.faults[i].load(Ordering::Relaxed)),
        }
    }
}

/// One client connection: request after request until it closes or a fault drops it.
async fn serve(mut client: TcpStream, upstream: SocketAddr, rates: Arc<Mutex<FaultRates>>, counts: Arc<Counts>) {
    let mut buffer = Vec::new();
    while let Some(request) = read_request(&mut client, &mut buffer).await {
        counts.requests.fetch_add(1, Ordering::Relaxed);
        let fault = rates.lock().expect("rates lock").pick();
        if let Some(fault) = fault {
            let index = Fault::ALL.iter().position(|f| *f == fault).expect("a fault");
            counts.faults[index].fetch_add(1, Ordering::Relaxed);
        }
        let answer = match fault {
            Some(Fault::DropBefore) => return,
            Some(Fault::Throttle) => error_answer(&request, 400),
            Some(Fault::ServerError) => error_answer(&request, 500),
            Some(Fault::Delay) => {
                tokio::time::sleep(Duration::from_millis(fastrand::u64(500..3000))).await;
                match forward(&request, upstream).await {
                    Some(answer) => answer,
                    None => return,
                }
            }
            Some(Fault::DropAfter) => {
                let _ = forward(&request, upstream).await;
                return;
            }
            None => match forward(&request, upstream).await {
                Some(answer) => answer,
                None => return,
            },
        };
        if client.write_all(&answer).await.is_err() {
            return;
        }
        if answer_closes(&answer) {
            return;
        }
    }
}

/// One HTTP request as received: its head (request line and headers) and body.
struct Request {
    head: String,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Reads the next request; `None` when the client closed or sent something that is not HTTP/1.1
/// with a `Content-Length` body (the SDK sends nothing else to these services).
async fn read_request(client: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Request> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut headers);
        if let httparse::Status::Complete(head_len) = parsed.parse(buffer).ok()? {
            let length = parsed
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .map_or(Some(0), |h| std::str::from_utf8(h.value).ok()?.trim().parse::<usize>().ok())?;
            while buffer.len() < head_len + length {
                read_more(client, buffer).await?;
            }
            let head = String::from_utf8_lossy(&buffer[..head_len]).into_owned();
            let body = buffer[head_len..head_len + length].to_vec();
            buffer.drain(..head_len + length);
            return Some(Request { head, body });
        }
        read_more(client, buffer).await?;
    }
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).await.ok()?;
    (n > 0).then(|| buffer.extend_from_slice(&chunk[..n]))
}

/// Sends the request upstream on a fresh connection that closes after the answer, and returns the
/// whole answer. `None` if the emulator could not be reached.
async fn forward(request: &Request, upstream: SocketAddr) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).await.ok()?;
    let mut head = String::with_capacity(request.head.len() + 20);
    for line in request.head.trim_end().lines() {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            head.push_str(line);
            head.push_str("\r\n");
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    server.write_all(head.as_bytes()).await.ok()?;
    server.write_all(&request.body).await.ok()?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).await.ok()?;
    (!answer.is_empty()).then_some(answer)
}

fn answer_closes(answer: &[u8]) -> bool {
    let head_end = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(answer.len());
    String::from_utf8_lossy(&answer[..head_end])
        .lines()
        .any(|l| l.to_ascii_lowercase().replace(' ', "") == "connection:close")
}

/// The service's own error for `status` (400: throttling, 500: internal failure), in its protocol:
/// JSON for DynamoDB and SQS (`X-Amz-Target`), XML for SNS (the query protocol).
fn error_answer(request: &Request, status: u16) -> Vec<u8> {
    let target = request.header("x-amz-target").unwrap_or_default();
    let (content_type, body) = if target.starts_with("DynamoDB") {
        let kind = if status == 400 { "ProvisionedThroughputExceededException" } else { "InternalServerError" };
        (
            "application/x-amz-json-1.0",
            format!(r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{kind}","message":"injected"}}"#),
        )
    } else if target.starts_with("AmazonSQS") {
        let kind = if status == 400 { "ThrottlingException" } else { "InternalFailure" };
        ("application/x-amz-json-1.0", format!(r#"{{"__type":"com.amazonaws.sqs#{kind}","message":"injected"}}"#))
    } else {
        let (kind, side) = if status == 400 { ("Throttling", "Sender") } else { ("InternalFailure", "Receiver") };
        let xml = format!(
            "<ErrorResponse><Error><Type>{side}</Type><Code>{kind}</Code><Message>injected</Message></Error>\
             <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
        );
        ("text/xml", xml)
    };
    let reason = if status == 400 { "Bad Request" } else { "Internal Server Error" };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spread_adds_up_and_off_picks_nothing() {
        let r = FaultRates::spread(0.2);
        let total = r.drop_before + r.drop_after + r.delay + r.throttle + r.server_error;
        assert!((total - 0.2).abs() < 1e-9, "{total}");
        assert!((0..1000).all(|_| FaultRates::OFF.pick().is_none()));
        let always = FaultRates { throttle: 1.0, ..FaultRates::OFF };
        assert!((0..100).all(|_| always.pick() == Some(Fault::Throttle)));
    }
}
