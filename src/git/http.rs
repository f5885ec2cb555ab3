//! git's smart HTTP protocol for `http://` and `https://` remotes, spoken over ureq.
//!
//! libgit2 is built without TLS (git2's `https` feature is off). With it, libgit2 starts OpenSSL
//! when it starts and builds its cipher tables: a third of a local `pave upgrade`'s work (6.4 M of
//! 19.2 M instructions), in commands that never open a connection. This transport takes both
//! schemes, so every HTTP remote goes through one path, tested against a real `git http-backend`;
//! OpenSSL starts with the first https connection, not before.
//!
//! It behaves as git's own HTTP transport does:
//! - the smart protocol, stateless: one `GET …/info/refs?service=S` for the refs, then one `POST
//!   …/S` per round, each answer checked for its content type;
//! - Basic credentials: the URL's `user:password`, else the token (`PAVE_GIT_TOKEN`) as
//!   `x-access-token`; sent after the server asks (401), and from then on at once to that origin;
//! - redirects followed on the first request only (git's `http.followRedirects=initial`), never
//!   from https to http, credentials kept to the origin that asked for them;
//! - proxies from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`.
//!
//! Credentials reach a transport through the thread that opens it: [`use_token`] sets them for
//! the calling thread's next connections (libgit2 creates and drives a transport on the thread
//! that fetches or pushes).

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream, Transport};

/// How many redirects the first request may follow.
const MAX_REDIRECTS: usize = 5;

thread_local! {
    /// The token for this thread's next connections.
    static TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Origins (`scheme://host:port`) that asked for credentials and took ours: later requests to
/// them carry credentials at once, as git's do after its first 401.
static ASKED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Makes `token` the one this thread's next http(s) connections offer.
pub(super) fn use_token(token: Option<&str>) {
    TOKEN.with(|t| *t.borrow_mut() = token.map(str::to_string));
}

/// The schemes this transport takes.
pub(super) const SCHEMES: [&str; 2] = ["http", "https"];

/// Makes this transport's connection for a remote (registered by [`super::settings`]).
pub(super) fn factory(remote: &git2::Remote<'_>) -> Result<Transport, git2::Error> {
    let token = TOKEN.with(|t| t.borrow().clone());
    Transport::smart(remote, true, Subtransport { token, base: Arc::new(Mutex::new(None)) })
}

/// One connection to one remote (libgit2 makes one for each listing, fetch or push).
struct Subtransport {
    token: Option<String>,
    /// The repository's URL after the first request's redirects, if it was redirected.
    base: Arc<Mutex<Option<String>>>,
}

impl SmartSubtransport for Subtransport {
    fn action(&self, url: &str, action: Service) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        let (service, listing) = match action {
            Service::UploadPackLs => ("git-upload-pack", true),
            Service::UploadPack => ("git-upload-pack", false),
            Service::ReceivePackLs => ("git-receive-pack", true),
            Service::ReceivePack => ("git-receive-pack", false),
        };
        let remote = Remote::parse(url, self.token.as_deref()).map_err(|e| git2::Error::from_str(&e.to_string()))?;
        Ok(Box::new(Stream { remote, base: Arc::clone(&self.base), service, listing, body: Vec::new(), answer: None }))
    }

    fn close(&self) -> Result<(), git2::Error> {
        Ok(())
    }
}

/// A remote URL taken apart: where requests go, and the credentials to offer.
struct Remote {
    /// The URL without userinfo and without a trailing `/`.
    url: String,
    /// `(user, password)`: the URL's, else the token's.
    credentials: Option<(String, String)>,
}

impl Remote {
    fn parse(url: &str, token: Option<&str>) -> io::Result<Self> {
        let (scheme, rest) = url
            .split_once("://")
            .filter(|(s, _)| s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"))
            .ok_or_else(|| io::Error::other("not an http(s) URL"))?;
        let authority = rest.split('/').next().unwrap_or_default();
        let userinfo = authority.rsplit_once('@').map(|(u, _)| u);
        let from_url = userinfo.and_then(|u| u.split_once(':')).map(|(u, p)| (percent_decode(u), percent_decode(p)));
        let credentials = from_url.or_else(|| token.map(|t| ("x-access-token".to_string(), t.to_string())));
        let shown = crate::url::redact(url);
        let path = shown.split_once("://").map_or("", |(_, r)| r);
        Ok(Self { url: format!("{}://{}", scheme.to_lowercase(), path.trim_end_matches('/')), credentials })
    }
}

/// `scheme://host[:port]` of a URL without userinfo, lowercased.
fn origin(url: &str) -> String {
    let end = url.find("://").map_or(url.len(), |i| url[i + 3..].find('/').map_or(url.len(), |j| i + 3 + j));
    url[..end].to_lowercase()
}

/// `%XX` escapes decoded (userinfo escapes `:`, `@` and `/`).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: Option<&u8>| b.and_then(|&b| char::from(b).to_digit(16));
        match (bytes[i], hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
            (b'%', Some(h), Some(l)) => {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One request of the protocol. What libgit2 writes is a round's request body, sent when it
/// first reads; it then reads the answer.
struct Stream {
    remote: Remote,
    base: Arc<Mutex<Option<String>>>,
    service: &'static str,
    /// The refs (`GET info/refs`) rather than a round (`POST`).
    listing: bool,
    body: Vec<u8>,
    answer: Option<ureq::BodyReader<'static>>,
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.answer.is_none() {
            self.answer = Some(self.send()?);
        }
        self.answer.as_mut().map_or(Ok(0), |a| a.read(buf))
    }
}

impl Write for Stream {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.body.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Stream {
    /// Sends the request (after the first request's redirects, and again with credentials when
    /// the server asks for them) and returns the answer's body.
    fn send(&mut self) -> io::Result<ureq::BodyReader<'static>> {
        let mut base =
            self.base.lock().unwrap_or_else(PoisonError::into_inner).clone().unwrap_or_else(|| self.remote.url.clone());
        let own = origin(&self.remote.url);
        let mut redirects = 0;
        let mut with_credentials = self.remote.credentials.is_some() && asked(&own);
        loop {
            let url = if self.listing {
                format!("{base}/info/refs?service={}", self.service)
            } else {
                format!("{base}/{}", self.service)
            };
            let here = origin(&url);
            // Credentials go only to the remote's own origin.
            let credentials = self.remote.credentials.as_ref().filter(|_| with_credentials && here == own);
            let response = self.request(&url, credentials).map_err(|e| io::Error::other(transport_error(&here, &e)))?;
            let (parts, body) = response.into_parts();
            let status = parts.status.as_u16();
            let header =
                |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
            match status {
                200 => {
                    let kind = if self.listing { "advertisement" } else { "result" };
                    let wanted = format!("application/x-{}-{kind}", self.service);
                    let got = header("content-type");
                    if got.split(';').next().unwrap_or_default().trim() != wanted {
                        return Err(io::Error::other(format!(
                            "{} is not a git smart HTTP server (content type `{got}`, not `{wanted}`)",
                            crate::url::redact(&base)
                        )));
                    }
                    if credentials.is_some() {
                        remember_asked(&here);
                    }
                    return Ok(body.into_reader());
                }
                301 | 302 | 303 | 307 | 308 if self.listing && redirects < MAX_REDIRECTS => {
                    base = redirected(&self.remote.url, &url, &header("location"), self.service)?;
                    *self.base.lock().unwrap_or_else(PoisonError::into_inner) = Some(base.clone());
                    redirects += 1;
                }
                401 if credentials.is_none() && self.remote.credentials.is_some() && here == own => {
                    with_credentials = true;
                }
                401 if credentials.is_some() => {
                    return Err(io::Error::other("authentication failed: the remote refused the credentials"));
                }
                401 => {
                    return Err(io::Error::other(
                        "authentication required: set PAVE_GIT_TOKEN, or give the credentials in the URL",
                    ));
                }
                _ => return Err(io::Error::other(status_error(status, body))),
            }
        }
    }

    fn request(
        &self,
        url: &str,
        credentials: Option<&(String, String)>,
    ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        use base64::Engine as _;
        let auth = credentials.map(|(user, password)| {
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
        });
        let agent = agent(url.starts_with("https://"));
        if self.listing {
            let mut request = agent.get(url);
            if let Some(auth) = &auth {
                request = request.header("Authorization", auth);
            }
            request.call()
        } else {
            let mut request = agent
                .post(url)
                .header("Content-Type", format!("application/x-{}-request", self.service))
                .header("Accept", format!("application/x-{}-result", self.service));
            if let Some(auth) = &auth {
                request = request.header("Authorization", auth);
            }
            request.send(&self.body[..])
        }
    }
}

/// The repository's URL that a redirect of the listing `from` (of `remote`) to `location` leads
/// to: same scheme or https, and a listing of the same service.
fn redirected(remote: &str, from: &str, location: &str, service: &str) -> io::Result<String> {
    let to = if location.contains("://") {
        location.to_string()
    } else if location.starts_with('/') {
        format!("{}{location}", origin(from))
    } else {
        return Err(io::Error::other(format!("a redirect to `{location}`, which pave does not follow")));
    };
    let shown = crate::url::redact(remote);
    if from.starts_with("https://") && !to.to_lowercase().starts_with("https://") {
        return Err(io::Error::other(format!("{shown} redirects from https to plain http; refused")));
    }
    let suffix = format!("/info/refs?service={service}");
    to.strip_suffix(&suffix).map(|b| crate::url::redact(b).trim_end_matches('/').to_string()).ok_or_else(|| {
        io::Error::other(format!("{shown} redirects to {}, which is not a git repository", crate::url::redact(&to)))
    })
}

fn asked(origin: &str) -> bool {
    ASKED.lock().unwrap_or_else(PoisonError::into_inner).iter().any(|o| o == origin)
}

fn remember_asked(origin: &str) {
    let mut asked = ASKED.lock().unwrap_or_else(PoisonError::into_inner);
    if !asked.iter().any(|o| o == origin) {
        asked.push(origin.to_string());
    }
}

/// What a failed connection says, with where it was going.
fn transport_error(origin: &str, e: &ureq::Error) -> String {
    match e {
        ureq::Error::ConnectionFailed => format!("cannot connect to {origin}"),
        ureq::Error::HostNotFound => format!("cannot resolve the host of {origin}"),
        ureq::Error::Timeout(what) => format!("{origin} did not answer in time ({what})"),
        other if other.to_string().contains("certificate") => {
            format!("{origin}: {other}; pave trusts the CA bundle in SSL_CERT_FILE, else the system's")
        }
        other => format!("{origin}: {other}"),
    }
}

/// What an unexpected status says, with the first line the server gave (GitHub's
/// "Repository not found.", a proxy's reason).
fn status_error(status: u16, body: ureq::Body) -> String {
    let mut text = String::new();
    let _ = body.into_reader().take(4096).read_to_string(&mut text);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    let line: String = line.chars().take(200).collect();
    let what = match status {
        403 => "the remote refused access (HTTP 403)".to_string(),
        404 => "the repository was not found (HTTP 404)".to_string(),
        _ => format!("unexpected HTTP status {status}"),
    };
    if line.is_empty() { what } else { format!("{what}: {line}") }
}

/// The process's HTTP clients: one for plain http, one for https whose certificates are the CA
/// bundle git uses (read when the first https connection opens).
fn agent(https: bool) -> &'static ureq::Agent {
    static PLAIN: OnceLock<ureq::Agent> = OnceLock::new();
    static TLS: OnceLock<ureq::Agent> = OnceLock::new();
    let make = |https: bool| {
        let mut tls = ureq::tls::TlsConfig::builder().provider(ureq::tls::TlsProvider::NativeTls);
        if https {
            tls = tls.root_certs(crate::tls::root_certs());
        }
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_mins(5)))
            .user_agent(concat!("git/2.0 (pave/", env!("CARGO_PKG_VERSION"), ")"))
            .tls_config(tls.build())
            .build()
            .into()
    };
    if https { TLS.get_or_init(|| make(true)) } else { PLAIN.get_or_init(|| make(false)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_takes_the_urls_credentials_over_the_token() {
        let r = Remote::parse("https://bot:s%40cret%3A1@Git.Example.com:8443/org/svc.git/", Some("tok")).unwrap();
        assert_eq!(r.url, "https://Git.Example.com:8443/org/svc.git");
        assert_eq!(r.credentials, Some(("bot".to_string(), "s@cret:1".to_string())));
        assert_eq!(origin(&r.url), "https://git.example.com:8443");
        assert_eq!(origin("https://h:1"), "https://h:1");
        let r = Remote::parse("http://127.0.0.1:9/svc.git", Some("tok")).unwrap();
        assert_eq!(r.credentials, Some(("x-access-token".to_string(), "tok".to_string())));
        assert_eq!(Remote::parse("http://127.0.0.1:9/svc.git", None).unwrap().credentials, None);
        assert!(Remote::parse("ssh://git@host/svc.git", None).is_err());
    }

    #[test]
    fn a_redirect_leads_to_a_repository_of_the_same_or_a_safer_scheme() {
        let listing = |base: &str| format!("{base}/info/refs?service=git-upload-pack");
        let from = listing("https://h/org/old.git");
        let to = |location: &str| redirected("https://h/org/old.git", &from, location, "git-upload-pack");
        assert_eq!(to(&listing("/org/new.git")).unwrap(), "https://h/org/new.git");
        assert_eq!(to(&listing("https://mirror.example/new.git")).unwrap(), "https://mirror.example/new.git");
        let refused = to(&listing("http://h/org/new.git")).unwrap_err().to_string();
        assert!(refused.contains("https to plain http"), "{refused}");
        let elsewhere = to("https://h/login").unwrap_err().to_string();
        assert!(elsewhere.contains("not a git repository"), "{elsewhere}");
        assert!(to("new.git").is_err());
        let plain =
            redirected("http://h/a.git", &listing("http://h/a.git"), &listing("https://h/b.git"), "git-upload-pack");
        assert_eq!(plain.unwrap(), "https://h/b.git");
    }

    #[test]
    fn percent_decoding_leaves_what_is_not_an_escape() {
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
    }
}
