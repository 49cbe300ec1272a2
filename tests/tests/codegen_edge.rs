//! The emitter on an edge-case dictionary (`fixtures/edge.xml`): the generated source is
//! snapshotted, and the same code (compiled by `build.rs` through the public Builder) is used
//! here, so both its text and its behaviour are checked.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use bytes::Bytes;
use diameter_runtime::smallvec::smallvec;
use diameter_runtime::typed::Command;
use diameter_runtime::types::{Address, DiameterIdentity, Utf8String};

#[allow(clippy::all, dead_code)]
mod edge {
    include!(concat!(env!("OUT_DIR"), "/edge.rs"));
}

use edge::edge::{EdgeCaseAnswer, EdgeCaseRequest, Leaf, Tree, Type};

#[test]
fn generated_source_snapshot() {
    let files = diameter_codegen::Builder::new()
        .dictionary(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/edge.xml"))
        .display_root(env!("CARGO_MANIFEST_DIR"))
        .layout(diameter_codegen::Layout::SingleFile("edge.rs".into()))
        .generate()
        .unwrap();
    assert_eq!(files.len(), 1);
    insta::assert_snapshot!("edge_rs", files[0].contents);
}

fn request() -> EdgeCaseRequest<'static> {
    let mut r = EdgeCaseRequest::new(
        Utf8String::from("s;1"),
        DiameterIdentity::from_static("h.example"),
        Type::TOTAL_OCTETS,
    );
    r.avp_3gpp_counter = smallvec![1, 2];
    r
}

#[test]
fn awkward_names_and_bounds() {
    // `Type` is a keyword: the field is `r#type`; enum name `2G` gets a prefix.
    let r = request();
    assert_eq!(r.r#type, Type::TOTAL_OCTETS);
    assert_eq!(Type::V_2G.0, 0);
    assert_eq!(Type::SELF.0, -2);
    assert_eq!(Type(77).name(), None);
    let bytes = r.to_bytes(1, 2);
    let d = EdgeCaseRequest::decode(&bytes).unwrap();
    assert!(d.violations.is_empty(), "{:#?}", d.violations);
    assert_eq!(d.message, r);
    assert_eq!(d.message.to_bytes(1, 2), bytes);
}

#[test]
fn two_to_three_and_forbidden() {
    // 2*3: one is too few (5005), four is too many (5009 on the fourth).
    let mut r = request();
    r.avp_3gpp_counter = smallvec![1];
    let d = EdgeCaseRequest::decode(&r.to_bytes(0, 0))
        .unwrap()
        .into_owned();
    assert_eq!(
        d.violations
            .iter()
            .map(|v| v.result_code)
            .collect::<Vec<_>>(),
        vec![5005]
    );
    r.avp_3gpp_counter = smallvec![1, 2, 3, 4];
    let d = EdgeCaseRequest::decode(&r.to_bytes(0, 0))
        .unwrap()
        .into_owned();
    assert_eq!(d.violations.len(), 1);
    assert_eq!(d.violations[0].result_code, 5009);
    assert_eq!(
        &d.violations[0].failed_avp.as_ref().unwrap()[12..],
        &4u64.to_be_bytes()
    );
    // 0*0: Forbidden-Thing has no field; sending it is 5008, even with *[ AVP ].
    let mut r = request();
    r.other_avps.push(diameter_runtime::RawAvp::new(
        3,
        0xc0,
        Some(10415),
        Bytes::from_static(b"x"),
    ));
    let d = EdgeCaseRequest::decode(&r.to_bytes(0, 0))
        .unwrap()
        .into_owned();
    assert_eq!(d.violations.len(), 1);
    assert_eq!(
        (d.violations[0].result_code, d.violations[0].avp),
        (5008, Some("Forbidden-Thing"))
    );
}

#[test]
fn recursive_group_round_trips() {
    let leaf = Leaf {
        tree: Some(Box::new(Tree::new(Type::V_2G))),
        avp_3gpp_counter: Some(9),
    };
    let mut inner = Tree::new(Type::SELF);
    inner.leaf.push(leaf);
    let mut root = Tree::new(Type::TOTAL_OCTETS);
    root.tree = Some(Box::new(inner));
    let mut r = request();
    r.tree = Some(Box::new(root));
    let d = EdgeCaseRequest::decode(&r.to_bytes(5, 6))
        .unwrap()
        .into_owned();
    assert!(d.violations.is_empty(), "{:#?}", d.violations);
    assert_eq!(d.message, r);
}

#[test]
fn answer_needs_one_or_more_match() {
    let mut a = EdgeCaseAnswer::new(
        Utf8String::from("s;1"),
        2001,
        DiameterIdentity::from_static("h.example"),
    );
    let d = EdgeCaseAnswer::decode(&a.to_bytes(0, 0))
        .unwrap()
        .into_owned();
    assert_eq!(d.violations.len(), 1);
    assert_eq!(
        (d.violations[0].result_code, d.violations[0].avp),
        (5005, Some("Match"))
    );
    a.r#match.push(Address::V4([192, 0, 2, 1].into()));
    assert!(EdgeCaseAnswer::decode(&a.to_bytes(0, 0))
        .unwrap()
        .violations
        .is_empty());
}

/// The views of the edge cases: the same violations as the structs (2*3 too few and too many,
/// the forbidden AVP), a keyword accessor, the 2*3 maximum honoured by the repeated field's
/// iterator, and recursion read through nested views.
#[test]
fn views_read_the_edge_cases_as_the_structs_do() {
    use diameter_runtime::view::{CommandView, GroupView};
    use edge::edge::EdgeCaseRequestView;

    let mut cases = Vec::new();
    let mut r = request();
    let mut inner = Tree::new(Type::SELF);
    inner.leaf.push(Leaf {
        tree: Some(Box::new(Tree::new(Type::V_2G))),
        avp_3gpp_counter: Some(9),
    });
    let mut root = Tree::new(Type::TOTAL_OCTETS);
    root.tree = Some(Box::new(inner));
    r.tree = Some(Box::new(root));
    cases.push(r.to_bytes(1, 2));
    for counters in [&[1u64][..], &[1, 2, 3, 4]] {
        let mut r = request();
        r.avp_3gpp_counter = counters.iter().copied().collect();
        cases.push(r.to_bytes(0, 0));
    }
    let mut r = request();
    r.other_avps.push(diameter_runtime::RawAvp::new(
        3,
        0xc0,
        Some(10415),
        Bytes::from_static(b"x"),
    ));
    cases.push(r.to_bytes(0, 0));

    for bytes in &cases {
        let s = EdgeCaseRequest::decode(bytes).unwrap();
        let v = EdgeCaseRequestView::decode(bytes).unwrap();
        assert_eq!(v.violations, s.violations);
        assert_eq!(v.message.to_command(), s.message);
        assert_eq!(v.message.r#type(), s.message.r#type);
        // At most 3 counters are read, as the struct keeps at most 3.
        assert!(v.message.avp_3gpp_counter().count() <= 3);
    }

    // Recursion: Tree -> Tree -> Leaf -> Tree, read view by view.
    let v = EdgeCaseRequestView::decode(&cases[0]).unwrap().message;
    let root = v.tree().unwrap();
    assert_eq!(root.r#type(), Type::TOTAL_OCTETS);
    let inner = root.tree().unwrap();
    let leaf = inner.leaf().next().unwrap();
    assert_eq!(leaf.avp_3gpp_counter(), Some(9));
    assert_eq!(leaf.tree().unwrap().r#type(), Type::V_2G);
    assert_eq!(Some(Box::new(root.to_group())), r_tree(&cases[0]));
}

/// The struct decoder's `tree` field of `bytes`.
fn r_tree(bytes: &[u8]) -> Option<Box<Tree>> {
    EdgeCaseRequest::decode(bytes).unwrap().message.tree
}

/// A command with a large and a small optional group, for the boxing options.
const BOXING_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<dictionary spec="Boxing Test" release="1">
  <application id="16777998" name="Boxing" type="auth" module="boxing">
    <command code="8388998" name="Box-Test" request-abbrev="BTR" answer-abbrev="BTA">
      <request><![CDATA[
        <BTR> ::= < Diameter Header: 8388998, REQ >
                  [ Big ]
                  [ Small ]
      ]]></request>
      <answer><![CDATA[
        <BTA> ::= < Diameter Header: 8388998 >
                  [ Small ]
      ]]></answer>
    </command>
  </application>
  <avp name="Text" code="1" type="UTF8String"/>
  <avp name="Number" code="2" type="Unsigned32"/>
  <avp name="Small" code="3" type="Grouped">
    <grammar><![CDATA[ Small ::= < AVP Header: 3 > [ Number ] ]]></grammar>
  </avp>
  <avp name="Big" code="4" type="Grouped">
    <grammar><![CDATA[ Big ::= < AVP Header: 4 > [ Text ] [ Number ] [ Small ] *[ AVP ] ]]></grammar>
  </avp>
</dictionary>
"#;

fn boxing_source(b: diameter_codegen::Builder) -> String {
    let dir = std::env::temp_dir().join(format!("diameter-boxing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("boxing.xml");
    std::fs::write(&path, BOXING_XML).unwrap();
    let files = b.dictionary(&path).generate().unwrap();
    files.into_iter().map(|f| f.contents).collect()
}

#[test]
fn optional_groups_are_boxed_above_the_size_and_by_name() {
    // Big is estimated at 96 bytes (text, number, Small inline, kept AVPs), Small at 12.
    let by_size = boxing_source(diameter_codegen::Builder::new().box_groups_above(Some(50)));
    assert!(
        by_size.contains("pub big: Option<Box<Big<'a>>>"),
        "{by_size}"
    );
    assert!(by_size.contains("pub small: Option<Small>"));
    let none = boxing_source(diameter_codegen::Builder::new().box_groups_above(None));
    assert!(none.contains("pub big: Option<Big<'a>>"));
    let named = boxing_source(
        diameter_codegen::Builder::new()
            .box_groups_above(None)
            .boxed("Small"),
    );
    assert!(named.contains("pub small: Option<Box<Small>>"));
    assert!(named.contains("pub big: Option<Big<'a>>"));
    // The default threshold keeps small groups inline.
    let default = boxing_source(diameter_codegen::Builder::new());
    assert!(default.contains("pub big: Option<Big<'a>>"));
}
