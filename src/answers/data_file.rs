//! `--data-file`: answers from a TOML, YAML or JSON file.

use indexmap::IndexMap;

use super::AnswerError;

fn yaml_error(file: &str, report: &str) -> String {
    let first = report.lines().next().unwrap_or(report).trim_start_matches("error: ");
    let located = first.strip_prefix("line ").and_then(|rest| {
        let (line, rest) = rest.split_once(" column ")?;
        let (col, msg) = rest.split_once(": ")?;
        Some(format!("{file}:{line}:{col}: {msg}"))
    });
    located.unwrap_or_else(|| format!("{file}: {first}"))
}

/// Reads `--data-file` (TOML, YAML or JSON, by extension; JSON when unknown).
pub(crate) fn load_data_file(path: &std::path::Path) -> Result<IndexMap<String, serde_json::Value>, AnswerError> {
    let shown = path.display().to_string();
    let text = crate::fs::read_to_string(path).map_err(|e| AnswerError::DataFile(format!("--data-file: {e}")))?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let map: IndexMap<String, serde_json::Value> = match ext.as_str() {
        "toml" => toml::from_str(&text).map_err(|e| {
            AnswerError::DataFile(crate::diagnostic::SourceError::from_toml(&shown, &text, &e).to_string())
        })?,
        "yaml" | "yml" => {
            serde_saphyr::from_str(&text).map_err(|e| AnswerError::DataFile(yaml_error(&shown, &e.to_string())))?
        }
        "json" => serde_json::from_str(&text).map_err(|e| {
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            AnswerError::DataFile(format!("{shown}:{}:{}: {msg}", e.line(), e.column()))
        })?,
        _ => {
            return Err(AnswerError::DataFile(format!(
                "{shown}: unknown answers file type: name it .toml, .yaml, .yml or .json"
            )));
        }
    };
    Ok(map)
}
