//! Which optional groups are boxed: those named by `Builder::boxed`, and those whose struct
//! would be larger than `Builder::box_groups_above` bytes.
//!
//! The emitter does not compile what it writes, so sizes are estimated from the field types,
//! as the runtime's types are laid out on 64-bit targets (roughly: an estimate decides, not a
//! layout). A decoded message is zeroed, written in place and dropped whole: a
//! large optional group that is absent costs its size in every decode, boxed it costs a
//! pointer (and an allocation when present).

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{AvpKey, AvpType, Grammar, Model};

/// Estimated bytes of one value of AVP type `t` (not a group).
fn scalar_size(t: AvpType) -> usize {
    match t {
        AvpType::Integer32
        | AvpType::Unsigned32
        | AvpType::Float32
        | AvpType::Enumerated
        | AvpType::Time => 4,
        AvpType::Integer64 | AvpType::Unsigned64 | AvpType::Float64 => 8,
        // `OctetString<'a>` and the text types over it: a borrowed slice or a `Bytes`.
        AvpType::OctetString
        | AvpType::Utf8String
        | AvpType::DiameterIdentity
        | AvpType::IpFilterRule
        | AvpType::QosFilterRule => 32,
        AvpType::Address => 40,
        AvpType::DiameterUri => 64,
        AvpType::Grouped => 8,
    }
}

/// The groups to box, and the estimated size of every group's struct.
pub(super) struct Boxing {
    /// Grouped AVPs boxed where they are an optional field.
    pub(super) optional: BTreeSet<AvpKey>,
    /// Grouped AVPs boxed wherever they are a single field (named by `Builder::boxed`).
    pub(super) always: BTreeSet<AvpKey>,
    /// Estimated `size_of` of each group's struct, with the boxing above.
    pub(super) sizes: BTreeMap<AvpKey, usize>,
}

/// Decides the boxing: groups named in `names` (dictionary names) always; other groups when
/// their estimated size is above `threshold` (none when `None`).
pub(super) fn boxing(model: &Model, names: &BTreeSet<String>, threshold: Option<usize>) -> Boxing {
    let always: BTreeSet<AvpKey> = model
        .avps
        .values()
        .filter(|a| a.ty == AvpType::Grouped && names.contains(&a.name))
        .map(|a| a.key)
        .collect();
    let mut b = Boxing {
        optional: always.clone(),
        always,
        sizes: BTreeMap::new(),
    };
    let keys: Vec<AvpKey> = model
        .avps
        .values()
        .filter(|a| a.grammar.is_some())
        .map(|a| a.key)
        .collect();
    for key in keys {
        size_of_group(model, &key, threshold, &mut b, &mut BTreeSet::new());
    }
    // The commands' own members (whose boxing the groups above did not decide).
    for (app, _) in super::plan::all_applications(model) {
        for cmd in app.commands.values() {
            for g in [&cmd.request, &cmd.answer] {
                size_of_members(model, g, threshold, &mut b, &mut BTreeSet::new());
            }
        }
    }
    b
}

/// The estimated size of group `key`'s struct, deciding its members' boxing first.
fn size_of_group(
    model: &Model,
    key: &AvpKey,
    threshold: Option<usize>,
    b: &mut Boxing,
    visiting: &mut BTreeSet<AvpKey>,
) -> usize {
    if let Some(s) = b.sizes.get(key) {
        return *s;
    }
    let Some(g) = model.avps.get(key).and_then(|a| a.grammar.as_ref()) else {
        return 0;
    };
    if !visiting.insert(*key) {
        // A cycle: the member on it is boxed (recursive), a pointer.
        return 8;
    }
    let size = size_of_members(model, g, threshold, b, visiting);
    visiting.remove(key);
    b.sizes.insert(*key, size);
    size
}

/// The estimated size of the struct of grammar `g`, deciding its members' boxing.
fn size_of_members(
    model: &Model,
    g: &Grammar,
    threshold: Option<usize>,
    b: &mut Boxing,
    visiting: &mut BTreeSet<AvpKey>,
) -> usize {
    let mut size = 0;
    for r in &g.rules {
        let Some(avp) = model.avps.get(&r.avp) else {
            continue;
        };
        let single = r.max == Some(1);
        size += match (avp.ty, r.min, r.max) {
            (_, _, Some(0)) => 0,
            (AvpType::Grouped, _, _) if !single => 24,
            (AvpType::Grouped, min, _) => {
                let inner = size_of_group(model, &r.avp, threshold, b, visiting);
                let optional = min == 0;
                let large = threshold.is_some_and(|t| inner > t);
                if avp.recursive || b.always.contains(&r.avp) {
                    8
                } else if optional && large {
                    b.optional.insert(r.avp);
                    8
                } else if optional {
                    inner + 8
                } else {
                    inner
                }
            }
            (t, 1, Some(1)) => scalar_size(t),
            (t, 0, Some(1)) => scalar_size(t) + 8,
            // A `SmallVec` of 16 bytes inline, or a `Vec`.
            (t, _, _) => match t {
                AvpType::OctetString
                | AvpType::Utf8String
                | AvpType::DiameterIdentity
                | AvpType::IpFilterRule
                | AvpType::QosFilterRule
                | AvpType::DiameterUri => 24,
                _ => 32,
            },
        };
    }
    if g.extensible {
        size += 24;
    }
    size
}
