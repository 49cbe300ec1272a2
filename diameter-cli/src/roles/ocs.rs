//! `ocs`: an online charging server for Gy/Ro (RFC 4006 credit control with the 3GPP TS 32.299
//! profile's AVPs typed).
//!
//! Each subscriber (the first Subscription-Id's data) has one balance, counted in the units
//! the client asks for: octets (CC-Total-Octets) or seconds (CC-Time); a real OCS rates per
//! Rating-Group, this one debits one purse. A session (by Session-Id) holds a reservation per
//! Multiple-Services-Credit-Control (by Rating-Group): CCR-I and CCR-U grant up to `quota`
//! units of what is left, CCR-U and CCR-T debit the Used-Service-Unit and release the
//! reservation. When nothing is left, the MSCC and the answer say 4012
//! DIAMETER_CREDIT_LIMIT_REACHED; the last partial grant carries a Final-Unit-Indication
//! (TERMINATE). CCR-E debits at once (DIRECT_DEBITING), refunds (REFUND_ACCOUNT) or checks
//! the balance (CHECK_BALANCE).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use diameter_messages::credit_control::{
    CcRequestType, FinalUnitAction, FinalUnitIndication, GrantedServiceUnit,
    MultipleServicesCreditControl, RequestedAction,
};
use diameter_messages::ro::{CreditControlAnswer, CreditControlRequest};
use diameter_runtime::types::IntoOwned;
use diameter_transport::NodeBuilder;

use super::{codes, text, Observer, APP_CREDIT_CONTROL};

/// Balances and grant size.
#[derive(Clone, Debug)]
pub struct OcsConfig {
    /// Most units granted at once.
    pub quota: u64,
    /// Balances by subscriber (Subscription-Id-Data).
    pub balances: BTreeMap<String, u64>,
}

impl OcsConfig {
    /// The subscriber the demo charges.
    pub const DEMO_SUBSCRIBER: &'static str = "001010000000001";
}

impl Default for OcsConfig {
    /// Grants of 1,000,000 units; three test subscribers (IMSIs of the test network 001-01):
    /// 3,500,000 units (three full grants and a partial one), 10,000,000, and 0.
    fn default() -> Self {
        OcsConfig {
            quota: 1_000_000,
            balances: BTreeMap::from([
                (Self::DEMO_SUBSCRIBER.to_owned(), 3_500_000),
                ("001010000000002".to_owned(), 10_000_000),
                ("001010000000003".to_owned(), 0),
            ]),
        }
    }
}

/// One credit-control session.
#[derive(Debug)]
struct Session {
    subscriber: String,
    /// Units reserved, by Rating-Group (0 when the MSCC has none).
    reserved: BTreeMap<u32, u64>,
}

#[derive(Debug, Default)]
struct State {
    balances: HashMap<String, u64>,
    /// Units reserved by all sessions of a subscriber.
    reserved: HashMap<String, u64>,
    sessions: HashMap<String, Session>,
}

/// The OCS: balances and sessions.
#[derive(Debug)]
pub struct Ocs {
    quota: u64,
    state: Mutex<State>,
}

/// Registers the CCR handler.
pub fn install(builder: NodeBuilder, ocs: &Arc<Ocs>, observer: &Observer) -> NodeBuilder {
    let ocs = Arc::clone(ocs);
    let observer = observer.clone();
    builder.handler(move |ccr: CreditControlRequest<'static>, ctx| {
        let started = Instant::now();
        let answer = ocs.answer(&ccr);
        observer.record(ctx.peer_host(), "CCR", answer.result_code, started);
        std::future::ready(answer)
    })
}

impl Ocs {
    /// An OCS with these balances.
    pub fn new(config: OcsConfig) -> Self {
        Ocs {
            quota: config.quota.max(1),
            state: Mutex::new(State {
                balances: config.balances.into_iter().collect(),
                ..State::default()
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves whole numbers behind: keep serving.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The balance of `subscriber` now, when known.
    pub fn balance(&self, subscriber: &str) -> Option<u64> {
        self.state().balances.get(subscriber).copied()
    }

    /// Sessions open now.
    pub fn open_sessions(&self) -> usize {
        self.state().sessions.len()
    }

    /// The answer to one CCR.
    pub fn answer(&self, ccr: &CreditControlRequest<'_>) -> CreditControlAnswer<'static> {
        let mut cca = CreditControlAnswer {
            session_id: ccr.session_id.clone().into_owned(),
            auth_application_id: APP_CREDIT_CONTROL,
            cc_request_type: ccr.cc_request_type,
            cc_request_number: ccr.cc_request_number,
            result_code: codes::SUCCESS,
            ..Default::default()
        };
        let session_id = text(ccr.session_id.as_bytes());
        let subscriber = ccr
            .subscription_id
            .first()
            .map(|s| text(s.subscription_id_data.as_bytes()));
        let mut state = self.state();
        let state = &mut *state;
        match ccr.cc_request_type {
            CcRequestType::INITIAL_REQUEST => {
                let Some(sub) = subscriber.filter(|s| state.balances.contains_key(s)) else {
                    cca.result_code = codes::USER_UNKNOWN;
                    return cca;
                };
                // A repeated CCR-I replaces the session: release what it held.
                if let Some(old) = state.sessions.remove(&session_id) {
                    release_all(state, &old);
                }
                let mut session = Session {
                    subscriber: sub,
                    reserved: BTreeMap::new(),
                };
                self.serve_msccs(state, &mut session, ccr, &mut cca);
                state.sessions.insert(session_id, session);
            }
            CcRequestType::UPDATE_REQUEST | CcRequestType::TERMINATION_REQUEST => {
                let Some(mut session) = state.sessions.remove(&session_id) else {
                    cca.result_code = codes::UNKNOWN_SESSION_ID;
                    return cca;
                };
                if ccr.cc_request_type == CcRequestType::UPDATE_REQUEST {
                    self.serve_msccs(state, &mut session, ccr, &mut cca);
                    state.sessions.insert(session_id, session);
                } else {
                    for m in &ccr.multiple_services_credit_control {
                        debit(state, &mut session, m);
                    }
                    release_all(state, &session);
                }
            }
            CcRequestType::EVENT_REQUEST => {
                let Some(sub) = subscriber.filter(|s| state.balances.contains_key(s)) else {
                    cca.result_code = codes::USER_UNKNOWN;
                    return cca;
                };
                cca.result_code = self.event(state, &sub, ccr, &mut cca);
            }
            _ => cca.result_code = codes::UNABLE_TO_COMPLY,
        }
        cca
    }

    /// CCR-I/U: debit what each MSCC used, then grant what it requests.
    fn serve_msccs(
        &self,
        state: &mut State,
        session: &mut Session,
        ccr: &CreditControlRequest<'_>,
        cca: &mut CreditControlAnswer<'static>,
    ) {
        let mut granted_any = false;
        let mut refused_any = false;
        for m in &ccr.multiple_services_credit_control {
            debit(state, session, m);
            let mut out = MultipleServicesCreditControl {
                rating_group: m.rating_group,
                service_identifier: m.service_identifier.clone(),
                ..Default::default()
            };
            if let Some(rsu) = &m.requested_service_unit {
                let by_time = rsu.cc_time.is_some();
                let asked = rsu
                    .cc_time
                    .map(u64::from)
                    .or(rsu.cc_total_octets)
                    .filter(|&n| n > 0)
                    .unwrap_or(self.quota);
                let want = asked.min(self.quota);
                let balance = state
                    .balances
                    .get(&session.subscriber)
                    .copied()
                    .unwrap_or(0);
                let held = state
                    .reserved
                    .get(&session.subscriber)
                    .copied()
                    .unwrap_or(0);
                let grant = want.min(balance.saturating_sub(held));
                if grant == 0 {
                    out.result_code = Some(codes::CREDIT_LIMIT_REACHED);
                    refused_any = true;
                } else {
                    let rg = m.rating_group.unwrap_or(0);
                    *session.reserved.entry(rg).or_default() += grant;
                    *state
                        .reserved
                        .entry(session.subscriber.clone())
                        .or_default() += grant;
                    out.granted_service_unit = Some(if by_time {
                        GrantedServiceUnit {
                            cc_time: Some(u32::try_from(grant).unwrap_or(u32::MAX)),
                            ..Default::default()
                        }
                    } else {
                        GrantedServiceUnit {
                            cc_total_octets: Some(grant),
                            ..Default::default()
                        }
                    });
                    if grant < want {
                        out.final_unit_indication = Some(FinalUnitIndication {
                            final_unit_action: FinalUnitAction::TERMINATE,
                            ..Default::default()
                        });
                    }
                    out.result_code = Some(codes::SUCCESS);
                    granted_any = true;
                }
            } else {
                out.result_code = Some(codes::SUCCESS);
            }
            cca.multiple_services_credit_control.push(out);
        }
        // RFC 4006 5.7.2: with one service refused and none granted, the command says 4012.
        if refused_any && !granted_any {
            cca.result_code = codes::CREDIT_LIMIT_REACHED;
        }
    }

    /// CCR-E: one-time events.
    fn event(
        &self,
        state: &mut State,
        subscriber: &str,
        ccr: &CreditControlRequest<'_>,
        cca: &mut CreditControlAnswer<'static>,
    ) -> u32 {
        let action = ccr
            .requested_action
            .unwrap_or(RequestedAction::DIRECT_DEBITING);
        let asked: u64 = ccr
            .multiple_services_credit_control
            .iter()
            .filter_map(|m| m.requested_service_unit.as_ref())
            .filter_map(|r| r.cc_total_octets.or(r.cc_time.map(u64::from)))
            .sum();
        let held = state.reserved.get(subscriber).copied().unwrap_or(0);
        let Some(balance) = state.balances.get_mut(subscriber) else {
            return codes::USER_UNKNOWN;
        };
        match action {
            RequestedAction::DIRECT_DEBITING => {
                if balance.saturating_sub(held) < asked || *balance == 0 {
                    return codes::CREDIT_LIMIT_REACHED;
                }
                *balance -= asked;
                for m in &ccr.multiple_services_credit_control {
                    cca.multiple_services_credit_control
                        .push(MultipleServicesCreditControl {
                            rating_group: m.rating_group,
                            service_identifier: m.service_identifier.clone(),
                            granted_service_unit: m.requested_service_unit.as_ref().map(|r| {
                                GrantedServiceUnit {
                                    cc_time: r.cc_time,
                                    cc_total_octets: r.cc_total_octets,
                                    ..Default::default()
                                }
                            }),
                            result_code: Some(codes::SUCCESS),
                            ..Default::default()
                        });
                }
                codes::SUCCESS
            }
            RequestedAction::REFUND_ACCOUNT => {
                *balance = balance.saturating_add(asked);
                codes::SUCCESS
            }
            RequestedAction::CHECK_BALANCE if *balance > held => codes::SUCCESS,
            RequestedAction::CHECK_BALANCE => codes::CREDIT_LIMIT_REACHED,
            // PRICE_ENQUIRY needs a tariff, which this OCS does not have.
            _ => codes::UNABLE_TO_COMPLY,
        }
    }
}

/// Debits the Used-Service-Units of one MSCC and releases its reservation.
fn debit(state: &mut State, session: &mut Session, m: &MultipleServicesCreditControl<'_>) {
    let used: u64 = m
        .used_service_unit
        .iter()
        .map(|u| u.cc_total_octets.or(u.cc_time.map(u64::from)).unwrap_or(0))
        .sum();
    let rg = m.rating_group.unwrap_or(0);
    if let Some(r) = session.reserved.remove(&rg) {
        if let Some(total) = state.reserved.get_mut(&session.subscriber) {
            *total = total.saturating_sub(r);
        }
    }
    if let Some(balance) = state.balances.get_mut(&session.subscriber) {
        *balance = balance.saturating_sub(used);
    }
}

/// Releases every reservation of a session that ends.
fn release_all(state: &mut State, session: &Session) {
    let held: u64 = session.reserved.values().sum();
    if let Some(total) = state.reserved.get_mut(&session.subscriber) {
        *total = total.saturating_sub(held);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_messages::credit_control::{
        RequestedServiceUnit, SubscriptionId, SubscriptionIdType, UsedServiceUnit,
    };
    use diameter_runtime::types::Utf8String;

    fn ocs(balance: u64) -> Ocs {
        Ocs::new(OcsConfig {
            quota: 100,
            balances: BTreeMap::from([("sub".to_owned(), balance)]),
        })
    }

    /// A CCR for subscriber "sub" with one MSCC: `rsu` asks for quota (octets, or seconds when
    /// `time`), `used` reports octets.
    fn ccr(
        session: &str,
        kind: CcRequestType,
        rsu: bool,
        time: bool,
        used: Option<u64>,
    ) -> CreditControlRequest<'static> {
        CreditControlRequest {
            session_id: Utf8String::from(session.to_owned()),
            cc_request_type: kind,
            subscription_id: vec![SubscriptionId {
                subscription_id_type: SubscriptionIdType::END_USER_IMSI,
                subscription_id_data: Utf8String::from("sub"),
            }],
            multiple_services_credit_control: vec![MultipleServicesCreditControl {
                rating_group: Some(1),
                requested_service_unit: rsu.then(|| RequestedServiceUnit {
                    cc_time: time.then_some(0),
                    ..Default::default()
                }),
                used_service_unit: used
                    .map(|u| UsedServiceUnit {
                        cc_total_octets: Some(u),
                        cc_time: time.then(|| u32::try_from(u).unwrap_or(u32::MAX)),
                        ..Default::default()
                    })
                    .into_iter()
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn gsu(cca: &CreditControlAnswer<'_>) -> (Option<u64>, Option<u32>) {
        cca.multiple_services_credit_control[0]
            .granted_service_unit
            .as_ref()
            .map_or((None, None), |g| (g.cc_total_octets, g.cc_time))
    }

    #[test]
    fn grants_until_the_balance_runs_out_then_4012() {
        let o = ocs(250);
        let a = o.answer(&ccr("s", CcRequestType::INITIAL_REQUEST, true, false, None));
        assert_eq!((a.result_code, gsu(&a)), (2001, (Some(100), None)));
        let a = o.answer(&ccr(
            "s",
            CcRequestType::UPDATE_REQUEST,
            true,
            false,
            Some(100),
        ));
        assert_eq!((a.result_code, gsu(&a)), (2001, (Some(100), None)));
        let a = o.answer(&ccr(
            "s",
            CcRequestType::UPDATE_REQUEST,
            true,
            false,
            Some(100),
        ));
        // 50 left: a partial grant, marked as the last.
        assert_eq!((a.result_code, gsu(&a)), (2001, (Some(50), None)));
        assert!(a.multiple_services_credit_control[0]
            .final_unit_indication
            .is_some());
        let a = o.answer(&ccr(
            "s",
            CcRequestType::UPDATE_REQUEST,
            true,
            false,
            Some(50),
        ));
        assert_eq!(a.result_code, 4012);
        assert_eq!(
            a.multiple_services_credit_control[0].result_code,
            Some(4012)
        );
        let a = o.answer(&ccr(
            "s",
            CcRequestType::TERMINATION_REQUEST,
            false,
            false,
            None,
        ));
        assert_eq!(a.result_code, 2001);
        assert_eq!((o.balance("sub"), o.open_sessions()), (Some(0), 0));
    }

    #[test]
    fn time_quota_and_unused_reservation_released() {
        let o = ocs(1000);
        let a = o.answer(&ccr("t", CcRequestType::INITIAL_REQUEST, true, true, None));
        assert_eq!(gsu(&a), (None, Some(100)));
        // Used 30 of the 100 seconds granted; the rest goes back.
        let a = o.answer(&ccr(
            "t",
            CcRequestType::TERMINATION_REQUEST,
            false,
            true,
            Some(30),
        ));
        assert_eq!(a.result_code, 2001);
        assert_eq!(o.balance("sub"), Some(970));
    }

    #[test]
    fn sessions_of_one_subscriber_share_the_balance() {
        let o = ocs(150);
        let a = o.answer(&ccr("a", CcRequestType::INITIAL_REQUEST, true, false, None));
        assert_eq!(gsu(&a).0, Some(100));
        // Only 50 is not reserved by session "a".
        let b = o.answer(&ccr("b", CcRequestType::INITIAL_REQUEST, true, false, None));
        assert_eq!(gsu(&b).0, Some(50));
        let c = o.answer(&ccr("c", CcRequestType::INITIAL_REQUEST, true, false, None));
        assert_eq!(c.result_code, 4012);
    }

    #[test]
    fn unknown_user_and_unknown_session() {
        let o = ocs(10);
        let mut r = ccr("x", CcRequestType::INITIAL_REQUEST, true, false, None);
        r.subscription_id[0].subscription_id_data = Utf8String::from("nobody");
        assert_eq!(o.answer(&r).result_code, codes::USER_UNKNOWN);
        let r = ccr(
            "never-started",
            CcRequestType::UPDATE_REQUEST,
            true,
            false,
            Some(1),
        );
        assert_eq!(o.answer(&r).result_code, codes::UNKNOWN_SESSION_ID);
    }

    #[test]
    fn event_debits_refunds_and_checks() {
        let o = ocs(100);
        let mut r = ccr("e", CcRequestType::EVENT_REQUEST, false, false, None);
        r.multiple_services_credit_control[0].requested_service_unit = Some(RequestedServiceUnit {
            cc_total_octets: Some(60),
            ..Default::default()
        });
        assert_eq!(o.answer(&r).result_code, 2001);
        assert_eq!(o.balance("sub"), Some(40));
        assert_eq!(o.answer(&r).result_code, 4012, "60 > 40 left");
        r.requested_action = Some(RequestedAction::REFUND_ACCOUNT);
        assert_eq!(o.answer(&r).result_code, 2001);
        assert_eq!(o.balance("sub"), Some(100));
        r.requested_action = Some(RequestedAction::CHECK_BALANCE);
        assert_eq!(o.answer(&r).result_code, 2001);
    }
}
