//! Metrics: OpenTelemetry instruments named after the stable HTTP semantic conventions,
//! exported in the Prometheus text format on `/metrics`.
//!
//! `http.server.request.duration` (unit `s`) becomes
//! `http_server_request_duration_seconds_{bucket,sum,count}` in Prometheus, with the labels
//! `http_request_method`, `http_route`, `http_response_status_code` and, for 5xx responses,
//! `error_type`. The service's own metrics live under the `app.` namespace (`app.hello.requests`
//! becomes `app_hello_requests_total`), apart from the semantic-convention names.

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, MeterProvider as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use prometheus::{Encoder as _, Registry, TextEncoder};

use crate::objectives::LATENCY_THRESHOLD_SECONDS;

/// Bucket boundaries advised by the semantic conventions for `http.server.request.duration`.
const ADVISED_BOUNDARIES: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The instruments the service records and the registry `/metrics` reads them from.
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Registry,
    provider: SdkMeterProvider,
    request_duration: Histogram<f64>,
    hello_requests: Counter<u64>,
}

/// The request attributes of one HTTP measurement.
#[derive(Debug, Clone, Copy)]
pub struct RequestAttributes<'a> {
    /// `http.request.method`, e.g. `GET`.
    pub method: &'a str,
    /// `http.route`, the matched route template, e.g. `/v1/hello/{name}`; `None` when no
    /// route matched (the attribute is then left out, as the conventions require).
    pub route: Option<&'a str>,
    /// `http.response.status_code`.
    pub status: u16,
}

/// Why the metrics pipeline could not be built or read.
#[derive(Debug)]
pub struct MetricsError(String);

impl std::fmt::Display for MetricsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "metrics: {}", self.0)
    }
}

impl std::error::Error for MetricsError {}

/// The histogram boundaries: the advised ones plus the latency objective's threshold.
#[must_use]
pub fn boundaries() -> Vec<f64> {
    let mut b = ADVISED_BOUNDARIES.to_vec();
    if !b.contains(&LATENCY_THRESHOLD_SECONDS) {
        b.push(LATENCY_THRESHOLD_SECONDS);
        b.sort_by(f64::total_cmp);
    }
    b
}

impl Metrics {
    /// Builds the meter provider, its Prometheus exporter and the instruments.
    ///
    /// # Errors
    /// When the Prometheus exporter cannot be registered.
    pub fn new(resource: Resource) -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let exporter = opentelemetry_prometheus::exporter()
            .with_registry(registry.clone())
            .build()
            .map_err(|e| MetricsError(e.to_string()))?;
        let provider = SdkMeterProvider::builder()
            .with_resource(resource)
            .with_reader(exporter)
            .build();
        let meter = provider.meter(env!("CARGO_PKG_NAME"));
        let request_duration = meter
            .f64_histogram("http.server.request.duration")
            .with_unit("s")
            .with_description("Duration of HTTP server requests.")
            .with_boundaries(boundaries())
            .build();
        let hello_requests = meter
            .u64_counter("app.hello.requests")
            .with_description("Greetings served by /v1/hello.")
            .build();
        Ok(Self {
            registry,
            provider,
            request_duration,
            hello_requests,
        })
    }

    /// Records one finished HTTP request.
    pub fn record_request(&self, attrs: RequestAttributes<'_>, seconds: f64) {
        let mut kv = vec![
            KeyValue::new("http.request.method", attrs.method.to_owned()),
            KeyValue::new("http.response.status_code", i64::from(attrs.status)),
        ];
        if let Some(route) = attrs.route {
            kv.push(KeyValue::new("http.route", route.to_owned()));
        }
        if attrs.status >= 500 {
            kv.push(KeyValue::new("error.type", attrs.status.to_string()));
        }
        self.request_duration.record(seconds, &kv);
    }

    /// Counts one greeting.
    pub fn record_hello(&self) {
        self.hello_requests.add(1, &[]);
    }

    /// The current values in the Prometheus text exposition format.
    ///
    /// # Errors
    /// When the registry cannot be encoded.
    pub fn encode(&self) -> Result<String, MetricsError> {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .map_err(|e| MetricsError(e.to_string()))?;
        String::from_utf8(out).map_err(|e| MetricsError(e.to_string()))
    }

    /// Flushes and stops the meter provider.
    pub fn shutdown(&self) {
        if let Err(e) = self.provider.shutdown() {
            tracing::warn!(error = %e, "metrics shutdown failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics() -> Metrics {
        Metrics::new(Resource::builder_empty().build()).expect("metrics build")
    }

    #[test]
    fn boundaries_are_sorted_and_hold_the_latency_threshold() {
        let b = boundaries();
        assert!(b.windows(2).all(|w| w[0] < w[1]), "{b:?}");
        assert!(b.contains(&LATENCY_THRESHOLD_SECONDS));
    }

    #[test]
    fn request_duration_is_exported_under_the_semantic_convention_name() {
        let m = metrics();
        m.record_request(
            RequestAttributes {
                method: "GET",
                route: Some("/v1/hello/{name}"),
                status: 200,
            },
            0.002,
        );
        let text = m.encode().expect("encode");
        assert!(
            text.contains("# TYPE http_server_request_duration_seconds histogram"),
            "{text}"
        );
        let count = text
            .lines()
            .find(|l| l.starts_with("http_server_request_duration_seconds_count{"))
            .expect("a count series");
        assert!(count.contains(r#"http_request_method="GET""#), "{count}");
        assert!(
            count.contains(r#"http_route="/v1/hello/{name}""#),
            "{count}"
        );
        assert!(
            count.contains(r#"http_response_status_code="200""#),
            "{count}"
        );
        assert!(!count.contains("error_type"), "{count}");
        assert!(count.ends_with(" 1"), "{count}");
    }

    #[test]
    fn the_latency_threshold_is_a_bucket() {
        let m = metrics();
        m.record_request(
            RequestAttributes {
                method: "GET",
                route: None,
                status: 404,
            },
            LATENCY_THRESHOLD_SECONDS,
        );
        let text = m.encode().expect("encode");
        let le = format!(r#"le="{LATENCY_THRESHOLD_SECONDS}""#);
        let bucket = text
            .lines()
            .find(|l| {
                l.starts_with("http_server_request_duration_seconds_bucket") && l.contains(&le)
            })
            .unwrap_or_else(|| panic!("no bucket with {le} in {text}"));
        assert!(bucket.ends_with(" 1"), "{bucket}");
    }

    #[test]
    fn server_errors_carry_error_type() {
        let m = metrics();
        m.record_request(
            RequestAttributes {
                method: "POST",
                route: Some("/v1/hello/{name}"),
                status: 503,
            },
            0.1,
        );
        let text = m.encode().expect("encode");
        assert!(text.contains(r#"error_type="503""#), "{text}");
    }

    #[test]
    fn greetings_are_counted() {
        let m = metrics();
        m.record_hello();
        m.record_hello();
        let text = m.encode().expect("encode");
        let line = text
            .lines()
            .find(|l| l.starts_with("app_hello_requests_total"))
            .unwrap_or_else(|| panic!("no app_hello_requests_total in {text}"));
        assert!(line.ends_with(" 2"), "{line}");
    }
}
