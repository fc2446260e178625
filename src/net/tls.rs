//! TLS handshakes that record the peer's chain and the verifier's verdict even when the
//! certificate is invalid, so the report can say exactly what is wrong with it.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::SetupError;
use crate::obs::{CertProblem, CertVerdict, TlsFailure, TlsObs, WeakHash};

/// A TLS session over TCP, as [`Tls::handshake`] sets it up.
pub type Stream = TlsStream<Sniffed<TcpStream>>;

/// How many of the server's first bytes are kept, to say what answered a failed handshake.
const SNIFF: usize = 64;

/// A stream that keeps a copy of the first bytes the peer sends, so that a failed handshake
/// can say what answered instead of TLS (plain HTTP starts with `HTTP/`).
#[derive(Debug)]
pub struct Sniffed<S> {
    inner: S,
    first: Arc<Mutex<Vec<u8>>>,
    /// Bytes still to copy.
    room: usize,
}

impl<S> Sniffed<S> {
    fn new(inner: S) -> (Sniffed<S>, Arc<Mutex<Vec<u8>>>) {
        let first = Arc::new(Mutex::new(Vec::new()));
        let s = Sniffed {
            inner,
            first: first.clone(),
            room: SNIFF,
        };
        (s, first)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Sniffed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if self.room > 0 {
            let new = &buf.filled()[before..];
            let n = new.len().min(self.room);
            if n > 0 {
                self.first
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend_from_slice(&new[..n]);
                self.room -= n;
            }
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Sniffed<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

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

/// The verifier's error as a verdict: name, dates and issuer have their own; the rest are
/// [`CertProblem`]s.
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
            other => CertVerdict::Other(cert_problem(other)),
        },
        other => CertVerdict::Other(CertProblem::Other(other.to_string())),
    }
}

/// A certificate error that is not about the name, the dates or the issuer, by kind.
fn cert_problem(c: &CertificateError) -> CertProblem {
    match c {
        CertificateError::BadEncoding => CertProblem::BadEncoding,
        CertificateError::Revoked => CertProblem::Revoked,
        CertificateError::UnhandledCriticalExtension => CertProblem::UnknownCriticalExtension,
        CertificateError::BadSignature => CertProblem::BadSignature,
        CertificateError::UnsupportedSignatureAlgorithmContext {
            signature_algorithm_id,
            ..
        } => weak_hash(signature_algorithm_id).map_or(
            CertProblem::UnsupportedSignature,
            CertProblem::WeakSignature,
        ),
        #[allow(deprecated)]
        CertificateError::UnsupportedSignatureAlgorithm
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            CertProblem::UnsupportedSignature
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            CertProblem::WrongPurpose
        }
        CertificateError::Other(rustls::OtherError(inner)) => {
            match inner.downcast_ref::<webpki::Error>() {
                Some(w) => webpki_problem(w),
                None => CertProblem::Other(inner.to_string()),
            }
        }
        other => CertProblem::Other(other.to_string()),
    }
}

/// A path-building error that rustls passes on as it is, by kind.
fn webpki_problem(e: &webpki::Error) -> CertProblem {
    use webpki::Error as W;
    match e {
        W::MaximumPathDepthExceeded => CertProblem::ChainTooLong,
        W::MaximumPathBuildCallsExceeded
        | W::MaximumSignatureChecksExceeded
        | W::MaximumNameConstraintComparisonsExceeded => CertProblem::ChainTooComplex,
        W::PathLenConstraintViolated => CertProblem::PathLenConstraint,
        W::NameConstraintViolation => CertProblem::NameConstraint,
        W::CaUsedAsEndEntity => CertProblem::CaAsLeaf,
        W::EndEntityUsedAsCa => CertProblem::LeafAsCa,
        W::CertDistrusted => CertProblem::Distrusted,
        W::UnsupportedCriticalExtension => CertProblem::UnknownCriticalExtension,
        W::SignatureAlgorithmMismatch => CertProblem::BadSignature,
        W::BadDer
        | W::BadDerTime
        | W::TrailingData(_)
        | W::UnsupportedCertVersion
        | W::MalformedExtensions
        | W::ExtensionValueInvalid
        | W::InvalidSerialNumber
        | W::MalformedDnsIdentifier
        | W::MalformedNameConstraint
        | W::EmptyEkuExtension => CertProblem::BadEncoding,
        other => CertProblem::Other(other.to_string()),
    }
}

/// The object identifiers (DER content) of signature algorithms over hashes verifiers no
/// longer accept.
const WEAK_SIGNATURES: [(&[u8], WeakHash); 4] = [
    // sha1WithRSAEncryption, 1.2.840.113549.1.1.5
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05],
        WeakHash::Sha1,
    ),
    // ecdsa-with-SHA1, 1.2.840.10045.4.1
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01], WeakHash::Sha1),
    // dsa-with-sha1, 1.2.840.10040.4.3
    (&[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x03], WeakHash::Sha1),
    // md5WithRSAEncryption, 1.2.840.113549.1.1.4
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04],
        WeakHash::Md5,
    ),
];

/// The weak hash of an AlgorithmIdentifier's content (`06 len OID [parameters]`), if it names
/// one.
fn weak_hash(algorithm_id: &[u8]) -> Option<WeakHash> {
    let [0x06, len, rest @ ..] = algorithm_id else {
        return None;
    };
    let oid = rest.get(..usize::from(*len))?;
    WEAK_SIGNATURES
        .iter()
        .find(|(known, _)| *known == oid)
        .map(|(_, h)| *h)
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
    /// Any other failure, by kind.
    Failed(TlsFailure),
}

/// What a failed handshake was, from the error and the first bytes the server sent.
fn handshake_error(e: &io::Error, first: &[u8]) -> HandshakeError {
    if first.starts_with(b"HTTP/") {
        return HandshakeError::Failed(TlsFailure::PlainHttp {
            status_line: status_line(first),
        });
    }
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(r) => rustls_failure(r, first),
        None => HandshakeError::Failed(match e.kind() {
            io::ErrorKind::UnexpectedEof => TlsFailure::Closed,
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => TlsFailure::Reset,
            _ => TlsFailure::Other(e.to_string()),
        }),
    }
}

/// A handshake failure that rustls reported, by kind (`first`: the server's first bytes).
fn rustls_failure(e: &rustls::Error, first: &[u8]) -> HandshakeError {
    use rustls::{AlertDescription, Error as E, InvalidMessage as M, PeerIncompatible as P};
    let failure = match e {
        E::AlertReceived(AlertDescription::ProtocolVersion)
        | E::PeerIncompatible(
            P::ServerDoesNotSupportTls12Or13
            | P::ServerTlsVersionIsDisabledByOurConfig
            | P::SupportedVersionsExtensionRequired,
        ) => return HandshakeError::OldVersion,
        E::AlertReceived(a) => TlsFailure::Alert(u8::from(*a)),
        // A TLS record starts with a content type from 20 to 24: anything else is not TLS.
        E::InvalidMessage(M::InvalidContentType)
            if !first.first().is_some_and(|b| (20..=24).contains(b)) =>
        {
            TlsFailure::NotTls
        }
        E::InvalidMessage(
            M::HandshakePayloadTooLarge | M::MessageTooLarge | M::CertificatePayloadTooLarge,
        )
        | E::PeerSentOversizedRecord => TlsFailure::TooLarge,
        E::InvalidMessage(_)
        | E::PeerMisbehaved(_)
        | E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. }
        | E::DecryptError => TlsFailure::Malformed,
        E::PeerIncompatible(_) | E::NoApplicationProtocol => TlsFailure::Incompatible,
        E::NoCertificatesPresented => TlsFailure::NoCertificate,
        other => TlsFailure::Other(other.to_string()),
    };
    HandshakeError::Failed(failure)
}

/// The first line of a plain-HTTP reply, lossily decoded and clipped.
fn status_line(first: &[u8]) -> String {
    let end = first
        .iter()
        .position(|b| *b == b'\r' || *b == b'\n')
        .unwrap_or(first.len());
    crate::sanitize::clip(&String::from_utf8_lossy(&first[..end]), 60)
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
    ) -> (Result<Stream, HandshakeError>, TlsObs) {
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
                Err(_) => {
                    return (
                        Err(HandshakeError::Failed(TlsFailure::BadName(name.to_owned()))),
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
            Err(e) => {
                return (
                    Err(HandshakeError::Failed(TlsFailure::Other(e.to_string()))),
                    obs,
                );
            }
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let connector = TlsConnector::from(Arc::new(config));
        let (tcp, first) = Sniffed::new(tcp);
        let res = tokio::time::timeout(timeout, connector.connect(server_name, tcp)).await;
        obs.duration = start.elapsed();
        if let Some((chain, verdict)) = seen.lock().unwrap_or_else(|p| p.into_inner()).take() {
            obs.chain = chain;
            obs.verdict = Some(verdict);
        }
        let stream = match res {
            Err(_) => return (Err(HandshakeError::Timeout), obs),
            Ok(Err(e)) => {
                let first = first.lock().unwrap_or_else(|p| p.into_inner()).clone();
                return (Err(handshake_error(&e, &first)), obs);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn io(e: rustls::Error) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }

    fn failed(e: HandshakeError) -> TlsFailure {
        match e {
            HandshakeError::Failed(f) => f,
            other => panic!("not a failure: {other:?}"),
        }
    }

    /// Plain HTTP is told by what the server sent, whatever rustls made of it; other
    /// non-TLS bytes are "not TLS"; a malformed record that starts like TLS is not.
    #[test]
    fn what_answered_the_handshake_is_named() {
        let content_type = || {
            io(rustls::Error::InvalidMessage(
                rustls::InvalidMessage::InvalidContentType,
            ))
        };
        let reply = b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n<html>";
        assert_eq!(
            failed(handshake_error(&content_type(), reply)),
            TlsFailure::PlainHttp {
                status_line: "HTTP/1.1 400 Bad Request".into()
            }
        );
        assert_eq!(
            failed(handshake_error(&content_type(), b"\x00\x1b[2Jgarbage")),
            TlsFailure::NotTls
        );
        assert_eq!(
            failed(handshake_error(
                &content_type(),
                &[0x16, 0x03, 0x03, 0x00, 0x10]
            )),
            TlsFailure::Malformed
        );
        // An EOF after plain HTTP is still plain HTTP.
        let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "tls handshake eof");
        assert!(matches!(
            failed(handshake_error(&eof, b"HTTP/1.0 200 OK\n")),
            TlsFailure::PlainHttp { status_line } if status_line == "HTTP/1.0 200 OK"
        ));
        assert_eq!(failed(handshake_error(&eof, b"")), TlsFailure::Closed);
        let reset = io::Error::new(io::ErrorKind::ConnectionReset, "reset");
        assert_eq!(failed(handshake_error(&reset, b"")), TlsFailure::Reset);
        let other = io::Error::other("Something(Odd)");
        assert_eq!(
            failed(handshake_error(&other, b"")),
            TlsFailure::Other("Something(Odd)".into())
        );
    }

    #[test]
    fn rustls_errors_map_to_kinds() {
        use rustls::{AlertDescription, InvalidMessage, PeerIncompatible, PeerMisbehaved};
        let tls = [0x16, 0x03, 0x03];
        let kind = |e| handshake_error(&io(e), &tls);
        assert_eq!(
            kind(rustls::Error::InvalidMessage(
                InvalidMessage::HandshakePayloadTooLarge
            )),
            HandshakeError::Failed(TlsFailure::TooLarge)
        );
        assert_eq!(
            kind(rustls::Error::PeerSentOversizedRecord),
            HandshakeError::Failed(TlsFailure::TooLarge)
        );
        assert_eq!(
            kind(rustls::Error::AlertReceived(
                AlertDescription::HandshakeFailure
            )),
            HandshakeError::Failed(TlsFailure::Alert(40))
        );
        assert_eq!(
            kind(rustls::Error::AlertReceived(
                AlertDescription::UnrecognisedName
            )),
            HandshakeError::Failed(TlsFailure::Alert(112))
        );
        assert_eq!(
            kind(rustls::Error::AlertReceived(
                AlertDescription::ProtocolVersion
            )),
            HandshakeError::OldVersion
        );
        assert_eq!(
            kind(rustls::Error::PeerIncompatible(
                PeerIncompatible::ServerDoesNotSupportTls12Or13
            )),
            HandshakeError::OldVersion
        );
        assert_eq!(
            kind(rustls::Error::PeerIncompatible(
                PeerIncompatible::NoCipherSuitesInCommon
            )),
            HandshakeError::Failed(TlsFailure::Incompatible)
        );
        assert_eq!(
            kind(rustls::Error::PeerMisbehaved(
                PeerMisbehaved::IllegalMiddleboxChangeCipherSpec
            )),
            HandshakeError::Failed(TlsFailure::Malformed)
        );
        assert_eq!(
            kind(rustls::Error::NoCertificatesPresented),
            HandshakeError::Failed(TlsFailure::NoCertificate)
        );
        assert!(matches!(
            kind(rustls::Error::General("boom".into())),
            HandshakeError::Failed(TlsFailure::Other(_))
        ));
    }

    #[test]
    fn certificate_errors_map_to_verdicts_and_problems() {
        use rustls::OtherError;
        let cert = |c: CertificateError| verdict_of(&rustls::Error::InvalidCertificate(c));
        // sha1WithRSAEncryption with its NULL parameters, as in a certificate.
        let sha1_rsa = vec![
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00,
        ];
        assert_eq!(
            cert(CertificateError::UnsupportedSignatureAlgorithmContext {
                signature_algorithm_id: sha1_rsa,
                supported_algorithms: vec![],
            }),
            CertVerdict::Other(CertProblem::WeakSignature(WeakHash::Sha1))
        );
        // ecdsa-with-SHA224: unsupported, but not a weak hash.
        assert_eq!(
            cert(CertificateError::UnsupportedSignatureAlgorithmContext {
                signature_algorithm_id: vec![
                    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x01
                ],
                supported_algorithms: vec![],
            }),
            CertVerdict::Other(CertProblem::UnsupportedSignature)
        );
        let webpki = |e: webpki::Error| cert(CertificateError::Other(OtherError(Arc::new(e))));
        assert_eq!(
            webpki(webpki::Error::MaximumPathDepthExceeded),
            CertVerdict::Other(CertProblem::ChainTooLong)
        );
        assert_eq!(
            webpki(webpki::Error::MaximumSignatureChecksExceeded),
            CertVerdict::Other(CertProblem::ChainTooComplex)
        );
        assert_eq!(
            webpki(webpki::Error::NameConstraintViolation),
            CertVerdict::Other(CertProblem::NameConstraint)
        );
        assert_eq!(
            webpki(webpki::Error::CaUsedAsEndEntity),
            CertVerdict::Other(CertProblem::CaAsLeaf)
        );
        assert_eq!(
            cert(CertificateError::Other(OtherError(Arc::new(
                io::Error::other("SomethingNew")
            )))),
            CertVerdict::Other(CertProblem::Other("SomethingNew".into()))
        );
        assert_eq!(
            cert(CertificateError::BadSignature),
            CertVerdict::Other(CertProblem::BadSignature)
        );
        assert_eq!(
            cert(CertificateError::InvalidPurpose),
            CertVerdict::Other(CertProblem::WrongPurpose)
        );
        assert_eq!(
            cert(CertificateError::NotValidForName),
            CertVerdict::NameMismatch
        );
        assert_eq!(
            cert(CertificateError::UnknownIssuer),
            CertVerdict::UnknownIssuer
        );
        assert_eq!(cert(CertificateError::Expired), CertVerdict::Expired);
        // What once reached users as `Other(OtherError(MaximumPathDepthExceeded))`.
        let words = webpki(webpki::Error::MaximumPathDepthExceeded).describe();
        assert!(words.contains("longer than the verifier allows"), "{words}");
    }

    #[test]
    fn weak_hashes_are_read_from_the_algorithm_identifier() {
        let ecdsa_sha1 = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01];
        assert_eq!(weak_hash(&ecdsa_sha1), Some(WeakHash::Sha1));
        let md5_rsa = [
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04,
        ];
        assert_eq!(weak_hash(&md5_rsa), Some(WeakHash::Md5));
        let ecdsa_sha256 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
        assert_eq!(weak_hash(&ecdsa_sha256), None);
        assert_eq!(weak_hash(&ecdsa_sha1[..5]), None, "truncated");
        assert_eq!(weak_hash(&[]), None);
        assert_eq!(weak_hash(&[0x30, 0x00]), None, "not an OID");
    }

    /// The sniffer keeps the first bytes the peer sent, and only those, without changing
    /// what is read.
    #[tokio::test]
    async fn the_first_bytes_are_kept() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut server, client) = tokio::io::duplex(4096);
        let (mut sniffed, first) = Sniffed::new(client);
        let sent: Vec<u8> = (0..200u8).collect();
        server.write_all(&sent).await.unwrap();
        drop(server);
        let mut got = Vec::new();
        sniffed.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, sent);
        assert_eq!(*first.lock().unwrap(), sent[..SNIFF]);
    }
}
