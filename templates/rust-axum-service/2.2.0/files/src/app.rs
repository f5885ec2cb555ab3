//! The HTTP surface: probes, metrics and the API, with one instrumentation layer that records
//! every API request as a span and in `http.server.request.duration`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::metrics::{Metrics, RequestAttributes};

/// Shared state of the handlers.
#[derive(Clone, Debug)]
pub struct AppState {
    metrics: Metrics,
    ready: Arc<AtomicBool>,
}

impl AppState {
    /// New state; the service starts ready.
    #[must_use]
    pub fn new(metrics: Metrics) -> Self {
        Self {
            metrics,
            ready: Arc::new(AtomicBool::new(true)),
        }
    }

    /// Makes `/readyz` fail (on shutdown) or pass again.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }

    /// The metrics the handlers record into.
    #[must_use]
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// The whole router. Probes and `/metrics` are not instrumented, so that they do not count
/// against the service level objectives.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/v1/hello/{name}", get(hello))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), instrument));
    Router::new()
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(api)
        .with_state(state)
}

/// Liveness: the process is serving HTTP.
async fn livez() -> &'static str {
    "ok"
}

/// Readiness: the service wants traffic (false while shutting down).
async fn readyz(State(state): State<AppState>) -> Response {
    if state.ready.load(Ordering::SeqCst) {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response()
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    match state.metrics.encode() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A greeting.
#[derive(Debug, Serialize)]
struct Greeting {
    message: String,
}

/// A client error, as JSON.
#[derive(Debug, Serialize)]
struct Problem {
    error: &'static str,
}

/// `GET /v1/hello/{name}`: the example endpoint. Replace it with the service's own API.
async fn hello(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    if name.chars().count() > 64 {
        return (
            StatusCode::BAD_REQUEST,
            Json(Problem {
                error: "name is longer than 64 characters",
            }),
        )
            .into_response();
    }
    state.metrics.record_hello();
    tracing::debug!(%name, "greeting");
    Json(Greeting {
        message: format!("Hello, {name}!"),
    })
    .into_response()
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(Problem { error: "not found" })).into_response()
}

/// Reads W3C trace context (`traceparent`) from request headers.
struct HeaderExtractor<'a>(&'a HeaderMap);

impl opentelemetry::propagation::Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(axum::http::HeaderName::as_str).collect()
    }
}

/// Wraps each API request in a server span (continuing the caller's trace) and records its
/// duration with the semantic-convention attributes.
async fn instrument(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let span_name = match &route {
        Some(r) => format!("{method} {r}"),
        None => method.clone(),
    };
    let span = tracing::info_span!(
        "request",
        otel.name = %span_name,
        otel.kind = "server",
        http.request.method = %method,
        http.route = route.as_deref(),
        http.response.status_code = tracing::field::Empty,
    );
    let parent = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract(&HeaderExtractor(request.headers()))
    });
    // Without a trace exporter there is no OpenTelemetry layer: nothing to attach to.
    let _ = span.set_parent(parent);

    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let seconds = start.elapsed().as_secs_f64();
    span.record("http.response.status_code", status);
    state.metrics.record_request(
        RequestAttributes {
            method: &method,
            route: route.as_deref(),
            status,
        },
        seconds,
    );
    span.in_scope(|| {
        tracing::info!(status, duration_ms = seconds * 1000.0, "request finished");
    });
    response
}

#[cfg(test)]
mod tests {
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use opentelemetry_sdk::Resource;
    use tower::ServiceExt as _;

    use super::*;

    fn state() -> AppState {
        AppState::new(Metrics::new(Resource::builder_empty().build()).expect("metrics"))
    }

    async fn get_text(app: Router, uri: &str) -> (StatusCode, String) {
        let response = app
            .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        let status = response.status();
        let body = to_bytes(response.into_body(), 1 << 20).await.expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn livez_is_ok() {
        assert_eq!(
            get_text(router(state()), "/livez").await,
            (StatusCode::OK, "ok".into())
        );
    }

    #[tokio::test]
    async fn readyz_fails_while_shutting_down() {
        let s = state();
        assert_eq!(
            get_text(router(s.clone()), "/readyz").await.0,
            StatusCode::OK
        );
        s.set_ready(false);
        assert_eq!(
            get_text(router(s), "/readyz").await.0,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[tokio::test]
    async fn hello_greets_and_is_measured() {
        let s = state();
        let (status, body) = get_text(router(s.clone()), "/v1/hello/ada").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, r#"{"message":"Hello, ada!"}"#);

        let (status, text) = get_text(router(s), "/metrics").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            text.lines().any(
                |l| l.starts_with("http_server_request_duration_seconds_count{")
                    && l.contains(r#"http_route="/v1/hello/{name}""#)
                    && l.contains(r#"http_response_status_code="200""#)
            ),
            "{text}"
        );
        assert!(text.contains("app_hello_requests_total"), "{text}");
    }

    #[tokio::test]
    async fn probes_are_not_measured() {
        let s = state();
        let _ = get_text(router(s.clone()), "/livez").await;
        let _ = get_text(router(s.clone()), "/readyz").await;
        let (_, text) = get_text(router(s), "/metrics").await;
        assert!(!text.contains("http_route=\"/livez\""), "{text}");
        assert!(!text.contains("http_route=\"/readyz\""), "{text}");
    }

    #[tokio::test]
    async fn a_long_name_is_a_bad_request() {
        let long = "a".repeat(65);
        let (status, body) = get_text(router(state()), &format!("/v1/hello/{long}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("longer than 64"), "{body}");
    }

    #[tokio::test]
    async fn unknown_paths_are_json_404s_without_a_route() {
        let s = state();
        let (status, body) = get_text(router(s.clone()), "/nope").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body, r#"{"error":"not found"}"#);
        let (_, text) = get_text(router(s), "/metrics").await;
        let line = text
            .lines()
            .find(|l| l.contains(r#"http_response_status_code="404""#) && l.contains("_count{"))
            .unwrap_or_else(|| panic!("404 not measured: {text}"));
        assert!(!line.contains("http_route"), "{line}");
    }
}
