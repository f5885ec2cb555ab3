//! Runtime configuration, read once from the environment at start-up.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// Everything the service reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Address the HTTP server listens on (`PORT`, default 8080, on all interfaces).
    pub listen_addr: SocketAddr,
    /// Log filter in `tracing` syntax (`RUST_LOG`, default `info`).
    pub log_filter: String,
    /// OTLP/HTTP endpoint for traces (`OTEL_EXPORTER_OTLP_ENDPOINT`); no traces are exported
    /// when it is unset.
    pub otlp_endpoint: Option<String>,
    /// How long to keep serving after SIGTERM while `/readyz` already fails, so that load
    /// balancers stop sending traffic first (`SHUTDOWN_DELAY_SECONDS`, default 5).
    pub shutdown_delay: Duration,
}

/// A variable that is set but unusable.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable.
    pub name: &'static str,
    /// Its value.
    pub value: String,
    /// What it should be.
    pub expected: &'static str,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}={:?} is invalid: expected {}",
            self.name, self.value, self.expected
        )
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads the configuration from the process environment.
    ///
    /// # Errors
    /// When a variable is set to a value that cannot be used.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, which returns a variable's value if it is set.
    ///
    /// # Errors
    /// When a variable is set to a value that cannot be used.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let port = match lookup("PORT") {
            None => 8080,
            Some(v) => v.parse::<u16>().map_err(|_| ConfigError {
                name: "PORT",
                value: v,
                expected: "a TCP port number",
            })?,
        };
        let shutdown_delay = match lookup("SHUTDOWN_DELAY_SECONDS") {
            None => Duration::from_secs(5),
            Some(v) => Duration::from_secs(v.parse::<u64>().map_err(|_| ConfigError {
                name: "SHUTDOWN_DELAY_SECONDS",
                value: v,
                expected: "a whole number of seconds",
            })?),
        };
        Ok(Self {
            listen_addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port),
            log_filter: lookup("RUST_LOG").unwrap_or_else(|| "info".to_owned()),
            otlp_endpoint: lookup("OTEL_EXPORTER_OTLP_ENDPOINT").filter(|v| !v.is_empty()),
            shutdown_delay,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.listen_addr.port(), 8080);
        assert_eq!(c.log_filter, "info");
        assert_eq!(c.otlp_endpoint, None);
        assert_eq!(c.shutdown_delay, Duration::from_secs(5));
    }

    #[test]
    fn variables_override_defaults() {
        let c = config(&[
            ("PORT", "9000"),
            ("RUST_LOG", "debug"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("SHUTDOWN_DELAY_SECONDS", "0"),
        ])
        .expect("valid");
        assert_eq!(c.listen_addr.port(), 9000);
        assert_eq!(c.log_filter, "debug");
        assert_eq!(c.otlp_endpoint.as_deref(), Some("http://collector:4318"));
        assert_eq!(c.shutdown_delay, Duration::ZERO);
    }

    #[test]
    fn an_empty_endpoint_disables_trace_export() {
        let c = config(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "")]).expect("valid");
        assert_eq!(c.otlp_endpoint, None);
    }

    #[test]
    fn a_bad_port_names_the_variable() {
        let e = config(&[("PORT", "http")]).expect_err("not a port");
        assert_eq!(e.name, "PORT");
        assert!(e.to_string().contains("expected a TCP port number"), "{e}");
    }
}
