//! When each template version was released: its manifest's `released = YYYY-MM-DD`, else, for a
//! catalog kept in git, the day of the commit that added its template.toml.

use crate::catalog::Catalog;
use crate::fleet::dates::Day;
use crate::store::Store;

/// The release day of `name@v`, when it is known.
pub(crate) fn release_date(catalog: &Catalog, name: &str, v: &semver::Version) -> Option<Day> {
    let entry = catalog.entry(name).ok()?;
    if let Some(d) = catalog.manifest(entry, v).ok().and_then(|m| m.template.released).and_then(|r| r.date) {
        return Some(Day::from_toml(d));
    }
    match &catalog.store {
        Store::Dir(root) => crate::git::first_added(root, &format!("templates/{name}/{v}/template.toml"))
            .map(|((t, o), _)| Day::from_time(t, o)),
        Store::Embedded => None,
    }
}
