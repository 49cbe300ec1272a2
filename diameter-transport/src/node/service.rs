//! Handlers as tower services: [`NodeBuilder::service`] serves a request type with any
//! `tower::Service` over it, so tower's middleware (concurrency limits, load shedding,
//! timeouts, metrics layers) wraps a Diameter server handler as it wraps an HTTP one.
//!
//! The node decodes and validates the request first, exactly as for a plain handler: the
//! service sees only requests that keep their grammar. Its answer is completed by the node
//! (identifiers, P bit, Origin-Host, Origin-Realm, Session-Id). A service that fails (in
//! `poll_ready` or in its future) gets the request answered with 5012
//! DIAMETER_UNABLE_TO_COMPLY, the RFC 6733 catch-all for "could not process", and the error
//! is logged; the connection carries on.

use std::future::poll_fn;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use diameter_runtime::consts::result_code;
use diameter_runtime::{Command, DecodeOptions, Violation};
use tower::Service;

use super::{lock, BoxFuture, Context, ErasedHandler, Handled, NodeBuilder};
use crate::typed::Request;
use crate::wire;

impl NodeBuilder {
    /// Serves request type `R` with a tower [`Service`]: any `Service<R>` whose response is
    /// `R`'s answer. The service is cloned for each request (the usual tower pattern for
    /// shared services: wrap state in an `Arc`, or put a `Buffer` in front of a service that
    /// must not be cloned), and driven to readiness before it is called, so back-pressure
    /// from a layer such as `ConcurrencyLimit` holds the request's handler slot and, when
    /// every slot is taken, stops the node reading from the peer.
    ///
    /// Like [`handler`](Self::handler), the answer's identifiers, P bit, Origin-Host,
    /// Origin-Realm and Session-Id are the node's to fill, and requests that break their
    /// grammar never reach the service. An error of the service is answered 5012
    /// (DIAMETER_UNABLE_TO_COMPLY). Registering a service for a request type replaces any
    /// handler of it registered before.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::convert::Infallible;
    /// use diameter_messages::credit_control::{CreditControlAnswer, CreditControlRequest};
    /// use diameter_transport::{Application, Node};
    /// use tower::ServiceBuilder;
    ///
    /// let answer = tower::service_fn(|ccr: CreditControlRequest<'static>| async move {
    ///     Ok::<_, Infallible>(CreditControlAnswer {
    ///         result_code: 2001,
    ///         auth_application_id: 4,
    ///         cc_request_type: ccr.cc_request_type,
    ///         cc_request_number: ccr.cc_request_number,
    ///         ..Default::default()
    ///     })
    /// });
    /// // At most 32 CCRs in the service at once, over all peers.
    /// let svc = ServiceBuilder::new().concurrency_limit(32).service(answer);
    /// let server = Node::builder()
    ///     .origin_host("ocs.example")
    ///     .origin_realm("example")
    ///     .applications([Application::auth(4)])
    ///     .service::<CreditControlRequest<'static>, _>(svc)
    ///     .build()?;
    /// server.listen("127.0.0.1:3868".parse()?).await?;
    /// # Ok(()) }
    /// ```
    pub fn service<R, S>(mut self, service: S) -> Self
    where
        R: Request,
        S: Service<R, Response = R::Answer> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: std::fmt::Display + Send + 'static,
    {
        let key = (
            <R as Command<'static>>::APPLICATION_ID,
            <R as Command<'static>>::CODE,
        );
        // Options are read at registration, as for `handler`.
        self.handlers
            .insert(key, erase_service(service, self.decode));
        self
    }
}

fn erase_service<R, S>(service: S, opts: DecodeOptions) -> ErasedHandler
where
    R: Request,
    S: Service<R, Response = R::Answer> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display + Send + 'static,
{
    // Behind a lock so that a service need not be `Sync` (tower's are often not); it is held
    // only to clone.
    let service = Mutex::new(service);
    Arc::new(move |frame: Bytes, _ctx: Context| -> BoxFuture<Handled> {
        let grammar = <R::At<'_> as Command<'_>>::ANSWER_GRAMMAR;
        let request: R = match super::decode_request(&frame, &opts) {
            Ok(r) => r,
            Err(refused) => return Box::pin(std::future::ready(refused)),
        };
        let mut svc = lock(&service).clone();
        Box::pin(async move {
            let answered = match poll_fn(|cx| svc.poll_ready(cx)).await {
                Ok(()) => svc.call(request).await,
                Err(e) => Err(e),
            };
            match answered {
                Ok(answer) => {
                    // Room for a typical message at once: growing from empty costs several copies.
                    let mut buf = BytesMut::with_capacity(wire::TYPICAL_MESSAGE);
                    answer.encode(0, 0, &mut buf);
                    Handled::Answer(buf)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "service failed: answering 5012");
                    Handled::Invalid(vec![unable_to_comply(e.to_string())], grammar)
                }
            }
        })
    })
}

/// The violation the node answers a failed service with.
fn unable_to_comply(message: String) -> Violation {
    Violation::of_message(result_code::UNABLE_TO_COMPLY, message)
}
