//! TLS after CER/CEA (RFC 3588, Inband-Security-Id 1).
//!
//! The handshake has to start on the byte after the CEA, so CER and CEA of such a connection
//! are exchanged here on the plain stream, before the connection's reader and writer exist;
//! the connection then starts over TLS (or plain, when TLS was not agreed) and the peer task
//! runs the capability exchange as usual, except that the dialer's CEA is already in hand
//! (`Conn::take_pre_cea`) and the acceptor's CEA is already sent (`Conn::cea_sent`). The peer
//! machine stays the one that decides: the acceptor answers here only a CER the machine's own
//! rules accept (`process_cer`); any other CER goes the plain way and gets its error CEA from
//! the machine.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use diameter_messages::base::CapabilitiesExchangeAnswer;
use diameter_runtime::consts::result_code;
use diameter_runtime::Command;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::peer_task::{read_first, spawn_conn, PeerShared};
use super::NodeInner;
use crate::capabilities::{inband_security, process_cea, process_cer, Capabilities};
use crate::conn::{Conn, Io, ReadEnd};
use crate::tls::{names_host, TlsConfig};
use crate::wire;

/// Why the dialer's exchange failed before the connection could start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InbandError {
    #[error("CER/CEA on the plain stream: {0}")]
    Read(#[from] ReadEnd),
    #[error("no CEA within the CEA timeout")]
    Timeout,
    #[error("writing the CER: {0}")]
    Write(std::io::Error),
    #[error("Origin-Host {0:?} is not a TLS server name")]
    ServerName(String),
    #[error("TLS handshake after CEA: {0}")]
    Handshake(std::io::Error),
    #[error("bytes arrived between the CEA and the TLS handshake")]
    Unexpected,
    #[error("in-band TLS is not configured on this node")]
    NotConfigured,
}

/// The dialer's side: CER, CEA, then TLS if both sides offered it. The connection returned
/// carries the CEA for the peer task.
pub(super) async fn initiate(
    node: &Arc<NodeInner>,
    peer: &Arc<PeerShared>,
    mut stream: TcpStream,
) -> Result<Arc<Conn>, InbandError> {
    let config = node.inband_tls().ok_or(InbandError::NotConfigured)?;
    let cer = wire::cer(&node.local, stream.local_ip());
    let hop_by_hop = node.rng().next_u64() as u32;
    let bytes = wire::encode(&cer, hop_by_hop, node.next_e2e());
    stream.write_all(&bytes).await.map_err(InbandError::Write)?;
    let mut buf = BytesMut::new();
    let cea = tokio::time::timeout(
        node.peer_config.cea_timeout,
        read_first(&mut stream, &mut buf, node),
    )
    .await
    .map_err(|_| InbandError::Timeout)??;
    let conn = match tls_host(node, &cea) {
        Some(host) => {
            if !buf.is_empty() {
                return Err(InbandError::Unexpected);
            }
            let name = rustls::pki_types::ServerName::try_from(host.clone())
                .map_err(|_| InbandError::ServerName(host))?;
            let connector = tokio_rustls::TlsConnector::from(Arc::clone(&config.client));
            let tls = tokio::time::timeout(
                node.peer_config.cea_timeout,
                connector.connect(name, stream),
            )
            .await
            .map_err(|_| InbandError::Timeout)?
            .map_err(InbandError::Handshake)?;
            spawn_conn(node, peer, tls, BytesMut::new())
        }
        // Refused, or TLS not agreed: the peer task reads the CEA and decides.
        None => spawn_conn(node, peer, stream, buf),
    };
    conn.set_pre_cea(cea);
    Ok(conn)
}

/// The CEA's Origin-Host when it accepts our CER and TLS was agreed.
fn tls_host(node: &NodeInner, cea: &Bytes) -> Option<String> {
    let d = CapabilitiesExchangeAnswer::decode_with(cea, &node.decode).ok()?;
    let caps = wire::caps_of_cea(&d.message);
    let agreed = process_cea(&node.local, d.message.result_code, &caps).ok()?;
    (agreed.inband_security == inband_security::TLS).then_some(caps.origin_host)
}

/// What the acceptor made of a CER offering in-band security.
pub(super) enum Responded<I: Io> {
    /// TLS not agreed (or the CER refused): the connection goes on in the clear, and the peer
    /// task answers the CER.
    Plain(I, BytesMut),
    /// CEA sent and TLS established; the certificate names the CER's Origin-Host.
    Tls(Box<tokio_rustls::server::TlsStream<I>>),
    /// The handshake failed or the certificate did not name the peer: closed.
    Failed,
}

/// The acceptor's side: when the CER is acceptable and both sides offer TLS, answer it with
/// a CEA here and run the server handshake.
pub(super) async fn respond<I: Io>(
    node: &Arc<NodeInner>,
    config: &TlsConfig,
    mut io: I,
    buf: BytesMut,
    caps: &Capabilities,
    (hop_by_hop, end_to_end): (u32, u32),
) -> Responded<I> {
    let agreed = process_cer(&node.local, &node.peer_config.accept, caps);
    if !matches!(agreed, Ok(n) if n.inband_security == inband_security::TLS) || !buf.is_empty() {
        return Responded::Plain(io, buf);
    }
    let cea = wire::cea(&node.local, io.local_ip(), result_code::SUCCESS);
    if io
        .write_all(&wire::encode(&cea, hop_by_hop, end_to_end))
        .await
        .is_err()
    {
        return Responded::Failed;
    }
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(&config.server));
    let tls = match tokio::time::timeout(node.peer_config.cea_timeout, acceptor.accept(io)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::info!(error = %e, "TLS handshake after CEA failed");
            return Responded::Failed;
        }
        Err(_) => {
            tracing::info!("TLS handshake after CEA timed out");
            return Responded::Failed;
        }
    };
    let checked = match tls.peer_certificate() {
        Some(der) => names_host(&der, &caps.origin_host),
        None => Err("no client certificate".to_owned()),
    };
    if let Err(reason) = checked {
        // The CEA is sent already; all that is left is to close.
        tracing::info!(%reason, "in-band TLS peer refused");
        let mut tls = tls;
        let _ = tls.shutdown().await;
        return Responded::Failed;
    }
    Responded::Tls(Box::new(tls))
}
