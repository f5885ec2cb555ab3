//! Unit tests of the events made from a `.pave.toml`'s versions.

use super::*;

fn version(day: &str, text: Option<&str>) -> FileVersion {
    let d: Day = day.parse().expect("day");
    FileVersion {
        commit: format!("{:040}", d.0),
        time: d.0 * 86_400 + 43_200,
        offset_minutes: 0,
        path: FILE_NAME.into(),
        text: text.map(str::to_string),
        moved_from: None,
    }
}

fn record(v: &str, exception: Option<&str>) -> String {
    let mut t = format!("[template]\nname = \"svc\"\nversion = \"{v}\"\n[answers]\nteam = \"t\"\n");
    if let Some(expires) = exception {
        t = t + "[[exceptions]]\nrule = \"r\"\nowner = \"o\"\nreason = \"x\"\nexpires = " + expires + "\n";
    }
    t
}

fn kinds(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| format!("{} {}", e.date, e.kind)).collect()
}

#[test]
fn an_exception_expires_the_day_after_its_date_and_stays_in_order() {
    let versions = [
        version("2026-01-01", Some(&record("1.0.0", Some("2026-02-10")))),
        version("2026-03-01", Some(&record("1.1.0", Some("2026-02-10")))),
        version("2026-04-01", Some(&record("1.1.0", None))),
    ];
    let (events, last) = events(&versions, None, "2026-12-06".parse().expect("day"));
    assert_eq!(
        kinds(&events),
        [
            "2026-01-01 created",
            "2026-01-01 exception-added",
            "2026-02-11 exception-expired",
            "2026-03-01 upgraded",
            "2026-04-01 exception-removed"
        ]
    );
    assert_eq!(last.map(|s| s.owner), Some(Some("t".to_string())));
}

#[test]
fn an_open_exception_expires_only_by_today() {
    let versions = [version("2026-01-01", Some(&record("1.0.0", Some("2026-06-30"))))];
    let (before, _) = events(&versions, None, "2026-06-30".parse().expect("day"));
    assert_eq!(kinds(&before), ["2026-01-01 created", "2026-01-01 exception-added"]);
    let (after, _) = events(&versions, None, "2026-07-01".parse().expect("day"));
    assert_eq!(kinds(&after).last().map(String::as_str), Some("2026-07-01 exception-expired"));
}

#[test]
fn a_deleted_record_and_a_new_one() {
    let versions = [
        version("2026-01-01", Some(&record("1.0.0", None))),
        version("2026-02-01", None),
        version("2026-03-01", Some(&record("2.0.0", None))),
    ];
    let (events, _) = events(&versions, None, "2026-12-06".parse().expect("day"));
    assert_eq!(kinds(&events), ["2026-01-01 created", "2026-02-01 removed", "2026-03-01 created"]);
}
