//! `sh`: the HSS side of Sh (TS 29.328/29.329): UDR answered with User-Data, an XML Sh-Data
//! document holding what the Data-References ask for (public identities, IMS user state,
//! MSISDN, repository data), from a small table of IMS users. A user not in the table gets
//! Experimental-Result 5001 DIAMETER_ERROR_USER_UNKNOWN (Vendor-Id 10415).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;
use std::time::Instant;

use diameter_messages::base::{AuthSessionState, ExperimentalResult};
use diameter_messages::sh::{DataReference, UserDataAnswer, UserDataRequest};
use diameter_runtime::types::{IntoOwned, OctetString};
use diameter_transport::NodeBuilder;

use super::hss::tbcd;
use super::{codes, text, Observer, VENDOR_3GPP};

/// One IMS user.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImsUser {
    /// IMS public identities (SIP or tel URIs).
    #[serde(rename = "identities")]
    pub public_identities: Vec<String>,
    /// MSISDN, digits.
    pub msisdn: String,
    /// IMSUserState (TS 29.328 7.6.3): 0 not registered, 1 registered.
    #[serde(default)]
    pub registered: bool,
}

/// The Sh server: users by public identity and by MSISDN.
#[derive(Debug)]
pub struct ShServer {
    users: Vec<ImsUser>,
    by_identity: BTreeMap<String, usize>,
}

/// Registers the UDR handler.
pub fn install(builder: NodeBuilder, sh: &Arc<ShServer>, observer: &Observer) -> NodeBuilder {
    let sh = Arc::clone(sh);
    let observer = observer.clone();
    builder.handler(move |udr: UserDataRequest<'static>, ctx| {
        let started = Instant::now();
        let answer = sh.udr(&udr);
        let code = answer
            .result_code
            .or(answer
                .experimental_result
                .as_ref()
                .map(|e| e.experimental_result_code))
            .unwrap_or(0);
        observer.record(ctx.peer_host(), "UDR", code, started);
        std::future::ready(answer)
    })
}

impl ShServer {
    /// The public identity the demo asks about.
    pub const DEMO_IDENTITY: &'static str = "sip:alice@ims.mnc001.mcc001.3gppnetwork.org";

    /// Two users: alice (registered) and bob (not registered).
    pub fn with_test_users() -> Self {
        Self::new(vec![
            ImsUser {
                public_identities: vec![
                    Self::DEMO_IDENTITY.to_owned(),
                    "tel:+491700000001".to_owned(),
                ],
                msisdn: "491700000001".to_owned(),
                registered: true,
            },
            ImsUser {
                public_identities: vec![
                    "sip:bob@ims.mnc001.mcc001.3gppnetwork.org".to_owned(),
                    "tel:+491700000002".to_owned(),
                ],
                msisdn: "491700000002".to_owned(),
                registered: false,
            },
        ])
    }

    /// A server knowing these users.
    pub fn new(users: Vec<ImsUser>) -> Self {
        let mut by_identity = BTreeMap::new();
        for (i, u) in users.iter().enumerate() {
            for id in &u.public_identities {
                by_identity.insert(id.clone(), i);
            }
        }
        ShServer { users, by_identity }
    }

    /// UDR → UDA.
    pub fn udr(&self, udr: &UserDataRequest<'_>) -> UserDataAnswer<'static> {
        let mut uda = UserDataAnswer {
            session_id: udr.session_id.clone().into_owned(),
            vendor_specific_application_id: udr.vendor_specific_application_id.clone(),
            auth_session_state: AuthSessionState::NO_STATE_MAINTAINED,
            ..Default::default()
        };
        let by_identity = udr
            .user_identity
            .public_identity
            .as_ref()
            .and_then(|p| self.by_identity.get(&text(p.as_bytes())));
        let by_msisdn = || {
            let m = udr.user_identity.msisdn.as_ref()?;
            self.users
                .iter()
                .position(|u| tbcd(&u.msisdn) == m.as_bytes())
        };
        let Some(user) = by_identity
            .copied()
            .or_else(by_msisdn)
            .map(|i| &self.users[i])
        else {
            uda.experimental_result = Some(ExperimentalResult {
                vendor_id: VENDOR_3GPP,
                experimental_result_code: codes::ERROR_USER_UNKNOWN,
            });
            return uda;
        };
        let service_indications: Vec<String> = udr
            .service_indication
            .iter()
            .map(|s| text(s.as_bytes()))
            .collect();
        uda.result_code = Some(codes::SUCCESS);
        uda.user_data = Some(OctetString::from(sh_data(
            user,
            &udr.data_reference,
            &service_indications,
        )));
        uda
    }
}

/// The Sh-Data document (TS 29.328 annex D) answering `references`.
fn sh_data(user: &ImsUser, references: &[DataReference], services: &[String]) -> String {
    let mut xml = String::from(r#"<?xml version="1.0" encoding="UTF-8"?><Sh-Data>"#);
    let wants = |r: DataReference| references.contains(&r);
    for s in services
        .iter()
        .filter(|_| wants(DataReference::REPOSITORY_DATA))
    {
        // No transparent data is stored: an empty repository entry of sequence 0.
        let _ = write!(
            xml,
            "<RepositoryData><ServiceIndication>{}</ServiceIndication>\
             <SequenceNumber>0</SequenceNumber></RepositoryData>",
            escape(s)
        );
    }
    if wants(DataReference::IMS_PUBLIC_IDENTITY) || wants(DataReference::MSISDN) {
        xml.push_str("<PublicIdentifiers>");
        if wants(DataReference::IMS_PUBLIC_IDENTITY) {
            for id in &user.public_identities {
                let _ = write!(xml, "<IMSPublicIdentity>{}</IMSPublicIdentity>", escape(id));
            }
        }
        if wants(DataReference::MSISDN) {
            let _ = write!(xml, "<MSISDN>{}</MSISDN>", escape(&user.msisdn));
        }
        xml.push_str("</PublicIdentifiers>");
    }
    if wants(DataReference::IMS_USER_STATE) {
        let _ = write!(
            xml,
            "<Sh-IMS-Data><IMSUserState>{}</IMSUserState></Sh-IMS-Data>",
            u8::from(user.registered)
        );
    }
    xml.push_str("</Sh-Data>");
    xml
}

/// Text escaped for XML element content.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sh_data_holds_what_was_asked() {
        let sh = ShServer::with_test_users();
        let xml = sh_data(
            &sh.users[0],
            &[DataReference::IMS_USER_STATE, DataReference::MSISDN],
            &[],
        );
        assert!(xml.contains("<IMSUserState>1</IMSUserState>"), "{xml}");
        assert!(xml.contains("<MSISDN>491700000001</MSISDN>"), "{xml}");
        assert!(!xml.contains("IMSPublicIdentity"), "{xml}");
    }
}
