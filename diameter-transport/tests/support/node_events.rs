//! What the node tests share: a hook that collects a node's events, a bounded wait for one
//! of them, and the CCR handler most servers of the tests run.
#![allow(dead_code)]

use std::time::Duration;

use diameter_messages::credit_control::{CreditControlAnswer, CreditControlRequest};
use diameter_transport::{Context, NodeEvent};
use tokio::sync::mpsc;

/// An event hook and the channel it feeds.
pub fn events() -> (
    impl Fn(&NodeEvent) + Send + Sync + 'static,
    mpsc::UnboundedReceiver<NodeEvent>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    (move |e: &NodeEvent| drop(tx.send(e.clone())), rx)
}

/// Waits, at most `wait`, for the first event `pick` accepts.
pub async fn wait_for<T>(
    rx: &mut mpsc::UnboundedReceiver<NodeEvent>,
    wait: Duration,
    mut pick: impl FnMut(&NodeEvent) -> Option<T>,
) -> T {
    let found = tokio::time::timeout(wait, async {
        while let Some(e) = rx.recv().await {
            if let Some(t) = pick(&e) {
                return t;
            }
        }
        panic!("event channel closed")
    })
    .await;
    found.expect("event in time")
}

/// Answers a CCR with 2001, its request type and number; Session-Id, Origin-Host and
/// Origin-Realm are left to the node.
pub async fn answer_ccr(
    ccr: CreditControlRequest<'static>,
    _ctx: Context,
) -> CreditControlAnswer<'static> {
    CreditControlAnswer {
        result_code: 2001,
        auth_application_id: 4,
        cc_request_type: ccr.cc_request_type,
        cc_request_number: ccr.cc_request_number,
        ..Default::default()
    }
}
