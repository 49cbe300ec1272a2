//! The redirects a client may remember (RFC 6733 section 6.13): a 3006 answer with a
//! Redirect-Host-Usage other than DONT_CACHE says which later requests may go straight to the
//! redirect host, for Redirect-Max-Cache-Time seconds. `Node::call` looks here before routing.
//!
//! Bounded: at most [`CAPACITY`] entries, the oldest dropped first; expired ones are dropped
//! when a new one comes.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::lock;

/// The most redirects remembered at once.
pub(crate) const CAPACITY: usize = 1024;

/// What a request is, for matching remembered redirects.
#[derive(Debug, Default)]
pub(crate) struct Facts<'a> {
    pub(crate) session_id: Option<&'a [u8]>,
    pub(crate) destination_realm: Option<&'a [u8]>,
    pub(crate) application_id: u32,
    pub(crate) destination_host: Option<&'a [u8]>,
    pub(crate) user_name: Option<&'a [u8]>,
}

/// Which requests a redirect covers: Redirect-Host-Usage 1 to 6.
#[derive(Debug, PartialEq, Eq)]
enum Scope {
    Session(Vec<u8>),
    Realm(Vec<u8>),
    RealmAndApplication(Vec<u8>, u32),
    Application(u32),
    Host(Vec<u8>),
    User(Vec<u8>),
}

impl Scope {
    /// The scope `usage` gives a request, when the request has what it names.
    fn of(usage: i32, f: &Facts<'_>) -> Option<Scope> {
        let owned = |v: Option<&[u8]>| v.map(|v| v.to_ascii_lowercase());
        Some(match usage {
            1 => Scope::Session(f.session_id?.to_vec()),
            2 => Scope::Realm(owned(f.destination_realm)?),
            3 => Scope::RealmAndApplication(owned(f.destination_realm)?, f.application_id),
            4 => Scope::Application(f.application_id),
            5 => Scope::Host(owned(f.destination_host)?),
            6 => Scope::User(f.user_name?.to_vec()),
            _ => return None,
        })
    }

    fn covers(&self, f: &Facts<'_>) -> bool {
        let same = |a: &[u8], b: Option<&[u8]>| b.is_some_and(|b| a.eq_ignore_ascii_case(b));
        match self {
            Scope::Session(s) => f.session_id == Some(s.as_slice()),
            Scope::Realm(r) => same(r, f.destination_realm),
            Scope::RealmAndApplication(r, a) => {
                *a == f.application_id && same(r, f.destination_realm)
            }
            Scope::Application(a) => *a == f.application_id,
            Scope::Host(h) => same(h, f.destination_host),
            Scope::User(u) => f.user_name == Some(u.as_slice()),
        }
    }
}

struct Entry {
    scope: Scope,
    host: String,
    until: Instant,
}

/// The redirects remembered.
#[derive(Default)]
pub(crate) struct Redirects {
    entries: Mutex<Vec<Entry>>,
}

impl Redirects {
    /// Remembers that requests like `f` go to `host`, as Redirect-Host-Usage `usage` and
    /// Redirect-Max-Cache-Time `seconds` allow.
    pub(crate) fn remember(&self, usage: i32, seconds: u32, f: &Facts<'_>, host: &str) {
        let Some(scope) = Scope::of(usage, f) else {
            return;
        };
        if seconds == 0 {
            return;
        }
        let now = Instant::now();
        let mut entries = lock(&self.entries);
        entries.retain(|e| e.until > now && e.scope != scope);
        if entries.len() >= CAPACITY {
            entries.remove(0);
        }
        entries.push(Entry {
            scope,
            host: host.to_owned(),
            until: now + Duration::from_secs(u64::from(seconds)),
        });
    }

    /// Nothing remembered (the common case, checked before reading a request's facts).
    pub(crate) fn is_empty(&self) -> bool {
        lock(&self.entries).is_empty()
    }

    /// The host a remembered redirect sends requests like `f` to.
    pub(crate) fn lookup(&self, f: &Facts<'_>) -> Option<String> {
        let entries = lock(&self.entries);
        if entries.is_empty() {
            return None;
        }
        let now = Instant::now();
        entries
            .iter()
            .rev()
            .find(|e| e.until > now && e.scope.covers(f))
            .map(|e| e.host.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(realm: &'static [u8], app: u32) -> Facts<'static> {
        Facts {
            destination_realm: Some(realm),
            application_id: app,
            session_id: Some(b"s;1"),
            ..Facts::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn scopes_and_lifetime() {
        let r = Redirects::default();
        r.remember(3, 10, &facts(b"home.net", 4), "ocs2");
        assert_eq!(r.lookup(&facts(b"HOME.net", 4)).as_deref(), Some("ocs2"));
        assert_eq!(r.lookup(&facts(b"home.net", 5)), None);
        assert_eq!(r.lookup(&facts(b"other.net", 4)), None);
        // DONT_CACHE, a scope the request lacks, or no time: nothing remembered.
        r.remember(0, 10, &facts(b"x.net", 4), "a");
        r.remember(5, 10, &facts(b"x.net", 4), "a");
        r.remember(2, 0, &facts(b"x.net", 4), "a");
        assert_eq!(r.lookup(&facts(b"x.net", 4)), None);
        r.remember(1, 10, &facts(b"y.net", 7), "by-session");
        assert_eq!(r.lookup(&facts(b"z.net", 9)).as_deref(), Some("by-session"));
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(r.lookup(&facts(b"home.net", 4)), None);
    }
}
