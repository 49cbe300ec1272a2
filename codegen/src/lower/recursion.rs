//! Grouped AVPs that contain themselves: allowed through optional or repeated members (the
//! emitter boxes them), an error when every member on the way is required (no finite value).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use crate::diagnostic::Diagnostic;
use crate::model::{Avp, AvpKey, AvpType};

/// Sets [`Avp::recursive`] on every grouped AVP that can contain itself; returns an error for
/// each cycle made only of required members (`min >= 1`). Members that must not occur (`0*0`)
/// are no edge.
pub(super) fn check(avps: &mut BTreeMap<AvpKey, Avp>) -> Vec<Diagnostic> {
    let mut all: BTreeMap<AvpKey, Vec<AvpKey>> = BTreeMap::new();
    let mut required: BTreeMap<AvpKey, Vec<AvpKey>> = BTreeMap::new();
    for (key, avp) in avps.iter() {
        let Some(grammar) = &avp.grammar else {
            continue;
        };
        for rule in &grammar.rules {
            let grouped = avps
                .get(&rule.avp)
                .is_some_and(|member| member.ty == AvpType::Grouped);
            if !grouped || rule.max == Some(0) {
                continue;
            }
            all.entry(*key).or_default().push(rule.avp);
            if rule.min > 0 {
                required.entry(*key).or_default().push(rule.avp);
            }
        }
    }

    for key in all.keys() {
        if find_cycle(*key, &all).is_some() {
            if let Some(avp) = avps.get_mut(key) {
                avp.recursive = true;
            }
        }
    }

    let mut diags = Vec::new();
    let mut reported: HashSet<AvpKey> = HashSet::new();
    for &start in required.keys() {
        if reported.contains(&start) {
            continue;
        }
        let Some(cycle) = find_cycle(start, &required) else {
            continue;
        };
        reported.extend(cycle.iter().copied());
        let names: Vec<&str> = cycle
            .iter()
            .filter_map(|key| avps.get(key).map(|avp| avp.name.as_str()))
            .collect();
        if let Some(avp) = avps.get(&start) {
            let message = format!(
                "Grouped AVP `{}` contains itself through required members, so it has no \
                 finite value: {} (make one of them optional)",
                avp.name,
                names.join(" -> ")
            );
            diags.push(Diagnostic::new(avp.span.clone(), message));
        }
    }
    diags
}

/// A shortest path `start -> ... -> start` along `edges` (at least one edge), if any.
fn find_cycle(start: AvpKey, edges: &BTreeMap<AvpKey, Vec<AvpKey>>) -> Option<Vec<AvpKey>> {
    let mut parent: HashMap<AvpKey, AvpKey> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &next in edges.get(&node).into_iter().flatten() {
            if next == start {
                let mut path = vec![node];
                let mut at = node;
                while at != start {
                    at = *parent.get(&at)?;
                    path.push(at);
                }
                path.reverse();
                path.push(start);
                return Some(path);
            }
            if next != start && !parent.contains_key(&next) {
                parent.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: u32) -> AvpKey {
        AvpKey { code, vendor_id: 0 }
    }

    #[test]
    fn cycles_are_found_shortest_first() {
        let edges = BTreeMap::from([
            (key(1), vec![key(2)]),
            (key(2), vec![key(3), key(1)]),
            (key(3), vec![key(1)]),
            (key(4), vec![key(4)]),
            (key(5), vec![key(1)]),
        ]);
        assert_eq!(
            find_cycle(key(1), &edges),
            Some(vec![key(1), key(2), key(1)])
        );
        assert_eq!(
            find_cycle(key(3), &edges),
            Some(vec![key(3), key(1), key(2), key(3)])
        );
        assert_eq!(find_cycle(key(4), &edges), Some(vec![key(4), key(4)]));
        assert_eq!(find_cycle(key(5), &edges), None);
    }
}
