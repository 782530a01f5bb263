//! Danish business days (rule R2).
//!
//! A joint meeting can only be held on a *business day*: a weekday the municipality meets on (by
//! default Monday to Friday) that is not a Danish public holiday, not Constitution Day (5 June), not
//! Christmas Eve (24 December) and not one of the municipality's own closed days. Every date the
//! pipeline proposes goes through this module, so "plus n business days" (R4, R6) means exactly
//! the same thing in planning, rescheduling and tests.
//!
//! The movable holidays hang off Easter Sunday, which is *computed* with the anonymous Gregorian
//! algorithm ([`easter_sunday`]) rather than read from a table: a table runs out, and a wrong
//! entry would silently put meetings on Easter Monday.
//!
//! This sits on the hot path (several calls per message, targeting more than 500k messages/s), so
//! a [`Calendar`] is laid out for cheap queries: the weekdays are a 7-bit mask, the closed days a
//! sorted, deduplicated `Vec` searched by bisection, and the national holidays are checked with
//! integer arithmetic only (Easter is only computed for days from March to June). No query
//! allocates. The searches ("the n-th business day before", R12's summons day, several times per
//! summons) walk day by day on a [`Walk`]: the day of the year and the weekday, with that year's
//! Easter worked out once, so a step and its check are a few integer comparisons instead of a date
//! conversion and an Easter computation per day. Tests hold them to the day-by-day searches over
//! [`Calendar::is_business_day`].

use chrono::{Datelike, NaiveDate, Weekday};

/// Great Prayer Day (store bededag) was abolished from 2024 on; it is a holiday up to this year.
const LAST_GREAT_PRAYER_DAY_YEAR: i32 = 2023;

/// Bit for each weekday in [`Calendar`]'s mask, Monday = bit 0.
const fn weekday_bit(day: Weekday) -> u8 {
    1 << day.num_days_from_monday()
}

/// Monday to Friday, the default meeting weekdays.
const MONDAY_TO_FRIDAY: u8 = 0b0001_1111;

/// The days on which a municipality can hold meetings (rule R2).
///
/// Built once per policy and municipality and then only queried; cloning copies the closed days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// Bit `i` set when the weekday `i` days after Monday is a meeting weekday; never zero.
    weekdays: u8,
    /// The municipality's own closed days, sorted ascending without duplicates.
    closed_days: Vec<NaiveDate>,
}

impl Default for Calendar {
    /// Monday to Friday with no closed days of its own: the R3 default.
    fn default() -> Self {
        Calendar { weekdays: MONDAY_TO_FRIDAY, closed_days: Vec::new() }
    }
}

impl Calendar {
    /// A calendar with meetings on `weekdays`, closed on Danish public holidays, 5 June, 24 December
    /// and the municipality's own `closed_days` (in any order; duplicates are ignored).
    ///
    /// # Panics
    ///
    /// If `weekdays` is empty: no day could ever be a business day, and the searches below would
    /// never end. The policy file rejects an empty weekday list before it gets here.
    pub fn new(weekdays: &[Weekday], closed_days: &[NaiveDate]) -> Self {
        let mask = weekdays.iter().fold(0u8, |mask, &day| mask | weekday_bit(day));
        assert!(mask != 0, "a calendar needs at least one meeting weekday");
        let mut closed_days = closed_days.to_vec();
        closed_days.sort_unstable();
        closed_days.dedup();
        Calendar { weekdays: mask, closed_days }
    }

    /// This calendar with `extra` closed days added (a municipality's days on top of its policy's).
    pub fn with_closed_days(&self, extra: &[NaiveDate]) -> Self {
        let mut closed_days = self.closed_days.clone();
        closed_days.extend_from_slice(extra);
        closed_days.sort_unstable();
        closed_days.dedup();
        Calendar { weekdays: self.weekdays, closed_days }
    }

    /// This calendar with its meeting weekdays replaced by `weekdays`; the closed days are kept.
    ///
    /// # Panics
    ///
    /// If `weekdays` is empty, as [`Calendar::new`].
    pub fn with_weekdays(&self, weekdays: &[Weekday]) -> Self {
        Calendar { closed_days: self.closed_days.clone(), ..Calendar::new(weekdays, &[]) }
    }

    /// The meeting weekdays, Monday first.
    pub fn weekdays(&self) -> impl Iterator<Item = Weekday> + '_ {
        let mut day = Weekday::Mon;
        (0..7).filter_map(move |_| {
            let this = day;
            day = day.succ();
            (self.weekdays & weekday_bit(this) != 0).then_some(this)
        })
    }

    /// The municipality's own closed days, sorted ascending without duplicates.
    pub fn closed_days(&self) -> &[NaiveDate] {
        &self.closed_days
    }

    /// Whether a meeting can be held on `day`: a meeting weekday, not a national closed day
    /// ([`is_public_holiday`]) and not one of the municipality's own closed days.
    #[inline]
    pub fn is_business_day(&self, day: NaiveDate) -> bool {
        self.weekdays & weekday_bit(day.weekday()) != 0
            && !is_public_holiday(day)
            && (self.closed_days.is_empty() || self.closed_days.binary_search(&day).is_err())
    }

    /// The n-th business day after `day` (`day` itself never counts); `day` itself when n is 0.
    ///
    /// Friday 2026-11-27 plus 3 business days is Wednesday 2026-12-02 (rule R2). `None` only when
    /// the search runs past the last date chrono can represent (never for dates within the
    /// contract's bounds).
    pub fn add_business_days(&self, day: NaiveDate, n: u32) -> Option<NaiveDate> {
        let mut walk = Walk::from(day);
        let mut left = n;
        while left > 0 {
            walk.succ()?;
            if walk.is_business_day(self) {
                left -= 1;
            }
        }
        Some(walk.date())
    }

    /// The n-th business day before `day` (`day` itself never counts); `day` itself when n is 0.
    /// The mirror of [`Calendar::add_business_days`], for the summons day of rule R12: Wednesday
    /// 2026-12-02 minus 3 business days is Friday 2026-11-27. `None` only when the search runs past
    /// the first date chrono can represent.
    pub fn sub_business_days(&self, day: NaiveDate, n: u32) -> Option<NaiveDate> {
        let mut walk = Walk::from(day);
        let mut left = n;
        while left > 0 {
            walk.pred()?;
            if walk.is_business_day(self) {
                left -= 1;
            }
        }
        Some(walk.date())
    }

    /// The first business day on or after `day`. `None` only when the search runs past the last
    /// date chrono can represent.
    pub fn first_business_day_on_or_after(&self, day: NaiveDate) -> Option<NaiveDate> {
        let mut walk = Walk::from(day);
        while !walk.is_business_day(self) {
            walk.succ()?;
        }
        Some(walk.date())
    }
}

/// A day as the searches walk it: year, day of the year (1-based) and weekday, with the length of
/// the year and the day of the year of its Easter Sunday at hand (worked out again only when the
/// walk crosses into another year).
struct Walk {
    year: i32,
    ordinal: u32,
    /// 0 for Monday, as [`weekday_bit`].
    weekday: u32,
    /// 1 in a leap year, else 0.
    leap: u32,
    easter: u32,
}

impl From<NaiveDate> for Walk {
    fn from(day: NaiveDate) -> Walk {
        let mut walk =
            Walk { year: 0, ordinal: day.ordinal(), weekday: day.weekday().num_days_from_monday(), leap: 0, easter: 0 };
        walk.enter_year(day.year());
        walk
    }
}

impl Walk {
    fn enter_year(&mut self, year: i32) {
        let leap = year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0);
        self.year = year;
        self.leap = u32::from(leap);
        // January and February come first, as in `is_easter_holiday`.
        self.easter = 31 + 28 + self.leap + easter_day_of_march(year);
    }

    /// The next day; `None` past the last year chrono can represent.
    #[inline]
    fn succ(&mut self) -> Option<()> {
        if self.ordinal == 365 + self.leap {
            if self.year >= NaiveDate::MAX.year() {
                return None;
            }
            self.enter_year(self.year + 1);
            self.ordinal = 1;
        } else {
            self.ordinal += 1;
        }
        self.weekday = if self.weekday == 6 { 0 } else { self.weekday + 1 };
        Some(())
    }

    /// The day before; `None` before the first year chrono can represent.
    #[inline]
    fn pred(&mut self) -> Option<()> {
        if self.ordinal == 1 {
            if self.year <= NaiveDate::MIN.year() {
                return None;
            }
            self.enter_year(self.year - 1);
            self.ordinal = 365 + self.leap;
        } else {
            self.ordinal -= 1;
        }
        self.weekday = if self.weekday == 0 { 6 } else { self.weekday - 1 };
        Some(())
    }

    /// [`Calendar::is_business_day`] of this day.
    #[inline]
    fn is_business_day(&self, calendar: &Calendar) -> bool {
        calendar.weekdays & (1 << self.weekday) != 0
            && !self.is_public_holiday()
            && (calendar.closed_days.is_empty() || calendar.closed_days.binary_search(&self.date()).is_err())
    }

    /// [`is_public_holiday`] of this day, by day of the year: 1 January, 5 June, 24 to 26
    /// December, and the days that move with Easter.
    #[inline]
    fn is_public_holiday(&self) -> bool {
        let (day, leap) = (self.ordinal, self.leap);
        if day == 1 || day == 156 + leap || (358 + leap..=360 + leap).contains(&day) {
            return true;
        }
        match i64::from(day) - i64::from(self.easter) {
            -3 | -2 | 1 | 39 | 50 => true,
            26 => self.year <= LAST_GREAT_PRAYER_DAY_YEAR,
            _ => false,
        }
    }

    fn date(&self) -> NaiveDate {
        NaiveDate::from_yo_opt(self.year, self.ordinal).expect("a walk stays within chrono's years")
    }
}

/// Easter Sunday's month (3 or 4) and day in the Gregorian calendar.
///
/// This is the *anonymous Gregorian algorithm* (Meeus/Jones/Butcher, published in Nature 1876):
/// pure integer arithmetic, valid for every Gregorian year. Euclidean division keeps it correct
/// for the proleptic years before year 1 as well. (The `computus` crate does the same; a dozen
/// lines of arithmetic did not seem worth a dependency.)
const fn easter_month_day(year: i32) -> (u32, u32) {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let n = h + l - 7 * m + 114;
    ((n / 31) as u32, (n % 31 + 1) as u32)
}

/// The first year of [`EASTER_DAYS`].
const EASTER_TABLE_FROM: i32 = 1900;

/// Easter Sunday of each year from [`EASTER_TABLE_FROM`] on, 400 years, as [`easter_day_of_march`]
/// gives it: worked out by [`easter_month_day`] when compiling, so that the searches and the holiday
/// check, which need it for every year they touch, look it up instead of dividing a dozen times.
/// Every date of the contract (2000 to 2099) and every search from one is inside.
const EASTER_DAYS: [u8; 400] = {
    let mut days = [0; 400];
    let mut i = 0;
    while i < days.len() {
        let (month, day) = easter_month_day(EASTER_TABLE_FROM + i as i32);
        days[i] = (if month == 3 { day } else { 31 + day }) as u8;
        i += 1;
    }
    days
};

/// Easter Sunday of `year` as a day of March: 22 to 31 in March, 32 to 56 for 1 to 25 April.
#[inline]
fn easter_day_of_march(year: i32) -> u32 {
    let listed = usize::try_from(year - EASTER_TABLE_FROM).ok().and_then(|i| EASTER_DAYS.get(i));
    match listed {
        Some(&day) => u32::from(day),
        None => match easter_month_day(year) {
            (3, day) => day,
            (_, day) => 31 + day,
        },
    }
}

/// Easter Sunday of `year` in the Gregorian calendar: 2026-04-05 for 2026.
///
/// Computed with the anonymous Gregorian algorithm (Meeus/Jones/Butcher), never tabulated. `None`
/// only for years outside chrono's range.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let (month, day) = easter_month_day(year);
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Whether `day` is a national closed day in Denmark (rule R2): New Year's Day, Maundy Thursday,
/// Good Friday, Easter Monday, Great Prayer Day (up to and including 2023), Ascension Day, Whit
/// Monday, Constitution Day (5 June), Christmas Eve, Christmas Day and Boxing Day.
///
/// Easter Sunday and Whit Sunday are holidays too, but always fall on a Sunday and are not listed.
/// Whether the weekday is a meeting day is [`Calendar`]'s business, not this function's.
#[inline]
pub fn is_public_holiday(day: NaiveDate) -> bool {
    let (month, dom) = (day.month(), day.day());
    match month {
        1 => dom == 1,
        12 => matches!(dom, 24..=26),
        // Maundy Thursday is on 19 March at the earliest, Whit Monday on 14 June at the latest.
        3..=6 => (month == 6 && dom == 5) || is_easter_holiday(day),
        _ => false,
    }
}

/// Whether `day` is one of the holidays that move with Easter.
#[inline]
fn is_easter_holiday(day: NaiveDate) -> bool {
    let year = day.year();
    let leap = u32::from(day.leap_year());
    // Day of the year of Easter Sunday, 1-based like `ordinal`: January and February come first.
    let easter_ordinal = 31 + 28 + leap + easter_day_of_march(year);
    match day.ordinal() as i64 - easter_ordinal as i64 {
        // Maundy Thursday, Good Friday, Easter Monday, Ascension Day, Whit Monday.
        -3 | -2 | 1 | 39 | 50 => true,
        26 => year <= LAST_GREAT_PRAYER_DAY_YEAR,
        _ => false,
    }
}

// Named by path: `build.rs` compiles this file as a module of its own, where `mod tests;` would be
// looked for beside this file rather than in `calendar/`.
#[cfg(test)]
#[path = "calendar/tests.rs"]
mod tests;
