//! Every row of the RFC 6733 section 5.6 table, the rows added for a real node, and the
//! election played out between two machines both ways.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diameter_transport::{
    capabilities::CapabilityError, AcceptPolicy, Capabilities, Conn, DisconnectCause,
    PeerAction as A, PeerConfig, PeerError, PeerEvent as E, PeerMachine, PeerState as S,
};

const CC: u32 = 4;
const I: Conn = Conn::Initiator;
const R: Conn = Conn::Responder;

fn caps(host: &str, apps: &[u32]) -> Capabilities {
    Capabilities::new(host, "example.net", 0, "test").with_auth_apps(apps.iter().copied())
}

fn machine_with(local: &str, accept: AcceptPolicy) -> PeerMachine {
    PeerMachine::new(PeerConfig::new(
        Arc::new(caps(local, &[CC])),
        Arc::new(accept),
    ))
}

/// A machine whose Origin-Host is `local`, accepting anyone.
fn machine(local: &str) -> PeerMachine {
    machine_with(local, AcceptPolicy::any())
}

fn cer(host: &str) -> E {
    E::RConnCer(Box::new(caps(host, &[CC])))
}

fn cea(host: &str, result_code: u32) -> E {
    E::IRcvCea {
        result_code,
        capabilities: Box::new(caps(host, &[CC])),
    }
}

const SUCCESS: A = A::SendCea { result_code: 2001 };

/// Feeds `event` at `now` and checks the step: new state and actions.
#[track_caller]
fn step(m: &mut PeerMachine, now: Instant, event: E, to: S, actions: &[A]) {
    let from = m.state();
    let s = m.handle(event, now);
    assert_eq!((s.from, s.to), (from, to), "states");
    assert_eq!(s.actions.as_slice(), actions, "actions");
    assert!(!s.ignored);
    assert_eq!(m.state(), to);
}

/// Feeds `event` and checks it was ignored: no action, no change.
#[track_caller]
fn ignored(m: &mut PeerMachine, now: Instant, event: E) {
    let from = m.state();
    let deadline = m.deadline();
    let s = m.handle(event, now);
    assert!(s.ignored, "{s:?}");
    assert!(s.actions.is_empty());
    assert_eq!((s.from, s.to, m.deadline()), (from, from, deadline));
}

/// Drives a machine whose local host is `local` to `target` against remote "peer.example"
/// hosts chosen so the election goes as needed.
fn at(target: S, t0: Instant) -> PeerMachine {
    // "m" against "z" loses the election; against "a" it wins.
    let mut m = machine("m.example");
    match target {
        S::Closed => {}
        S::WaitConnAck => {
            m.handle(E::Start, t0);
        }
        S::WaitICea => {
            m.handle(E::Start, t0);
            m.handle(E::IRcvConnAck, t0);
        }
        S::WaitConnAckElect => {
            m.handle(E::Start, t0);
            m.handle(cer("z.example"), t0);
        }
        S::WaitReturns => {
            m.handle(E::Start, t0);
            m.handle(E::IRcvConnAck, t0);
            m.handle(cer("z.example"), t0);
        }
        S::ROpen => {
            m.handle(cer("z.example"), t0);
        }
        S::IOpen => {
            m.handle(E::Start, t0);
            m.handle(E::IRcvConnAck, t0);
            m.handle(cea("z.example", 2001), t0);
        }
        S::Closing => {
            m = at(S::IOpen, t0);
            m.handle(E::Stop(DisconnectCause::REBOOTING), t0);
        }
    }
    assert_eq!(m.state(), target);
    m
}

fn timeout_error(state: S) -> A {
    A::Error(PeerError::Timeout { state })
}

// ---- Closed ----

#[test]
fn closed_start_connects_and_arms_the_connect_timer() {
    let t0 = Instant::now();
    let mut m = at(S::Closed, t0);
    assert_eq!(m.deadline(), None);
    step(&mut m, t0, E::Start, S::WaitConnAck, &[A::Connect]);
    assert_eq!(m.deadline(), Some(t0 + m.config().connect_timeout));
}

#[test]
fn closed_r_conn_cer_accepts_and_opens() {
    let t0 = Instant::now();
    let mut m = at(S::Closed, t0);
    step(
        &mut m,
        t0,
        cer("z.example"),
        S::ROpen,
        &[A::Accept, SUCCESS],
    );
    assert!(m.is_open());
    assert_eq!(m.open_conn(), Some(R));
    assert_eq!(
        m.remote().map(|r| r.origin_host.as_str()),
        Some("z.example")
    );
    assert!(m.negotiated().is_some_and(|n| n.allows(CC)));
    assert_eq!(m.deadline(), None);
}

#[test]
fn closed_r_conn_cer_without_common_application_is_refused_with_5010() {
    let t0 = Instant::now();
    let mut m = at(S::Closed, t0);
    let s6a = E::RConnCer(Box::new(caps("z.example", &[16777251])));
    let reject = A::Reject {
        result_code: Some(5010),
    };
    step(&mut m, t0, s6a, S::Closed, &[reject]);
    assert!(m.remote().is_none());
}

#[test]
fn closed_r_conn_cer_from_unknown_peer_is_refused_with_3010() {
    let t0 = Instant::now();
    let mut m = machine_with("m.example", AcceptPolicy::known(["friend.example"]));
    let reject = A::Reject {
        result_code: Some(3010),
    };
    step(&mut m, t0, cer("stranger.example"), S::Closed, &[reject]);
    step(
        &mut m,
        t0,
        cer("FRIEND.example"),
        S::ROpen,
        &[A::Accept, SUCCESS],
    );
}

// ---- Wait-Conn-Ack ----

#[test]
fn wait_conn_ack_rows() {
    let t0 = Instant::now();
    let later = t0 + Duration::from_secs(1);

    // I-Rcv-Conn-Ack: I-Snd-CER -> Wait-I-CEA, and the CEA timer starts.
    let mut m = at(S::WaitConnAck, t0);
    step(&mut m, later, E::IRcvConnAck, S::WaitICea, &[A::SendCer]);
    assert_eq!(m.deadline(), Some(later + m.config().cea_timeout));

    // I-Rcv-Conn-Nack: Cleanup -> Closed.
    let mut m = at(S::WaitConnAck, t0);
    let nack = [A::Disconnect(I), A::Error(PeerError::ConnectFailed)];
    step(&mut m, t0, E::IRcvConnNack, S::Closed, &nack);
    assert_eq!(m.deadline(), None);

    // R-Conn-CER: R-Accept, Process-CER -> Wait-Conn-Ack/Elect; the connect timer runs on.
    let mut m = at(S::WaitConnAck, t0);
    let deadline = m.deadline();
    step(
        &mut m,
        later,
        cer("z.example"),
        S::WaitConnAckElect,
        &[A::Accept],
    );
    assert_eq!(m.deadline(), deadline);

    // R-Conn-CER refused by Process-CER: answered and closed, still Wait-Conn-Ack.
    let mut m = at(S::WaitConnAck, t0);
    let bad = E::RConnCer(Box::new(caps("z.example", &[1])));
    let reject = A::Reject {
        result_code: Some(5010),
    };
    step(&mut m, t0, bad, S::WaitConnAck, &[reject]);

    // Timeout: Error -> Closed; a timer firing early is stale.
    let mut m = at(S::WaitConnAck, t0);
    ignored(&mut m, later, E::Timeout);
    let due = m.deadline().expect("connect timer");
    let err = [A::Disconnect(I), timeout_error(S::WaitConnAck)];
    step(&mut m, due, E::Timeout, S::Closed, &err);
}

// ---- Wait-I-CEA ----

#[test]
fn wait_i_cea_rows() {
    let t0 = Instant::now();

    // I-Rcv-CEA: Process-CEA -> I-Open.
    let mut m = at(S::WaitICea, t0);
    step(&mut m, t0, cea("z.example", 2001), S::IOpen, &[]);
    assert_eq!(m.open_conn(), Some(I));
    assert_eq!(m.deadline(), None);

    // A CEA refusing us closes the connection with its Result-Code as the error.
    let mut m = at(S::WaitICea, t0);
    let refused = PeerError::Capabilities(CapabilityError::Refused {
        origin_host: "z.example".into(),
        result_code: 3010,
    });
    step(
        &mut m,
        t0,
        cea("z.example", 3010),
        S::Closed,
        &[A::Disconnect(I), A::Error(refused)],
    );

    // A successful CEA with nothing in common: 5010 on our side, closed.
    let mut m = at(S::WaitICea, t0);
    let disjoint = E::IRcvCea {
        result_code: 2001,
        capabilities: Box::new(caps("z.example", &[16777251])),
    };
    let s = m.handle(disjoint, t0);
    assert_eq!(s.to, S::Closed);
    assert!(matches!(
        s.actions.as_slice(),
        [A::Disconnect(I), A::Error(PeerError::Capabilities(e))] if e.result_code() == 5010
    ));

    // I-Peer-Disc: I-Disc -> Closed.
    let mut m = at(S::WaitICea, t0);
    let disc = [
        A::Disconnect(I),
        A::Error(PeerError::Disconnected { state: S::WaitICea }),
    ];
    step(&mut m, t0, E::PeerDisc(I), S::Closed, &disc);

    // I-Rcv-Non-CEA: Error -> Closed.
    let mut m = at(S::WaitICea, t0);
    let non_cea = [A::Disconnect(I), A::Error(PeerError::NonCea)];
    step(&mut m, t0, E::IRcvNonCea, S::Closed, &non_cea);

    // Timeout: Error -> Closed.
    let mut m = at(S::WaitICea, t0);
    let due = m.deadline().expect("CEA timer");
    ignored(&mut m, due - Duration::from_millis(1), E::Timeout);
    let err = [A::Disconnect(I), timeout_error(S::WaitICea)];
    step(&mut m, due, E::Timeout, S::Closed, &err);
}

#[test]
fn wait_i_cea_r_conn_cer_elects() {
    let t0 = Instant::now();
    // Lose ("m" < "z"): R-Accept, Process-CER, Elect -> Wait-Returns; the CEA timer runs on.
    let mut m = at(S::WaitICea, t0);
    let deadline = m.deadline();
    step(
        &mut m,
        t0 + Duration::from_secs(1),
        cer("z.example"),
        S::WaitReturns,
        &[A::Accept],
    );
    assert_eq!(m.deadline(), deadline);

    // Win ("m" > "a"): Win-Election follows at once: I-Disc, R-Snd-CEA -> R-Open.
    let mut m = at(S::WaitICea, t0);
    let win = [A::Accept, A::Disconnect(I), SUCCESS];
    step(&mut m, t0, cer("a.example"), S::ROpen, &win);
    assert_eq!(m.open_conn(), Some(R));

    // A refused CER does not disturb the attempt under way.
    let mut m = at(S::WaitICea, t0);
    let bad = E::RConnCer(Box::new(caps("a.example", &[])));
    let reject = A::Reject {
        result_code: Some(5010),
    };
    step(&mut m, t0, bad, S::WaitICea, &[reject]);
}

// ---- Wait-Conn-Ack/Elect ----

#[test]
fn wait_conn_ack_elect_rows() {
    let t0 = Instant::now();

    // I-Rcv-Conn-Ack: I-Snd-CER, Elect -> Wait-Returns (losing) with a CEA timer.
    let mut m = at(S::WaitConnAckElect, t0); // against "z": loses
    let later = t0 + Duration::from_secs(2);
    step(&mut m, later, E::IRcvConnAck, S::WaitReturns, &[A::SendCer]);
    assert_eq!(m.deadline(), Some(later + m.config().cea_timeout));

    // ... and winning goes on to R-Open through Win-Election.
    let mut m = machine("m.example");
    m.handle(E::Start, t0);
    m.handle(cer("a.example"), t0);
    let win = [A::SendCer, A::Disconnect(I), SUCCESS];
    step(&mut m, t0, E::IRcvConnAck, S::ROpen, &win);
    assert_eq!(
        m.remote().map(|r| r.origin_host.as_str()),
        Some("a.example")
    );

    // I-Rcv-Conn-Nack: R-Snd-CEA -> R-Open.
    let mut m = at(S::WaitConnAckElect, t0);
    step(&mut m, t0, E::IRcvConnNack, S::ROpen, &[SUCCESS]);
    assert_eq!(m.open_conn(), Some(R));

    // R-Peer-Disc: R-Disc -> Wait-Conn-Ack, the connect timer running on.
    let mut m = at(S::WaitConnAckElect, t0);
    let deadline = m.deadline();
    step(
        &mut m,
        t0,
        E::PeerDisc(R),
        S::WaitConnAck,
        &[A::Disconnect(R)],
    );
    assert_eq!(m.deadline(), deadline);

    // R-Conn-CER: R-Reject -> Wait-Conn-Ack/Elect.
    let mut m = at(S::WaitConnAckElect, t0);
    let reject = A::Reject { result_code: None };
    step(&mut m, t0, cer("z.example"), S::WaitConnAckElect, &[reject]);

    // Timeout: Error -> Closed, both connections dropped.
    let mut m = at(S::WaitConnAckElect, t0);
    let due = m.deadline().expect("connect timer");
    let err = [
        A::Disconnect(I),
        A::Disconnect(R),
        timeout_error(S::WaitConnAckElect),
    ];
    step(&mut m, due, E::Timeout, S::Closed, &err);
}

// ---- Wait-Returns ----

#[test]
fn wait_returns_rows() {
    let t0 = Instant::now();

    // I-Peer-Disc: I-Disc, R-Snd-CEA -> R-Open.
    let mut m = at(S::WaitReturns, t0);
    step(
        &mut m,
        t0,
        E::PeerDisc(I),
        S::ROpen,
        &[A::Disconnect(I), SUCCESS],
    );
    assert_eq!(m.open_conn(), Some(R));

    // I-Rcv-CEA: R-Disc -> I-Open.
    let mut m = at(S::WaitReturns, t0);
    step(
        &mut m,
        t0,
        cea("z.example", 2001),
        S::IOpen,
        &[A::Disconnect(R)],
    );
    assert_eq!(m.open_conn(), Some(I));

    // A refusing CEA: the responder connection is kept instead.
    let mut m = at(S::WaitReturns, t0);
    let keep_r = [A::Disconnect(I), SUCCESS];
    step(&mut m, t0, cea("z.example", 4003), S::ROpen, &keep_r);

    // R-Peer-Disc: R-Disc -> Wait-I-CEA, the CEA timer running on.
    let mut m = at(S::WaitReturns, t0);
    let deadline = m.deadline();
    step(&mut m, t0, E::PeerDisc(R), S::WaitICea, &[A::Disconnect(R)]);
    assert_eq!(m.deadline(), deadline);

    // R-Conn-CER: R-Reject -> Wait-Returns.
    let mut m = at(S::WaitReturns, t0);
    let reject = A::Reject { result_code: None };
    step(&mut m, t0, cer("z.example"), S::WaitReturns, &[reject]);

    // Timeout: Error -> Closed, both connections dropped.
    let mut m = at(S::WaitReturns, t0);
    let due = m.deadline().expect("CEA timer");
    let err = [
        A::Disconnect(I),
        A::Disconnect(R),
        timeout_error(S::WaitReturns),
    ];
    step(&mut m, due, E::Timeout, S::Closed, &err);
}

// ---- R-Open and I-Open ----

#[test]
fn open_rows_on_either_connection() {
    let t0 = Instant::now();
    for (state, c, other) in [(S::ROpen, R, I), (S::IOpen, I, R)] {
        let mut m = at(state, t0);
        step(&mut m, t0, E::SendMessage, state, &[A::Send { conn: c }]);
        step(
            &mut m,
            t0,
            E::RcvMessage(c),
            state,
            &[A::Process { conn: c }],
        );
        step(&mut m, t0, E::RcvDwr(c), state, &[A::SendDwa { conn: c }]);
        step(
            &mut m,
            t0,
            E::RcvDwa(c),
            state,
            &[A::ProcessDwa { conn: c }],
        );
        let reject = A::Reject { result_code: None };
        step(&mut m, t0, cer("z.example"), state, &[reject]);
        // Late events from the connection this peer does not use are stale.
        ignored(&mut m, t0, E::RcvMessage(other));
        ignored(&mut m, t0, E::PeerDisc(other));
        ignored(&mut m, t0, E::RcvDpr(other, DisconnectCause::BUSY));
        // Events of other states.
        ignored(&mut m, t0, E::Start);
        ignored(&mut m, t0, E::Timeout);
        ignored(&mut m, t0, E::IRcvConnAck);

        // Stop: Snd-DPR -> Closing, with the DPA timer.
        let later = t0 + Duration::from_secs(3);
        let dpr = A::SendDpr {
            conn: c,
            cause: DisconnectCause::BUSY,
        };
        step(
            &mut m,
            later,
            E::Stop(DisconnectCause::BUSY),
            S::Closing,
            &[dpr],
        );
        assert_eq!(m.deadline(), Some(later + m.config().dpa_timeout));
        assert_eq!(m.open_conn(), Some(c));
        assert!(!m.is_open());

        // Rcv-DPR: Snd-DPA -> Closed, the cause kept for reconnection.
        let mut m = at(state, t0);
        let cause = DisconnectCause::DO_NOT_WANT_TO_TALK_TO_YOU;
        let dpa = [A::SendDpa { conn: c }, A::Disconnect(c)];
        step(&mut m, t0, E::RcvDpr(c, cause), S::Closed, &dpa);
        assert_eq!(m.remote_disconnect_cause(), Some(cause));
        assert!(m.remote().is_none());

        // Peer-Disc: Disc -> Closed.
        let mut m = at(state, t0);
        let err = [
            A::Disconnect(c),
            A::Error(PeerError::Disconnected { state }),
        ];
        step(&mut m, t0, E::PeerDisc(c), S::Closed, &err);
    }
}

// ---- Closing ----

#[test]
fn closing_rows() {
    let t0 = Instant::now();
    // (at(Closing) closes an I-Open peer, so the connection is the initiator one.)

    // Rcv-DPA: Disc -> Closed.
    let mut m = at(S::Closing, t0);
    step(&mut m, t0, E::RcvDpa(I), S::Closed, &[A::Disconnect(I)]);
    assert_eq!(m.open_conn(), None);

    // Peer-Disc: Disc -> Closed.
    let mut m = at(S::Closing, t0);
    step(&mut m, t0, E::PeerDisc(I), S::Closed, &[A::Disconnect(I)]);

    // Timeout: Error -> Closed.
    let mut m = at(S::Closing, t0);
    let due = m.deadline().expect("DPA timer");
    ignored(&mut m, t0, E::Timeout);
    let err = [A::Disconnect(I), timeout_error(S::Closing)];
    step(&mut m, due, E::Timeout, S::Closed, &err);

    // The grace period: answers in flight are delivered, DWR answered, DWA processed.
    let mut m = at(S::Closing, t0);
    step(
        &mut m,
        t0,
        E::RcvMessage(I),
        S::Closing,
        &[A::Process { conn: I }],
    );
    step(
        &mut m,
        t0,
        E::RcvDwr(I),
        S::Closing,
        &[A::SendDwa { conn: I }],
    );
    step(
        &mut m,
        t0,
        E::RcvDwa(I),
        S::Closing,
        &[A::ProcessDwa { conn: I }],
    );
    // Both sides sent DPR: answer theirs and keep waiting for our DPA.
    let due = m.deadline();
    step(
        &mut m,
        t0 + Duration::from_secs(1),
        E::RcvDpr(I, DisconnectCause::REBOOTING),
        S::Closing,
        &[A::SendDpa { conn: I }],
    );
    assert_eq!(m.deadline(), due, "the DPA timer runs on");
    // No new requests after our DPR; a new connection from the peer is refused.
    ignored(&mut m, t0, E::SendMessage);
    let reject = A::Reject { result_code: None };
    step(&mut m, t0, cer("z.example"), S::Closing, &[reject]);
    ignored(&mut m, t0, E::RcvDpa(R));
}

// ---- Rows not in the table ----

#[test]
fn stop_while_connecting_abandons_the_attempt() {
    let t0 = Instant::now();
    let stop = || E::Stop(DisconnectCause::REBOOTING);
    let cases: [(S, &[A]); 4] = [
        (S::WaitConnAck, &[A::Disconnect(I)]),
        (S::WaitICea, &[A::Disconnect(I)]),
        (S::WaitConnAckElect, &[A::Disconnect(I), A::Disconnect(R)]),
        (S::WaitReturns, &[A::Disconnect(I), A::Disconnect(R)]),
    ];
    for (state, actions) in cases {
        let mut m = at(state, t0);
        step(&mut m, t0, stop(), S::Closed, actions);
        assert_eq!(m.deadline(), None);
    }
    let mut m = at(S::Closed, t0);
    ignored(&mut m, t0, stop());
}

#[test]
fn events_not_in_the_table_are_ignored() {
    let t0 = Instant::now();
    let mut m = at(S::Closed, t0);
    for e in [
        E::SendMessage,
        E::Timeout,
        E::IRcvConnAck,
        E::IRcvNonCea,
        E::RcvMessage(I),
        E::RcvDpa(R),
    ] {
        ignored(&mut m, t0, e);
    }
    let mut m = at(S::WaitConnAck, t0);
    ignored(&mut m, t0, E::Start);
    ignored(&mut m, t0, E::SendMessage);
    let mut m = at(S::WaitICea, t0);
    ignored(&mut m, t0, E::SendMessage);
    ignored(&mut m, t0, E::PeerDisc(R));
}

// ---- The election between two machines ----

/// Two nodes start at the same moment and each connects to the other: connection X is
/// opened by `a` (its initiator, `b`'s responder), Y by `b`. Plays the exchange out message
/// by message and returns both machines; exactly one connection must survive, the same one
/// on both sides, and it must be the one the winner accepted.
fn simultaneous_open(a_host: &str, b_host: &str) -> (PeerMachine, PeerMachine) {
    let t0 = Instant::now();
    let (mut a, mut b) = (machine(a_host), machine(b_host));
    step(&mut a, t0, E::Start, S::WaitConnAck, &[A::Connect]);
    step(&mut b, t0, E::Start, S::WaitConnAck, &[A::Connect]);
    step(&mut a, t0, E::IRcvConnAck, S::WaitICea, &[A::SendCer]);
    step(&mut b, t0, E::IRcvConnAck, S::WaitICea, &[A::SendCer]);

    // Each CER arrives on the other side's responder connection; each side elects.
    let a_wins = a_host.to_ascii_lowercase() > b_host.to_ascii_lowercase();
    let (winner, loser, w_host, l_host) = if a_wins {
        (&mut a, &mut b, a_host, b_host)
    } else {
        (&mut b, &mut a, b_host, a_host)
    };
    // The winner: Win-Election, closes its initiator connection and answers on its
    // responder one.
    let win = [A::Accept, A::Disconnect(I), SUCCESS];
    step(winner, t0, cer(l_host), S::ROpen, &win);
    // The loser waits.
    step(loser, t0, cer(w_host), S::WaitReturns, &[A::Accept]);
    // The winner's Disconnect(I) is the loser's responder connection going away...
    step(loser, t0, E::PeerDisc(R), S::WaitICea, &[A::Disconnect(R)]);
    // ...and the winner's CEA arrives on the loser's initiator connection.
    step(loser, t0, cea(w_host, 2001), S::IOpen, &[]);

    assert_eq!(winner.open_conn(), Some(R));
    assert_eq!(loser.open_conn(), Some(I));
    (a, b)
}

#[test]
fn election_won_by_the_higher_origin_host_either_way() {
    // a wins: its responder connection (Y, opened by b) survives.
    let (a, b) = simultaneous_open("zeta.example", "alpha.example");
    assert_eq!((a.state(), b.state()), (S::ROpen, S::IOpen));
    // b wins.
    let (a, b) = simultaneous_open("alpha.example", "zeta.example");
    assert_eq!((a.state(), b.state()), (S::IOpen, S::ROpen));
    // Case does not decide: "Beta" > "alpha" as "beta" > "alpha".
    let (a, b) = simultaneous_open("Beta.example", "alpha.example");
    assert_eq!((a.state(), b.state()), (S::ROpen, S::IOpen));
}

#[test]
fn election_loser_in_wait_returns_also_opens_if_the_cea_comes_first() {
    // The winner's CEA may overtake the close of the other connection.
    let t0 = Instant::now();
    let mut loser = machine("alpha.example");
    loser.handle(E::Start, t0);
    loser.handle(E::IRcvConnAck, t0);
    step(
        &mut loser,
        t0,
        cer("zeta.example"),
        S::WaitReturns,
        &[A::Accept],
    );
    step(
        &mut loser,
        t0,
        cea("zeta.example", 2001),
        S::IOpen,
        &[A::Disconnect(R)],
    );
    // The responder connection's close, arriving late, is stale.
    ignored(&mut loser, t0, E::PeerDisc(R));
}
