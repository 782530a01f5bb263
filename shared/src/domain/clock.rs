//! The cumulative-unemployment clock (sammenlagt ledighed), rule R1.
//!
//! A period registered on day R with `prior_hours` P and `weekly_hours` W has on day D the hours
//! `P + W * (D - R) / 7`, and day D lies in week `floor(hours / W) + 1`. Policies speak in these
//! weeks ("at the latest in week 10"), so scheduling needs the first and the last day of a week.
//!
//! All arithmetic is checked: a day beyond chrono's range is `None`, never a panic. The contract's
//! bounds keep every real input far from that edge; prior hours beyond the bound (an item stored
//! before the bound existed) count as the bound.

use chrono::{Days, NaiveDate};

use crate::contract::Registration;
use crate::contract::bounds::MAX_PRIOR_HOURS;

/// The clock of one unemployment period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnemploymentClock {
    registered_on: NaiveDate,
    /// `7 * P / W`: how many calendar days of this period the prior hours are worth.
    prior_days: f64,
}

impl UnemploymentClock {
    pub fn new(registered_on: NaiveDate, prior_hours: f64, weekly_hours: u32) -> Self {
        // NaN and negatives count as none, anything past the contract's bound as the bound.
        let prior_hours = if prior_hours >= 0.0 { prior_hours.min(MAX_PRIOR_HOURS) } else { 0.0 };
        UnemploymentClock { registered_on, prior_days: 7.0 * prior_hours / f64::from(weekly_hours.max(1)) }
    }

    pub fn of(registration: &Registration) -> Self {
        Self::new(registration.registered_on, registration.prior_hours, registration.weekly_hours.hours())
    }

    /// The week number of `day`: `floor(hours / W) + 1`.
    pub fn week_of(&self, day: NaiveDate) -> i64 {
        let elapsed = day.signed_duration_since(self.registered_on).num_days() as f64;
        ((self.prior_days + elapsed) / 7.0).floor() as i64 + 1
    }

    /// The first day whose week number is at least `week`. Before the registration day when the
    /// prior hours already reach past the start of that week.
    pub fn first_day_of_week(&self, week: u32) -> Option<NaiveDate> {
        // week(D) >= k  <=>  prior_days + n >= 7 (k - 1)
        let n = (7.0 * (f64::from(week) - 1.0) - self.prior_days).ceil() as i64;
        self.offset(n)
    }

    /// The last day whose week number is at most `week` ("at the latest in week k").
    pub fn last_day_of_week(&self, week: u32) -> Option<NaiveDate> {
        // week(D) <= k  <=>  prior_days + n < 7 k
        let n = ((7.0 * f64::from(week) - self.prior_days).ceil() as i64).saturating_sub(1);
        self.offset(n)
    }

    /// The registration day moved by `days` (`as i64` above saturates, so any float is safe here).
    fn offset(&self, days: i64) -> Option<NaiveDate> {
        if days >= 0 {
            self.registered_on.checked_add_days(Days::new(days.unsigned_abs()))
        } else {
            self.registered_on.checked_sub_days(Days::new(days.unsigned_abs()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn full_time_weeks_from_registration() {
        let clock = UnemploymentClock::new(d("2026-11-02"), 0.0, 37);
        assert_eq!(clock.week_of(d("2026-11-02")), 1);
        assert_eq!(clock.week_of(d("2026-11-08")), 1);
        assert_eq!(clock.week_of(d("2026-11-09")), 2);
        // Week 5 starts after 4 * 7 days; one month (160.33 h) lies in week 5.
        assert_eq!(clock.first_day_of_week(5).unwrap(), d("2026-11-30"));
        assert_eq!(clock.week_of(d("2026-11-30")), 5);
        // Week 6 ends after 6 * 7 days.
        assert_eq!(clock.last_day_of_week(6).unwrap(), d("2026-12-13"));
        assert_eq!(clock.week_of(d("2026-12-13")), 6);
        assert_eq!(clock.week_of(d("2026-12-14")), 7);
    }

    #[test]
    fn prior_hours_move_the_weeks_earlier() {
        // 74 h = two full weeks already used: week 5 starts 14 days sooner.
        let clock = UnemploymentClock::new(d("2026-11-02"), 74.0, 37);
        assert_eq!(clock.week_of(d("2026-11-02")), 3);
        assert_eq!(clock.first_day_of_week(5).unwrap(), d("2026-11-16"));
        // 50 h: 50/37 weeks = 9.46 days; week 5 needs 28 days: n >= 18.54, so day 19.
        let clock = UnemploymentClock::new(d("2026-11-02"), 50.0, 37);
        assert_eq!(clock.first_day_of_week(5).unwrap(), d("2026-11-21"));
        assert_eq!(clock.week_of(d("2026-11-21")), 5);
        assert_eq!(clock.week_of(d("2026-11-20")), 4);
    }

    #[test]
    fn prior_hours_beyond_the_target_week_put_its_start_before_registration() {
        // 200 h at 37 h a week is week 6 on the very first day.
        let clock = UnemploymentClock::new(d("2026-11-02"), 200.0, 37);
        assert_eq!(clock.week_of(d("2026-11-02")), 6);
        assert!(clock.first_day_of_week(5).unwrap() < d("2026-11-02"));
        // Week 6 ends when 222 h are reached: 22 h more = 4.16 days, so the 4th day after R.
        assert_eq!(clock.last_day_of_week(6).unwrap(), d("2026-11-06"));
    }

    #[test]
    fn part_time_weeks_are_thirty_hours() {
        // 30 h prior at 30 h a week is exactly one week.
        let clock = UnemploymentClock::new(d("2026-11-02"), 30.0, 30);
        assert_eq!(clock.week_of(d("2026-11-02")), 2);
        assert_eq!(clock.first_day_of_week(5).unwrap(), d("2026-11-23"));
        // Same hours at 37 h a week are less than a week.
        let full = UnemploymentClock::new(d("2026-11-02"), 30.0, 37);
        assert_eq!(full.week_of(d("2026-11-02")), 1);
        assert_eq!(full.first_day_of_week(5).unwrap(), d("2026-11-25"));
    }
}
