//! Names for the bits of bit-mask Unsigned32 AVPs (`<bits>`): TS 29.272's ULR-Flags and its
//! kin, and Feature-List bits, which mean one thing per application and Feature-List-ID.

use super::{Lower, VENDOR_ID};
use crate::model::{AvpKey, AvpType, BitScope, NamedBit, NamedBits};
use crate::parse::ast;

/// TS 29.229 6.3.30 Feature-List-ID, the sibling a `list-id` scope is compared with.
const FEATURE_LIST_ID: AvpKey = AvpKey {
    code: 629,
    vendor_id: 10415,
};

/// Bits of an Unsigned32: 0 (least significant) to 31.
const BITS: u32 = 32;

impl Lower<'_> {
    /// Lowers one `<bits>` of `file`: the AVP must be a visible Unsigned32 one, the scope must
    /// make sense (a vendor and Feature-List-ID the AVP sits beside, an application this file
    /// sees), and each name and bit must be unique within the AVP and scope.
    pub(super) fn bits(&mut self, file: usize, bits: &ast::Bits) {
        let name = &bits.avp.value;
        let Some(key) = self.lookup_avp(file, name, &bits.avp.span) else {
            return;
        };
        let Some(avp) = self.avps.get(&key) else {
            return;
        };
        if avp.ty != AvpType::Unsigned32 {
            let message = format!(
                "<bits> is only for Unsigned32 AVPs, and `{name}` (at {}) is {}",
                avp.span, avp.ty
            );
            self.error(&bits.avp.span, message);
            return;
        }
        let Some(scope) = self.bit_scope(file, key, bits) else {
            return;
        };
        if bits.bits.is_empty() {
            let message = format!("<bits> of `{name}` has no <bit>");
            self.error(&bits.span, message);
            return;
        }

        let what = describe(name, &scope);
        let mut known = self.named_bits.remove(&(key, scope)).unwrap_or_default();
        let mut out = Vec::new();
        for bit in &bits.bits {
            if bit.bit >= BITS {
                let message = format!(
                    "bit {} of {what} does not exist: an Unsigned32 has bits 0 (least \
                     significant) to 31",
                    bit.bit
                );
                self.error(&bit.span, message);
                continue;
            }
            if let Some((_, _, span)) = known.iter().find(|(n, _, _)| *n == bit.name) {
                let message = format!(
                    "bit name `{}` of {what} is already defined at {span}",
                    bit.name
                );
                self.error(&bit.span, message);
                continue;
            }
            if let Some((first, _, span)) = known.iter().find(|(_, b, _)| *b == bit.bit) {
                let message = format!(
                    "bit {} of {what} is already named `{first}` at {span}",
                    bit.bit
                );
                self.error(&bit.span, message);
                continue;
            }
            known.push((bit.name.clone(), bit.bit, bit.span.clone()));
            out.push(NamedBit {
                name: bit.name.clone(),
                bit: bit.bit,
                doc: bit.doc.clone(),
            });
        }
        self.named_bits.insert((key, scope), known);
        self.bits.push(NamedBits {
            avp: key,
            scope,
            bits: out,
            span: bits.span.clone(),
        });
    }

    /// The scope of a `<bits>` of AVP `key`, or `None` when part of it is wrong (reported).
    fn bit_scope(&mut self, file: usize, key: AvpKey, bits: &ast::Bits) -> Option<BitScope> {
        let name = &bits.avp.value;
        let mut ok = true;
        let vendor = match &bits.vendor {
            None => None,
            Some(vendor) => {
                let mut id = self.resolve_vendor(file, vendor);
                if id.is_some() && !self.beside(key, VENDOR_ID) {
                    let message = format!(
                        "a vendor scope needs `{name}` beside a Vendor-Id (266) in a Grouped AVP \
                         (as Feature-List is in Supported-Features), and no loaded Grouped AVP \
                         has both"
                    );
                    self.error(&vendor.span, message);
                    id = None;
                }
                ok &= id.is_some();
                id
            }
        };
        let application = bits.application.as_ref().map(|app| app.value);
        if let Some(app) = &bits.application {
            if !self.sees_application(file, app.value) {
                let message = format!(
                    "application {} is declared in no file this one sees (itself or its \
                     imports): bits are named for an application the dictionaries know",
                    app.value
                );
                self.error(&app.span, message);
                ok = false;
            }
        }
        let list_id = bits.list_id.as_ref().map(|id| id.value);
        if let Some(id) = &bits.list_id {
            if bits.application.is_none() {
                let message = "a Feature-List-ID means something only within an application: \
                               give `application` too";
                self.error(&id.span, message);
                ok = false;
            } else if !self.beside(key, FEATURE_LIST_ID) {
                let message = format!(
                    "a `list-id` scope needs `{name}` beside Feature-List-ID (629, vendor 10415) \
                     in a Grouped AVP (as in Supported-Features), and no loaded Grouped AVP has \
                     both"
                );
                self.error(&id.span, message);
                ok = false;
            }
        }
        ok.then_some(BitScope {
            vendor,
            application,
            list_id,
        })
    }

    /// Is Application-Id `id` declared (with or without a profile) in `file` or a file it
    /// sees through its imports?
    fn sees_application(&self, file: usize, id: u32) -> bool {
        self.slots
            .iter()
            .enumerate()
            .filter(|(index, _)| self.visible[file][*index])
            .filter_map(|(_, slot)| slot.file.as_ref())
            .flat_map(|source| &source.applications)
            .any(|app| app.id == id)
    }
}

/// How diagnostics name the AVP and scope: `` `Feature-List` (vendor 10415, application
/// 16777251, list 1) ``.
fn describe(name: &str, scope: &BitScope) -> String {
    let parts: Vec<String> = [
        scope.vendor.map(|id| format!("vendor {id}")),
        scope.application.map(|id| format!("application {id}")),
        scope.list_id.map(|id| format!("list {id}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        format!("`{name}`")
    } else {
        format!("`{name}` ({})", parts.join(", "))
    }
}
