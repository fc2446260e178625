//! TLS handshakes that record the peer's chain and the verifier's verdict even when the
//! certificate is invalid, so the report can say exactly what is wrong with it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::SetupError;
use crate::obs::{CertVerdict, TlsObs};

/// The TLS side of [`super::Net`]: one crypto provider (ring), one set of roots.
#[derive(Clone)]
pub struct Tls {
    provider: Arc<CryptoProvider>,
    verifier: Arc<WebPkiServerVerifier>,
    empty: bool,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tls")
    }
}

type Seen = Arc<Mutex<Option<(Vec<Vec<u8>>, CertVerdict)>>>;

#[derive(Debug)]
struct Recorder {
    inner: Arc<WebPkiServerVerifier>,
    empty: bool,
    seen: Seen,
}

fn verdict_of(e: &rustls::Error) -> CertVerdict {
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                CertVerdict::NameMismatch
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                CertVerdict::Expired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                CertVerdict::NotYetValid
            }
            CertificateError::UnknownIssuer => CertVerdict::UnknownIssuer,
            other => CertVerdict::Other(format!("{other:?}")),
        },
        other => CertVerdict::Other(other.to_string()),
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = if self.empty {
            CertVerdict::UnknownIssuer
        } else {
            match self
                .inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            {
                Ok(_) => CertVerdict::Valid,
                Err(e) => verdict_of(&e),
            }
        };
        let chain = std::iter::once(end_entity)
            .chain(intermediates.iter())
            .take(16)
            .map(|c| c.as_ref().to_vec())
            .collect();
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some((chain, verdict));
        // Finish the handshake whatever the verdict: the verdict is recorded and judged later,
        // and the connection is only used for read-only requests.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// How a handshake failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeError {
    /// No handshake in time.
    Timeout,
    /// The peer only speaks TLS older than 1.2.
    OldVersion,
    /// Any other failure, in rustls' words.
    Failed(String),
}

impl Tls {
    /// Builds the verifier over these roots.
    pub fn new(roots: Arc<RootCertStore>) -> Result<Tls, SetupError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let empty = roots.is_empty();
        let roots = if empty {
            // webpki refuses an empty store; keep one unusable placeholder and say UnknownIssuer.
            let mut r = RootCertStore::empty();
            r.extend(webpki_roots::TLS_SERVER_ROOTS.iter().take(1).cloned());
            Arc::new(r)
        } else {
            roots
        };
        let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|e| SetupError(format!("cannot build the certificate verifier: {e}")))?;
        Ok(Tls {
            provider,
            verifier,
            empty,
        })
    }

    /// Handshake over `tcp`, verifying for `name` (a DNS name, or an IP address: then no SNI
    /// is sent, as the spec requires). ALPN offers `http/1.1`.
    pub async fn handshake(
        &self,
        tcp: TcpStream,
        name: &str,
        timeout: Duration,
    ) -> (Result<TlsStream<TcpStream>, HandshakeError>, TlsObs) {
        let start = Instant::now();
        let seen: Seen = Arc::new(Mutex::new(None));
        let mut obs = TlsObs {
            version: None,
            cipher_suite: None,
            alpn: None,
            chain: vec![],
            verdict: None,
            expected_name: name.to_owned(),
            duration: Duration::ZERO,
        };
        let bare = name.trim_start_matches('[').trim_end_matches(']');
        let server_name = match bare.parse::<std::net::IpAddr>() {
            Ok(ip) => ServerName::IpAddress(ip.into()),
            Err(_) => match ServerName::try_from(bare.trim_end_matches('.').to_owned()) {
                Ok(n) => n,
                Err(e) => {
                    return (
                        Err(HandshakeError::Failed(format!(
                            "`{name}` is not a valid TLS name: {e}"
                        ))),
                        obs,
                    );
                }
            },
        };
        let recorder = Recorder {
            inner: self.verifier.clone(),
            empty: self.empty,
            seen: seen.clone(),
        };
        let config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map(|b| {
                b.dangerous()
                    .with_custom_certificate_verifier(Arc::new(recorder))
                    .with_no_client_auth()
            });
        let mut config = match config {
            Ok(c) => c,
            Err(e) => return (Err(HandshakeError::Failed(e.to_string())), obs),
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let connector = TlsConnector::from(Arc::new(config));
        let res = tokio::time::timeout(timeout, connector.connect(server_name, tcp)).await;
        obs.duration = start.elapsed();
        if let Some((chain, verdict)) = seen.lock().unwrap_or_else(|p| p.into_inner()).take() {
            obs.chain = chain;
            obs.verdict = Some(verdict);
        }
        let stream = match res {
            Err(_) => return (Err(HandshakeError::Timeout), obs),
            Ok(Err(e)) => {
                let text = e.to_string();
                let old = e
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                    .is_some_and(|r| {
                        matches!(
                            r,
                            rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion)
                                | rustls::Error::PeerIncompatible(
                                    rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13
                                        | rustls::PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
                                        | rustls::PeerIncompatible::SupportedVersionsExtensionRequired
                                )
                        )
                    });
                let err = if old {
                    HandshakeError::OldVersion
                } else {
                    HandshakeError::Failed(crate::sanitize::clip(&text, 200))
                };
                return (Err(err), obs);
            }
            Ok(Ok(s)) => s,
        };
        let (_, conn) = stream.get_ref();
        obs.version = conn.protocol_version().map(|v| match v {
            rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_owned(),
            rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_owned(),
            other => format!("{other:?}"),
        });
        obs.cipher_suite = conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()));
        obs.alpn = conn
            .alpn_protocol()
            .map(|a| String::from_utf8_lossy(a).into_owned());
        (Ok(stream), obs)
    }
}
