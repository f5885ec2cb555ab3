//! Telemetry start-up: JSON logs on stdout, OpenTelemetry traces over OTLP/HTTP when an
//! endpoint is configured, and the metrics pipeline behind `/metrics`.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::config::Config;
use crate::metrics::{Metrics, MetricsError};

/// The running telemetry pipelines; call [`Telemetry::shutdown`] before exiting so that
/// buffered spans are flushed.
#[derive(Debug)]
pub struct Telemetry {
    /// The metrics the service records.
    pub metrics: Metrics,
    tracer_provider: Option<SdkTracerProvider>,
}

/// Why telemetry could not start.
#[derive(Debug)]
pub enum TelemetryError {
    /// `RUST_LOG` does not parse.
    LogFilter(String),
    /// The OTLP exporter could not be built.
    Exporter(String),
    /// The metrics pipeline could not be built.
    Metrics(MetricsError),
    /// A global subscriber was already installed.
    AlreadyInitialised(String),
}

impl std::fmt::Display for TelemetryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::LogFilter(e) => write!(f, "RUST_LOG is invalid: {e}"),
            Self::Exporter(e) => write!(f, "cannot build the OTLP span exporter: {e}"),
            Self::Metrics(e) => write!(f, "{e}"),
            Self::AlreadyInitialised(e) => write!(f, "logging is already set up: {e}"),
        }
    }
}

impl std::error::Error for TelemetryError {}

/// The OpenTelemetry resource describing this process. `OTEL_RESOURCE_ATTRIBUTES` (for example
/// `deployment.environment.name=production`, set by the Kubernetes overlays) is merged in.
#[must_use]
pub fn resource() -> Resource {
    Resource::builder()
        .with_service_name(env!("CARGO_PKG_NAME"))
        .with_attribute(opentelemetry::KeyValue::new(
            "service.version",
            env!("CARGO_PKG_VERSION"),
        ))
        .build()
}

/// Installs the global subscriber (JSON logs, and spans to OTLP when configured) and builds the
/// metrics pipeline.
///
/// # Errors
/// When `RUST_LOG` is invalid, an exporter cannot be built, or logging was already set up.
pub fn init(config: &Config) -> Result<Telemetry, TelemetryError> {
    let resource = resource();
    let filter = EnvFilter::try_new(&config.log_filter)
        .map_err(|e| TelemetryError::LogFilter(e.to_string()))?;
    let json_logs = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true);

    let tracer_provider = match &config.otlp_endpoint {
        None => None,
        Some(endpoint) => {
            let exporter = SpanExporter::builder()
                .with_http()
                .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
                .build()
                .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
            Some(
                SdkTracerProvider::builder()
                    .with_resource(resource.clone())
                    .with_batch_exporter(exporter)
                    .build(),
            )
        }
    };
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let otel_layer = tracer_provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer(env!("CARGO_PKG_NAME")))
            .boxed()
    });

    tracing_subscriber::registry()
        .with(filter)
        .with(json_logs)
        .with(otel_layer)
        .try_init()
        .map_err(|e| TelemetryError::AlreadyInitialised(e.to_string()))?;

    let metrics = Metrics::new(resource).map_err(TelemetryError::Metrics)?;
    Ok(Telemetry {
        metrics,
        tracer_provider,
    })
}

impl Telemetry {
    /// Flushes buffered spans and stops the pipelines.
    pub fn shutdown(self) {
        if let Some(provider) = self.tracer_provider
            && let Err(e) = provider.shutdown()
        {
            tracing::warn!(error = %e, "trace shutdown failed");
        }
        self.metrics.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resource_names_the_service() {
        let r = resource();
        let name = r
            .get(&opentelemetry::Key::new("service.name"))
            .map(|v| v.to_string());
        assert_eq!(name.as_deref(), Some(env!("CARGO_PKG_NAME")));
    }
}
