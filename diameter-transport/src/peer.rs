//! The peer state machine of RFC 6733 section 5.6, election (5.6.4) included.
//!
//! One [`PeerMachine`] per remote peer. It owns no connection: a peer may have two at once
//! while an election is pending, named by [`Conn`] (the *initiator* connection is the one this
//! node opened, the *responder* connection the one the peer opened). The caller turns what
//! happens on those connections into [`PeerEvent`]s, calls [`PeerMachine::handle`] with the
//! current time, and carries out the returned [`PeerAction`]s in order.
//!
//! Timers are deadlines, not tasks: after each step [`PeerMachine::deadline`] tells when a
//! `Timeout` event is due; a `Timeout` that arrives before it is stale and ignored, so a
//! driver never has to cancel a timer.
//!
//! Events the RFC's table does not list for a state are ignored (the returned [`Step`] says
//! so), except where noted on the arm that handles them: those few rows complete the table
//! for cases a real node meets (a stop while connecting, answers arriving while closing).
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Instant;
//! use diameter_transport::{AcceptPolicy, Capabilities, Conn, PeerAction, PeerConfig,
//!     PeerEvent, PeerMachine, PeerState};
//!
//! let local = Capabilities::new("a.example", "example", 0, "demo").with_auth_apps([4]);
//! let remote = Capabilities::new("b.example", "example", 0, "peer").with_auth_apps([4]);
//! let mut peer = PeerMachine::new(PeerConfig::new(Arc::new(local), Arc::new(AcceptPolicy::any())));
//! let now = Instant::now();
//!
//! assert_eq!(peer.handle(PeerEvent::Start, now).actions.as_slice(), [PeerAction::Connect]);
//! assert_eq!(peer.handle(PeerEvent::IRcvConnAck, now).actions.as_slice(), [PeerAction::SendCer]);
//! let cea = PeerEvent::IRcvCea { result_code: 2001, capabilities: Box::new(remote) };
//! assert_eq!(peer.handle(cea, now).to, PeerState::IOpen);
//! assert_eq!(peer.open_conn(), Some(Conn::Initiator));
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diameter_messages::base::DisconnectCause;
use diameter_runtime::consts::result_code;
use smallvec::SmallVec;

use crate::capabilities::{
    process_cea, process_cer, AcceptPolicy, Capabilities, CapabilityError, Negotiated,
};

/// The states of RFC 6733 section 5.6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerState {
    /// No connection.
    Closed,
    /// Our connection attempt is under way.
    WaitConnAck,
    /// Our CER is sent on the initiator connection; waiting for the CEA.
    WaitICea,
    /// Our connection attempt is under way and the peer has connected to us too.
    WaitConnAckElect,
    /// Both connections exist, our CER is sent: the election decides which one stays.
    WaitReturns,
    /// Open on the responder connection (the peer connected to us).
    ROpen,
    /// Open on the initiator connection (we connected to the peer).
    IOpen,
    /// DPR sent; waiting for the DPA.
    Closing,
}

impl fmt::Display for PeerState {
    /// The RFC's spelling.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PeerState::Closed => "Closed",
            PeerState::WaitConnAck => "Wait-Conn-Ack",
            PeerState::WaitICea => "Wait-I-CEA",
            PeerState::WaitConnAckElect => "Wait-Conn-Ack/Elect",
            PeerState::WaitReturns => "Wait-Returns",
            PeerState::ROpen => "R-Open",
            PeerState::IOpen => "I-Open",
            PeerState::Closing => "Closing",
        })
    }
}

/// Which of a peer's connections an event or action concerns (the RFC's `I-` and `R-`
/// prefixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Conn {
    /// The connection this node opened.
    Initiator,
    /// The connection the peer opened, adopted by [`PeerAction::Accept`].
    Responder,
}

/// What happened (RFC 6733 section 5.6.1).
#[derive(Debug, Clone, PartialEq)]
pub enum PeerEvent {
    /// Start: the node wants this peer connected.
    Start,
    /// R-Conn-CER: the peer opened a connection and sent this CER on it. The connection is
    /// not yet this peer's: `Accept` adopts it, `Reject` closes it.
    RConnCer(Box<Capabilities>),
    /// I-Rcv-Conn-Ack: our connection attempt succeeded.
    IRcvConnAck,
    /// I-Rcv-Conn-Nack: our connection attempt failed.
    IRcvConnNack,
    /// Timeout: [`PeerMachine::deadline`] has passed.
    Timeout,
    /// I-Rcv-CEA: the CEA answering our CER, its Result-Code and capabilities.
    IRcvCea {
        /// The CEA's Result-Code.
        result_code: u32,
        /// What the peer advertised.
        capabilities: Box<Capabilities>,
    },
    /// I-Rcv-Non-CEA: something other than a CEA arrived while we waited for one.
    IRcvNonCea,
    /// I-Peer-Disc / R-Peer-Disc: the connection was closed or broke.
    PeerDisc(Conn),
    /// I-Rcv-DPR / R-Rcv-DPR, with the DPR's Disconnect-Cause.
    RcvDpr(Conn, DisconnectCause),
    /// I-Rcv-DPA / R-Rcv-DPA.
    RcvDpa(Conn),
    /// I-Rcv-DWR / R-Rcv-DWR.
    RcvDwr(Conn),
    /// I-Rcv-DWA / R-Rcv-DWA.
    RcvDwa(Conn),
    /// I-Rcv-Message / R-Rcv-Message: any other message.
    RcvMessage(Conn),
    /// Send-Message: the node wants to send a message to this peer.
    SendMessage,
    /// Stop: the node wants this peer disconnected, telling it why.
    Stop(DisconnectCause),
}

/// What to do (RFC 6733 section 5.6.3), in order.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerAction {
    /// I-Snd-Conn-Req: open the initiator connection.
    Connect,
    /// R-Accept: the connection that carried the R-Conn-CER becomes the responder
    /// connection.
    Accept,
    /// R-Reject: close the connection that carried the R-Conn-CER (not an adopted one),
    /// first answering its CER with a CEA of this Result-Code when there is one (a refused
    /// capability exchange must be answered, RFC 6733 section 5.3).
    Reject {
        /// The CEA's Result-Code, if a CEA is to be sent.
        result_code: Option<u32>,
    },
    /// I-Snd-CER: send our CER on the initiator connection.
    SendCer,
    /// R-Snd-CEA: answer the peer's CER on the responder connection.
    SendCea {
        /// The CEA's Result-Code.
        result_code: u32,
    },
    /// I-Snd-DPR / R-Snd-DPR.
    SendDpr {
        /// The open connection.
        conn: Conn,
        /// Why we disconnect.
        cause: DisconnectCause,
    },
    /// I-Snd-DPA / R-Snd-DPA.
    SendDpa {
        /// The connection the DPR came on.
        conn: Conn,
    },
    /// I-Snd-DWA / R-Snd-DWA (Process-DWR: the watchdog counts the DWR as traffic).
    SendDwa {
        /// The connection the DWR came on.
        conn: Conn,
    },
    /// Process-DWA: hand the DWA to the watchdog.
    ProcessDwa {
        /// The connection the DWA came on.
        conn: Conn,
    },
    /// I-Snd-Message / R-Snd-Message: send the message on the open connection.
    Send {
        /// The open connection.
        conn: Conn,
    },
    /// Process: deliver the received message to the node.
    Process {
        /// The connection it came on.
        conn: Conn,
    },
    /// I-Disc / R-Disc / Cleanup: close this connection (flushing what was queued on it,
    /// such as a DPA, first), or abandon the attempt to open it.
    Disconnect(Conn),
    /// Error: report why the peer went down; the connections concerned are closed by
    /// `Disconnect` actions in the same step.
    Error(PeerError),
}

/// Why a peer went to Closed other than by an orderly DPR/DPA.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerError {
    /// A timer ran out.
    #[error("timed out in state {state}")]
    Timeout {
        /// The state whose timer ran out.
        state: PeerState,
    },
    /// The connection attempt failed.
    #[error("connection attempt failed")]
    ConnectFailed,
    /// The peer closed the connection before the capability exchange finished.
    #[error("peer disconnected in state {state}")]
    Disconnected {
        /// The state it happened in.
        state: PeerState,
    },
    /// The peer sent something other than a CEA in answer to our CER.
    #[error("received a message other than CEA while waiting for CEA")]
    NonCea,
    /// The capability exchange failed on our side or theirs.
    #[error(transparent)]
    Capabilities(#[from] CapabilityError),
    /// The peer's TLS certificate is not valid for the Origin-Host of its CEA (RFC 6733
    /// section 13), or the TLS handshake after CER/CEA failed.
    #[error("TLS identity of {origin_host:?}: {reason}")]
    Tls {
        /// The Origin-Host the peer gave.
        origin_host: String,
        /// What was wrong.
        reason: String,
    },
}

/// The settings of one peer machine.
#[derive(Debug, Clone)]
pub struct PeerConfig {
    /// What this node advertises in CER/CEA.
    pub local: Arc<Capabilities>,
    /// Which hosts may connect to this node (3010 for the others).
    pub accept: Arc<AcceptPolicy>,
    /// How long Wait-Conn-Ack (and Wait-Conn-Ack/Elect) may last.
    pub connect_timeout: Duration,
    /// How long to wait for a CEA after sending our CER (Wait-I-CEA, Wait-Returns).
    pub cea_timeout: Duration,
    /// How long Closing may last: the grace period for answers in flight and the DPA.
    pub dpa_timeout: Duration,
}

impl PeerConfig {
    /// Settings with 10 s to connect, 10 s for the CEA and 5 s for the DPA.
    pub fn new(local: Arc<Capabilities>, accept: Arc<AcceptPolicy>) -> Self {
        PeerConfig {
            local,
            accept,
            connect_timeout: Duration::from_secs(10),
            cea_timeout: Duration::from_secs(10),
            dpa_timeout: Duration::from_secs(5),
        }
    }
}

/// The result of one event.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The state before.
    pub from: PeerState,
    /// The state after.
    pub to: PeerState,
    /// What to do, in order.
    pub actions: SmallVec<[PeerAction; 3]>,
    /// The event meant nothing in `from` (not in the table, a stale timer, or about a
    /// connection this peer no longer has): nothing changed. A `SendMessage` that is ignored
    /// was not sent.
    pub ignored: bool,
}

/// The responder connection's CER, kept while an election is pending.
#[derive(Debug, Clone)]
struct Responder {
    remote: Box<Capabilities>,
    negotiated: Negotiated,
}

/// One peer's RFC 6733 state machine. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct PeerMachine {
    config: PeerConfig,
    state: PeerState,
    deadline: Option<Instant>,
    /// The pending responder connection (Wait-Conn-Ack/Elect, Wait-Returns).
    responder: Option<Responder>,
    /// The connection that is open (or closing), with what it negotiated.
    open: Option<(Conn, Box<Capabilities>, Negotiated)>,
    /// The Disconnect-Cause of the last DPR the peer sent.
    remote_cause: Option<DisconnectCause>,
}

use PeerAction as A;
use PeerEvent as E;
use PeerState as S;

impl PeerMachine {
    /// A machine in state Closed.
    pub fn new(config: PeerConfig) -> Self {
        PeerMachine {
            config,
            state: S::Closed,
            deadline: None,
            responder: None,
            open: None,
            remote_cause: None,
        }
    }

    /// The current state.
    pub fn state(&self) -> PeerState {
        self.state
    }

    /// When a `Timeout` event is due, if a timer runs in this state.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Is the peer open (R-Open or I-Open): may requests be sent to it?
    pub fn is_open(&self) -> bool {
        matches!(self.state, S::ROpen | S::IOpen)
    }

    /// The connection that is open, or closing after our DPR.
    pub fn open_conn(&self) -> Option<Conn> {
        self.open.as_ref().map(|(c, _, _)| *c)
    }

    /// What the peer advertised on the open connection.
    pub fn remote(&self) -> Option<&Capabilities> {
        self.open.as_ref().map(|(_, r, _)| &**r)
    }

    /// What the capability exchange of the open connection agreed.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.open.as_ref().map(|(_, _, n)| n)
    }

    /// The Disconnect-Cause of the last DPR received from the peer: whether and when to
    /// reconnect (REBOOTING: soon; BUSY: back off; DO_NOT_WANT_TO_TALK_TO_YOU: not until
    /// configured to).
    pub fn remote_disconnect_cause(&self) -> Option<DisconnectCause> {
        self.remote_cause
    }

    /// The settings.
    pub fn config(&self) -> &PeerConfig {
        &self.config
    }

    /// Feeds one event at time `now`; returns the transition and the actions to carry out.
    pub fn handle(&mut self, event: PeerEvent, now: Instant) -> Step {
        let from = self.state;
        let mut actions = SmallVec::new();
        let to = self.transition(event, now, &mut actions);
        let ignored = match to {
            Some(to) => {
                self.enter(from, to, now);
                false
            }
            None => true,
        };
        Step {
            from,
            to: self.state,
            actions,
            ignored,
        }
    }

    /// The table. Returns the new state, or `None` when the event is ignored. Each arm
    /// quotes its row: `state / event: actions -> new state`.
    fn transition(
        &mut self,
        event: PeerEvent,
        now: Instant,
        out: &mut SmallVec<[PeerAction; 3]>,
    ) -> Option<PeerState> {
        use Conn::{Initiator as I, Responder as R};
        let open = self.open_conn();
        let timed_out = self.deadline.is_some_and(|d| now >= d);
        let state = self.state;
        let next = match (state, event) {
            // ---- Closed ----
            // Closed / Start: I-Snd-Conn-Req -> Wait-Conn-Ack
            (S::Closed, E::Start) => {
                out.push(A::Connect);
                S::WaitConnAck
            }
            // Closed / R-Conn-CER: R-Accept, Process-CER, R-Snd-CEA -> R-Open
            // (a refused CER is answered with its Result-Code and the connection closed)
            (S::Closed, E::RConnCer(remote)) => match self.process_cer(remote) {
                Ok(r) => {
                    out.extend([
                        A::Accept,
                        A::SendCea {
                            result_code: result_code::SUCCESS,
                        },
                    ]);
                    self.open = Some((R, r.remote, r.negotiated));
                    S::ROpen
                }
                Err(code) => {
                    out.push(A::Reject { result_code: code });
                    S::Closed
                }
            },

            // ---- Wait-Conn-Ack ----
            // Wait-Conn-Ack / I-Rcv-Conn-Ack: I-Snd-CER -> Wait-I-CEA
            (S::WaitConnAck, E::IRcvConnAck) => {
                out.push(A::SendCer);
                S::WaitICea
            }
            // Wait-Conn-Ack / I-Rcv-Conn-Nack: Cleanup -> Closed
            (S::WaitConnAck, E::IRcvConnNack) => {
                out.extend([A::Disconnect(I), A::Error(PeerError::ConnectFailed)]);
                S::Closed
            }
            // Wait-Conn-Ack / R-Conn-CER: R-Accept, Process-CER -> Wait-Conn-Ack/Elect
            (S::WaitConnAck, E::RConnCer(remote)) => match self.process_cer(remote) {
                Ok(r) => {
                    out.push(A::Accept);
                    self.responder = Some(r);
                    S::WaitConnAckElect
                }
                Err(code) => {
                    out.push(A::Reject { result_code: code });
                    S::WaitConnAck
                }
            },
            // Wait-Conn-Ack / Timeout: Error -> Closed
            (S::WaitConnAck, E::Timeout) if timed_out => {
                self.fail(out, PeerError::Timeout { state })
            }

            // ---- Wait-I-CEA ----
            // Wait-I-CEA / I-Rcv-CEA: Process-CEA -> I-Open
            // (a refusing or disjoint CEA closes the connection instead)
            (
                S::WaitICea,
                E::IRcvCea {
                    result_code,
                    capabilities,
                },
            ) => match process_cea(&self.config.local, result_code, &capabilities) {
                Ok(n) => {
                    self.open = Some((I, capabilities, n));
                    S::IOpen
                }
                Err(e) => self.fail(out, e.into()),
            },
            // Wait-I-CEA / R-Conn-CER: R-Accept, Process-CER, Elect -> Wait-Returns
            (S::WaitICea, E::RConnCer(remote)) => match self.process_cer(remote) {
                Ok(r) => {
                    out.push(A::Accept);
                    let win = self.wins_election(&r.remote);
                    self.responder = Some(r);
                    self.after_elect(win, out)
                }
                Err(code) => {
                    out.push(A::Reject { result_code: code });
                    S::WaitICea
                }
            },
            // Wait-I-CEA / I-Peer-Disc: I-Disc -> Closed
            (S::WaitICea, E::PeerDisc(I)) => {
                out.extend([
                    A::Disconnect(I),
                    A::Error(PeerError::Disconnected { state }),
                ]);
                S::Closed
            }
            // Wait-I-CEA / I-Rcv-Non-CEA: Error -> Closed
            (S::WaitICea, E::IRcvNonCea) => self.fail(out, PeerError::NonCea),
            // Wait-I-CEA / Timeout: Error -> Closed
            (S::WaitICea, E::Timeout) if timed_out => self.fail(out, PeerError::Timeout { state }),

            // ---- Wait-Conn-Ack/Elect ----
            // Wait-Conn-Ack/Elect / I-Rcv-Conn-Ack: I-Snd-CER, Elect -> Wait-Returns
            (S::WaitConnAckElect, E::IRcvConnAck) => {
                out.push(A::SendCer);
                let win = self
                    .responder
                    .as_ref()
                    .is_some_and(|r| self.wins_election(&r.remote));
                self.after_elect(win, out)
            }
            // Wait-Conn-Ack/Elect / I-Rcv-Conn-Nack: R-Snd-CEA -> R-Open
            (S::WaitConnAckElect, E::IRcvConnNack) => self.open_responder(out),
            // Wait-Conn-Ack/Elect / R-Peer-Disc: R-Disc -> Wait-Conn-Ack
            (S::WaitConnAckElect, E::PeerDisc(R)) => {
                out.push(A::Disconnect(R));
                self.responder = None;
                S::WaitConnAck
            }
            // Wait-Conn-Ack/Elect / R-Conn-CER: R-Reject -> Wait-Conn-Ack/Elect
            (S::WaitConnAckElect, E::RConnCer(_)) => {
                out.push(A::Reject { result_code: None });
                S::WaitConnAckElect
            }
            // Wait-Conn-Ack/Elect / Timeout: Error -> Closed
            (S::WaitConnAckElect, E::Timeout) if timed_out => {
                self.fail(out, PeerError::Timeout { state })
            }

            // ---- Wait-Returns ----
            // (Wait-Returns / Win-Election: I-Disc, R-Snd-CEA -> R-Open is taken inside
            // `after_elect`, as the Elect action raises it.)
            // Wait-Returns / I-Peer-Disc: I-Disc, R-Snd-CEA -> R-Open
            (S::WaitReturns, E::PeerDisc(I)) => {
                out.push(A::Disconnect(I));
                self.open_responder(out)
            }
            // Wait-Returns / I-Rcv-CEA: R-Disc -> I-Open
            // (if the CEA refuses us, we keep the responder connection instead, as if the
            // initiator connection had dropped)
            (
                S::WaitReturns,
                E::IRcvCea {
                    result_code,
                    capabilities,
                },
            ) => match process_cea(&self.config.local, result_code, &capabilities) {
                Ok(n) => {
                    out.push(A::Disconnect(R));
                    self.responder = None;
                    self.open = Some((I, capabilities, n));
                    S::IOpen
                }
                Err(_) => {
                    out.push(A::Disconnect(I));
                    self.open_responder(out)
                }
            },
            // Wait-Returns / R-Peer-Disc: R-Disc -> Wait-I-CEA
            (S::WaitReturns, E::PeerDisc(R)) => {
                out.push(A::Disconnect(R));
                self.responder = None;
                S::WaitICea
            }
            // Wait-Returns / R-Conn-CER: R-Reject -> Wait-Returns
            (S::WaitReturns, E::RConnCer(_)) => {
                out.push(A::Reject { result_code: None });
                S::WaitReturns
            }
            // Wait-Returns / Timeout: Error -> Closed
            (S::WaitReturns, E::Timeout) if timed_out => {
                self.fail(out, PeerError::Timeout { state })
            }

            // ---- R-Open and I-Open (the same rows on the open connection) ----
            // Send-Message: Snd-Message -> Open
            (S::ROpen | S::IOpen, E::SendMessage) => {
                out.push(A::Send { conn: open? });
                state
            }
            // Rcv-Message: Process -> Open
            (S::ROpen | S::IOpen, E::RcvMessage(c)) if Some(c) == open => {
                out.push(A::Process { conn: c });
                state
            }
            // Rcv-DWR: Process-DWR, Snd-DWA -> Open
            (S::ROpen | S::IOpen, E::RcvDwr(c)) if Some(c) == open => {
                out.push(A::SendDwa { conn: c });
                state
            }
            // Rcv-DWA: Process-DWA -> Open
            (S::ROpen | S::IOpen, E::RcvDwa(c)) if Some(c) == open => {
                out.push(A::ProcessDwa { conn: c });
                state
            }
            // R-Conn-CER: R-Reject -> Open
            (S::ROpen | S::IOpen, E::RConnCer(_)) => {
                out.push(A::Reject { result_code: None });
                state
            }
            // Stop: Snd-DPR -> Closing
            (S::ROpen | S::IOpen, E::Stop(cause)) => {
                out.push(A::SendDpr { conn: open?, cause });
                S::Closing
            }
            // Rcv-DPR: Snd-DPA -> Closed (the connection closes once the DPA is out)
            (S::ROpen | S::IOpen, E::RcvDpr(c, cause)) if Some(c) == open => {
                self.remote_cause = Some(cause);
                out.extend([A::SendDpa { conn: c }, A::Disconnect(c)]);
                S::Closed
            }
            // Peer-Disc: Disc -> Closed
            (S::ROpen | S::IOpen, E::PeerDisc(c)) if Some(c) == open => {
                out.extend([
                    A::Disconnect(c),
                    A::Error(PeerError::Disconnected { state }),
                ]);
                S::Closed
            }

            // ---- Closing ----
            // Closing / Rcv-DPA: Disc -> Closed
            (S::Closing, E::RcvDpa(c)) if Some(c) == open => {
                out.push(A::Disconnect(c));
                S::Closed
            }
            // Closing / Peer-Disc: Disc -> Closed (the peer closing after our DPR is the
            // expected end too, so no error)
            (S::Closing, E::PeerDisc(c)) if Some(c) == open => {
                out.push(A::Disconnect(c));
                S::Closed
            }
            // Closing / Timeout: Error -> Closed
            (S::Closing, E::Timeout) if timed_out => self.fail(out, PeerError::Timeout { state }),
            // Not in the table: during the grace period answers to requests sent before the
            // DPR still arrive and are delivered, and the peer's DWR is still answered.
            (S::Closing, E::RcvMessage(c)) if Some(c) == open => {
                out.push(A::Process { conn: c });
                S::Closing
            }
            (S::Closing, E::RcvDwr(c)) if Some(c) == open => {
                out.push(A::SendDwa { conn: c });
                S::Closing
            }
            (S::Closing, E::RcvDwa(c)) if Some(c) == open => {
                out.push(A::ProcessDwa { conn: c });
                S::Closing
            }
            // Not in the table: both sides sent DPR at once. Answer theirs and keep waiting
            // for the DPA to ours (or the timer).
            (S::Closing, E::RcvDpr(c, cause)) if Some(c) == open => {
                self.remote_cause = Some(cause);
                out.push(A::SendDpa { conn: c });
                S::Closing
            }

            // ---- Rows not in the table ----
            // A new connection from the peer while closing is refused like one while open;
            // ignoring it would leave it open and unowned.
            (S::Closing, E::RConnCer(_)) => {
                out.push(A::Reject { result_code: None });
                S::Closing
            }
            // Stop while connecting abandons every connection of the attempt.
            (S::WaitConnAck | S::WaitICea | S::WaitConnAckElect | S::WaitReturns, E::Stop(_)) => {
                out.extend(self.connections().into_iter().map(A::Disconnect));
                S::Closed
            }
            _ => return None,
        };
        Some(next)
    }

    /// Bookkeeping on entering `to`: timers, and forgetting connections that are gone.
    fn enter(&mut self, from: PeerState, to: PeerState, now: Instant) {
        self.state = to;
        // One timer per phase: moving between the two states of a phase (e.g. Wait-I-CEA
        // and Wait-Returns, both waiting for the same CEA) keeps it running.
        let same_phase = matches!(
            (from, to),
            (
                S::WaitConnAck | S::WaitConnAckElect,
                S::WaitConnAck | S::WaitConnAckElect
            ) | (S::WaitICea | S::WaitReturns, S::WaitICea | S::WaitReturns)
                | (S::Closing, S::Closing)
        );
        if !same_phase {
            let timer = match to {
                S::WaitConnAck | S::WaitConnAckElect => Some(self.config.connect_timeout),
                S::WaitICea | S::WaitReturns => Some(self.config.cea_timeout),
                S::Closing => Some(self.config.dpa_timeout),
                S::Closed | S::ROpen | S::IOpen => None,
            };
            self.deadline = timer.map(|d| now + d);
        }
        if to == S::Closed {
            self.responder = None;
            self.open = None;
        }
    }

    /// Process-CER: the pending responder, or the Result-Code of the refusing CEA.
    fn process_cer(&self, remote: Box<Capabilities>) -> Result<Responder, Option<u32>> {
        match process_cer(&self.config.local, &self.config.accept, &remote) {
            Ok(negotiated) => Ok(Responder { remote, negotiated }),
            Err(e) => Err(Some(e.result_code())),
        }
    }

    /// Elect (section 5.6.4): does our Origin-Host win against the peer's?
    fn wins_election(&self, remote: &Capabilities) -> bool {
        wins_election(&self.config.local.origin_host, &remote.origin_host)
    }

    /// After Elect the state is Wait-Returns; winning raises Win-Election there at once:
    /// Wait-Returns / Win-Election: I-Disc, R-Snd-CEA -> R-Open.
    fn after_elect(&mut self, win: bool, out: &mut SmallVec<[PeerAction; 3]>) -> PeerState {
        if win {
            out.push(A::Disconnect(Conn::Initiator));
            self.open_responder(out)
        } else {
            // The loser waits: the winner closes its own initiator connection (our
            // responder one, R-Peer-Disc here) and answers our CER (I-Rcv-CEA here).
            S::WaitReturns
        }
    }

    /// R-Snd-CEA -> R-Open with the pending responder connection.
    fn open_responder(&mut self, out: &mut SmallVec<[PeerAction; 3]>) -> PeerState {
        match self.responder.take() {
            Some(r) => {
                out.push(A::SendCea {
                    result_code: result_code::SUCCESS,
                });
                self.open = Some((Conn::Responder, r.remote, r.negotiated));
                S::ROpen
            }
            // Unreachable by construction (the Elect states always hold a responder);
            // closing is the safe answer if it ever happens.
            None => {
                out.push(A::Error(PeerError::Disconnected { state: self.state }));
                S::Closed
            }
        }
    }

    /// Error -> Closed: close every connection of the current state and report why.
    fn fail(&mut self, out: &mut SmallVec<[PeerAction; 3]>, error: PeerError) -> PeerState {
        out.extend(self.connections().into_iter().map(A::Disconnect));
        out.push(A::Error(error));
        S::Closed
    }

    /// The connections (opened or being opened) the current state has.
    fn connections(&self) -> SmallVec<[Conn; 2]> {
        match self.state {
            S::Closed => SmallVec::new(),
            S::WaitConnAck | S::WaitICea | S::IOpen => SmallVec::from_slice(&[Conn::Initiator]),
            S::WaitConnAckElect | S::WaitReturns => {
                SmallVec::from_slice(&[Conn::Initiator, Conn::Responder])
            }
            S::ROpen => SmallVec::from_slice(&[Conn::Responder]),
            S::Closing => self.open_conn().into_iter().collect(),
        }
    }
}

/// The election of RFC 6733 section 5.6.4: the local node wins when its Origin-Host is the
/// greater of the two, compared octet by octet with ASCII letters folded to one case (RFC
/// 6733 makes the comparison consistent with DNS case-insensitivity). Equal names (a
/// misconfiguration) win for neither side.
///
/// ```
/// use diameter_transport::peer::wins_election;
/// assert!(wins_election("peer-b.example", "peer-a.example"));
/// assert!(!wins_election("peer-a.example", "PEER-B.example"));
/// assert!(!wins_election("Peer.example", "peer.EXAMPLE"));
/// ```
pub fn wins_election(local: &str, remote: &str) -> bool {
    let fold = |s: &str| {
        s.bytes()
            .map(|b| b.to_ascii_lowercase())
            .collect::<Vec<u8>>()
    };
    fold(local).cmp(&fold(remote)) == Ordering::Greater
}
