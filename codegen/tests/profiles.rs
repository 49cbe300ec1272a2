//! Profiles: the same (application, command code) with another specification's grammar
//! (`<application id="4" ... profile="3gpp">`) is its own entry in `Model::profiles`, apart
//! from the profile-less declaration in `Model::applications`.

use std::path::PathBuf;

use diameter_codegen::{load, Model, ProfileKey};

/// Writes `files` (name, text) into a fresh directory and returns the path of the first.
fn write(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("diameter-profiles-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    dir.join(files[0].0)
}

const PLAIN_CCR: &str = r#"<?xml version="1.0"?>
<dictionary spec="RFC 4006" release="2005">
  <import file="rfc6733.xml"/>
  <application id="4" name="Credit Control" type="auth" module="cc">
    <command code="272" name="Credit-Control" request-abbrev="CCR" answer-abbrev="CCA">
      <request><![CDATA[
        <CCR> ::= < Diameter Header: 272, REQ, PXY >
                  < Session-Id >
                  { Origin-Host }
                 *[ AVP ]
      ]]></request>
      <answer><![CDATA[
        <CCA> ::= < Diameter Header: 272, PXY >
                  < Session-Id >
                  { Result-Code }
                 *[ AVP ]
      ]]></answer>
    </command>
  </application>
</dictionary>
"#;

/// A profile of application 4 whose CCR also names `X-Info`; `extra` goes inside the
/// application (more commands, a table).
fn profile_file(profile: &str, module: &str, extra: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<dictionary spec="TS 99.999" release="17">
  <import file="plain.xml"/>
  <application id="4" name="Credit Control (X)" type="auth" module="{module}" profile="{profile}">
    <command code="272" name="Credit-Control" request-abbrev="CCR" answer-abbrev="CCA">
      <request><![CDATA[
        <CCR> ::= < Diameter Header: 272, REQ, PXY >
                  < Session-Id >
                  {{ Origin-Host }}
                  [ X-Info ]
                 *[ AVP ]
      ]]></request>
      <answer><![CDATA[
        <CCA> ::= < Diameter Header: 272, PXY >
                  < Session-Id >
                  {{ Result-Code }}
                 *[ AVP ]
      ]]></answer>
    </command>{extra}
  </application>
  <avp name="X-Info" code="1" vendor="10415" type="Unsigned32"/>
  <vendor id="10415" name="3GPP"/>
</dictionary>
"#
    )
}

fn load_profile(test: &str, profile: &str, module: &str, extra: &str) -> Result<Model, String> {
    let root = write(
        test,
        &[
            ("profile.xml", &profile_file(profile, module, extra)),
            ("plain.xml", PLAIN_CCR),
        ],
    );
    load(&[root]).map_err(|e| e.to_string())
}

#[test]
fn a_profile_is_kept_apart_from_the_plain_application() {
    let model = load_profile("apart", "3gpp", "ro", "").unwrap();
    // The plain application is unchanged: its CCR does not name X-Info.
    let plain = &model.applications[&4];
    assert_eq!(plain.module, "cc");
    assert_eq!(plain.commands[&272].request.rules.len(), 2);
    // The profile has its own CCR, with X-Info.
    let key = ProfileKey {
        id: 4,
        profile: "3gpp".into(),
    };
    let ro = &model.profiles[&key];
    assert_eq!(ro.id, 4);
    assert_eq!(ro.module, "ro");
    assert_eq!(ro.commands[&272].request.rules.len(), 3);
    assert_eq!(model.profiles.len(), 1);
    assert_eq!(key.to_string(), "application 4 profile `3gpp`");
}

#[test]
fn a_file_without_profiles_has_none() {
    let root = write("none", &[("plain.xml", PLAIN_CCR)]);
    let model = load(&[root]).unwrap();
    assert!(model.profiles.is_empty());
    // Debug output of profile-less models is what it was before profiles existed.
    assert!(!format!("{model:?}").contains("profiles: "));
}

#[test]
fn a_profile_needs_its_own_module() {
    let error = load_profile("module", "3gpp", "cc", "").unwrap_err();
    assert!(
        error.contains("module `cc` is already used by application 4 at"),
        "{error}"
    );
}

#[test]
fn a_profile_name_is_lowercase() {
    let error = load_profile("name", "3GPP", "ro", "").unwrap_err();
    assert!(error.contains("invalid profile `3GPP`"), "{error}");
}

#[test]
fn a_command_twice_in_one_profile_is_an_error() {
    let again = r#"
    <command code="272" name="Credit-Control-Again" request-abbrev="CCR2" answer-abbrev="CCA2">
      <request><![CDATA[
        <CCR2> ::= < Diameter Header: 272, REQ, PXY >
                  < Session-Id >
      ]]></request>
      <answer><![CDATA[
        <CCA2> ::= < Diameter Header: 272, PXY >
                  < Session-Id >
      ]]></answer>
    </command>"#;
    let error = load_profile("twice", "3gpp", "ro", again).unwrap_err();
    assert!(
        error.contains("command code 272 is already defined in application 4 profile `3gpp`"),
        "{error}"
    );
}

#[test]
fn occurrence_tables_name_the_profile_commands() {
    let table = r#"
    <occurrence-table commands="CCR CCA">
      <row avp="X-Info" occurs="0-1 0"/>
    </occurrence-table>"#;
    let model = load_profile("table", "3gpp", "ro", table).unwrap();
    let key = ProfileKey {
        id: 4,
        profile: "3gpp".into(),
    };
    // The 0 cell added `0*0 [ X-Info ]` to the profile's CCA only.
    assert_eq!(model.profiles[&key].commands[&272].answer.rules.len(), 3);
    assert_eq!(model.applications[&4].commands[&272].answer.rules.len(), 2);
}
