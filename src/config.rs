//! The user's configuration, `$XDG_CONFIG_HOME/pave/config.toml` (else `~/.config/pave/`):
//! a default catalog and default answers. Flags beat the environment, which beats this file,
//! which beats the template's own defaults.

use std::path::PathBuf;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::diagnostic::SourceError;
use crate::fs::{self, EntryKind};

/// `config.toml`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    /// The catalog to use when neither `--catalog` nor `PAVE_CATALOG` is given.
    #[serde(default)]
    pub catalog: Option<String>,
    /// Defaults for questions of any template (`owner = "team-payments"`).
    #[serde(default)]
    pub answers: IndexMap<String, toml::Value>,
    /// Where it was read from, for messages.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// The config file's path.
pub(crate) fn path() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|base| base.join("pave").join("config.toml"))
}

/// A config file that cannot be read or parsed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    /// It does not parse, or has an unknown key.
    #[error("{0}")]
    Invalid(Box<SourceError>),
    /// It could not be read.
    #[error(transparent)]
    Fs(#[from] fs::FsError),
}

/// Reads the config file; none is an empty config.
pub(crate) fn load() -> Result<Config, ConfigError> {
    let Some(path) = path() else { return Ok(Config::default()) };
    if fs::entry_kind(&path)? != Some(EntryKind::File) {
        return Ok(Config::default());
    }
    let text = fs::read_to_string(&path)?;
    let shown = path.display().to_string();
    let mut config: Config =
        toml::from_str(&text).map_err(|e| ConfigError::Invalid(Box::new(SourceError::from_toml(&shown, &text, &e))))?;
    config.path = Some(path);
    Ok(config)
}

impl Config {
    /// The default answers as data values.
    pub(crate) fn answer_defaults(&self) -> IndexMap<String, serde_json::Value> {
        self.answers.iter().filter_map(|(k, v)| serde_json::to_value(v).ok().map(|j| (k.clone(), j))).collect()
    }
}
