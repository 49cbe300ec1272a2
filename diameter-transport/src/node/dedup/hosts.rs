//! Origin-Hosts as small numbers, so that a request's key is two integers.
//!
//! A host keeps its number while any remembered request names it; when its last one is
//! forgotten the number is freed for another host. The table therefore never holds more
//! hosts than the cache holds requests, whatever Origin-Hosts peers send.

use std::collections::HashMap;

/// How many recently seen hosts are tried, by comparing bytes, before the table is hashed:
/// most requests come from a few hosts (the peers, or the clients behind a relay).
const RECENT: usize = 4;

struct Host {
    name: Box<[u8]>,
    /// Remembered requests naming this host; 0 marks the number free.
    records: u32,
}

/// The numbering of the Origin-Hosts of remembered requests.
#[derive(Default)]
pub(super) struct Hosts {
    /// Indexed by number.
    hosts: Vec<Host>,
    by_name: HashMap<Box<[u8]>, u32>,
    free: Vec<u32>,
    /// Numbers of recent hosts, most recent first; entries may name freed numbers, which
    /// the byte comparison rejects (a freed host has no records).
    recent: [u32; RECENT],
}

impl Hosts {
    /// The number of `name`, when a remembered request names it.
    pub(super) fn find(&mut self, name: &[u8]) -> Option<u32> {
        for (i, &id) in self.recent.iter().enumerate() {
            if let Some(h) = self.hosts.get(id as usize) {
                if h.records > 0 && *h.name == *name {
                    // Keep the most recent first so that one busy host is found at once.
                    self.recent[..=i].rotate_right(1);
                    return Some(id);
                }
            }
        }
        let id = *self.by_name.get(name)?;
        self.recent.rotate_right(1);
        self.recent[0] = id;
        Some(id)
    }

    /// The number of `name`, given one when it has none; the caller records a request
    /// under it next ([`Hosts::retain`]).
    pub(super) fn intern(&mut self, name: &[u8]) -> u32 {
        if let Some(id) = self.find(name) {
            return id;
        }
        let host = Host {
            name: name.into(),
            records: 0,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.hosts[id as usize] = host;
                id
            }
            None => {
                // Never more hosts than remembered requests, and those fit in a u32 key
                // part because the capacity does (see `Duplicates::new`).
                let id = self.hosts.len() as u32;
                self.hosts.push(host);
                id
            }
        };
        self.by_name.insert(name.into(), id);
        self.recent.rotate_right(1);
        self.recent[0] = id;
        id
    }

    /// One more remembered request names host `id`.
    pub(super) fn retain(&mut self, id: u32) {
        if let Some(h) = self.hosts.get_mut(id as usize) {
            h.records += 1;
        }
    }

    /// One remembered request naming host `id` was forgotten; the last frees the number.
    pub(super) fn release(&mut self, id: u32) {
        let Some(h) = self.hosts.get_mut(id as usize) else {
            return;
        };
        h.records = h.records.saturating_sub(1);
        if h.records == 0 {
            let name = std::mem::take(&mut h.name);
            self.by_name.remove(&name);
            self.free.push(id);
        }
    }

    /// Hosts numbered now.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.by_name.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_lives_as_long_as_its_records() {
        let mut hosts = Hosts::default();
        let a = hosts.intern(b"a");
        hosts.retain(a);
        // More hosts than the recent list holds: "a" is still found by its name.
        for i in 0..(RECENT as u32 * 2) {
            let id = hosts.intern(format!("h{i}").as_bytes());
            hosts.retain(id);
            assert_ne!(id, a);
        }
        assert_eq!(hosts.find(b"a"), Some(a));
        hosts.release(a);
        assert_eq!(hosts.find(b"a"), None);
        // The freed number goes to the next new host, and the old name does not match it.
        let b = hosts.intern(b"b");
        hosts.retain(b);
        assert_eq!(b, a);
        assert_eq!(hosts.find(b"a"), None);
        assert_eq!(hosts.find(b"b"), Some(b));
    }

    #[test]
    fn the_empty_name_is_a_host_like_any_other() {
        // A request without Origin-Host is keyed under the empty name; a freed number's
        // emptied name must not match it.
        let mut hosts = Hosts::default();
        let x = hosts.intern(b"x");
        hosts.retain(x);
        hosts.release(x);
        assert_eq!(hosts.find(b""), None);
        let empty = hosts.intern(b"");
        hosts.retain(empty);
        assert_eq!(hosts.find(b""), Some(empty));
        assert_eq!(hosts.len(), 1);
    }
}
