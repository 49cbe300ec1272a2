//! Time (RFC 6733 4.3.1): seconds since 1900-01-01 UTC as an NTP timestamp's 32-bit seconds.
//!
//! The field wraps on 2036-02-07 06:28:16 UTC. Following RFC 2030 section 3 (as RFC 6733 asks),
//! a value with the top bit set counts from 1900, one with it clear from 2036; together the two
//! eras cover 1968-01-20 03:14:08 to 2104-02-26 09:42:23.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{AvpType, AvpValue, Wire};
use crate::error::ValueError;

/// Seconds from 1900-01-01 to 1970-01-01.
const NTP_UNIX_OFFSET: i64 = 2_208_988_800;
/// Unix seconds at which the 2036 era begins (NTP seconds wrap to zero).
const ERA1_START_UNIX: i64 = (1i64 << 32) - NTP_UNIX_OFFSET;

/// A Time value: the 32-bit NTP seconds as sent on the wire.
///
/// ```
/// use diameter_runtime::types::Time;
/// let t = Time::from_unix(1_700_000_000).unwrap();
/// assert_eq!(t.unix(), 1_700_000_000);
/// assert_eq!(t.to_string(), "2023-11-14T22:13:20Z");
/// // After the 2036 wrap, the top bit is clear and the value still maps forward.
/// let late = Time::from_unix(2_200_000_000).unwrap();
/// assert!(late.ntp_seconds() < 0x8000_0000);
/// assert_eq!(late.unix(), 2_200_000_000);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Time(u32);

impl Time {
    /// Earliest representable instant, in Unix seconds (1968-01-20T03:14:08Z).
    pub const MIN_UNIX: i64 = 0x8000_0000 - NTP_UNIX_OFFSET;
    /// Latest representable instant, in Unix seconds (2104-02-26T09:42:23Z).
    pub const MAX_UNIX: i64 = ERA1_START_UNIX + 0x7fff_ffff;

    /// A time from the raw 32-bit NTP seconds.
    pub const fn from_ntp_seconds(secs: u32) -> Self {
        Time(secs)
    }

    /// The raw 32-bit NTP seconds.
    pub const fn ntp_seconds(self) -> u32 {
        self.0
    }

    /// Seconds since the Unix epoch, using the era rule above.
    pub fn unix(self) -> i64 {
        if self.0 & 0x8000_0000 != 0 {
            i64::from(self.0) - NTP_UNIX_OFFSET
        } else {
            i64::from(self.0) + ERA1_START_UNIX
        }
    }

    /// The time `secs` after the Unix epoch, or `None` outside the representable range.
    pub fn from_unix(secs: i64) -> Option<Self> {
        if !(Self::MIN_UNIX..=Self::MAX_UNIX).contains(&secs) {
            return None;
        }
        // Within range, the wire value is the NTP seconds modulo 2^32.
        Some(Time((secs + NTP_UNIX_OFFSET) as u32))
    }

    /// As a `SystemTime`.
    pub fn to_system_time(self) -> SystemTime {
        let secs = self.unix();
        if secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
        } else {
            UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
        }
    }

    /// From a `SystemTime`, truncated to whole seconds; `None` outside the range.
    pub fn from_system_time(t: SystemTime) -> Option<Self> {
        let secs = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).ok()?,
            Err(e) => {
                let d = e.duration();
                // Round toward the past for instants before the epoch.
                let whole = i64::try_from(d.as_secs()).ok()?;
                -whole - i64::from(d.subsec_nanos() > 0)
            }
        };
        Self::from_unix(secs)
    }

    /// The current time.
    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now()).unwrap_or(Time(0))
    }

    /// The civil UTC date and time: (year, month, day, hour, minute, second).
    pub fn to_utc(self) -> (i64, u32, u32, u32, u32, u32) {
        let secs = self.unix();
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400) as u32;
        let (y, m, d) = civil_from_days(days);
        (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
    }

    /// Parses RFC 3339 UTC text of the form `YYYY-MM-DDTHH:MM:SSZ` (the form `Display` writes).
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
            || b[19] != b'Z'
        {
            return None;
        }
        let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo)
            || d == 0
            || d > days_in_month(i64::from(y), mo)
            || h > 23
            || mi > 59
            || se > 59
        {
            return None;
        }
        let days = days_from_civil(i64::from(y), mo, d);
        Self::from_unix(days * 86_400 + i64::from(h * 3600 + mi * 60 + se))
    }
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days <-> civil date algorithms (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// RFC 3339 in UTC, e.g. `2026-11-22T01:02:03Z`.
impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = self.to_utc();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

impl<'a> AvpValue<'a> for Time {
    const TYPE: AvpType = AvpType::Time;

    #[inline]
    fn decode(data: &'a [u8]) -> Result<Self, ValueError> {
        let arr: [u8; 4] = data.try_into().map_err(|_| ValueError::Length {
            ty: "Time",
            expected: "4",
            actual: data.len(),
        })?;
        Ok(Time(u32::from_be_bytes(arr)))
    }
    fn encoded_len(&self) -> usize {
        4
    }
    #[inline]
    fn encode_to(&self, out: &mut [u8]) {
        out.copy_from_slice(&self.0.to_be_bytes());
    }
    #[inline]
    fn wire(&self) -> Wire<'_> {
        Wire::copied(&self.0.to_be_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::round_trip;

    #[test]
    fn known_instants() {
        // 2024-01-02T03:04:05Z, the Event-Timestamp of the python-diameter vectors.
        let t = Time::parse_rfc3339("2024-01-02T03:04:05Z").unwrap();
        assert_eq!(t.unix(), 1_704_164_645);
        assert_eq!(t.ntp_seconds(), 0xe93d_fba5);
        assert_eq!(
            Time::from_ntp_seconds(0).to_string(),
            "2036-02-07T06:28:16Z"
        );
        assert_eq!(
            Time::from_ntp_seconds(u32::MAX).to_string(),
            "2036-02-07T06:28:15Z"
        );
        assert_eq!(
            Time::from_ntp_seconds(0x8000_0000).to_string(),
            "1968-01-20T03:14:08Z"
        );
        assert_eq!(
            Time::from_ntp_seconds(0x7fff_ffff).to_string(),
            "2104-02-26T09:42:23Z"
        );
        assert_eq!(Time::from_unix(0).unwrap().ntp_seconds(), 2_208_988_800);
    }

    #[test]
    fn era_rollover_is_continuous() {
        let before = Time::from_unix(ERA1_START_UNIX - 1).unwrap();
        let after = Time::from_unix(ERA1_START_UNIX).unwrap();
        assert_eq!(before.ntp_seconds(), u32::MAX);
        assert_eq!(after.ntp_seconds(), 0);
        assert_eq!(after.unix() - before.unix(), 1);
    }

    #[test]
    fn range_limits() {
        assert!(Time::from_unix(Time::MIN_UNIX - 1).is_none());
        assert!(Time::from_unix(Time::MAX_UNIX + 1).is_none());
        assert_eq!(
            Time::from_unix(Time::MIN_UNIX).unwrap().unix(),
            Time::MIN_UNIX
        );
        assert_eq!(
            Time::from_unix(Time::MAX_UNIX).unwrap().unix(),
            Time::MAX_UNIX
        );
    }

    #[test]
    fn every_sampled_value_maps_back() {
        for ntp in (0..=u32::MAX).step_by(65_521) {
            let t = Time::from_ntp_seconds(ntp);
            assert_eq!(Time::from_unix(t.unix()), Some(t));
            assert_eq!(Time::parse_rfc3339(&t.to_string()), Some(t));
            assert_eq!(Time::from_system_time(t.to_system_time()), Some(t));
        }
    }

    #[test]
    fn rfc3339_rejects_nonsense() {
        for bad in [
            "2024-02-30T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01 00:00:00Z",
            "2024-01-01T24:00:00Z",
            "1900-01-01T00:00:00Z",
        ] {
            assert_eq!(Time::parse_rfc3339(bad), None, "{bad}");
        }
        assert!(Time::parse_rfc3339("2024-02-29T23:59:59Z").is_some());
    }

    #[test]
    fn wire_form() {
        assert_eq!(
            &round_trip(&Time::from_ntp_seconds(0xe93d_fba5))[..],
            &[0xe9, 0x3d, 0xfb, 0xa5]
        );
        assert_eq!(Time::decode(&[1, 2, 3]).unwrap_err().result_code(), 5014);
    }
}
