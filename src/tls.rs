//! The certificates TLS connections are verified against, for every client pave has (git's
//! HTTP transport and the GitHub API).

use std::path::Path;

/// The certificates a server must chain to: those of the CA bundle (`SSL_CERT_FILE`, else the
/// system's), else those of the certificate directory (`SSL_CERT_DIR`, else the system's), else
/// Mozilla's roots.
/// Read once a process: the GitHub client and git's https agent share them.
pub(crate) fn root_certs() -> ureq::tls::RootCerts {
    static ROOTS: std::sync::OnceLock<ureq::tls::RootCerts> = std::sync::OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let probe = openssl_probe::probe();
            let certs = certificates(probe.cert_file.as_deref(), probe.cert_dir.as_deref());
            if certs.is_empty() {
                ureq::tls::RootCerts::WebPki
            } else {
                ureq::tls::RootCerts::Specific(std::sync::Arc::new(certs))
            }
        })
        .clone()
}

/// The certificates in `file`, or when it holds none, in the PEM files of `dir`.
fn certificates(file: Option<&Path>, dir: Option<&Path>) -> Vec<ureq::tls::Certificate<'static>> {
    let from_file = file.and_then(|f| crate::fs::read(f).ok()).map(|pem| parse(&pem)).unwrap_or_default();
    if !from_file.is_empty() {
        return from_file;
    }
    let Some(dir) = dir else { return Vec::new() };
    let names = crate::fs::list_dir(dir).unwrap_or_default();
    names.iter().filter_map(|name| crate::fs::read(&dir.join(name)).ok()).flat_map(|pem| parse(&pem)).collect()
}

fn parse(pem: &[u8]) -> Vec<ureq::tls::Certificate<'static>> {
    ureq::tls::parse_pem(pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c.to_owned()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_come_from_the_bundle_else_from_the_directory() {
        let cert = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/servers/github/tls/cert.pem");
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        crate::fs::write_atomic(&empty, b"", false).unwrap();
        let certs = dir.path().join("certs");
        crate::fs::create_dir_all(&certs).unwrap();
        crate::fs::write_atomic(&certs.join("a1b2c3d4.0"), &crate::fs::read(&cert).unwrap(), false).unwrap();
        crate::fs::write_atomic(&certs.join("README"), b"not a certificate\n", false).unwrap();

        assert_eq!(certificates(Some(&cert), None).len(), 1);
        assert_eq!(certificates(Some(&empty), Some(&certs)).len(), 1, "the directory, when the file holds none");
        assert_eq!(certificates(None, Some(&certs)).len(), 1);
        assert_eq!(certificates(Some(&dir.path().join("missing.pem")), None).len(), 0);
    }
}
