//! The CA bundle, loaded only when pave talks to a remote over TLS.
//!
//! libgit2 sets up OpenSSL when it starts and loads the whole CA bundle then (`SSL_CERT_FILE`,
//! which git2 points at the system's bundle): about half of what a local `pave upgrade` costs,
//! for commands that never open a connection. So pave points OpenSSL at an empty bundle before
//! libgit2 starts, remembers where the real one is, and hands it to libgit2 just before the
//! first network operation. Verification is unchanged: every TLS connection is checked against
//! the same certificates as before (the user's `SSL_CERT_FILE`/`SSL_CERT_DIR` included).
#![allow(unsafe_code)]

use std::path::PathBuf;
use std::sync::{Once, OnceLock};

/// Where the real certificates are, found before they were set aside.
static REAL: OnceLock<(Option<PathBuf>, Option<PathBuf>)> = OnceLock::new();
static LOADED: Once = Once::new();

/// Sets the CA bundle aside. Call first thing in `main`, before any thread starts.
pub(crate) fn defer_ca_certificates() {
    let probe = openssl_probe::probe();
    if REAL.set((probe.cert_file, probe.cert_dir)).is_err() {
        return;
    }
    // SAFETY: called from the main thread before any other thread exists (pave starts its
    // worker threads later), so nothing reads the environment concurrently. `/dev/null` exists,
    // so git2's own probe keeps it, and OpenSSL loads an empty bundle.
    unsafe { std::env::set_var("SSL_CERT_FILE", "/dev/null") };
}

/// The CA bundle file TLS connections are verified against (the one set aside, or the
/// system's), for clients other than libgit2.
pub(crate) fn ca_file() -> Option<PathBuf> {
    match REAL.get() {
        Some((file, _)) => file.clone(),
        None => openssl_probe::probe().cert_file,
    }
}

/// Gives libgit2 the real certificates, once, before the first connection.
pub(crate) fn load_ca_certificates() {
    LOADED.call_once(|| {
        let Some((file, dir)) = REAL.get() else { return };
        // SAFETY: `Once` runs this before any caller goes on to open a connection, and no TLS
        // stream exists before the first one, which is what git2 asks of these options.
        unsafe {
            if let Some(file) = file {
                let _ = git2::opts::set_ssl_cert_file(file);
            }
            if let Some(dir) = dir {
                let _ = git2::opts::set_ssl_cert_dir(dir);
            }
        }
    });
}
