//! What a template reads of its context, told from its text without parsing it: an upgrade
//! renders only the files whose output can differ between the two versions' renders.
//!
//! The reading is conservative. Every name inside a `{{ }}` or `{% %}` region counts, keywords,
//! filters and loop variables included, so a file is only ever rendered when it need not be,
//! never the other way round. A region ends at its closing delimiter outside a string literal,
//! as Tera's lexer ends it; one that never closes runs to the end of the text.

use std::collections::BTreeSet;

/// A context value by its dotted path: `["template", "version"]`.
pub(crate) type Name = Vec<String>;

/// What a template's output depends on besides its own text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reads {
    /// These context values (a name's prefix stands for everything under it), and nothing else.
    Names(BTreeSet<Name>),
    /// More than its text shows: another template (`include`, `extends`, `import`), a component
    /// defined elsewhere (`<Name … />`), or the whole context (`__tera_context`).
    Opaque,
}

impl Reads {
    /// What two texts read together.
    pub(crate) fn union(self, other: Self) -> Self {
        match (self, other) {
            (Self::Names(mut a), Self::Names(b)) => {
                a.extend(b);
                Self::Names(a)
            }
            _ => Self::Opaque,
        }
    }

    /// Whether a template that reads this may render differently when the values at `changed`
    /// differ (and nothing else does).
    pub(crate) fn touches(&self, changed: &[Name]) -> bool {
        match self {
            Self::Opaque => true,
            Self::Names(names) => names.iter().any(|n| changed.iter().any(|c| n.iter().zip(c).all(|(a, b)| a == b))),
        }
    }
}

/// Names that make a template read more than its own text.
const OPAQUE: [&str; 4] = ["include", "extends", "import", "__tera_context"];

/// Reads a template's text.
pub(crate) fn reads(text: &str) -> Reads {
    let b = text.as_bytes();
    let mut names = BTreeSet::new();
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'{', &b[i..]) {
        let open = i + p;
        let start = open + 2;
        match b.get(open + 1) {
            Some(b'#') => {
                i = memchr::memmem::find(&b[start..], b"#}").map_or(b.len(), |e| start + e + 2);
            }
            Some(&kind @ (b'{' | b'%')) => {
                let close = if kind == b'{' { b'}' } else { b'%' };
                match region(b, start, close, &mut names) {
                    Some(end) => i = end,
                    None => return Reads::Opaque,
                }
            }
            _ => i = open + 1,
        }
    }
    Reads::Names(names)
}

/// Reads one region from `start`, adding its names; returns where the text resumes, or `None`
/// when the region makes the template opaque.
fn region(b: &[u8], start: usize, close: u8, names: &mut BTreeSet<Name>) -> Option<usize> {
    let mut j = start;
    while j < b.len() {
        let c = b[j];
        match c {
            b'"' | b'\'' | b'`' => {
                // Tera's strings have no escapes: the next same quote ends one.
                j = b[j + 1..].iter().position(|&q| q == c).map_or(b.len(), |p| j + 2 + p);
            }
            _ if c == close && b.get(j + 1) == Some(&b'}') => return Some(j + 2),
            b'<' if b.get(j + 1).is_some_and(|n| n.is_ascii_alphabetic() || *n == b'/' || *n == b'_') => return None,
            _ if c.is_ascii_digit() => {
                j += b[j..]
                    .iter()
                    .position(|n| !(n.is_ascii_alphanumeric() || *n == b'_' || *n == b'.'))
                    .unwrap_or(b.len() - j);
            }
            _ if is_ident_start(c) => {
                let attribute = j > start && b[j - 1] == b'.';
                let mut name: Name = Vec::new();
                loop {
                    let len = b[j..].iter().position(|n| !is_ident(*n)).unwrap_or(b.len() - j);
                    name.push(String::from_utf8_lossy(&b[j..j + len]).into_owned());
                    j += len;
                    if b.get(j) == Some(&b'.') && b.get(j + 1).is_some_and(|n| is_ident_start(*n)) {
                        j += 1;
                    } else {
                        break;
                    }
                }
                // `x[0].y` and `(a).b`: the value before the dot is already counted whole.
                if !attribute {
                    if OPAQUE.contains(&name[0].as_str()) {
                        return None;
                    }
                    names.insert(name);
                }
            }
            _ => j += 1,
        }
    }
    Some(b.len())
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The dotted paths at which two contexts differ: a value only one has, or a different value.
/// Objects are compared key by key; anything else whole.
pub(crate) fn changed(
    old: &serde_json::Map<String, serde_json::Value>,
    new: &serde_json::Map<String, serde_json::Value>,
) -> Vec<Name> {
    let mut out = Vec::new();
    diff_maps(old, new, &mut Vec::new(), &mut out);
    out
}

fn diff_maps(
    old: &serde_json::Map<String, serde_json::Value>,
    new: &serde_json::Map<String, serde_json::Value>,
    path: &mut Name,
    out: &mut Vec<Name>,
) {
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for key in keys {
        path.push(key.clone());
        match (old.get(key), new.get(key)) {
            (Some(serde_json::Value::Object(a)), Some(serde_json::Value::Object(b))) => diff_maps(a, b, path, out),
            (a, b) if a != b => out.push(path.clone()),
            _ => {}
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        match reads(text) {
            Reads::Names(n) => n.into_iter().map(|n| n.join(".")).collect(),
            Reads::Opaque => vec!["<opaque>".into()],
        }
    }

    #[test]
    fn names_inside_regions_only() {
        assert_eq!(names("template: {{ service_name }} import \"fmt\""), ["service_name"]);
        assert_eq!(names("{{ template.version }} {{ template . name }}"), ["name", "template", "template.version"]);
        assert_eq!(names("{%- if tier == \"tier-1\" and db %}x{% endif -%}"), ["and", "db", "endif", "if", "tier"]);
        assert_eq!(names("{# {{ secret }} #}{{ port | json_encode }}"), ["json_encode", "port"]);
        assert_eq!(names("{{ items[0].name }} {{ 1.5e3 }}"), ["items"]);
    }

    #[test]
    fn strings_do_not_end_a_region() {
        assert_eq!(names("{{ \"}}\" ~ team }} after {{ port }}"), ["port", "team"]);
        assert_eq!(names("{% set x = '%}' %}{{ x ~ y }}"), ["set", "x", "y"]);
        // An unclosed region or string runs to the end: everything after it counts.
        assert_eq!(names("{{ a ~ \"x }} {{ b }}"), ["a"]);
        assert_eq!(names("{{ a }} {{ b"), ["a", "b"]);
    }

    #[test]
    fn other_templates_and_components_are_opaque() {
        for text in [
            "{% include \"partials/header.tera\" %}",
            "{%- extends \"base.tera\" -%}",
            "{% import \"macros.tera\" as m %}{{ m::x() }}",
            "{{ <Badge label=\"x\" /> }}",
            "{% <Card> %}body{% </Card> %}",
            "{{ __tera_context }}",
        ] {
            assert_eq!(reads(text), Reads::Opaque, "{text}");
        }
        // The words outside a region are text.
        assert_ne!(reads("include import extends <Badge/>"), Reads::Opaque);
        assert_ne!(reads("{{ a < b }}"), Reads::Opaque);
    }

    #[test]
    fn touches_by_prefix_either_way() {
        let changed = vec![vec!["template".to_string(), "version".to_string()], vec!["port".to_string()]];
        let r = |t: &str| reads(t).touches(&changed);
        assert!(r("{{ template.version }}"));
        assert!(r("{{ template | json_encode }}"));
        assert!(r("{{ port }}"));
        assert!(!r("{{ template.name }} {{ team }}"));
        assert!(!r("no regions at all"));
    }

    #[test]
    fn changed_paths_go_into_objects() {
        let old = serde_json::json!({"template": {"name": "svc", "version": "1.0.0"}, "port": 1, "gone": true});
        let new = serde_json::json!({"template": {"name": "svc", "version": "2.0.0"}, "port": 1, "added": [1]});
        let (serde_json::Value::Object(old), serde_json::Value::Object(new)) = (old, new) else { unreachable!() };
        let got: Vec<String> = changed(&old, &new).into_iter().map(|n| n.join(".")).collect();
        assert_eq!(got, ["added", "gone", "template.version"]);
    }
}
