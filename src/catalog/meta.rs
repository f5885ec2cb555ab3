//! catalog.toml's own tables: the catalog, its default support promise, and the maturity
//! labels of its templates.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How far along its life a golden path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Maturity {
    /// Needs an explicit opt-in.
    Experimental,
    /// Usable, may still change.
    Beta,
    /// The recommended path.
    Stable,
    /// Works, but a replacement is recommended.
    Deprecated,
    /// Refused for new projects and upgrades.
    Retired,
}

impl fmt::Display for Maturity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Experimental => "experimental",
            Self::Beta => "beta",
            Self::Stable => "stable",
            Self::Deprecated => "deprecated",
            Self::Retired => "retired",
        })
    }
}

/// The support promise of the platform team, or of one template.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Support {
    /// Response hours.
    #[serde(default)]
    pub hours: Option<String>,
    /// Where to ask.
    #[serde(default)]
    pub channel: Option<String>,
    /// Escalation path.
    #[serde(default)]
    pub escalation: Option<String>,
    /// Who owns template defects.
    #[serde(default)]
    pub defects: Option<String>,
    /// How to request a capability.
    #[serde(default)]
    pub requests: Option<String>,
}

impl Support {
    /// The promise's fields that are set, as (label, value), in the order users read them.
    pub(crate) fn fields(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("hours", &self.hours),
            ("channel", &self.channel),
            ("escalation", &self.escalation),
            ("template defects", &self.defects),
            ("requests", &self.requests),
        ]
        .into_iter()
        .filter_map(|(label, value)| value.as_deref().map(|v| (label, v)))
    }

    /// This promise with the gaps filled from `fallback`.
    pub(super) fn or(&self, fallback: &Support) -> Support {
        Support {
            hours: self.hours.clone().or_else(|| fallback.hours.clone()),
            channel: self.channel.clone().or_else(|| fallback.channel.clone()),
            escalation: self.escalation.clone().or_else(|| fallback.escalation.clone()),
            defects: self.defects.clone().or_else(|| fallback.defects.clone()),
            requests: self.requests.clone().or_else(|| fallback.requests.clone()),
        }
    }
}

/// `[catalog]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogMeta {
    /// The catalog's name.
    pub name: String,
    /// The team that publishes it.
    pub owner: String,
    /// Longest allowed life of an exception, in days.
    #[serde(default)]
    pub max_exception_days: Option<u32>,
}
