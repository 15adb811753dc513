//! Wall-clock time as the protocols need it: SigV4's `20261129T223000Z`, a
//! JWT's epoch seconds, and a server's `Date` header (how a skewed local
//! clock is noticed).

use std::time::{SystemTime, UNIX_EPOCH};

/// How far the local clock may be from a server's before it is reported:
/// AWS refuses SigV4 signatures 5 minutes off, Google an `iat` in its future.
pub const MAX_SKEW_SECONDS: i64 = 300;

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// (year, month, day, hour, minute, second) of epoch seconds, UTC.
pub(crate) fn civil(epoch: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    (year, month, day, h as u32, m as u32, s as u32)
}

/// Epoch seconds of a UTC date and time.
fn epoch_of(year: i64, month: u32, day: u32, h: u32, m: u32, s: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s)
}

/// `20261129T223000Z`, the SigV4 `X-Amz-Date` form.
pub fn amz_date(epoch: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(epoch);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

/// `2026-11-29 22:30:00 UTC`, for people.
pub fn human(epoch: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(epoch);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC")
}

const MONTHS: &str = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec";

/// Parse an HTTP `Date` header (RFC 9110 IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`);
/// a year outside 1..=9999 is refused: an absurd one would overflow.
pub fn parse_http_date(value: &str) -> Option<i64> {
    let rest = value.trim().split_once(", ")?.1;
    let mut parts = rest.split(' ');
    let day: u32 = parts.next()?.parse().ok()?;
    let name = parts.next()?;
    let month = MONTHS.split(' ').position(|m| m == name)? as u32 + 1;
    let year: i64 = parts.next()?.parse().ok().filter(|y| (1..=9999).contains(y))?;
    let mut hms = parts.next()?.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    (parts.next()? == "GMT" && (1..=31).contains(&day) && h < 24 && m < 60 && s < 61)
        .then(|| epoch_of(year, month, day, h, m, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_known_instants() {
        // 1420070400 is 2015-01-01T00:00:00Z (moto's fixed ECR expiry).
        assert_eq!(amz_date(1_420_070_400), "20150101T000000Z");
        assert_eq!(human(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("Thu, 01 Jan 2015 00:00:00 GMT"), Some(1_420_070_400));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("garbage"), None);
        assert_eq!(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"), Some(253_402_300_799));
        for absurd in ["9000000000000000000", "-9000000000000000000", "10000", "0"] {
            let date = format!("Mon, 01 Jan {absurd} 00:00:00 GMT");
            assert_eq!(parse_http_date(&date), None, "{date}");
        }
        for t in [0, 1_700_000_000, 4_102_444_800, 951_868_799] {
            let (y, mo, d, h, mi, s) = civil(t);
            assert_eq!(epoch_of(y, mo, d, h, mi, s), t);
        }
    }
}
