//! The contract's bounds on values (`docs/contract.md`, "Bounds"): `prior_hours` at most
//! [`MAX_PRIOR_HOURS`], every date from [`FIRST_DATE`] to [`LAST_DATE`].
//!
//! A value outside is bad input (`out_of_range`, naming the field), never a crash or a retry. The
//! bounds are what makes the domain's date arithmetic safe by construction: with dates in this
//! century, at most 100,000 prior hours (about 64 years at 30 hours a week) and the policy file's
//! own ranges (weeks, days), every date the rules compute lies within a few hundred years of the
//! inputs, far inside what chrono represents. The domain still uses only checked arithmetic, so a
//! value that slipped past (an item stored before the bounds) gives an error, never a panic.

use chrono::NaiveDate;

/// The most hours of cumulative unemployment a registration may carry from earlier periods.
pub const MAX_PRIOR_HOURS: f64 = 100_000.0;

/// The first day a message may name.
pub const FIRST_DATE: NaiveDate = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date");

/// The last day a message may name.
pub const LAST_DATE: NaiveDate = NaiveDate::from_ymd_opt(2099, 12, 31).expect("a valid date");

/// Whether `day` lies within the contract's bounds.
pub fn date_in_bounds(day: NaiveDate) -> bool {
    (FIRST_DATE..=LAST_DATE).contains(&day)
}

/// Whether `hours` is a `prior_hours` the contract accepts: a number from 0 to [`MAX_PRIOR_HOURS`].
pub fn prior_hours_in_bounds(hours: f64) -> bool {
    (0.0..=MAX_PRIOR_HOURS).contains(&hours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounds_are_inclusive() {
        assert!(date_in_bounds(FIRST_DATE) && date_in_bounds(LAST_DATE));
        assert!(!date_in_bounds(FIRST_DATE.pred_opt().unwrap()) && !date_in_bounds(LAST_DATE.succ_opt().unwrap()));
        assert!(prior_hours_in_bounds(0.0) && prior_hours_in_bounds(MAX_PRIOR_HOURS));
        assert!(!prior_hours_in_bounds(MAX_PRIOR_HOURS + 0.001) && !prior_hours_in_bounds(-0.5));
        assert!(!prior_hours_in_bounds(f64::NAN) && !prior_hours_in_bounds(f64::INFINITY));
    }
}
