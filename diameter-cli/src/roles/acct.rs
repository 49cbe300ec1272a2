//! `acct`: an accounting server (RFC 6733 base accounting, with the 3GPP Rf profile's AVPs
//! typed). Every ACR is answered 2001 with its record type and number; the records are counted
//! by type and the latest ones kept, sessions tracked from START to STOP.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use diameter_messages::base::AccountingRecordType;
use diameter_messages::rf::{AccountingAnswer, AccountingRequest};
use diameter_runtime::types::IntoOwned;
use diameter_transport::NodeBuilder;

use super::{codes, text, Observer};

/// How many records are kept (older ones are only counted).
const KEPT: usize = 10_000;

/// One accounting record received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Session-Id.
    pub session_id: String,
    /// Accounting-Record-Type.
    pub record_type: AccountingRecordType,
    /// Accounting-Record-Number.
    pub number: u32,
    /// The peer it came from.
    pub peer: String,
}

/// Records received, counted by type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// EVENT_RECORD.
    pub event: u64,
    /// START_RECORD.
    pub start: u64,
    /// INTERIM_RECORD.
    pub interim: u64,
    /// STOP_RECORD.
    pub stop: u64,
    /// Sessions started and not stopped.
    pub open_sessions: usize,
}

#[derive(Debug, Default)]
struct State {
    records: VecDeque<Record>,
    counts: Counts,
    open: HashSet<String>,
}

/// The accounting server.
#[derive(Debug, Default)]
pub struct Accounting {
    state: Mutex<State>,
}

/// Registers the ACR handler.
pub fn install(builder: NodeBuilder, acct: &Arc<Accounting>, observer: &Observer) -> NodeBuilder {
    let acct = Arc::clone(acct);
    let observer = observer.clone();
    builder.handler(move |acr: AccountingRequest<'static>, ctx| {
        let started = Instant::now();
        let answer = acct.answer(&acr, ctx.peer_host());
        observer.record(ctx.peer_host(), "ACR", answer.result_code, started);
        std::future::ready(answer)
    })
}

impl Accounting {
    fn state(&self) -> MutexGuard<'_, State> {
        // Counters stay whole after a panic elsewhere: keep counting.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts so far.
    pub fn counts(&self) -> Counts {
        let s = self.state();
        Counts {
            open_sessions: s.open.len(),
            ..s.counts.clone()
        }
    }

    /// The latest records, oldest first.
    pub fn records(&self) -> Vec<Record> {
        self.state().records.iter().cloned().collect()
    }

    /// Keeps one ACR and answers it.
    pub fn answer(&self, acr: &AccountingRequest<'_>, peer: &str) -> AccountingAnswer<'static> {
        let session_id = text(acr.session_id.as_bytes());
        let mut s = self.state();
        match acr.accounting_record_type {
            AccountingRecordType::EVENT_RECORD => s.counts.event += 1,
            AccountingRecordType::START_RECORD => {
                s.counts.start += 1;
                s.open.insert(session_id.clone());
            }
            AccountingRecordType::INTERIM_RECORD => s.counts.interim += 1,
            AccountingRecordType::STOP_RECORD => {
                s.counts.stop += 1;
                s.open.remove(&session_id);
            }
            _ => {}
        }
        if s.records.len() == KEPT {
            s.records.pop_front();
        }
        s.records.push_back(Record {
            session_id,
            record_type: acr.accounting_record_type,
            number: acr.accounting_record_number,
            peer: peer.to_owned(),
        });
        AccountingAnswer {
            session_id: acr.session_id.clone().into_owned(),
            result_code: codes::SUCCESS,
            accounting_record_type: acr.accounting_record_type,
            accounting_record_number: acr.accounting_record_number,
            acct_application_id: acr.acct_application_id,
            user_name: acr.user_name.clone().map(IntoOwned::into_owned),
            acct_interim_interval: acr.acct_interim_interval,
            ..Default::default()
        }
    }
}
