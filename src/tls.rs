//! The certificates TLS connections are verified against, for every client pave has (git's
//! HTTP transport and the GitHub API).

/// The CA bundle git would use: `SSL_CERT_FILE`, else the system's.
pub(crate) fn ca_file() -> Option<std::path::PathBuf> {
    openssl_probe::probe().cert_file
}

/// The certificates a server must chain to: those of [`ca_file`], else Mozilla's roots.
pub(crate) fn root_certs() -> ureq::tls::RootCerts {
    use ureq::tls::{PemItem, RootCerts};
    let bundle = ca_file().and_then(|file| crate::fs::read(&file).ok());
    let certs: Vec<ureq::tls::Certificate<'static>> = bundle
        .as_deref()
        .map(|pem| {
            ureq::tls::parse_pem(pem)
                .filter_map(|item| match item {
                    Ok(PemItem::Certificate(c)) => Some(c.to_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if certs.is_empty() { RootCerts::WebPki } else { RootCerts::Specific(std::sync::Arc::new(certs)) }
}
