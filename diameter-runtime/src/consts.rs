//! The few base-protocol numbers the runtime itself needs (RFC 6733). The full base
//! dictionary lives in `dictionaries/rfc6733.xml` and the generated `diameter-messages` crate.

/// Result-Code values (RFC 6733 section 7.1).
pub mod result_code {
    /// 1001: authentication needs another round trip.
    pub const MULTI_ROUND_AUTH: u32 = 1001;
    /// 2001: the request was successfully completed.
    pub const SUCCESS: u32 = 2001;
    /// 2002: success, but the server has limited authorisation.
    pub const LIMITED_SUCCESS: u32 = 2002;
    /// 3001: the command code is not recognised or supported.
    pub const COMMAND_UNSUPPORTED: u32 = 3001;
    /// 3002: the message could not be delivered.
    pub const UNABLE_TO_DELIVER: u32 = 3002;
    /// 3003: the intended realm is not recognised.
    pub const REALM_NOT_SERVED: u32 = 3003;
    /// 3004: the peer is too busy to process the request.
    pub const TOO_BUSY: u32 = 3004;
    /// 3005: a routing loop was detected.
    pub const LOOP_DETECTED: u32 = 3005;
    /// 3006: redirect indication.
    pub const REDIRECT_INDICATION: u32 = 3006;
    /// 3007: the application is not supported.
    pub const APPLICATION_UNSUPPORTED: u32 = 3007;
    /// 3008: invalid header bits.
    pub const INVALID_HDR_BITS: u32 = 3008;
    /// 3009: invalid AVP flag bits.
    pub const INVALID_AVP_BITS: u32 = 3009;
    /// 3010: the peer is not known to this node.
    pub const UNKNOWN_PEER: u32 = 3010;
    /// 4001: authentication was rejected.
    pub const AUTHENTICATION_REJECTED: u32 = 4001;
    /// 4002: out of space to store the record.
    pub const OUT_OF_SPACE: u32 = 4002;
    /// 4003: lost the peer election.
    pub const ELECTION_LOST: u32 = 4003;
    /// 5001: an AVP with the M bit is not supported.
    pub const AVP_UNSUPPORTED: u32 = 5001;
    /// 5002: the session is not known.
    pub const UNKNOWN_SESSION_ID: u32 = 5002;
    /// 5003: the user is not authorised.
    pub const AUTHORIZATION_REJECTED: u32 = 5003;
    /// 5004: an AVP has an invalid value.
    pub const INVALID_AVP_VALUE: u32 = 5004;
    /// 5005: a required AVP is missing.
    pub const MISSING_AVP: u32 = 5005;
    /// 5006: resources exceeded.
    pub const RESOURCES_EXCEEDED: u32 = 5006;
    /// 5007: AVPs that contradict each other.
    pub const CONTRADICTING_AVPS: u32 = 5007;
    /// 5008: an AVP that must not be present is.
    pub const AVP_NOT_ALLOWED: u32 = 5008;
    /// 5009: an AVP occurs more often than allowed.
    pub const AVP_OCCURS_TOO_MANY_TIMES: u32 = 5009;
    /// 5010: no application in common (CER/CEA).
    pub const NO_COMMON_APPLICATION: u32 = 5010;
    /// 5011: unsupported protocol version.
    pub const UNSUPPORTED_VERSION: u32 = 5011;
    /// 5012: the request cannot be fulfilled for a reason not listed.
    pub const UNABLE_TO_COMPLY: u32 = 5012;
    /// 5013: a reserved bit of the header is set.
    pub const INVALID_BIT_IN_HEADER: u32 = 5013;
    /// 5014: an AVP has an invalid length.
    pub const INVALID_AVP_LENGTH: u32 = 5014;
    /// 5015: the message has an invalid length.
    pub const INVALID_MESSAGE_LENGTH: u32 = 5015;
    /// 5016: an AVP's bit combination is invalid.
    pub const INVALID_AVP_BIT_COMBO: u32 = 5016;
    /// 5017: no common security mechanism.
    pub const NO_COMMON_SECURITY: u32 = 5017;

    /// Is `code` a protocol error, answered with the E bit set (RFC 6733 section 7.1.3)?
    pub fn is_protocol_error(code: u32) -> bool {
        (3000..4000).contains(&code)
    }
}

/// Base AVP codes the runtime itself reads or writes (RFC 6733 section 4.5).
pub mod avp_code {
    /// Session-Id (UTF8String).
    pub const SESSION_ID: u32 = 263;
    /// Origin-Host (DiameterIdentity).
    pub const ORIGIN_HOST: u32 = 264;
    /// Result-Code (Unsigned32).
    pub const RESULT_CODE: u32 = 268;
    /// Origin-Realm (DiameterIdentity).
    pub const ORIGIN_REALM: u32 = 296;
    /// Error-Message (UTF8String).
    pub const ERROR_MESSAGE: u32 = 281;
    /// Failed-AVP (Grouped).
    pub const FAILED_AVP: u32 = 279;
    /// Experimental-Result (Grouped).
    pub const EXPERIMENTAL_RESULT: u32 = 297;
    /// Experimental-Result-Code (Unsigned32).
    pub const EXPERIMENTAL_RESULT_CODE: u32 = 298;
    /// Destination-Host (DiameterIdentity).
    pub const DESTINATION_HOST: u32 = 293;
    /// Destination-Realm (DiameterIdentity).
    pub const DESTINATION_REALM: u32 = 283;
    /// Route-Record (DiameterIdentity).
    pub const ROUTE_RECORD: u32 = 282;
    /// Proxy-Info (Grouped).
    pub const PROXY_INFO: u32 = 284;
    /// Host-IP-Address (Address).
    pub const HOST_IP_ADDRESS: u32 = 257;
    /// Vendor-Id (Unsigned32).
    pub const VENDOR_ID: u32 = 266;
    /// Product-Name (UTF8String).
    pub const PRODUCT_NAME: u32 = 269;
    /// Origin-State-Id (Unsigned32).
    pub const ORIGIN_STATE_ID: u32 = 278;
    /// Auth-Application-Id (Unsigned32).
    pub const AUTH_APPLICATION_ID: u32 = 258;
    /// Acct-Application-Id (Unsigned32).
    pub const ACCT_APPLICATION_ID: u32 = 259;
    /// Vendor-Specific-Application-Id (Grouped).
    pub const VENDOR_SPECIFIC_APPLICATION_ID: u32 = 260;
    /// Supported-Vendor-Id (Unsigned32).
    pub const SUPPORTED_VENDOR_ID: u32 = 265;
    /// Disconnect-Cause (Enumerated).
    pub const DISCONNECT_CAUSE: u32 = 273;
    /// Error-Reporting-Host (DiameterIdentity).
    pub const ERROR_REPORTING_HOST: u32 = 294;
}

/// Base command codes the runtime itself sends or answers (RFC 6733 section 3.1).
pub mod command_code {
    /// Capabilities-Exchange-Request/Answer.
    pub const CAPABILITIES_EXCHANGE: u32 = 257;
    /// Device-Watchdog-Request/Answer.
    pub const DEVICE_WATCHDOG: u32 = 280;
    /// Disconnect-Peer-Request/Answer.
    pub const DISCONNECT_PEER: u32 = 282;
}

/// Application-Id values of RFC 6733.
pub mod application_id {
    /// Diameter common messages (CER, DWR, DPR).
    pub const COMMON: u32 = 0;
    /// Diameter base accounting.
    pub const BASE_ACCOUNTING: u32 = 3;
    /// Relay: matches every application in capabilities exchange.
    pub const RELAY: u32 = 0xffff_ffff;
}
