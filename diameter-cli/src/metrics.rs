//! `serve --metrics ADDR`: the node's counters in the Prometheus text exposition format
//! (version 0.0.4), served by a small HTTP/1.1 responder on tokio.
//!
//! Three families of series:
//! - per command (`diameter_command_*{application,command}`) and per peer
//!   (`diameter_peer_*{peer}`): the transport's counters — requests sent and received,
//!   answers by Result-Code, timeouts, error answers the node gave itself, watchdog traffic;
//! - per peer and command (`diameter_handler_*{peer,command}`): what the built-in roles
//!   answered, by Result-Code, and how long they took (a histogram, from hdrhistogram).
//!
//! The role latency is measured inside the handler (decoding and queueing before it are not
//! in it): it is the server's own processing time.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diameter_transport::{Node, Snapshot};
use hdrhistogram::Histogram;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];
/// The longest latency told apart (60 s, in microseconds); longer ones count as this.
const MAX_MICROS: u64 = 60_000_000;
/// The largest request head read from a scraper.
const MAX_HEAD: usize = 8192;
/// How long a scraper may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A counter of a snapshot: its name suffix, help text and reader.
type Scalar = (&'static str, &'static str, fn(&Snapshot) -> u64);
/// A by-Result-Code map of a snapshot.
type ByCode = (
    &'static str,
    &'static str,
    fn(&Snapshot) -> &BTreeMap<u32, u64>,
);

/// What one role answered to one peer for one command.
struct Served {
    by_code: BTreeMap<u32, u64>,
    /// Microseconds.
    latency: Histogram<u64>,
    sum: Duration,
}

/// The counters of the built-in roles, beside those the node keeps.
#[derive(Default)]
pub struct Metrics {
    served: Mutex<BTreeMap<(String, String), Served>>,
}

impl Metrics {
    /// Records one answer of a role.
    pub fn record_served(&self, peer: &str, command: &str, result_code: u32, took: Duration) {
        // A poisoned lock only means a panic elsewhere mid-count: keep counting.
        let mut map = self.served.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map
            .entry((peer.to_owned(), command.to_owned()))
            .or_insert_with(|| Served {
                by_code: BTreeMap::new(),
                latency: Histogram::new_with_bounds(1, MAX_MICROS, 3)
                    .expect("constant histogram bounds are valid"),
                sum: Duration::ZERO,
            });
        *entry.by_code.entry(result_code).or_default() += 1;
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        entry.latency.saturating_record(micros.max(1));
        entry.sum += took;
    }

    /// The exposition text: the node's counters and the roles'.
    pub fn render(&self, node: &Node) -> String {
        let mut out = String::new();
        let commands = node.command_counters();
        let by_command: Vec<(String, Snapshot)> = commands
            .into_iter()
            .map(|(k, s)| {
                let name = crate::dict::command(k.application_id, k.command_code)
                    .map(|(_, c)| c.request_abbrev.to_owned())
                    .unwrap_or_else(|| k.command_code.to_string());
                (
                    format!(
                        "application=\"{}\",command=\"{}\"",
                        k.application_id,
                        escape(&name)
                    ),
                    s,
                )
            })
            .collect();
        let by_peer: Vec<(String, Snapshot)> = node
            .peers()
            .into_iter()
            .map(|p| {
                let host = p.origin_host.clone().unwrap_or_else(|| "?".to_owned());
                (format!("peer=\"{}\"", escape(&host)), p.counters)
            })
            .collect();
        counters(&mut out, "diameter_command", &by_command);
        counters(&mut out, "diameter_peer", &by_peer);
        watchdog(&mut out, &by_peer);
        let peers = node.peers();
        family(
            &mut out,
            "diameter_peer_open",
            "gauge",
            "1 when the peer is open and its watchdog OKAY.",
        );
        for p in &peers {
            let host = p.origin_host.clone().unwrap_or_else(|| "?".to_owned());
            let open = matches!(
                p.state,
                diameter_transport::PeerState::ROpen | diameter_transport::PeerState::IOpen
            ) && p.watchdog == diameter_transport::WatchdogState::Okay;
            let _ = writeln!(
                out,
                "diameter_peer_open{{peer=\"{}\"}} {}",
                escape(&host),
                u8::from(open)
            );
        }
        self.render_served(&mut out);
        out
    }

    fn render_served(&self, out: &mut String) {
        let map = self.served.lock().unwrap_or_else(|e| e.into_inner());
        family(
            out,
            "diameter_handler_answers_total",
            "counter",
            "Answers of the built-in roles, by peer, command and Result-Code.",
        );
        for ((peer, command), s) in map.iter() {
            for (code, n) in &s.by_code {
                let _ = writeln!(
                    out,
                    "diameter_handler_answers_total{{peer=\"{}\",command=\"{}\",result_code=\"{code}\"}} {n}",
                    escape(peer),
                    escape(command)
                );
            }
        }
        family(
            out,
            "diameter_handler_latency_seconds",
            "histogram",
            "Time the built-in roles took to answer.",
        );
        for ((peer, command), s) in map.iter() {
            let labels = format!("peer=\"{}\",command=\"{}\"", escape(peer), escape(command));
            for bound in BUCKETS {
                let micros = (bound * 1e6) as u64;
                let n = s.latency.count_between(0, micros);
                let _ = writeln!(
                    out,
                    "diameter_handler_latency_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let total = s.latency.len();
            let _ = writeln!(
                out,
                "diameter_handler_latency_seconds_bucket{{{labels},le=\"+Inf\"}} {total}"
            );
            let _ = writeln!(
                out,
                "diameter_handler_latency_seconds_sum{{{labels}}} {}",
                s.sum.as_secs_f64()
            );
            let _ = writeln!(
                out,
                "diameter_handler_latency_seconds_count{{{labels}}} {total}"
            );
        }
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The request and answer counters of each labelled snapshot.
fn counters(out: &mut String, prefix: &str, rows: &[(String, Snapshot)]) {
    let scalar: [Scalar; 5] = [
        ("requests_sent_total", "Requests sent.", |s| s.requests_sent),
        ("requests_received_total", "Requests received.", |s| s.requests_received),
        ("timeouts_total", "Requests sent that got no answer in time.", |s| s.timeouts),
        ("protocol_errors_answered_total", "Requests the node answered itself with an error (invalid, unknown command or application).", |s| s.protocol_errors_answered),
        ("unexpected_answers_total", "Answers matching no pending request.", |s| s.unexpected_answers),
    ];
    for (suffix, help, get) in scalar {
        let name = format!("{prefix}_{suffix}");
        family(out, &name, "counter", help);
        for (labels, s) in rows {
            let _ = writeln!(out, "{name}{{{labels}}} {}", get(s));
        }
    }
    let maps: [ByCode; 2] = [
        (
            "answers_received_total",
            "Answers received, by Result-Code.",
            |s| &s.answers_received,
        ),
        ("answers_sent_total", "Answers sent, by Result-Code.", |s| {
            &s.answers_sent
        }),
    ];
    for (suffix, help, get) in maps {
        let name = format!("{prefix}_{suffix}");
        family(out, &name, "counter", help);
        for (labels, s) in rows {
            for (code, n) in get(s) {
                let _ = writeln!(out, "{name}{{{labels},result_code=\"{code}\"}} {n}");
            }
        }
    }
}

/// The watchdog counters, per peer.
fn watchdog(out: &mut String, rows: &[(String, Snapshot)]) {
    let scalar: [Scalar; 3] = [
        (
            "diameter_peer_watchdog_requests_sent_total",
            "DWRs sent.",
            |s| s.watchdog_requests_sent,
        ),
        (
            "diameter_peer_watchdog_answers_received_total",
            "DWAs received.",
            |s| s.watchdog_answers_received,
        ),
        (
            "diameter_peer_watchdog_requests_received_total",
            "DWRs received and answered.",
            |s| s.watchdog_requests_received,
        ),
    ];
    for (name, help, get) in scalar {
        family(out, name, "counter", help);
        for (labels, s) in rows {
            let _ = writeln!(out, "{name}{{{labels}}} {}", get(s));
        }
    }
}

/// A label value escaped as the exposition format asks (backslash, quote, newline).
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Serves `GET /metrics` on `addr`; returns the address bound.
pub async fn serve_http(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    node: Node,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let (metrics, node) = (Arc::clone(&metrics), node.clone());
                    tokio::spawn(async move {
                        if let Err(e) = respond(stream, &metrics, &node).await {
                            tracing::debug!(error = %e, "metrics scrape failed");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });
    Ok(local)
}

/// Reads one request head and answers it; the connection then closes.
async fn respond(mut stream: TcpStream, metrics: &Metrics, node: &Node) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    let read = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&chunk[..n]);
        }
        Ok::<_, std::io::Error>(())
    };
    tokio::time::timeout(READ_TIMEOUT, read)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "request head"))??;
    let line = head
        .split(|&b| b == b'\r' || b == b'\n')
        .next()
        .unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = path.split('?').next().unwrap_or("");
    let (status, content_type, body) = match (method, path) {
        ("GET", "/metrics" | "/") => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            metrics.render(node),
        ),
        ("GET", _) => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "not found: try /metrics\n".to_owned(),
        ),
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET\n".to_owned(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_latency_is_a_cumulative_histogram() {
        let m = Metrics::default();
        m.record_served("p\"1", "CCR", 2001, Duration::from_micros(300));
        m.record_served("p\"1", "CCR", 4012, Duration::from_millis(30));
        let mut out = String::new();
        m.render_served(&mut out);
        let labels = r#"peer="p\"1",command="CCR""#;
        for (le, n) in [
            ("0.00025", 0),
            ("0.0005", 1),
            ("0.025", 1),
            ("0.05", 2),
            ("+Inf", 2),
        ] {
            let line =
                format!("diameter_handler_latency_seconds_bucket{{{labels},le=\"{le}\"}} {n}");
            assert!(out.contains(&line), "{line}\n{out}");
        }
        assert!(out.contains(&format!(
            "diameter_handler_answers_total{{{labels},result_code=\"4012\"}} 1"
        )));
        assert!(out.contains(&format!(
            "diameter_handler_latency_seconds_count{{{labels}}} 2"
        )));
    }
}
