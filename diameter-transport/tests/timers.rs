//! The machines driven the way a tokio driver will drive them: sleeping until their
//! deadlines on tokio's paused clock, so minutes of protocol time pass in microseconds and
//! every run is the same.

use std::sync::Arc;
use std::time::Duration;

use diameter_transport::{
    AcceptPolicy, Backoff, BackoffConfig, Capabilities, Conn, DisconnectCause, JitterRng,
    PeerAction, PeerConfig, PeerError, PeerEvent, PeerMachine, PeerState, Watchdog,
    WatchdogAction as W, WatchdogConfig, WatchdogState,
};
use tokio::time::{self, Instant};

const TW: Duration = Duration::from_secs(30);
const J: Duration = WatchdogConfig::JITTER;

/// Sleeps until a machine's deadline and returns the time then, as the machines take it.
async fn until(deadline: std::time::Instant) -> std::time::Instant {
    time::sleep_until(Instant::from_std(deadline)).await;
    Instant::now().into_std()
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}

#[track_caller]
fn within(elapsed: Duration, lo: Duration, hi: Duration) {
    assert!(
        elapsed >= lo && elapsed <= hi,
        "{elapsed:?} not in {lo:?}..={hi:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn silent_peer_dwr_then_suspect_then_down() {
    let start = Instant::now();
    let mut wd = Watchdog::new(WatchdogConfig::default(), JitterRng::from_seed(3), now());
    wd.connection_up(now());

    let mut events = Vec::new();
    while wd.state() != WatchdogState::Down {
        let t = until(wd.deadline()).await;
        for a in wd.on_timer(t) {
            events.push((Instant::now() - start, a));
        }
    }
    let kinds: Vec<W> = events.iter().map(|(_, a)| *a).collect();
    assert_eq!(kinds, [W::SendDwr, W::Failover, W::CloseConnection]);
    // One Tw of silence before the DWR, one more unanswered before SUSPECT, one more
    // before DOWN; each Tw within its jitter.
    within(events[0].0, TW - J, TW + J);
    within(events[1].0 - events[0].0, TW - J, TW + J);
    within(events[2].0 - events[1].0, TW - J, TW + J);
}

#[tokio::test(start_paused = true)]
async fn steady_traffic_means_no_dwr() {
    let mut wd = Watchdog::new(WatchdogConfig::default(), JitterRng::from_seed(4), now());
    wd.connection_up(now());
    // A request answered every 10 s for ten minutes.
    let mut traffic = time::interval(Duration::from_secs(10));
    let end = Instant::now() + Duration::from_secs(600);
    let mut sent = Vec::new();
    while Instant::now() < end {
        tokio::select! {
            _ = traffic.tick() => sent.extend(wd.on_receive(false, now())),
            t = until(wd.deadline()) => sent.extend(wd.on_timer(t)),
        }
    }
    assert!(sent.is_empty(), "{sent:?}");
    assert!(wd.can_send_requests());
}

#[tokio::test(start_paused = true)]
async fn traffic_stopping_leads_to_dwr_one_tw_after_the_last_message() {
    let mut wd = Watchdog::new(WatchdogConfig::default(), JitterRng::from_seed(8), now());
    wd.connection_up(now());
    time::sleep(Duration::from_secs(100)).await;
    wd.on_receive(false, now());
    let last = Instant::now();
    let t = until(wd.deadline()).await;
    assert_eq!(wd.on_timer(t).as_slice(), [W::SendDwr]);
    within(Instant::now() - last, TW - J, TW + J);
}

#[tokio::test(start_paused = true)]
async fn reopened_connection_carries_requests_only_after_three_dwa() {
    let mut wd = Watchdog::new(WatchdogConfig::default(), JitterRng::from_seed(5), now());
    wd.connection_up(now());
    wd.connection_down(now());
    assert_eq!(wd.state(), WatchdogState::Down);

    let reopened = Instant::now();
    let mut actions: Vec<W> = wd.connection_up(now()).into_iter().collect();
    let mut dwa = 0;
    // A peer that answers each DWR after 20 ms.
    while wd.state() != WatchdogState::Okay {
        if actions.contains(&W::SendDwr) {
            time::sleep(Duration::from_millis(20)).await;
            assert!(!wd.can_send_requests(), "not before the third DWA");
            actions = wd.on_receive(true, now()).into_iter().collect();
            dwa += 1;
        } else {
            let t = until(wd.deadline()).await;
            actions = wd.on_timer(t).into_iter().collect();
        }
    }
    assert_eq!(dwa, 3);
    assert_eq!(actions, [W::Failback]);
    assert!(wd.can_send_requests());
    // The first DWR at once, then one per Tw.
    within(
        Instant::now() - reopened,
        (TW - J) * 2,
        (TW + J) * 2 + Duration::from_millis(60),
    );
}

fn peer() -> PeerMachine {
    let local = Capabilities::new("a.example", "example", 0, "t").with_auth_apps([4]);
    PeerMachine::new(PeerConfig::new(
        Arc::new(local),
        Arc::new(AcceptPolicy::any()),
    ))
}

#[tokio::test(start_paused = true)]
async fn peer_connect_timeout() {
    let mut m = peer();
    let start = Instant::now();
    m.handle(PeerEvent::Start, now());
    let deadline = m.deadline().expect("connect timer");
    let step = m.handle(PeerEvent::Timeout, until(deadline).await);
    assert_eq!(step.to, PeerState::Closed);
    assert_eq!(Instant::now() - start, m.config().connect_timeout);
    assert!(matches!(
        step.actions.last(),
        Some(PeerAction::Error(PeerError::Timeout {
            state: PeerState::WaitConnAck
        }))
    ));
}

#[tokio::test(start_paused = true)]
async fn peer_dpr_unanswered_closes_after_the_grace_period() {
    let mut m = peer();
    m.handle(PeerEvent::Start, now());
    m.handle(PeerEvent::IRcvConnAck, now());
    let caps = Capabilities::new("b.example", "example", 0, "t").with_auth_apps([4]);
    m.handle(
        PeerEvent::IRcvCea {
            result_code: 2001,
            capabilities: Box::new(caps),
        },
        now(),
    );
    let stop = m.handle(PeerEvent::Stop(DisconnectCause::REBOOTING), now());
    assert_eq!(stop.to, PeerState::Closing);
    let stopped = Instant::now();
    // Answers still arrive during the grace period and are delivered.
    time::sleep(Duration::from_secs(1)).await;
    let late = m.handle(PeerEvent::RcvMessage(Conn::Initiator), now());
    assert_eq!(
        late.actions.as_slice(),
        [PeerAction::Process {
            conn: Conn::Initiator
        }]
    );
    // No DPA comes: the DPA timer, started by the DPR, ends the wait.
    let deadline = m.deadline().expect("DPA timer");
    let step = m.handle(PeerEvent::Timeout, until(deadline).await);
    assert_eq!(step.to, PeerState::Closed);
    assert_eq!(Instant::now() - stopped, m.config().dpa_timeout);
}

#[tokio::test(start_paused = true)]
async fn reconnect_with_exponential_backoff() {
    let config = BackoffConfig {
        initial: Duration::from_secs(1),
        max: Duration::from_secs(30),
        factor: 2.0,
        jitter: 0.0,
    };
    let mut backoff = Backoff::new(config, JitterRng::from_seed(0));
    let mut m = peer();
    let start = Instant::now();
    let mut attempts = Vec::new();
    // The peer refuses eight connections, then accepts.
    for attempt in 0..9 {
        let step = m.handle(PeerEvent::Start, now());
        assert_eq!(step.actions.as_slice(), [PeerAction::Connect]);
        attempts.push((Instant::now() - start).as_secs());
        if attempt < 8 {
            let step = m.handle(PeerEvent::IRcvConnNack, now());
            assert_eq!(step.to, PeerState::Closed);
            time::sleep(backoff.next_delay()).await;
        } else {
            m.handle(PeerEvent::IRcvConnAck, now());
            backoff.reset();
        }
    }
    assert_eq!(attempts, [0, 1, 3, 7, 15, 31, 61, 91, 121]);
    assert_eq!(m.state(), PeerState::WaitICea);
    assert_eq!(backoff.next_delay(), Duration::from_secs(1));
}

#[test]
fn reconnect_jitter_spreads_nodes_that_lost_the_same_peer() {
    // Ten nodes lose a peer at the same moment; with jitter their first retries differ.
    let mut retries = Vec::new();
    for seed in 0..10 {
        let mut b = Backoff::new(BackoffConfig::default(), JitterRng::from_seed(seed));
        retries.push(b.next_delay());
    }
    retries.sort();
    retries.dedup();
    assert!(retries.len() >= 8, "{retries:?}");
    for d in retries {
        within(d, Duration::from_millis(900), Duration::from_millis(1100));
    }
}
