//! `pave fleet history`: each project's `.pave.toml` through the history of its repository's
//! checked-out branch, as dated events (created, upgraded, exceptions recorded, renewed,
//! removed, expired), with what made the record incomplete (a cut or rewritten history, a
//! malformed version in an old commit). One repository failing never stops the others.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Project;
use super::dates::Day;
use crate::git::{FileHistories, FileVersion};
use crate::project::{FILE_NAME, ProjectFile};

/// One dated change of a project's record. Field names follow `.pave.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Event {
    /// The committer's day of the commit (or the expiry's next day for `exception-expired`).
    pub date: Day,
    /// `created`, `upgraded`, `downgraded`, `switched`, `moved`, `removed`, `history-cut`,
    /// `exception-added`, `exception-renewed`, `exception-removed`, `exception-expired`,
    /// `unreadable`.
    #[serde(rename = "event")]
    pub kind: &'static str,
    /// The template (for `created`, `upgraded`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// The version it is on after the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The version (or template, or directory) before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The version (or template, or directory) after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// An exception's rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// An exception's owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// An exception's expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The commit (absent for `exception-expired`, which no commit makes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Why the record could not be read, for `unreadable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Event {
    fn new(date: Day, kind: &'static str) -> Self {
        Self {
            date,
            kind,
            template: None,
            version: None,
            from: None,
            to: None,
            rule: None,
            owner: None,
            expires: None,
            commit: None,
            message: None,
        }
    }
}

/// One project's history.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ProjectHistory {
    /// The project, as `fleet status` names it.
    pub path: String,
    /// The template it is on now (last readable record).
    pub template: Option<String>,
    /// The version it is on now.
    pub version: Option<String>,
    /// The owning team: the answer `owner` or `team`, else catalog-info.yaml `spec.owner`.
    pub owner: Option<String>,
    /// The branch walked.
    pub branch: Option<String>,
    /// The events, oldest first.
    pub events: Vec<Event>,
    /// The day a shallow clone cuts the history: nothing before it is known.
    pub history_cut: Option<Day>,
    /// What made the record incomplete or odd, in words.
    pub notes: Vec<String>,
    /// Why the history could not be read at all.
    pub error: Option<String>,
    /// Commits walked in its repository.
    #[serde(skip)]
    pub commits: usize,
}

impl ProjectHistory {
    /// A project (or repository) whose history could not be read.
    pub(crate) fn failed(path: String, error: String) -> Self {
        Self {
            path,
            template: None,
            version: None,
            owner: None,
            branch: None,
            events: Vec::new(),
            history_cut: None,
            notes: Vec::new(),
            error: Some(error),
            commits: 0,
        }
    }
}

/// The state a record carries from one version to the next.
#[derive(Clone)]
struct State {
    template: String,
    version: semver::Version,
    exceptions: BTreeMap<String, (String, Option<Day>, String)>,
    owner: Option<String>,
}

fn state_of(file: &ProjectFile) -> State {
    let owner =
        ["owner", "team"].iter().find_map(|k| file.answers.get(*k).and_then(|v| v.as_str()).map(str::to_string));
    State {
        template: file.template.name.clone(),
        version: file.template.version.clone(),
        exceptions: file
            .exceptions
            .iter()
            .map(|e| {
                let expires = e.expires.date.map(Day::from_toml);
                (e.rule.clone(), (e.owner.clone(), expires, e.expires.to_string()))
            })
            .collect(),
        owner,
    }
}

/// Turns the versions of one project's `.pave.toml` into events; `today` decides which open
/// exceptions have expired.
fn events(versions: &[FileVersion], cut_commit: Option<&str>, today: Day) -> (Vec<Event>, Option<State>) {
    let mut out = Vec::new();
    let mut last: Option<State> = None;
    for (i, v) in versions.iter().enumerate() {
        let date = Day::from_time(v.time, v.offset_minutes);
        let at = |mut e: Event| {
            e.commit = Some(v.commit.clone());
            e
        };
        if let Some(from) = &v.moved_from {
            let dir = |p: &str| p.strip_suffix(FILE_NAME).unwrap_or(p).trim_end_matches('/').to_string();
            let mut e = Event::new(date, "moved");
            e.from = Some(dir(from).if_empty("."));
            e.to = Some(dir(&v.path).if_empty("."));
            out.push(at(e));
        }
        let Some(text) = &v.text else {
            if last.is_some() {
                close_exceptions(&mut out, last.as_ref(), None, date);
                out.push(at(Event::new(date, "removed")));
                last = None;
            }
            continue;
        };
        let state = match ProjectFile::parse(&format!("{}:{}", &v.commit[..v.commit.len().min(12)], v.path), text) {
            Ok(f) => state_of(&f),
            Err(e) => {
                let mut ev = Event::new(date, "unreadable");
                ev.message = Some(e.to_string().lines().next().unwrap_or_default().to_string());
                out.push(at(ev));
                continue; // the last readable state stays the one to compare with
            }
        };
        // The oldest commit of a shallow clone: the record was there before it, from when we
        // cannot know.
        let first_at_cut = i == 0 && cut_commit == Some(v.commit.as_str());
        match &last {
            None => {
                let mut e = Event::new(date, if first_at_cut { "history-cut" } else { "created" });
                e.template = Some(state.template.clone());
                e.version = Some(state.version.to_string());
                out.push(at(e));
            }
            Some(prev) if prev.template != state.template => {
                let mut e = Event::new(date, "switched");
                e.template = Some(state.template.clone());
                e.version = Some(state.version.to_string());
                e.from = Some(format!("{}@{}", prev.template, prev.version));
                e.to = Some(format!("{}@{}", state.template, state.version));
                out.push(at(e));
            }
            Some(prev) if prev.version != state.version => {
                let kind = if state.version > prev.version { "upgraded" } else { "downgraded" };
                let mut e = Event::new(date, kind);
                e.template = Some(state.template.clone());
                e.version = Some(state.version.to_string());
                e.from = Some(prev.version.to_string());
                e.to = Some(state.version.to_string());
                out.push(at(e));
            }
            Some(_) => {}
        }
        let before = out.len();
        close_exceptions(&mut out, last.as_ref(), Some(&state), date);
        for e in &mut out[before..] {
            if e.commit.is_none() && e.kind != "exception-expired" {
                e.commit = Some(v.commit.clone());
            }
        }
        for (rule, (owner, _, expires)) in &state.exceptions {
            let renewed = last.as_ref().and_then(|p| p.exceptions.get(rule)).map(|(_, _, old)| old != expires);
            let kind = match renewed {
                None => "exception-added",
                Some(true) => "exception-renewed",
                Some(false) => continue,
            };
            let mut e = Event::new(date, kind);
            e.rule = Some(rule.clone());
            e.owner = Some(owner.clone());
            e.expires = Some(expires.clone());
            // At a cut, the exceptions already on the record are dated at the cut, like the
            // `history-cut` event itself.
            out.push(at(e));
        }
        last = Some(state);
    }
    // Exceptions still on the record that lapsed by today.
    close_exceptions(&mut out, last.as_ref(), None, today);
    (place_expiries(out), last)
}

/// Events stay in history's order (commit dates can go backwards after a rebase or with a wrong
/// clock); each expiry, which no commit makes, moves back to just after the last event of its
/// day or earlier that follows the exception's recording.
fn place_expiries(events: Vec<Event>) -> Vec<Event> {
    let (expiries, mut out): (Vec<Event>, Vec<Event>) = events.into_iter().partition(|e| e.kind == "exception-expired");
    for x in expiries {
        let origin = out
            .iter()
            .rposition(|e| {
                matches!(e.kind, "exception-added" | "exception-renewed") && e.rule == x.rule && e.date < x.date
            })
            .map_or(0, |i| i + 1);
        let at = out[origin..].iter().position(|e| e.date > x.date).map_or(out.len(), |i| origin + i);
        out.insert(at, x);
    }
    out
}

/// For the exceptions of `prev` that `next` drops or renews on `date` (or that are still open on
/// `date`, today, without a `next`): `exception-expired` on the day after the expiry when that
/// day came before `date`, and `exception-removed` for the ones a `next` record drops.
fn close_exceptions(out: &mut Vec<Event>, prev: Option<&State>, next: Option<&State>, date: Day) {
    let Some(prev) = prev else { return };
    for (rule, (owner, expires, shown)) in &prev.exceptions {
        let kept = next.and_then(|n| n.exceptions.get(rule));
        if kept.is_some_and(|(_, _, s)| s == shown) {
            continue; // unchanged: still open
        }
        // Expired once its day has passed: on the record on a day after `expires`.
        if let Some(exp) = expires
            && exp.0 < date.0
        {
            let mut e = Event::new(Day(exp.0 + 1), "exception-expired");
            e.rule = Some(rule.clone());
            e.owner = Some(owner.clone());
            e.expires = Some(shown.clone());
            out.push(e);
        }
        if next.is_some() && kept.is_none() {
            let mut e = Event::new(date, "exception-removed");
            e.rule = Some(rule.clone());
            e.owner = Some(owner.clone());
            e.expires = Some(shown.clone());
            out.push(e);
        }
    }
}

trait IfEmpty {
    fn if_empty(self, other: &str) -> String;
}

impl IfEmpty for String {
    fn if_empty(self, other: &str) -> String {
        if self.is_empty() { other.to_string() } else { self }
    }
}

/// The histories of the projects of one repository (`repo` is its work tree, or a mirror and
/// the remote's branch to read).
pub(crate) fn repo_histories(
    repo: &std::path::Path,
    mirrored: Option<&str>,
    projects: &[Project],
    today: Day,
) -> Vec<ProjectHistory> {
    let rels: Vec<String> = projects
        .iter()
        .map(|p| {
            let rel = p.dir.strip_prefix(repo).map(|r| r.to_string_lossy().replace('\\', "/")).unwrap_or_default();
            if rel.is_empty() { FILE_NAME.to_string() } else { format!("{rel}/{FILE_NAME}") }
        })
        .collect();
    let walked = match mirrored {
        Some(branch) => crate::git::mirror_file_histories(repo, branch, &rels),
        None => crate::git::file_histories(repo, &rels),
    };
    let walked: Result<FileHistories, String> = walked.map_err(|e| e.to_string());
    projects
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut h = ProjectHistory::failed(p.name.clone(), String::new());
            h.error = None;
            match &walked {
                Err(e) => h.error = Some(e.clone()),
                Ok(w) => fill(&mut h, w, i, p, today),
            }
            h
        })
        .collect()
}

fn fill(h: &mut ProjectHistory, w: &FileHistories, i: usize, p: &Project, today: Day) {
    h.branch = Some(w.branch.clone());
    h.commits = w.commits;
    h.history_cut = w.cut.map(|(t, o)| Day::from_time(t, o));
    let versions = w.files.get(i).map_or(&[][..], Vec::as_slice);
    let (events, last) = events(versions, w.cut_commit.as_deref(), today);
    h.events = events;
    if let Some(cut) = h.history_cut {
        h.notes.push(format!("history cut at {cut}: the clone is shallow, nothing earlier is known"));
    }
    for r in &w.rewrites {
        h.notes.push(format!(
            "history rewritten on {}: {} was moved from {} to {}, which does not contain it ({}); events of the old history are not counted",
            Day::from_time(r.time, r.offset_minutes),
            w.branch,
            &r.old[..r.old.len().min(12)],
            &r.new[..r.new.len().min(12)],
            r.message.trim()
        ));
    }
    if let Some(m) = h.events.iter().find(|e| e.kind == "moved") {
        h.notes.push(format!(
            "moved from {} to {} on {}",
            m.from.as_deref().unwrap_or("?"),
            m.to.as_deref().unwrap_or("?"),
            m.date
        ));
    }
    let unreadable = h.events.iter().filter(|e| e.kind == "unreadable").count();
    if unreadable > 0 {
        h.notes.push(format!("{unreadable} version(s) of .pave.toml could not be read and were skipped"));
    }
    if versions.is_empty() {
        h.notes.push(format!("{FILE_NAME} is not committed on {}", w.branch));
    }
    if let Some(s) = last {
        h.template = Some(s.template);
        h.version = Some(s.version.to_string());
        h.owner = s.owner;
    }
    if h.owner.is_none() {
        h.owner = catalog_info_owner(&p.dir);
    }
}

/// `spec.owner` of the project's catalog-info.yaml, when there is one.
fn catalog_info_owner(dir: &std::path::Path) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Spec {
        owner: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Info {
        spec: Option<Spec>,
    }
    let text = crate::fs::read_to_string(&dir.join("catalog-info.yaml")).ok()?;
    // A multi-document file: the first document with an owner.
    text.split("\n---")
        .filter_map(|doc| serde_saphyr::from_str::<Info>(doc).ok())
        .find_map(|i| i.spec.and_then(|s| s.owner))
}

#[cfg(test)]
#[path = "history_tests.rs"]
mod tests;
