//! The transport: one agent, the token, and the retry rules GitHub documents (`Retry-After`,
//! `X-RateLimit-Remaining`/`Reset`, secondary rate limits, 5xx and timeouts), bounded and
//! jittered. Mutating calls go one at a time, as GitHub asks of integrations.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;

use super::ApiError;

/// How the client behaves; the defaults suit github.com.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The API root: `https://api.github.com`, or `https://HOST/api/v3` (Enterprise Server).
    pub api_url: String,
    /// The token (`Authorization: Bearer`).
    pub token: Option<String>,
    /// One request's time limit.
    pub timeout: Duration,
    /// Attempts per call, the first included.
    pub attempts: u32,
    /// The longest pave waits for a rate limit to reset before giving up on a call.
    pub max_wait: Duration,
    /// The first backoff after a 5xx or a timeout; doubled each time, jittered.
    pub backoff: Duration,
}

impl Settings {
    /// The defaults for `api_url`, with `PAVE_GITHUB_TIMEOUT` (seconds) honoured.
    pub(crate) fn new(api_url: &str, token: Option<String>) -> Self {
        let timeout = std::env::var("PAVE_GITHUB_TIMEOUT")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| *s > 0.0)
            .map_or(Duration::from_secs(30), Duration::from_secs_f64);
        Self {
            api_url: api_url.trim_end_matches('/').to_string(),
            token,
            timeout,
            attempts: 5,
            max_wait: Duration::from_mins(15),
            backoff: Duration::from_millis(500),
        }
    }
}

/// A GitHub API client for one run; shared by the run's threads.
pub(crate) struct Client {
    agent: ureq::Agent,
    settings: Settings,
    calls: AtomicUsize,
    /// Mutating calls, one at a time.
    writes: Mutex<()>,
    /// When the rate limit is spent: no call before this instant.
    paused_until: Mutex<Option<Instant>>,
}

/// The methods pave calls with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Patch,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Patch => "PATCH",
        }
    }
}

/// What one attempt came to.
enum Attempt {
    Done(u16, String, Option<String>),
    Retry(Duration),
    Fail(ApiError),
}

impl Client {
    /// A client for `settings.api_url`, refused when it is not https (but for 127.0.0.1).
    pub(crate) fn new(settings: Settings) -> Result<Self, ApiError> {
        if !secure_enough(&settings.api_url) {
            return Err(ApiError::Insecure(crate::url::redact(&settings.api_url)));
        }
        let mut tls = ureq::tls::TlsConfig::builder().provider(ureq::tls::TlsProvider::NativeTls);
        if settings.api_url.starts_with("https://") {
            tls = tls.root_certs(crate::tls::root_certs());
        }
        let tls = tls.build();
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(settings.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("pave/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build()
            .into();
        Ok(Self { agent, settings, calls: AtomicUsize::new(0), writes: Mutex::new(()), paused_until: Mutex::new(None) })
    }

    /// The API calls made so far (each attempt counts).
    pub(crate) fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }

    /// `GET path`, decoded.
    pub(crate) fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let (_, body, _) = self.send(Method::Get, &self.url(path), None)?;
        decode(path, &body)
    }

    /// `GET path` and every next page (`Link: rel="next"`), decoded and joined.
    pub(crate) fn get_pages<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, ApiError> {
        let mut url = self.url(path);
        let mut all = Vec::new();
        for _ in 0..1000 {
            let (_, body, link) = self.send(Method::Get, &url, None)?;
            all.extend(decode::<Vec<T>>(path, &body)?);
            match link.as_deref().and_then(next_link) {
                // Only pages of the same API: a Link elsewhere would carry the token away.
                Some(next) if next.starts_with(&self.settings.api_url) => url = next,
                _ => return Ok(all),
            }
        }
        Ok(all)
    }

    /// A mutating call (`POST`, `PATCH`) with a JSON body, decoded; one at a time.
    pub(crate) fn write<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T, ApiError> {
        let _one = self.writes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (_, text, _) = self.send(method, &self.url(path), Some(body))?;
        decode(path, &text)
    }

    /// `GET path`, with `Ok(None)` for the statuses in `absent` (404, 409 for an empty repository).
    pub(crate) fn get_or<T: DeserializeOwned>(&self, path: &str, absent: &[u16]) -> Result<Option<T>, ApiError> {
        match self.get(path) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.status().is_some_and(|s| absent.contains(&s)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.settings.api_url)
    }

    /// One call with its retries: the status, the body and the `Link` header of the answer.
    fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<(u16, String, Option<String>), ApiError> {
        let what = format!("{} {}", method.name(), url.strip_prefix(&self.settings.api_url).unwrap_or(url));
        let mut backoff = self.settings.backoff;
        for attempt in 1..=self.settings.attempts {
            self.wait_for_reset();
            self.calls.fetch_add(1, Ordering::Relaxed);
            match self.attempt(method, url, body, &what, &mut backoff) {
                Attempt::Done(status, text, link) => return Ok((status, text, link)),
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry(wait) if attempt < self.settings.attempts => std::thread::sleep(wait),
                Attempt::Retry(_) => {}
            }
        }
        Err(ApiError::Transport { what, message: format!("no answer after {} attempts", self.settings.attempts) })
    }

    fn attempt(
        &self,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
        what: &str,
        backoff: &mut Duration,
    ) -> Attempt {
        let mut next_backoff = || {
            let wait = jitter(*backoff);
            *backoff = (*backoff * 2).min(Duration::from_secs(30));
            wait
        };
        let response = match self.request(method, url, body) {
            Ok(r) => r,
            Err(ureq::Error::Timeout(_) | ureq::Error::Io(_) | ureq::Error::ConnectionFailed) => {
                return Attempt::Retry(next_backoff());
            }
            Err(e) => {
                return Attempt::Fail(ApiError::Transport {
                    what: what.to_string(),
                    message: crate::url::scrub(&e.to_string(), url),
                });
            }
        };
        let (parts, mut body) = response.into_parts();
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let status = parts.status.as_u16();
        let text = match body.read_to_string() {
            Ok(t) => t,
            Err(_) if status >= 500 => return Attempt::Retry(next_backoff()),
            Err(e) => return Attempt::Fail(ApiError::Decode { what: what.to_string(), message: e.to_string() }),
        };
        let remaining = header("x-ratelimit-remaining").and_then(|v| v.parse::<u64>().ok());
        let reset = header("x-ratelimit-reset").and_then(|v| v.parse::<u64>().ok());
        if (200..300).contains(&status) {
            if remaining == Some(0)
                && let Some(reset) = reset
            {
                self.pause_until(until(reset));
            }
            return Attempt::Done(status, text, header("link"));
        }
        let message = error_message(&text);
        let retry_after = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs);
        match status {
            401 => Attempt::Fail(ApiError::Unauthorized),
            403 | 429 => {
                if let Some(wait) = retry_after {
                    // A secondary rate limit, or a primary one that says how long.
                    return self.bounded(wait, reset);
                }
                if remaining == Some(0)
                    && let Some(reset) = reset
                {
                    let wait = until(reset);
                    self.pause_until(wait);
                    return self.bounded(wait, Some(reset));
                }
                if status == 429 || message.to_lowercase().contains("secondary rate limit") {
                    // No time given: at least a minute, GitHub says; bounded like the others.
                    return self.bounded(jitter(Duration::from_mins(1)).min(self.settings.max_wait), reset);
                }
                Attempt::Fail(ApiError::Forbidden { what: what.to_string(), message })
            }
            404 => Attempt::Fail(ApiError::NotFound { what: what.to_string() }),
            500 | 502 | 503 | 504 => Attempt::Retry(next_backoff()),
            _ => Attempt::Fail(ApiError::Status { what: what.to_string(), status, message }),
        }
    }

    /// A retry after `wait`, unless that is longer than pave waits.
    fn bounded(&self, wait: Duration, reset: Option<u64>) -> Attempt {
        if wait > self.settings.max_wait {
            let reset = reset.unwrap_or_else(|| now_epoch() + wait.as_secs());
            return Attempt::Fail(ApiError::RateLimited { reset: utc(reset), wait_s: wait.as_secs() });
        }
        Attempt::Retry(wait)
    }

    fn request(
        &self,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let auth = self.settings.token.as_ref().map(|t| format!("Bearer {t}"));
        macro_rules! headers {
            ($req:expr) => {{
                let mut req =
                    $req.header("Accept", "application/vnd.github+json").header("X-GitHub-Api-Version", "2022-11-28");
                if let Some(auth) = &auth {
                    req = req.header("Authorization", auth);
                }
                req
            }};
        }
        let empty = serde_json::Value::Null;
        match method {
            Method::Get => headers!(self.agent.get(url)).call(),
            Method::Post => headers!(self.agent.post(url)).send_json(body.unwrap_or(&empty)),
            Method::Patch => headers!(self.agent.patch(url)).send_json(body.unwrap_or(&empty)),
        }
    }

    fn pause_until(&self, wait: Duration) {
        let mut paused = self.paused_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let at = Instant::now() + wait.min(self.settings.max_wait);
        if paused.is_none_or(|p| p < at) {
            *paused = Some(at);
        }
    }

    /// Sleeps while the rate limit is spent (every thread of the run waits for the same reset).
    fn wait_for_reset(&self) {
        let at = *self.paused_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(at) = at {
            let now = Instant::now();
            if at > now {
                std::thread::sleep(at - now);
            }
        }
    }
}

/// https, or plain http to this machine only.
fn secure_enough(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else { return false };
    let host = rest.split('/').next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split(']').next().map(|h| format!("{h}]")).unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or_default().to_string()
    };
    matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]")
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| url.trim().trim_start_matches('<').trim_end_matches('>').to_string())
    })
}

/// GitHub's `message`, with its validation errors, or the start of the body.
fn error_message(body: &str) -> String {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(body) else {
        return body.chars().take(200).collect();
    };
    let mut m = v["message"].as_str().unwrap_or("no message").to_string();
    if let Some(errors) = v["errors"].as_array() {
        let details: Vec<String> = errors
            .iter()
            .filter_map(|e| {
                e["message"].as_str().map(str::to_string).or_else(|| e["code"].as_str().map(str::to_string))
            })
            .collect();
        if !details.is_empty() {
            m = format!("{m} ({})", details.join("; "));
        }
    }
    m
}

fn decode<T: DeserializeOwned>(what: &str, body: &str) -> Result<T, ApiError> {
    serde_json::from_str(body).map_err(|e| ApiError::Decode { what: what.to_string(), message: e.to_string() })
}

fn now_epoch() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The time until `reset` (seconds since the epoch), plus a second for clocks that differ.
fn until(reset: u64) -> Duration {
    Duration::from_secs(reset.saturating_sub(now_epoch()) + 1)
}

/// `d` times a random factor in [0.5, 1.5).
fn jitter(d: Duration) -> Duration {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    #[allow(clippy::cast_precision_loss)] // a random factor
    let r = (h.finish() % 1000) as f64 / 1000.0;
    d.mul_f64(0.5 + r)
}

/// Seconds since the epoch as `YYYY-MM-DD HH:MM UTC`.
fn utc(epoch: u64) -> String {
    let days = i64::try_from(epoch / 86_400).unwrap_or_default();
    let secs = epoch % 86_400;
    let (y, m, d) = crate::exceptions::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", secs / 3600, secs % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::{next_link, secure_enough};

    #[test]
    fn only_https_or_this_machine() {
        assert!(secure_enough("https://api.github.com"));
        assert!(secure_enough("https://ghe.example.com/api/v3"));
        assert!(secure_enough("http://127.0.0.1:8080"));
        assert!(secure_enough("http://localhost:1/api"));
        assert!(!secure_enough("http://api.github.com"));
        assert!(!secure_enough("http://127.0.0.1.evil.example/"));
        assert!(!secure_enough("http://user@10.0.0.1/"));
        assert!(!secure_enough("ftp://127.0.0.1/"));
    }

    #[test]
    fn the_next_page_is_found_in_the_link_header() {
        let link = r#"<https://api.github.com/orgs/a/repos?page=2>; rel="next", <https://api.github.com/orgs/a/repos?page=5>; rel="last""#;
        assert_eq!(next_link(link).as_deref(), Some("https://api.github.com/orgs/a/repos?page=2"));
        assert_eq!(next_link(r#"<https://x/?page=1>; rel="prev""#), None);
    }
}
