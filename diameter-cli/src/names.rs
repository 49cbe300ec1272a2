//! Names of Unsigned32 values that the dictionaries give outside the AVP's type: Result-Code
//! and other `<values>`, Experimental-Result-Code per vendor (the Vendor-Id beside it), and the
//! named bits of flag AVPs (ULR-Flags, a Feature-List seen with its Vendor-Id, application and
//! Feature-List-ID). They need the AVP's siblings, so they are filled in after the walk.

use diameter_runtime::dictionary::BitScope;

use crate::json::{AvpView, ValueView};

/// Vendor-Id (RFC 6733 5.3.3).
const VENDOR_ID: (u32, u32) = (266, 0);
/// Feature-List-ID (TS 29.229 6.3.30).
const FEATURE_LIST_ID: (u32, u32) = (629, 10415);

fn sibling(avps: &[AvpView], (code, vendor): (u32, u32)) -> Option<u32> {
    avps.iter()
        .find(|a| a.code == code && a.vendor_id == vendor)
        .and_then(|a| match a.value {
            ValueView::Unsigned(v) => u32::try_from(v).ok(),
            _ => None,
        })
}

/// Fills `names` of every Unsigned32 AVP of `avps` (one level of a message or group) and
/// below, for a message of `application_id`.
pub fn fill(avps: &mut [AvpView], application_id: Option<u32>) {
    let context = BitScope {
        vendor: sibling(avps, VENDOR_ID),
        application: application_id,
        list_id: sibling(avps, FEATURE_LIST_ID),
    };
    for a in avps.iter_mut() {
        match &mut a.value {
            ValueView::Group(children) => fill(children, application_id),
            ValueView::Unsigned(v) if a.ty == Some("Unsigned32") => {
                let Ok(v) = u32::try_from(*v) else { continue };
                a.names = names(a.code, a.vendor_id, v, &context);
            }
            _ => {}
        }
    }
}

fn names(code: u32, vendor_id: u32, value: u32, context: &BitScope) -> Option<Vec<&'static str>> {
    let scoped = context
        .vendor
        .and_then(|s| diameter_messages::scoped_value_name(code, vendor_id, s, value));
    if let Some(n) = scoped.or_else(|| diameter_messages::value_name(code, vendor_id, value)) {
        return Some(vec![n]);
    }
    let bits = diameter_messages::bit_names_in(code, vendor_id, context, value);
    (!bits.is_empty()).then_some(bits)
}
