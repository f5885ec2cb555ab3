//! The one Tera configuration pave renders with, for files, paths, defaults and `when`: no
//! autoescaping, pave's filters, and nothing that reads the environment, files or the network
//! (Tera 2 has no `get_env`, `now` or file loaders unless asked for).

use std::fmt::Write as _;

use heck::{ToKebabCase, ToPascalCase, ToShoutySnakeCase, ToSnakeCase};

/// Tera's message without its leading `error: ` (we print our own).
pub(crate) fn tera_message(e: &tera::Error) -> String {
    let mut text = e.to_string();
    if let Some(rest) = text.strip_prefix("error: ") {
        text = rest.to_string();
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let _ = write!(text, ": {s}");
        source = s.source();
    }
    text
}

/// A Tera with our filters and no autoescaping (we render code and config, not web pages).
pub(crate) fn engine() -> tera::Tera {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(Vec::<&str>::new());
    tera.register_filter("kebab_case", |s: &str, _: tera::Kwargs, _: &tera::State| s.to_kebab_case());
    tera.register_filter("snake_case", |s: &str, _: tera::Kwargs, _: &tera::State| s.to_snake_case());
    tera.register_filter("pascal_case", |s: &str, _: tera::Kwargs, _: &tera::State| s.to_pascal_case());
    tera.register_filter("shouty_snake_case", |s: &str, _: tera::Kwargs, _: &tera::State| s.to_shouty_snake_case());
    // Quoting filters, so an answer cannot break the YAML/TOML/JSON string it lands in.
    tera.register_filter("json_encode", |v: tera::Value, _: tera::Kwargs, _: &tera::State| {
        serde_json::to_string(&v).unwrap_or_default()
    });
    tera.register_filter("toml_string", |s: &str, _: tera::Kwargs, _: &tera::State| {
        toml::Value::String(s.to_string()).to_string()
    });
    tera
}
