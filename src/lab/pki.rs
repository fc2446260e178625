//! The lab's test CA, made at start: root → intermediate → leaf, and leaf variants
//! (expired, not yet valid, expiring, self-signed, served without the intermediate).

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;

/// How a host's certificate is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertKind {
    /// Issued by the lab intermediate, served with it.
    #[default]
    Valid,
    /// Expired (2020).
    Expired,
    /// Valid from 2099.
    NotYetValid,
    /// Expires in 5 days.
    Expiring,
    /// Self-signed.
    SelfSigned,
    /// Issued by the intermediate but served without it.
    NoIntermediate,
    /// Issued by a CA nobody trusts.
    UntrustedCa,
    /// Signed with SHA-1 (ecdsa-with-SHA1), which verifiers no longer accept.
    Sha1,
    /// Issued below seven more intermediates than usual: a chain longer than verifiers
    /// follow.
    DeepChain,
}

/// How many intermediates [`CertKind::DeepChain`] adds below the lab intermediate (webpki
/// follows at most 6 in all).
const DEEP_CHAIN_EXTRA: usize = 7;

/// The DER of an AlgorithmIdentifier for ecdsa-with-SHA1 (1.2.840.10045.4.1).
const ECDSA_WITH_SHA1: [u8; 11] = [
    0x30, 0x09, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01,
];

/// One DER element at the start of `input`: (tag, header length, content length).
fn der_element(input: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    if first < 0x80 {
        return Some((tag, 2, usize::from(first)));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let len = input
        .get(2..2 + n)?
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Some((tag, 2 + n, len))
}

/// The DER elements that make up `content`, each whole (header and content).
fn der_elements(mut content: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (_, h, l) = der_element(content)?;
        let (e, rest) = content.split_at_checked(h + l)?;
        out.push(e);
        content = rest;
    }
    Some(out)
}

/// A DER element with this tag and content.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// The certificate with its signature algorithm (both the TBS field and the outer one)
/// replaced by `algorithm` (a whole AlgorithmIdentifier). The signature no longer verifies,
/// but verifiers reject an unsupported algorithm before they check it.
fn with_signature_algorithm(cert: &[u8], algorithm: &[u8]) -> Option<Vec<u8>> {
    let (_, h, l) = der_element(cert)?;
    let outer = der_elements(cert.get(h..h + l)?)?;
    let [tbs, _, signature] = outer.as_slice() else {
        return None;
    };
    let (_, th, tl) = der_element(tbs)?;
    let mut fields = der_elements(tbs.get(th..th + tl)?)?;
    // version [0] is optional; the signature field follows the serial number.
    let at = if fields.first()?.first() == Some(&0xa0) {
        2
    } else {
        1
    };
    *fields.get_mut(at)? = algorithm;
    let tbs = der(0x30, &fields.concat());
    Some(der(0x30, &[tbs.as_slice(), algorithm, signature].concat()))
}

/// A certificate chain and key for a TLS server.
pub struct Issued {
    /// Leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's key.
    pub key: PrivateKeyDer<'static>,
}

impl Issued {
    /// The chain as PEM, leaf first (what nginx's `fullchain.pem` holds).
    pub fn chain_pem(&self) -> String {
        self.chain.iter().map(|c| pem("CERTIFICATE", c)).collect()
    }

    /// The leaf alone as PEM (certbot's `cert.pem`: without the intermediate).
    pub fn leaf_pem(&self) -> String {
        self.chain
            .first()
            .map(|c| pem("CERTIFICATE", c))
            .unwrap_or_default()
    }

    /// The key as PKCS#8 PEM (`privkey.pem`).
    pub fn key_pem(&self) -> String {
        pem("PRIVATE KEY", self.key.secret_der())
    }
}

/// DER as PEM, 64 characters a line.
pub fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

/// The lab CA.
pub struct Pki {
    root_pem: String,
    root_der: CertificateDer<'static>,
    intermediate: Issuer<'static, KeyPair>,
    intermediate_der: CertificateDer<'static>,
    untrusted: Issuer<'static, KeyPair>,
    untrusted_der: CertificateDer<'static>,
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("empty SAN list");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, "delegcheck lab");
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p
}

macro_rules! days_from_now {
    ($n:expr) => {{
        let (y, m, d) = crate::time::civil_from_days(crate::time::now().div_euclid(86400) + $n);
        rcgen::date_time_ymd(y as i32, m as u8, d as u8)
    }};
}

impl Pki {
    /// Makes a fresh root, intermediate and an untrusted CA.
    pub fn new() -> Result<Pki, rcgen::Error> {
        let root_key = KeyPair::generate()?;
        let root_params = ca_params("delegcheck lab root CA");
        let root_cert = root_params.self_signed(&root_key)?;
        let root = Issuer::new(root_params, root_key);
        let int_key = KeyPair::generate()?;
        let int_params = ca_params("delegcheck lab intermediate CA");
        let int_cert = int_params.signed_by(&int_key, &root)?;
        let untrusted_key = KeyPair::generate()?;
        let untrusted_params = ca_params("Some Other CA");
        let untrusted_cert = untrusted_params.self_signed(&untrusted_key)?;
        Ok(Pki {
            root_pem: root_cert.pem(),
            root_der: root_cert.der().clone(),
            intermediate: Issuer::new(int_params, int_key),
            intermediate_der: int_cert.der().clone(),
            untrusted: Issuer::new(untrusted_params, untrusted_key),
            untrusted_der: untrusted_cert.der().clone(),
        })
    }

    /// The root, PEM (what `--ca-file` takes).
    pub fn root_pem(&self) -> &str {
        &self.root_pem
    }

    /// The root, DER.
    pub fn root_der(&self) -> CertificateDer<'static> {
        self.root_der.clone()
    }

    /// A leaf for these names (IP strings become IP SANs).
    pub fn issue(&self, names: &[String], kind: CertKind) -> Result<Issued, rcgen::Error> {
        let mut p = CertificateParams::new(names.to_vec())?;
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CommonName,
            names.first().cloned().unwrap_or_else(|| "lab".into()),
        );
        p.distinguished_name = dn;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        p.not_before = days_from_now!(-30);
        p.not_after = days_from_now!(365);
        match kind {
            CertKind::Expired => {
                p.not_before = rcgen::date_time_ymd(2019, 1, 1);
                p.not_after = rcgen::date_time_ymd(2020, 1, 1);
            }
            CertKind::NotYetValid => {
                p.not_before = rcgen::date_time_ymd(2099, 1, 1);
                p.not_after = rcgen::date_time_ymd(2100, 1, 1);
            }
            CertKind::Expiring => p.not_after = days_from_now!(5),
            _ => {}
        }
        let key = KeyPair::generate()?;
        let key_der = PrivateKeyDer::try_from(key.serialize_der())
            .map_err(|_| rcgen::Error::CouldNotParseKeyPair)?;
        let chain = match kind {
            CertKind::SelfSigned => vec![p.self_signed(&key)?.der().clone()],
            CertKind::NoIntermediate => vec![p.signed_by(&key, &self.intermediate)?.der().clone()],
            // A private CA, served with its full chain (as step-ca or an internal PKI does).
            CertKind::UntrustedCa => vec![
                p.signed_by(&key, &self.untrusted)?.der().clone(),
                self.untrusted_der.clone(),
            ],
            CertKind::Sha1 => {
                let leaf = p.signed_by(&key, &self.intermediate)?;
                let der = with_signature_algorithm(leaf.der(), &ECDSA_WITH_SHA1)
                    .ok_or(rcgen::Error::CouldNotParseCertificate)?;
                vec![CertificateDer::from(der), self.intermediate_der.clone()]
            }
            CertKind::DeepChain => {
                // The lab intermediate, then DEEP_CHAIN_EXTRA more below it; served leaf
                // first, each certificate followed by its issuer.
                let mut issued_by = Vec::new();
                let mut parent: Option<Issuer<'static, KeyPair>> = None;
                for i in 0..DEEP_CHAIN_EXTRA {
                    let k = KeyPair::generate()?;
                    let params = ca_params(&format!("delegcheck lab intermediate CA {}", i + 2));
                    let cert = match &parent {
                        Some(up) => params.signed_by(&k, up)?,
                        None => params.signed_by(&k, &self.intermediate)?,
                    };
                    issued_by.push(cert.der().clone());
                    parent = Some(Issuer::new(params, k));
                }
                let last = parent.ok_or(rcgen::Error::CouldNotParseCertificate)?;
                let mut chain = vec![p.signed_by(&key, &last)?.der().clone()];
                chain.extend(issued_by.into_iter().rev());
                chain.push(self.intermediate_der.clone());
                chain
            }
            _ => vec![
                p.signed_by(&key, &self.intermediate)?.der().clone(),
                self.intermediate_der.clone(),
            ],
        };
        Ok(Issued {
            chain,
            key: key_der,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::*;

    fn signature_oids(der: &[u8]) -> (String, String) {
        let (_, cert) = X509Certificate::from_der(der).expect("parses");
        (
            cert.signature_algorithm.algorithm.to_id_string(),
            cert.tbs_certificate.signature.algorithm.to_id_string(),
        )
    }

    /// The SHA-1 leaf is a well-formed certificate that names ecdsa-with-SHA1 in both of
    /// its signature fields, with everything else unchanged.
    #[test]
    fn a_sha1_leaf_is_rewritten_consistently() {
        let pki = Pki::new().unwrap();
        let names = ["example.test".to_owned()];
        let sha1 = pki.issue(&names, CertKind::Sha1).unwrap();
        assert_eq!(sha1.chain.len(), 2);
        assert_eq!(
            signature_oids(&sha1.chain[0]),
            (
                "1.2.840.10045.4.1".to_owned(),
                "1.2.840.10045.4.1".to_owned()
            )
        );
        let (_, cert) = X509Certificate::from_der(&sha1.chain[0]).unwrap();
        assert_eq!(cert.subject().to_string(), "CN=example.test");
        let valid = pki.issue(&names, CertKind::Valid).unwrap();
        assert_eq!(
            signature_oids(&valid.chain[0]).0,
            "1.2.840.10045.4.3.2",
            "rcgen signs with ECDSA P-256 SHA-256"
        );
        assert_eq!(
            with_signature_algorithm(b"\x30\x03\x02\x01\x01", &ECDSA_WITH_SHA1),
            None
        );
    }

    #[test]
    fn der_lengths_round_trip() {
        for len in [0usize, 5, 127, 128, 255, 256, 70_000] {
            let content = vec![7u8; len];
            let e = der(0x30, &content);
            assert_eq!(der_element(&e), Some((0x30, e.len() - len, len)), "{len}");
        }
    }

    #[test]
    fn a_deep_chain_has_eight_intermediates_each_issuing_the_one_before() {
        let pki = Pki::new().unwrap();
        let deep = pki
            .issue(&["example.test".to_owned()], CertKind::DeepChain)
            .unwrap();
        assert_eq!(deep.chain.len(), 1 + DEEP_CHAIN_EXTRA + 1);
        let parsed: Vec<X509Certificate<'_>> = deep
            .chain
            .iter()
            .map(|c| X509Certificate::from_der(c).unwrap().1)
            .collect();
        for pair in parsed.windows(2) {
            assert_eq!(pair[0].issuer(), pair[1].subject());
        }
    }
}
