//! How the node names generated commands: each request with its answer, at any lifetime.
//!
//! Generated commands borrow the buffer they were decoded from (`CreditControlAnswer<'a>`),
//! and `diameter_runtime::Command` says nothing of which answer belongs to which request.
//! A node needs both: it decodes an answer from a frame it owns and hands the caller the
//! `'static` form, and it must know, from a request type, which answer type to decode. So a
//! command type is named here by its `'static` form ([`Typed`]), whose [`Typed::At`] is the
//! same type at any other lifetime, and a request names its answer ([`Request::Answer`]).
//!
//! The generated crate does not (yet) emit these associations, so [`typed_commands!`](crate::typed_commands)
//! writes them, here for the commands of `diameter-messages` that a node sends with
//! [`Node::call`](crate::Node::call) or serves with a handler, and in a user's crate for its
//! own generated commands (both types are then local, so the orphan rule allows it).

use bytes::BytesMut;
use diameter_runtime::types::{DiameterIdentity, IntoOwned, Utf8String};
use diameter_runtime::{Command, MissingAvps};

/// A generated command type, named by its `'static` form.
pub trait Typed: Command<'static> + Send + Sync + 'static {
    /// The same command borrowing a buffer of lifetime `'a`, as decoding produces it.
    type At<'a>: Command<'a> + IntoOwned<Owned = Self>;
}

/// A request command and the answer command that answers it.
pub trait Request: Typed {
    /// The answer's `'static` form.
    type Answer: Typed;
}

/// What the node fills into a request it sends (see [`IntoRequest`]).
pub struct Fill<'f> {
    /// This node's Origin-Host.
    pub origin_host: &'f DiameterIdentity<'static>,
    /// This node's Origin-Realm.
    pub origin_realm: &'f DiameterIdentity<'static>,
    /// A fresh Session-Id, for a builder whose command needs one.
    pub session_id: &'f (dyn Fn() -> String + Sync),
}

/// What [`Node::call`](crate::Node::call) takes: a built request, sent as it is (an empty
/// Session-Id, Origin-Host or Origin-Realm is still filled in on the wire), or its builder,
/// which the node completes with `CommandBuilder::fill_origin` and `fill_session_id` before
/// building.
pub trait IntoRequest {
    /// The request's `'static` form, which names the answer.
    type Request: Request;
    /// Encodes the request (identifiers zero: the connection assigns them) into `buf`, or
    /// names the required AVPs a builder still lacks.
    fn encode_request(self, fill: &Fill<'_>, buf: &mut BytesMut) -> Result<(), MissingAvps>;
}

/// Encodes a command with zero identifiers.
#[doc(hidden)]
pub fn encode_zero<'a, C: Command<'a>>(command: &C, buf: &mut BytesMut) {
    command.encode(0, 0, buf);
}

/// Completes a builder with the node's identities and a Session-Id.
#[doc(hidden)]
pub fn complete<'a, B: diameter_runtime::CommandBuilder<'a>>(
    mut builder: B,
    fill: &Fill<'_>,
) -> Result<B::Command, MissingAvps> {
    let host: DiameterIdentity<'a> = fill.origin_host.clone();
    let realm: DiameterIdentity<'a> = fill.origin_realm.clone();
    builder.fill_origin(&host, &realm);
    let session: Utf8String<'a> = Utf8String::from((fill.session_id)());
    builder.fill_session_id(&session);
    builder.build()
}

/// Declares generated request types with their builders and answers, so that a node can send
/// and serve them: `request, builder => answer;` per command, each a path to a generated type
/// with a lifetime parameter (written without it).
///
/// ```ignore
/// diameter_transport::typed_commands! {
///     acme::AcmeRequest, acme::AcmeRequestBuilder => acme::AcmeAnswer;
/// }
/// ```
#[macro_export]
macro_rules! typed_commands {
    ($( $($req:ident)::+ , $($builder:ident)::+ => $($ans:ident)::+ ; )*) => {$(
        impl $crate::Typed for $($req)::+<'static> {
            type At<'a> = $($req)::+<'a>;
        }
        impl $crate::Typed for $($ans)::+<'static> {
            type At<'a> = $($ans)::+<'a>;
        }
        impl $crate::Request for $($req)::+<'static> {
            type Answer = $($ans)::+<'static>;
        }
        impl<'a> $crate::IntoRequest for $($req)::+<'a> {
            type Request = $($req)::+<'static>;
            fn encode_request(
                self,
                _fill: &$crate::typed::Fill<'_>,
                buf: &mut $crate::bytes::BytesMut,
            ) -> ::core::result::Result<(), $crate::MissingAvps> {
                $crate::typed::encode_zero(&self, buf);
                Ok(())
            }
        }
        impl<'a> $crate::IntoRequest for $($builder)::+<'a> {
            type Request = $($req)::+<'static>;
            fn encode_request(
                self,
                fill: &$crate::typed::Fill<'_>,
                buf: &mut $crate::bytes::BytesMut,
            ) -> ::core::result::Result<(), $crate::MissingAvps> {
                let command = $crate::typed::complete(self, fill)?;
                $crate::typed::encode_zero(&command, buf);
                Ok(())
            }
        }
    )*};
}

mod messages {
    use diameter_messages::base;
    // The session commands of RFC 6733, application 0: sent with the header's Application-Id
    // taken from their Auth-Application-Id (see `wire::prepare`).
    crate::typed_commands! {
        base::ReAuthRequest, base::ReAuthRequestBuilder => base::ReAuthAnswer;
        base::AbortSessionRequest, base::AbortSessionRequestBuilder => base::AbortSessionAnswer;
        base::SessionTerminationRequest, base::SessionTerminationRequestBuilder
            => base::SessionTerminationAnswer;
    }

    #[cfg(feature = "accounting")]
    use diameter_messages::accounting;
    #[cfg(feature = "accounting")]
    crate::typed_commands! {
        accounting::AccountingRequest, accounting::AccountingRequestBuilder
            => accounting::AccountingAnswer;
    }

    #[cfg(feature = "credit_control")]
    use diameter_messages::credit_control;
    #[cfg(feature = "credit_control")]
    crate::typed_commands! {
        credit_control::CreditControlRequest, credit_control::CreditControlRequestBuilder
            => credit_control::CreditControlAnswer;
        credit_control::ReAuthRequest, credit_control::ReAuthRequestBuilder
            => credit_control::ReAuthAnswer;
    }

    // The 3GPP applications (feature `gpp`, which compiles every module of
    // diameter-messages): S6a/S6d, Sh, and the Ro and Rf profiles of credit control and
    // accounting (the same command codes as RFC 4006 and RFC 6733, with the 3GPP AVPs typed).
    #[cfg(feature = "gpp")]
    use diameter_messages::{rf, ro, s6a, sh};
    #[cfg(feature = "gpp")]
    crate::typed_commands! {
        s6a::UpdateLocationRequest, s6a::UpdateLocationRequestBuilder
            => s6a::UpdateLocationAnswer;
        s6a::CancelLocationRequest, s6a::CancelLocationRequestBuilder
            => s6a::CancelLocationAnswer;
        s6a::AuthenticationInformationRequest, s6a::AuthenticationInformationRequestBuilder
            => s6a::AuthenticationInformationAnswer;
        s6a::InsertSubscriberDataRequest, s6a::InsertSubscriberDataRequestBuilder
            => s6a::InsertSubscriberDataAnswer;
        s6a::DeleteSubscriberDataRequest, s6a::DeleteSubscriberDataRequestBuilder
            => s6a::DeleteSubscriberDataAnswer;
        s6a::PurgeUeRequest, s6a::PurgeUeRequestBuilder => s6a::PurgeUeAnswer;
        s6a::ResetRequest, s6a::ResetRequestBuilder => s6a::ResetAnswer;
        s6a::NotifyRequest, s6a::NotifyRequestBuilder => s6a::NotifyAnswer;
        sh::UserDataRequest, sh::UserDataRequestBuilder => sh::UserDataAnswer;
        sh::ProfileUpdateRequest, sh::ProfileUpdateRequestBuilder => sh::ProfileUpdateAnswer;
        sh::SubscribeNotificationsRequest, sh::SubscribeNotificationsRequestBuilder
            => sh::SubscribeNotificationsAnswer;
        sh::PushNotificationRequest, sh::PushNotificationRequestBuilder
            => sh::PushNotificationAnswer;
        ro::CreditControlRequest, ro::CreditControlRequestBuilder => ro::CreditControlAnswer;
        ro::ReAuthRequest, ro::ReAuthRequestBuilder => ro::ReAuthAnswer;
        ro::AbortSessionRequest, ro::AbortSessionRequestBuilder => ro::AbortSessionAnswer;
        rf::AccountingRequest, rf::AccountingRequestBuilder => rf::AccountingAnswer;
    }
}
