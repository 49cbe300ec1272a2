//! `diameter load`: a load generator over one or more connections to one peer.
//!
//! `--in-flight K` workers share the connections (worker `w` uses connection `w % C`); each
//! runs rounds (one pass over the file's messages, in order, each sent after the previous
//! answer, all with the round's Session-Id), so at most K requests are ever outstanding.
//! Before each request a worker takes the next sequence number (none past `--count`) and,
//! with `--rate`, the next send time from one shared pacer (slots 1/rate apart, never earlier
//! than now: a late run does not burst to catch up); a slot at or past `--duration` ends the
//! worker. So the run stops by itself and never exceeds its rate, duration, count or
//! in-flight bounds. A round cut by the end of the run is left unfinished.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Args;
use diameter_runtime::avp::AvpIter;
use diameter_runtime::consts::avp_code;
use diameter_runtime::header::HEADER_LEN;
use diameter_transport::{CallError, Node};
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use tokio::time::Instant;

use super::template::{Script, Slot};
use super::{PeerArgs, EXIT_ANSWERED, EXIT_NO_PEER, EXIT_UNANSWERED};
use crate::DecodeFormat;

/// The bounds and shape of a run.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Requests per second, at most (default: as fast as --in-flight allows).
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
    /// Seconds to send for.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub duration: f64,
    /// Requests outstanding at most, over all connections.
    #[arg(long, value_name = "K", default_value_t = 64)]
    pub in_flight: usize,
    /// Connections (nodes) to the peer. Connection i > 0 uses the Origin-Host with `-i`
    /// appended to its first label (`load.example` → `load-1.example`).
    #[arg(long, value_name = "C", default_value_t = 1)]
    pub connections: usize,
    /// Requests to send at most, over the whole run.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
}

/// Latency percentiles in microseconds.
#[derive(Debug, Default, Serialize)]
pub struct Latency {
    p50: u64,
    p90: u64,
    p99: u64,
    #[serde(rename = "p99.9")]
    p999: u64,
    max: u64,
    min: u64,
    mean: f64,
}

/// The final summary, printed as one JSON object with `--format json`.
#[derive(Debug, Serialize)]
pub struct Summary {
    peer: String,
    sent: u64,
    answered: u64,
    /// Requests without an answer, by kind: `timeout`, `peer_down`, `no_peer`, `encode`,
    /// `unreadable`, `other`. Empty when every request was answered.
    errors: BTreeMap<&'static str, u64>,
    timeouts: u64,
    /// Answers by Result-Code; `VENDOR:CODE` for an Experimental-Result-Code, `none` when
    /// the answer has neither.
    result_codes: BTreeMap<String, u64>,
    /// Answers per second over the run.
    rate: f64,
    target_rate: Option<f64>,
    in_flight: usize,
    connections: usize,
    latency_us: Latency,
    /// Seconds from the first request to the last answer.
    duration: f64,
    /// Answers in each second of the run.
    per_second: Vec<u64>,
}

/// What one worker saw.
struct Tally {
    latency: Histogram<u64>,
    result_codes: BTreeMap<String, u64>,
    errors: BTreeMap<&'static str, u64>,
}

impl Tally {
    fn new() -> Result<Tally, String> {
        Ok(Tally {
            // 1 µs to 1 h, three significant digits.
            latency: Histogram::new_with_bounds(1, 3_600_000_000, 3)
                .map_err(|e| format!("histogram: {e}"))?,
            result_codes: BTreeMap::new(),
            errors: BTreeMap::new(),
        })
    }

    fn merge(&mut self, other: Tally) {
        // Both have the same bounds, so adding cannot fail.
        let _ = self.latency.add(&other.latency);
        for (k, v) in other.result_codes {
            *self.result_codes.entry(k).or_default() += v;
        }
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
    }
}

/// The counters the progress line and the per-second report read while the run goes on.
#[derive(Default)]
struct Live {
    sent: AtomicU64,
    answered: AtomicU64,
    failed: AtomicU64,
}

/// What the workers share.
struct Run {
    script: Script,
    nodes: Vec<Node>,
    live: Live,
    /// The next sequence number.
    seq: AtomicU64,
    /// The next round.
    round: AtomicU64,
    count: Option<u64>,
    end: Instant,
    /// The next free send time, and the interval between two.
    pacer: Option<(Mutex<Instant>, Duration)>,
}

impl Run {
    /// The next request's sequence number and send time, or None when the run is over.
    fn admit(&self) -> Option<(u64, Instant)> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        if self.count.is_some_and(|c| seq >= c) {
            return None;
        }
        let now = Instant::now();
        let at = match &self.pacer {
            None => now,
            Some((next, interval)) => {
                let mut next = next.lock().unwrap_or_else(|e| e.into_inner());
                let at = (*next).max(now);
                *next = at + *interval;
                at
            }
        };
        (at < self.end).then_some((seq, at))
    }
}

fn error_kind(e: &CallError) -> &'static str {
    match e {
        CallError::Timeout(_) => "timeout",
        CallError::PeerDown => "peer_down",
        CallError::NoPeer { .. } => "no_peer",
        CallError::Decode(_) => "unreadable",
        _ => "other",
    }
}

/// The Result-Code of an answer, or its Experimental-Result as `VENDOR:CODE`.
fn result_of(frame: &[u8]) -> String {
    let Some(body) = frame.get(HEADER_LEN..) else {
        return "none".into();
    };
    let u32_of = |d: &[u8]| <[u8; 4]>::try_from(d).ok().map(u32::from_be_bytes);
    let mut experimental = None;
    for avp in AvpIter::new(body).map_while(Result::ok) {
        if avp.header.vendor_id.is_some() {
            continue;
        }
        match avp.header.code {
            avp_code::RESULT_CODE => {
                if let Some(rc) = u32_of(avp.data) {
                    return rc.to_string();
                }
            }
            avp_code::EXPERIMENTAL_RESULT => {
                let (mut vendor, mut code) = (0, None);
                for inner in AvpIter::new(avp.data).map_while(Result::ok) {
                    match inner.header.code {
                        avp_code::VENDOR_ID => vendor = u32_of(inner.data).unwrap_or(0),
                        avp_code::EXPERIMENTAL_RESULT_CODE => code = u32_of(inner.data),
                        _ => {}
                    }
                }
                if let Some(c) = code {
                    experimental = Some(format!("{vendor}:{c}"));
                }
            }
            _ => {}
        }
    }
    experimental.unwrap_or_else(|| "none".into())
}

async fn worker(run: Arc<Run>, node: usize) -> Result<Tally, String> {
    let mut tally = Tally::new()?;
    let node = &run.nodes[node];
    let steps = run.script.messages.len();
    loop {
        let round = run.round.fetch_add(1, Ordering::Relaxed);
        for step in 0..steps {
            let Some((seq, at)) = run.admit() else {
                return Ok(tally);
            };
            tokio::time::sleep_until(at).await;
            let request = match run.script.render(Slot { seq, round, step }) {
                Ok(r) => r,
                Err(_) => {
                    *tally.errors.entry("encode").or_default() += 1;
                    run.live.failed.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            };
            run.live.sent.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            match node.call_raw(request).await {
                Ok(frame) => {
                    let us = started.elapsed().as_micros();
                    tally
                        .latency
                        .saturating_record(u64::try_from(us).unwrap_or(u64::MAX));
                    *tally.result_codes.entry(result_of(&frame)).or_default() += 1;
                    run.live.answered.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    *tally.errors.entry(error_kind(&e)).or_default() += 1;
                    run.live.failed.fetch_add(1, Ordering::Relaxed);
                    if matches!(e, CallError::NoPeer { .. } | CallError::PeerDown) {
                        // The node reconnects; wait for it rather than count a failure per
                        // slot meanwhile.
                        let left = run.end.saturating_duration_since(Instant::now());
                        if !node.wait_open(left).await {
                            return Ok(tally);
                        }
                    }
                    // The rest of this round belongs to a session the peer may not know.
                    break;
                }
            }
        }
    }
}

/// The Origin-Host of connection `i`.
fn host_of(host: &str, i: usize) -> String {
    if i == 0 {
        return host.to_owned();
    }
    match host.split_once('.') {
        Some((first, rest)) => format!("{first}-{i}.{rest}"),
        None => format!("{host}-{i}"),
    }
}

fn progress() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}") {
        bar.set_style(style);
    }
    // The spinner and clock move between the once-a-second counts.
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Runs `load`; returns the exit status, or why it could not run.
pub async fn run(
    peer: &PeerArgs,
    bounds: &LoadArgs,
    format: DecodeFormat,
    input: &str,
) -> Result<u8, String> {
    if bounds.in_flight == 0 || bounds.connections == 0 {
        return Err("--in-flight and --connections must be at least 1".into());
    }
    let duration = Duration::try_from_secs_f64(bounds.duration)
        .map_err(|_| format!("--duration: {} is not a duration", bounds.duration))?;
    let interval = match bounds.rate {
        None => None,
        Some(r) if r.is_finite() && r > 0.0 => Some(Duration::from_secs_f64(1.0 / r)),
        Some(r) => return Err(format!("--rate: {r} is not a positive number")),
    };
    let (host, realm) = peer.identity();
    let script = Script::parse(input, &host, &realm, peer.lenient)?;
    let addr = peer.address().await?;
    let mut nodes = Vec::with_capacity(bounds.connections);
    for i in 0..bounds.connections {
        let node = peer.node(&host_of(&host, i), &realm, &script)?;
        peer.connect(&node, addr)?;
        nodes.push(node);
    }
    let connect_limit = Duration::try_from_secs_f64(peer.connect_timeout * 2.0)
        .map_err(|_| "--connect-timeout: not a duration".to_owned())?;
    for (i, n) in nodes.iter().enumerate() {
        if !n.wait_open(connect_limit).await {
            for n in &nodes {
                n.shutdown().await;
            }
            eprintln!(
                "diameter: connection {i} ({}): no capability exchange with {} within the connect timeout",
                host_of(&host, i),
                peer.peer
            );
            return Ok(EXIT_NO_PEER);
        }
    }

    let start = Instant::now();
    let run = Arc::new(Run {
        script,
        nodes,
        live: Live::default(),
        seq: AtomicU64::new(0),
        round: AtomicU64::new(0),
        count: bounds.count,
        end: start + duration,
        pacer: interval.map(|i| (Mutex::new(start), i)),
    });
    let workers: Vec<_> = (0..bounds.in_flight)
        .map(|w| tokio::spawn(worker(Arc::clone(&run), w % bounds.connections)))
        .collect();
    let mut all = tokio::spawn(async move {
        let mut tallies = Vec::with_capacity(workers.len());
        for w in workers {
            tallies.push(w.await);
        }
        tallies
    });

    // The live view: the progress line, and one line per second in text form.
    let bar = progress();
    let mut per_second = Vec::new();
    let mut last = 0;
    let mut tick = tokio::time::interval_at(start + Duration::from_secs(1), Duration::from_secs(1));
    let tallies = loop {
        tokio::select! {
            t = &mut all => break t.map_err(|e| format!("load workers: {e}"))?,
            _ = tick.tick() => {
                let answered = run.live.answered.load(Ordering::Relaxed);
                let sent = run.live.sent.load(Ordering::Relaxed);
                let failed = run.live.failed.load(Ordering::Relaxed);
                let this_second = answered - last;
                per_second.push(this_second);
                last = answered;
                let line = format!(
                    "{:>4} s  {this_second:>8}/s  sent {sent}  answered {answered}  errors {failed}",
                    per_second.len(),
                );
                bar.set_message(line.clone());
                bar.tick();
                if format == DecodeFormat::Text {
                    bar.suspend(|| println!("{line}"));
                }
            }
        }
    };
    let elapsed = start.elapsed();
    bar.finish_and_clear();
    let answered_total = run.live.answered.load(Ordering::Relaxed);
    if answered_total > last {
        // The partial last second.
        per_second.push(answered_total - last);
    }
    for n in &run.nodes {
        n.shutdown().await;
    }

    let mut total = Tally::new()?;
    for t in tallies {
        total.merge(t.map_err(|e| format!("load worker: {e}"))??);
    }
    let h = &total.latency;
    let latency = if h.is_empty() {
        Latency::default()
    } else {
        Latency {
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
            min: h.min(),
            mean: (h.mean() * 10.0).round() / 10.0,
        }
    };
    let secs = elapsed.as_secs_f64();
    let summary = Summary {
        peer: peer.peer.clone(),
        sent: run.live.sent.load(Ordering::Relaxed),
        answered: answered_total,
        timeouts: total.errors.get("timeout").copied().unwrap_or(0),
        errors: total.errors,
        result_codes: total.result_codes,
        rate: if secs > 0.0 {
            (answered_total as f64 / secs * 10.0).round() / 10.0
        } else {
            0.0
        },
        target_rate: bounds.rate,
        in_flight: bounds.in_flight,
        connections: bounds.connections,
        latency_us: latency,
        duration: (secs * 1000.0).round() / 1000.0,
        per_second,
    };
    match format {
        DecodeFormat::Json => {
            println!(
                "{}",
                serde_json::to_string(&summary).map_err(|e| e.to_string())?
            );
        }
        DecodeFormat::Text => print!("{}", summary.to_text()),
    }
    Ok(if summary.errors.is_empty() {
        EXIT_ANSWERED
    } else {
        EXIT_UNANSWERED
    })
}

impl Summary {
    /// The summary for people.
    fn to_text(&self) -> String {
        let l = &self.latency_us;
        let mut s = format!(
            "peer {}: {} sent, {} answered in {:.3} s ({:.1}/s)\n\
             latency (µs): p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  (min {}, mean {:.1})\n",
            self.peer,
            self.sent,
            self.answered,
            self.duration,
            self.rate,
            l.p50,
            l.p90,
            l.p99,
            l.p999,
            l.max,
            l.min,
            l.mean
        );
        for (rc, n) in &self.result_codes {
            s.push_str(&format!("result {rc}: {n}\n"));
        }
        if self.errors.is_empty() {
            s.push_str("errors: none\n");
        }
        for (kind, n) in &self.errors {
            s.push_str(&format!("error {kind}: {n}\n"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_connections() {
        assert_eq!(host_of("load.test.local", 0), "load.test.local");
        assert_eq!(host_of("load.test.local", 2), "load-2.test.local");
        assert_eq!(host_of("load", 1), "load-1");
    }

    #[test]
    fn result_codes_of_answers() {
        use bytes::BytesMut;
        use diameter_runtime::header::{CommandFlags, Header};
        use diameter_runtime::RawAvp;
        let header = Header {
            version: 1,
            length: 0,
            flags: CommandFlags(0),
            command_code: 272,
            application_id: 4,
            hop_by_hop: 1,
            end_to_end: 2,
        };
        let mut m = diameter_runtime::RawMessage::new(header);
        m.avps.push(RawAvp::new(
            avp_code::RESULT_CODE,
            0x40,
            None,
            bytes::Bytes::from_static(&[0, 0, 0x0f, 0xac]),
        ));
        assert_eq!(result_of(&m.to_bytes()), "4012");
        let mut inner = BytesMut::new();
        RawAvp::new(
            avp_code::VENDOR_ID,
            0x40,
            None,
            bytes::Bytes::from_static(&[0, 0, 0x28, 0xaf]),
        )
        .encode(&mut inner);
        RawAvp::new(
            avp_code::EXPERIMENTAL_RESULT_CODE,
            0x40,
            None,
            bytes::Bytes::from_static(&[0, 0, 0x15, 0x2c]),
        )
        .encode(&mut inner);
        let mut e = diameter_runtime::RawMessage::new(header);
        e.avps.push(RawAvp::new(
            avp_code::EXPERIMENTAL_RESULT,
            0x40,
            None,
            inner.freeze(),
        ));
        assert_eq!(result_of(&e.to_bytes()), "10415:5420");
        assert_eq!(result_of(&[1, 2]), "none");
    }
}
