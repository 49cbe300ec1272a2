//! TLS with rustls: the node's certificate and key, the roots it trusts, and the check that a
//! peer's certificate names the Origin-Host the peer gives in its CER or CEA.
//!
//! Both ways of starting TLS use the same [`TlsConfig`]:
//!
//! - at connect (RFC 6733 section 13): [`Node::listen_tls`](crate::Node::listen_tls) and
//!   [`Node::connect_tls`](crate::Node::connect_tls) run the handshake before the first
//!   Diameter byte;
//! - after CER/CEA (RFC 3588): a node given [`NodeBuilder::inband_tls`](crate::NodeBuilder::inband_tls)
//!   advertises Inband-Security-Id 1 (TLS) besides 0 (none), and when both sides offer TLS the
//!   handshake starts right after the CEA on the same connection.
//!
//! Authentication is mutual: the server asks for a client certificate and refuses a
//! connection without one that chains to the roots. Beyond the chain, RFC 6733 section 13
//! wants the peer's identity checked: the certificate must be valid for the Origin-Host of
//! the peer's CER (on the server side) or CEA (on the client side), as a DNS name in its
//! subject alternative names; otherwise the CER is answered with 3010 DIAMETER_UNKNOWN_PEER,
//! or the CEA treated as a failed capability exchange.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// Why a TLS configuration could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A PEM input held nothing usable.
    #[error("{what}: {source}")]
    Pem {
        /// Which input (certificate chain, private key, roots).
        what: &'static str,
        /// What the PEM reader said.
        source: rustls::pki_types::pem::Error,
    },
    /// No trusted root was given.
    #[error("no root certificate to trust")]
    NoRoots,
    /// rustls refused a certificate, key or root.
    #[error("{what}: {source}")]
    Rustls {
        /// What was being set up.
        what: &'static str,
        /// rustls's reason.
        source: rustls::Error,
    },
    /// The client verifier could not be built from the roots.
    #[error("client certificate verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

/// The TLS settings of a node: its certificate chain and key (shown to peers both as client
/// and as server) and the roots a peer's certificate must chain to.
#[derive(Clone)]
pub struct TlsConfig {
    pub(crate) client: Arc<ClientConfig>,
    pub(crate) server: Arc<ServerConfig>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig").finish_non_exhaustive()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    // ring rather than aws-lc-rs: no C toolchain beyond cc, no CMake. rustls 0.23.48 marks it
    // deprecated for lacking post-quantum key exchange, which Diameter peers do not offer yet.
    #[allow(deprecated)]
    Arc::new(rustls::crypto::ring::default_provider())
}

impl TlsConfig {
    /// A configuration from DER: this node's certificate chain (its own first) and private
    /// key, and the roots trusted for peers. Client certificates are required.
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        roots: RootCertStore,
    ) -> Result<TlsConfig, TlsError> {
        if roots.is_empty() {
            return Err(TlsError::NoRoots);
        }
        let roots = Arc::new(roots);
        let rustls_err = |what| move |source| TlsError::Rustls { what, source };
        let client = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(rustls_err("protocol versions"))?
            .with_root_certificates(Arc::clone(&roots))
            .with_client_auth_cert(chain.clone(), key.clone_key())
            .map_err(rustls_err("client certificate"))?;
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::clone(&roots), provider()).build()?;
        let server = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(rustls_err("protocol versions"))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .map_err(rustls_err("server certificate"))?;
        Ok(TlsConfig {
            client: Arc::new(client),
            server: Arc::new(server),
        })
    }

    /// A configuration from PEM text: the certificate chain, the private key (PKCS#8, PKCS#1
    /// or SEC1), and one or more root certificates.
    pub fn from_pem(chain: &[u8], key: &[u8], roots: &[u8]) -> Result<TlsConfig, TlsError> {
        let certs = |what, pem: &[u8]| {
            CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|source| TlsError::Pem { what, source })
        };
        let chain = certs("certificate chain", chain)?;
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|source| TlsError::Pem {
            what: "private key",
            source,
        })?;
        let mut store = RootCertStore::empty();
        for root in certs("roots", roots)? {
            store.add(root).map_err(|source| TlsError::Rustls {
                what: "root certificate",
                source,
            })?;
        }
        TlsConfig::new(chain, key, store)
    }
}

/// Is `cert` valid for `origin_host` (a DNS name among its subject alternative names)? The
/// chain itself was verified by rustls during the handshake.
pub(crate) fn names_host(cert: &[u8], origin_host: &str) -> Result<(), String> {
    let name = ServerName::try_from(origin_host)
        .map_err(|e| format!("Origin-Host {origin_host:?} is not a DNS name: {e}"))?;
    let cert = CertificateDer::from(cert);
    let ee = webpki::EndEntityCert::try_from(&cert)
        .map_err(|e| format!("peer certificate unreadable: {e}"))?;
    ee.verify_is_valid_for_subject_name(&name)
        .map_err(|e| format!("peer certificate is not valid for {origin_host:?}: {e}"))
}
